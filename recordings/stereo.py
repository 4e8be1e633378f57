"""Stereo calls: one transcript per channel (agent / customer), interleaved, and one listening plan.

Pure (no Django). A call-centre recorder puts each party on a channel of its own; each channel is
transcribed alone (``recordings.pipeline.transcribe_audio``) and the transcripts are interleaved by
time, each segment keeping its speaker.

Two ways to transcribe a stereo call (``transcribe_call_audio``, settings.RECORDING_STEREO_TRANSCRIPTION):
- "channels": each channel recognised on its own. Each channel's speech is decoded in its own 30 s
  windows, so a call costs about two mono passes;
- "downmix": one pass over the mix of both channels; each recognised word goes to the speaker whose
  channel carries more energy over the word's span (``split_by_loudness``), and a segment whose words
  change speaker is split there. Each speaker's voice-activity regions still come from their own
  channel (Silero VAD), so the per-channel de-identification below sees the same speech.

De-identification fails closed on a stereo call. Personal data is looked for three ways and the
union is muted:
- on each channel alone (its own words against its own voice-activity regions), so speech of one
  party that the recogniser missed is found even while the other party's words cover that second;
- on both transcripts interleaved in time, so a cue said by one party mutes what the other says
  next (the agent asks "your card number please", the customer reads digits the recogniser hears
  as words).
Every mute span is applied to both channels of the listening copy (a number said on one channel
is often audible on the other as echo or side-tone). A word's text is masked when any of the
plans masks it; the masked text is checked once more for personal data.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from complaints.pii import find_sensitive

from .deid import REASONS, DeidPlan, SegmentPlan, plan_listening_copy
from .pipeline import Transcript, segment_confidence
from .redaction import SegmentText, mask_label, merge_spans

SPEAKER_CHOICES = ("agent", "customer")
STEREO_MODES = ("channels", "downmix")
ENERGY_FRAME_S = 0.01
LOUDER_MARGIN_DB = 3.0  # a word is a channel's when that channel is this much louder over it
MIN_WORD_SPAN_S = 0.06  # shorter word spans (Whisper gives some of 0 s) are widened about their middle


def channel_speakers(value: Sequence[str]) -> tuple[str, str]:
    """The speaker of the first and second channel (settings.RECORDING_CHANNEL_SPEAKERS), checked."""
    speakers = tuple(str(v).strip().lower() for v in value)
    if len(speakers) != 2 or set(speakers) != set(SPEAKER_CHOICES):
        raise ValueError(
            f"RECORDING_CHANNEL_SPEAKERS must name the first and second channel's speaker, one 'agent' and "
            f"one 'customer' (e.g. 'agent,customer'); got {list(value)!r}."
        )
    return speakers  # type: ignore[return-value]


def stereo_mode(value: str) -> str:
    """settings.RECORDING_STEREO_TRANSCRIPTION, checked."""
    mode = str(value or "").strip().lower()
    if mode not in STEREO_MODES:
        raise ValueError(f"RECORDING_STEREO_TRANSCRIPTION must be one of {STEREO_MODES}, not {value!r}.")
    return mode


def transcribe_call_audio(
    decoded,
    *,
    language: str,
    speakers: Sequence[str],
    mode: str = "channels",
    transcribe: Callable[..., Transcript] | None = None,
    **engine_kw,
) -> Transcript:
    """Transcribe a decoded call (``speech.audio.decode_call``): a mono call as one transcript whose
    speaker is unknown; a stereo call by ``mode`` (see the module docstring), its segments labelled
    with ``speakers`` (first and second channel) and interleaved by time. ``engine_kw``: what
    ``pipeline.transcribe_audio`` takes besides the file and the language. With language "auto"
    the second channel takes the language the first one was heard in (detection on a short channel
    alone is unreliable). ``transcribe``: the recogniser of one WAV (default
    ``pipeline.transcribe_audio``)."""
    from .pipeline import transcribe_audio as recognise

    transcribe_audio = transcribe or recognise
    mode = stereo_mode(mode)
    if not decoded.stereo:
        return transcribe_audio(decoded.mono, language=language, **engine_kw)
    speakers = channel_speakers(speakers)
    if mode == "downmix" and decoded.mono is not None:
        mixed = transcribe_audio(decoded.mono, language=language, **engine_kw)
        return split_by_loudness(
            mixed,
            [frame_energy(p) for p in decoded.channels],
            speakers,
            speech=[_speech_regions(p) for p in decoded.channels],
        )
    parts = []
    for speaker, wav in zip(speakers, decoded.channels, strict=True):
        part = transcribe_audio(wav, language=language, **engine_kw)
        if language in ("", "auto") and part.segments and part.language:
            language = part.language
        parts.append((speaker, part))
    return interleave(parts)


def frame_energy(wav: str | Path, frame_s: float = ENERGY_FRAME_S) -> np.ndarray:
    """Sum of squared samples per ``frame_s`` frame of a 16-bit mono WAV (read in blocks)."""
    out = []
    with wave.open(str(wav), "rb") as r:
        if r.getnchannels() != 1 or r.getsampwidth() != 2:
            raise ValueError(f"{wav}: expected a 16-bit mono WAV")
        n = max(1, int(round(r.getframerate() * frame_s)))
        while raw := r.readframes(n * 3000):
            x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
            x = np.pad(x, (0, (-len(x)) % n))
            out.append(np.sum(x.reshape(-1, n) ** 2, axis=1))
    return np.concatenate(out) if out else np.zeros(0)


def _speech_regions(wav: Path) -> list[tuple[float, float]]:
    """One channel's voice-activity regions, as the recogniser computes them for a file."""
    from .speech.engines import SAMPLE_RATE, speech_regions

    with wave.open(str(wav), "rb") as r:
        if r.getframerate() != SAMPLE_RATE:
            raise ValueError(f"{wav}: expected {SAMPLE_RATE} Hz")
        x = np.frombuffer(r.readframes(r.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return speech_regions(x)


def louder_channel(
    energies: Sequence[np.ndarray], start: float, end: float, *, frame_s: float = ENERGY_FRAME_S, margin_db: float
) -> int | None:
    """0 or 1: the channel with more energy over [start, end] by at least ``margin_db``; None when
    neither is (both equally loud, or nothing there)."""
    if end - start < MIN_WORD_SPAN_S:
        mid = (start + end) / 2
        start, end = mid - MIN_WORD_SPAN_S / 2, mid + MIN_WORD_SPAN_S / 2
    i = max(0, int(start / frame_s))
    j = max(i + 1, int(math.ceil(end / frame_s)))
    e0, e1 = (float(np.sum(x[i:j])) for x in energies)
    if e0 <= 0 and e1 <= 0:
        return None
    d = 10 * math.log10((e0 + 1e-12) / (e1 + 1e-12))
    if d >= margin_db:
        return 0
    if d <= -margin_db:
        return 1
    return None


def split_by_loudness(
    mixed: Transcript,
    energies: Sequence[np.ndarray],
    speakers: Sequence[str],
    *,
    speech: Sequence[list[tuple[float, float]] | None] = (None, None),
    frame_s: float = ENERGY_FRAME_S,
    margin_db: float = LOUDER_MARGIN_DB,
) -> Transcript:
    """A stereo call's transcript from one pass over its mix: each word goes to the speaker whose
    channel is louder over the word (``energies``: ``frame_energy`` of the first and second channel);
    a word neither channel clearly owns goes with the word before it in its segment (else the one
    after, else the louder channel over the whole segment). A segment whose words change speaker is
    split there (a piece's text is its words' text, its confidence theirs). ``speech``: each
    channel's voice-activity regions (for the per-channel de-identification)."""
    kw = {"frame_s": frame_s}
    parts: list[tuple[list[SegmentText], list[float | None]]] = [([], []), ([], [])]
    for seg, conf in zip(mixed.segments, mixed.confidences, strict=True):
        whole = louder_channel(energies, seg.start, seg.end, margin_db=0.0, **kw)
        whole = 0 if whole is None else whole
        if not seg.words:
            parts[whole][0].append(seg)
            parts[whole][1].append(conf)
            continue
        owner = [louder_channel(energies, w.start, w.end, margin_db=margin_db, **kw) for w in seg.words]
        for k in range(len(owner)):  # undecided: the word before, else the one after, else the segment's
            if owner[k] is None:
                owner[k] = owner[k - 1] if k else next((o for o in owner[k + 1 :] if o is not None), whole)
        runs: list[tuple[int, list]] = []
        for w, o in zip(seg.words, owner, strict=True):
            if runs and runs[-1][0] == o:
                runs[-1][1].append(w)
            else:
                runs.append((o, [w]))
        if len(runs) == 1:
            parts[runs[0][0]][0].append(seg)
            parts[runs[0][0]][1].append(conf)
            continue
        for n, (o, words) in enumerate(runs):
            text = "".join(w.text for w in words).strip()
            start = seg.start if n == 0 else words[0].start
            end = seg.end if n == len(runs) - 1 else words[-1].end
            parts[o][0].append(SegmentText(start=start, end=max(end, start), text=text, words=tuple(words)))
            parts[o][1].append(segment_confidence([w.prob for w in words], None))
    return interleave([
        (speaker, Transcript(mixed.language, mixed.duration_s, mixed.engine, mixed.model, segs, confs,
                             speech=None if spans is None else list(spans)))
        for speaker, (segs, confs), spans in zip(speakers, parts, speech, strict=True)
    ])  # fmt: skip


def interleave(parts: Sequence[tuple[str, Transcript]]) -> Transcript:
    """One transcript of a stereo call: every channel's segments by start time, each with its speaker."""
    if not parts:
        raise ValueError("a stereo call needs the transcripts of its channels")
    rows = sorted(
        ((seg.start, seg.end, k, j) for k, (_speaker, t) in enumerate(parts) for j, seg in enumerate(t.segments)),
    )
    first = next((t for _s, t in parts if t.segments), parts[0][1])
    speech = None
    if all(t.speech is not None for _s, t in parts):
        speech = merge_spans([r for _s, t in parts for r in t.speech], pad_s=0.0)
    out = Transcript(
        language=first.language,
        duration_s=max(t.duration_s for _s, t in parts),
        engine=first.engine,
        model=first.model,
        speech=speech,
        parts=list(parts),
    )
    for _a, _b, k, j in rows:
        speaker, t = parts[k]
        out.segments.append(t.segments[j])
        out.confidences.append(t.confidences[j])
        out.speakers.append(speaker)
    return out


def plan_stereo(
    transcript: Transcript,
    *,
    language: str,
    duration_s: float,
    pad_s: float,
    planner: Callable[..., DeidPlan] = plan_listening_copy,
) -> DeidPlan:
    """The listening plan of an interleaved stereo transcript (see the module docstring)."""
    kw = {"language": language, "duration_s": duration_s, "pad_s": pad_s}
    together = planner(transcript.segments, speech=transcript.speech, **kw)
    per_channel = [(speaker, planner(t.segments, speech=t.speech, **kw)) for speaker, t in transcript.parts]

    # where each interleaved segment sits in its channel's transcript
    position: dict[int, tuple[int, int]] = {}
    for k, (_speaker, t) in enumerate(transcript.parts):
        for j, seg in enumerate(t.segments):
            position[id(seg)] = (k, j)

    segments: list[SegmentPlan] = []
    extra_mute: list[tuple[float, float]] = []
    for i, seg in enumerate(transcript.segments):
        k, j = position[id(seg)]
        mine = per_channel[k][1].segments[j]
        plan = _union_text(together.segments[i], mine, language)
        if not plan.untimed and find_sensitive(plan.redacted):  # fail closed on the whole segment
            plan = SegmentPlan(plan.text, mask_label("digits", language), [(0, len(plan.text), "digits")], True)
            extra_mute.append((seg.start, seg.end))
        segments.append(plan)

    labelled = [m for p in (together, *(p for _s, p in per_channel)) for m in p.mute]
    labelled += [(a, b, "untimed") for a, b in merge_spans(extra_mute, pad_s=pad_s, duration_s=duration_s)]
    mute = _merge_labelled(labelled)
    muted_s = {r: round(sum(b - a for a, b, x in mute if x == r), 3) for r in REASONS}
    review = list(together.review)
    for speaker, p in per_channel:
        review += [f"{speaker}: {r}" for r in p.review if r not in together.review]
    return DeidPlan(
        segments=segments,
        mute=mute,
        muted_s=muted_s,
        uncovered_s=round(sum(p.uncovered_s for _s, p in per_channel), 3),
        mean_prob=together.mean_prob,
        layers=[x for x in together.layers if all(x in p.layers for _s, p in per_channel)],
        review=review,
        findings=sum(len(p.spans) for p in segments),
    )


def _union_text(a: SegmentPlan, b: SegmentPlan, language: str) -> SegmentPlan:
    """The segment's text with every character range either plan masked, masked."""
    if a.text != b.text or a.untimed or b.untimed:
        text = a.text
        return SegmentPlan(text, mask_label("digits", language) if text else "",
                           [(0, len(text), "digits")] if text else [], True)  # fmt: skip
    spans = sorted(a.spans + b.spans)
    merged: list[list] = []
    for s, e, kind in spans:
        if merged and (s <= merged[-1][1] or not a.text[merged[-1][1] : s].strip(" ,，.。、-—")):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, kind])
    out, pos = [], 0
    for s, e, kind in merged:
        out += [a.text[pos:s], mask_label(kind, language)]
        pos = e
    out.append(a.text[pos:])
    return SegmentPlan(a.text, "".join(out), [(s, e, k) for s, e, k in merged], False)


def _merge_labelled(spans: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Merge overlapping mute spans; each keeps the reason that covers most of it."""
    merged = merge_spans([(a, b) for a, b, _r in spans], pad_s=0.0)
    out = []
    for a, b in merged:
        share: dict[str, float] = {}
        for x, y, r in spans:
            share[r] = share.get(r, 0.0) + max(0.0, min(b, y) - max(a, x))
        out.append((round(a, 3), round(b, 3), max(share, key=share.get)))
    return out
