"""What the audio of a call shows, measured: ``AudioFacts`` from the decoded channels (issue 16).

Pure (NumPy only, no Django, no model; ``facts_for_recording`` at the end is the one entry point
that reads a stored recording). Input: one float array per channel (a stereo call: the
agent's and the customer's channel, in the order of ``speakers``; a mono call: one array, speaker
"unknown") at one sample rate. Every number here can be explained to a reviewer:

- **Voiced stretches** per speaker: either given (the Silero VAD regions the transcription already
  computed for that channel, ``speech=``) or found by an energy detector: 20 ms frames, voiced when
  the frame level is ``vad_margin_db`` above the channel's noise floor (10th percentile of frame
  levels) and within ``vad_below_loud_db`` of its loud speech (97th percentile) — the second bound
  keeps the other party's echo (cross-talk 25-35 dB down) out of a channel; on a stereo call a frame
  more than ``echo_gap_db`` below the other channel at that moment (±40 ms) is that channel's echo,
  not speech (the agent's channel carrying a shouting caller). Pauses shorter than
  ``vad_gap_s`` join; stretches shorter than ``vad_min_s`` are dropped.
- **Silences**: nobody voiced for at least ``silence_min_s``, between the first and the last speech
  of the call (ringing before and line noise after the call are not silences of the conversation).
- **Over-talk**: both channels voiced at once for at least ``overtalk_min_s`` (stereo only; a mono
  call cannot show it and says ``overtalk_known=False``).
- **Cues** (``Cue.kind``, value in the kind's unit):
  ``interruption`` (s): the customer starts while the agent has been talking for ``interrupt_lead_s``
  and goes on talking; the value is how long both talk.
  ``loudness_rise`` (dB) and ``pitch_rise`` (semitones): a customer turn (voiced speech, pauses under
  ``turn_gap_s`` joined, at least ``rise_min_s`` long) whose median frame level / median pitch is
  that much above the caller's own start: the voiced frames of their first ``baseline_s`` seconds of
  the call (or, if they said less than ``baseline_min_voiced_s`` by then, their first that-many
  seconds of voiced speech). Pitch is a YIN track (de Cheveigné & Kawahara 2002) on 8 kHz audio,
  70-400 Hz, computed only on the customer's voiced frames, every 40 ms (``PITCH_EVERY``). A turn is
  judged only on ``rise_min_voiced_s`` seconds of voiced frames or more.

``facts_of_decoded`` measures a call while the transcription job has it decoded (the job hands the
decoded audio over through ``recordings.signals.recording_decoded``; the facts are stored as
``CallAudioFacts``); ``facts_for_recording`` decodes a stored recording again, for calls transcribed
before that.

Telephone networks level speech (AGC): a real caller's loudness rise may be smaller than what is
measured on generated calls; the thresholds are parameters, calibrated in bench/qa.py.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .facts import AudioFacts, Cue, Interval, Speaker

FRAME_S = 0.02
PITCH_EVERY = 2  # the pitch of a turn is read on every 2nd voiced frame (40 ms apart)
MIN_PITCH_FRAMES = 10 // PITCH_EVERY  # pitched frames a median needs: 0.2 s of clear pitch, as at 20 ms


@dataclass(frozen=True)
class Params:
    vad_margin_db: float = 8.0
    vad_below_loud_db: float = 25.0
    vad_gap_s: float = 0.3
    vad_min_s: float = 0.12
    echo_gap_db: float = 15.0
    silence_min_s: float = 3.0
    overtalk_min_s: float = 0.3
    interrupt_lead_s: float = 0.5
    interrupt_follow_s: float = 0.3
    baseline_s: float = 20.0
    baseline_min_voiced_s: float = 2.0
    turn_gap_s: float = 1.0
    rise_min_s: float = 1.0
    rise_min_voiced_s: float = 0.6
    loudness_rise_db: float = 6.0
    pitch_rise_st: float = 3.0


PARAMS = Params()


# --------------------------------------------------------------------------- levels and VAD


def frame_levels(x: np.ndarray, sr: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level of each frame in dB re full scale (samples in [-1, 1])."""
    n = max(1, int(round(sr * frame_s)))
    m = len(x) // n
    if m == 0:
        return np.zeros(0)
    frames = np.asarray(x[: m * n], dtype=np.float64).reshape(m, n)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(rms + 1e-10)


def voiced_mask(levels: np.ndarray, p: Params = PARAMS) -> np.ndarray:
    """Frames of speech by energy (see the module docstring); all False for a channel of noise only."""
    if len(levels) == 0:
        return np.zeros(0, dtype=bool)
    floor = float(np.percentile(levels, 10))
    loud = float(np.percentile(levels, 97))
    if loud - floor < p.vad_margin_db or loud < -70:
        return np.zeros(len(levels), dtype=bool)  # nothing stands out of the noise
    threshold = max(floor + p.vad_margin_db, loud - p.vad_below_loud_db)
    return levels > threshold


def mask_intervals(mask: np.ndarray, frame_s: float, *, gap_s: float, min_s: float) -> list[Interval]:
    """Runs of True frames as intervals; gaps shorter than ``gap_s`` joined, runs under ``min_s`` dropped."""
    out: list[list[float]] = []
    idx = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for a, b in zip(idx[::2], idx[1::2], strict=True):
        start, end = float(a * frame_s), float(b * frame_s)
        if out and start - out[-1][1] < gap_s:
            out[-1][1] = end
        else:
            out.append([start, end])
    return [Interval(round(a, 3), round(b, 3)) for a, b in out if b - a >= min_s]


def _running_max(x: np.ndarray, radius: int) -> np.ndarray:
    """Each frame's maximum over its neighbours within ``radius`` frames (echo arrives a little late)."""
    if len(x) == 0:
        return x
    padded = np.pad(x, radius, mode="edge")
    return np.max(np.stack([padded[i : i + len(x)] for i in range(2 * radius + 1)]), axis=0)


def energy_speech(x: np.ndarray, sr: int, p: Params = PARAMS) -> list[Interval]:
    return mask_intervals(voiced_mask(frame_levels(x, sr), p), FRAME_S, gap_s=p.vad_gap_s, min_s=p.vad_min_s)


# --------------------------------------------------------------------------- interval algebra


def merge(intervals: Sequence[Interval], gap_s: float = 0.0) -> list[Interval]:
    out: list[list[float]] = []
    for i in sorted(intervals, key=lambda i: i.start):
        if out and i.start - out[-1][1] <= gap_s:
            out[-1][1] = max(out[-1][1], i.end)
        else:
            out.append([i.start, i.end])
    return [Interval(a, b) for a, b in out]


def intersect(a: Sequence[Interval], b: Sequence[Interval], min_s: float = 0.0) -> list[Interval]:
    out, i, j = [], 0, 0
    a, b = merge(a), merge(b)
    while i < len(a) and j < len(b):
        lo, hi = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if hi - lo >= max(min_s, 1e-9):
            out.append(Interval(round(lo, 3), round(hi, 3)))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return out


def gaps(intervals: Sequence[Interval], min_s: float) -> list[Interval]:
    """Gaps of at least ``min_s`` between the first start and the last end."""
    m = merge(intervals)
    return [Interval(x.end, y.start) for x, y in zip(m, m[1:], strict=False) if y.start - x.end >= min_s]


# --------------------------------------------------------------------------- pitch (YIN)


def yin_track(
    x: np.ndarray,
    sr: int,
    *,
    hop_s: float = FRAME_S,
    fmin: float = 70.0,
    fmax: float = 400.0,
    threshold: float = 0.2,
    frames: np.ndarray | None = None,
) -> np.ndarray:
    """F0 in Hz per ``hop_s`` frame (NaN where no clear period), frame i centred near ``i * hop_s``.
    ``frames``: only these frame indices are computed (the others are NaN), e.g. a speaker's
    voiced frames: pitch is read nowhere else, and silence is most of a channel."""
    if sr >= 16000 and sr % 8000 == 0:  # speech pitch needs no more than 8 kHz; 4x less work
        step = sr // 8000
        x = np.convolve(np.asarray(x, dtype=np.float64), np.ones(step) / step, mode="same")[::step]
        sr = 8000
    tau_min, tau_max = int(sr / fmax), int(math.ceil(sr / fmin))
    w = int(0.025 * sr)
    hop = int(round(hop_s * sr))
    n = (len(x) - w - tau_max) // hop + 1
    if n <= 0:
        return np.full(0, np.nan)
    x = np.asarray(x, dtype=np.float64)
    wanted = np.arange(n) if frames is None else np.unique(np.asarray(frames, dtype=np.int64))
    wanted = wanted[(wanted >= 0) & (wanted < n)]
    out = np.full(n, np.nan)
    block = 1500  # frames at a time: 30 s, a few MB, whatever the call's length
    for i in range(0, len(wanted), block):
        idx = wanted[i : i + block]
        out[idx] = _yin_block(x, sr, idx * hop, w, tau_min, tau_max, threshold)
    return out


def _yin_block(x, sr, starts, w, tau_min, tau_max, threshold) -> np.ndarray:
    n = len(starts)
    frames = x[starts[:, None] + np.arange(w + tau_max + 1)[None, :]]
    frames -= frames.mean(axis=1, keepdims=True)
    d = np.empty((n, tau_max + 1))
    d[:, 0] = 0.0
    base = frames[:, :w]
    for tau in range(1, tau_max + 1):
        d[:, tau] = np.sum((base - frames[:, tau : tau + w]) ** 2, axis=1)
    cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)
    f0 = np.full(n, np.nan)
    for i in range(n):
        row = cmnd[i]
        below = np.flatnonzero(row[tau_min:tau_max] < threshold)
        if len(below) == 0:
            continue
        t = tau_min + int(below[0])
        while t + 1 < tau_max and row[t + 1] < row[t]:
            t += 1  # to the bottom of the dip
        if 0 < t < tau_max:  # parabolic interpolation
            a, b, c = row[t - 1], row[t], row[t + 1]
            den = a - 2 * b + c
            shift = 0.5 * (a - c) / den if den > 1e-12 else 0.0
            f0[i] = sr / (t + shift)
    return f0


# --------------------------------------------------------------------------- the facts


def audio_facts(
    channels: Sequence[np.ndarray],
    sr: int,
    *,
    speakers: Sequence[Speaker] = ("agent", "customer"),
    speech: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    params: Params = PARAMS,
) -> AudioFacts:
    """AudioFacts of one call (see the module docstring). ``channels``: one array (mono; speaker
    "unknown") or two (stereo, in the order of ``speakers``), samples in [-1, 1]. ``speech``: voiced
    regions per speaker already known (e.g. the transcription's VAD); missing ones are measured."""
    p = params
    if not channels or len(channels) > 2:
        raise ValueError(f"a call has one or two channels, not {len(channels)}")
    for c in channels:
        if not np.all(np.isfinite(c)):
            raise ValueError("audio contains NaN or infinite samples")
    stereo = len(channels) == 2
    names: tuple[Speaker, ...] = tuple(speakers) if stereo else ("unknown",)
    if stereo and sorted(names) != ["agent", "customer"]:
        raise ValueError(f"a stereo call's speakers are agent and customer, not {names!r}")
    duration = round(max(len(c) for c in channels) / sr, 3)
    levels = [frame_levels(x, sr) for x in channels]
    masks = [voiced_mask(lv, p) for lv in levels]
    if stereo:  # a frame far quieter than the other channel's at that moment is its echo
        for k in (0, 1):
            other = _running_max(levels[1 - k], 2)
            n = min(len(masks[k]), len(other))
            masks[k][:n] &= ~(levels[k][:n] < other[:n] - p.echo_gap_db)
    voiced: dict[Speaker, tuple[Interval, ...]] = {}
    for name, mask in zip(names, masks, strict=True):
        given = (speech or {}).get(name)
        if given is not None:
            regions = [Interval(float(a), float(b)) for a, b in given]
        else:
            regions = mask_intervals(mask, FRAME_S, gap_s=p.vad_gap_s, min_s=p.vad_min_s)
        voiced[name] = tuple(merge(regions))
    everyone = [i for v in voiced.values() for i in v]
    silences = tuple(gaps(everyone, p.silence_min_s))
    if not stereo:
        return AudioFacts(duration, False, voiced, silences, (), overtalk_known=False, cues=())
    agent, customer = voiced["agent"], voiced["customer"]
    overtalk = tuple(intersect(agent, customer, p.overtalk_min_s))
    cues = _interruptions(agent, customer, p)
    x_customer = channels[names.index("customer")]
    cues += _rises(x_customer, sr, customer, p)
    return AudioFacts(duration, True, voiced, silences, overtalk, True, tuple(sorted(cues, key=lambda c: c.start)))


def _interruptions(agent: Sequence[Interval], customer: Sequence[Interval], p: Params) -> list[Cue]:
    out = []
    for c in merge(customer, p.vad_gap_s):
        for a in agent:
            if a.start <= c.start - p.interrupt_lead_s and a.end >= c.start + p.interrupt_follow_s:
                both = min(a.end, c.end) - c.start
                if both >= p.interrupt_follow_s:
                    out.append(Cue("interruption", c.start, round(min(a.end, c.end), 3), round(both, 3), "customer"))
                break
    return out


def _rises(x: np.ndarray, sr: int, voiced: Sequence[Interval], p: Params) -> list[Cue]:
    """Loudness and pitch of each customer turn against the caller's own start."""
    if not voiced:
        return []
    levels = frame_levels(x, sr)
    mask = np.zeros(len(levels), dtype=bool)
    for i in voiced:
        mask[int(i.start / FRAME_S) : int(math.ceil(i.end / FRAME_S))] = True
    frames = np.flatnonzero(mask)
    if len(frames) == 0:
        return []
    # Pitch only where the caller speaks, on every PITCH_EVERY-th frame: a median over a turn of
    # at least rise_min_voiced_s needs no more, and the track is the costliest part of the facts.
    f0 = yin_track(x, sr, frames=frames[frames % PITCH_EVERY == 0])
    times = frames * FRAME_S
    base = frames[times < p.baseline_s]
    need = int(p.baseline_min_voiced_s / FRAME_S)
    if len(base) < need:
        base = frames[:need]
    base_level = float(np.median(levels[base]))
    base_f0 = _median_f0(f0, base)
    out = []
    turns = [t for t in merge(voiced, p.turn_gap_s) if t.seconds >= p.rise_min_s]
    last_base = float(base[-1] * FRAME_S) if len(base) else 0.0
    for t in turns:
        if t.end <= last_base + 1e-6:
            continue  # part of the baseline itself
        sel = frames[(times >= max(t.start, last_base)) & (times < t.end)]
        if len(sel) * FRAME_S < p.rise_min_voiced_s:
            continue
        rise_db = float(np.median(levels[sel])) - base_level
        if rise_db >= p.loudness_rise_db:
            out.append(Cue("loudness_rise", t.start, t.end, round(rise_db, 1), "customer"))
        turn_f0 = _median_f0(f0, sel)
        if base_f0 and turn_f0:
            st = 12 * math.log2(turn_f0 / base_f0)
            if st >= p.pitch_rise_st:
                out.append(Cue("pitch_rise", t.start, t.end, round(st, 1), "customer"))
    return out


def _median_f0(f0: np.ndarray, frames: np.ndarray) -> float | None:
    sel = frames[frames < len(f0)]
    vals = f0[sel]
    vals = vals[np.isfinite(vals)]
    return float(np.median(vals)) if len(vals) >= MIN_PITCH_FRAMES else None


# --------------------------------------------------------------------------- files


def read_channels(path: str | Path) -> tuple[list[np.ndarray], int]:
    """A 16-bit PCM WAV's channels as float arrays in [-1, 1] (what ``decode_call`` writes)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
        return [x[:, k].astype(np.float64) / 32768.0 for k in range(x.shape[1])], w.getframerate()


# Bump when the measurement changes in a way stored facts should not be reused for.
FACTS_VERSION = 1


def facts_of_decoded(decoded, speakers: Sequence[Speaker], *, params: Params = PARAMS) -> AudioFacts:
    """AudioFacts of a decoded call (``recordings.speech.audio.decode_call``): a stereo call from its
    two channels (``speakers``: who is on the first and second), a mono call from its one."""
    if decoded.stereo:
        chans, sr = read_channels(decoded.stereo_wav)
        return audio_facts(chans, sr, speakers=tuple(speakers), params=params)
    chans, sr = read_channels(decoded.mono)
    return audio_facts(chans[:1], sr, params=params)


def facts_to_json(f: AudioFacts) -> dict:
    pairs = lambda xs: [[i.start, i.end] for i in xs]  # noqa: E731
    return {
        "duration": f.duration,
        "stereo": f.stereo,
        "speech": {k: pairs(v) for k, v in f.speech.items()},
        "silences": pairs(f.silences),
        "overtalk": pairs(f.overtalk),
        "overtalk_known": f.overtalk_known,
        "cues": [[c.kind, c.start, c.end, c.value, c.speaker] for c in f.cues],
    }


def facts_from_json(d: dict) -> AudioFacts:
    """The inverse of ``facts_to_json``; ValueError (KeyError, TypeError) on a malformed dict."""
    iv = lambda xs: tuple(Interval(float(a), float(b)) for a, b in xs)  # noqa: E731
    return AudioFacts(
        duration=float(d["duration"]),
        stereo=bool(d["stereo"]),
        speech={k: iv(v) for k, v in d["speech"].items()},
        silences=iv(d["silences"]),
        overtalk=iv(d["overtalk"]),
        overtalk_known=bool(d["overtalk_known"]),
        cues=tuple(Cue(str(k), float(a), float(b), float(v), s) for k, a, b, v, s in d["cues"]),
    )


def facts_for_recording(rec, *, params: Params = PARAMS, timeout_s: float | None = None) -> AudioFacts | None:
    """AudioFacts of a stored recording (``callqa.services.audio_facts_of`` asks for them): the
    original upload decoded again as the transcription decodes it (``decode_call``: the same
    channels, the same mono/stereo decision), measured by the energy detector. None when the
    file is gone or cannot be decoded (the caller then reads the facts off the transcript)."""
    import tempfile

    from recordings.speech.audio import AudioRejected, decode_call

    try:
        path = Path(rec.file.path)
    except (ValueError, NotImplementedError):  # no file, or storage without local paths
        return None
    if not path.is_file():
        return None
    limit = timeout_s if timeout_s is not None else 120 + 0.5 * float(rec.duration_s or 0)
    with tempfile.TemporaryDirectory(prefix="voc-qa-") as tmp:
        try:
            decoded = decode_call(path, Path(tmp), timeout_s=limit)
        except AudioRejected:
            return None
        from django.conf import settings

        from recordings.stereo import channel_speakers

        return facts_of_decoded(decoded, channel_speakers(settings.RECORDING_CHANNEL_SPEAKERS), params=params)


__all__ = [
    "PARAMS",
    "Params",
    "audio_facts",
    "energy_speech",
    "facts_for_recording",
    "facts_from_json",
    "facts_of_decoded",
    "facts_to_json",
    "frame_levels",
    "read_channels",
    "yin_track",
]
