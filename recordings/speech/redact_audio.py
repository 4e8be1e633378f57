"""Audio redaction: find where sensitive words were spoken and replace them with a tone.

Django-free. The PII detector (``complaints.pii.find_sensitive(text)``) reports character spans
in the transcript text; this module maps them to times through the word timestamps and renders a
playable copy of the recording with those times replaced by a tone.

It fails closed (DOMAIN.md "Privacy"): whenever a span cannot be placed in time with certainty,
``RedactionError`` is raised and no output file is written, so the caller marks the recording
as not playable instead of playing unredacted audio.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import tempfile
import wave
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

TimeSpan = tuple[float, float]
CharSpan = tuple[int, int]

DEFAULT_PAD_S = 0.3
TONE_LEVEL = 0.25  # of full scale: clearly audible, not painful
_BLOCK_FRAMES = 16_000 * 10


class RedactionError(RuntimeError):
    """Sensitive audio could not be located or masked; the recording must not be played."""


class _TimedWord(Protocol):
    start: float
    end: float
    text: str


# --------------------------------------------------------------------------- text -> time


def align_words(words: Sequence[_TimedWord], text: str) -> list[CharSpan]:
    """Character range of each word inside ``text`` (words in order, as Whisper produced them).

    ``text`` is the transcript built from the same words (``TranscriptionResult.text``); between
    words only whitespace may be skipped. Words with no visible text get an empty range.
    """
    ranges: list[CharSpan] = []
    cursor = 0
    for w in words:
        token = w.text.strip()
        if not token:
            ranges.append((cursor, cursor))
            continue
        idx = text.find(token, cursor)
        if idx < 0 or text[cursor:idx].strip():
            raise RedactionError(
                f"Transcript text does not match its word timestamps near offset {cursor} (word {token!r})."
            )
        ranges.append((idx, idx + len(token)))
        cursor = idx + len(token)
    return ranges


def char_spans_to_time_spans(
    words: Sequence[_TimedWord], text: str, char_spans: Iterable[CharSpan | object]
) -> list[TimeSpan]:
    """Time span (first word start, last word end) of the words overlapping each character span.

    ``char_spans`` are ``(start, end)`` pairs or objects with ``.start``/``.end`` (e.g. a PII
    ``Finding``), offsets into ``text``, end exclusive. A span partly inside a word takes the
    whole word. Raises ``RedactionError`` if any visible character of a span is not covered by a
    timed word.
    """
    ranges = align_words(words, text)
    out: list[TimeSpan] = []
    for span in char_spans:
        start, end = _char_span(span)
        if not 0 <= start < end <= len(text):
            raise RedactionError(f"Character span ({start}, {end}) is outside the transcript (length {len(text)}).")
        hit = [i for i, (ws, we) in enumerate(ranges) if ws < end and we > start]
        covered = set()
        for i in hit:
            covered.update(range(max(ranges[i][0], start), min(ranges[i][1], end)))
        missing = [p for p in range(start, end) if p not in covered and not text[p].isspace()]
        if missing or not hit:
            raise RedactionError(f"No word timestamps cover characters {start}-{end} of the transcript.")
        t0 = min(words[i].start for i in hit)
        t1 = max(words[i].end for i in hit)
        if not (math.isfinite(t0) and math.isfinite(t1)):
            raise RedactionError(f"Word timestamps for characters {start}-{end} are not finite.")
        out.append((float(t0), float(max(t0, t1))))
    return out


def merge_time_spans(spans: Iterable[TimeSpan], *, duration_s: float, pad_s: float = 0.0) -> list[TimeSpan]:
    """Pad each span, clamp it to [0, duration], and merge overlapping or touching spans."""
    padded = []
    for start, end in spans:
        s = max(0.0, float(start) - pad_s)
        e = min(float(duration_s), float(end) + pad_s)
        if e > s:
            padded.append((s, e))
    padded.sort()
    merged: list[TimeSpan] = []
    for s, e in padded:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def spans_to_mute(
    words: Sequence[_TimedWord],
    findings_spans: Iterable[CharSpan | object],
    *,
    text: str,
    duration_s: float,
    pad_s: float = DEFAULT_PAD_S,
) -> list[TimeSpan]:
    """Times to replace for the given findings: word times, padded, merged, clamped."""
    return merge_time_spans(char_spans_to_time_spans(words, text, findings_spans), duration_s=duration_s, pad_s=pad_s)


def _char_span(span) -> CharSpan:
    if hasattr(span, "start") and hasattr(span, "end"):
        return int(span.start), int(span.end)
    start, end = span
    return int(start), int(end)


# --------------------------------------------------------------------------- rendering


def render_redacted(
    src_wav16k: str | os.PathLike,
    dst: str | os.PathLike,
    spans: Sequence[TimeSpan],
    *,
    tone_hz: float = 1000.0,
    level: float = TONE_LEVEL,
    timeout_s: float = 600,
) -> Path:
    """Write a copy of ``src_wav16k`` with every span replaced by a sine tone.

    The source must be 16-bit PCM WAV (what ``decode_to_wav16k`` produces). The output format
    follows ``dst``'s suffix: ``.wav`` (written directly; plays in every browser) or ``.mp3`` /
    ``.ogg`` / ``.m4a`` (encoded by ffmpeg from the redacted WAV, so masked samples never reach
    the encoder). Written to a temporary file and renamed: ``dst`` is complete or absent.
    """
    dst = Path(dst)
    suffix = dst.suffix.lower()
    if suffix not in (".wav", ".mp3", ".ogg", ".m4a"):
        raise RedactionError(f"Unsupported output format {suffix!r}; use .wav, .mp3, .ogg or .m4a.")
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_wav = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".wav", dir=dst.parent)
    os.close(fd)
    tmp_out = None
    try:
        _write_redacted_wav(Path(src_wav16k), Path(tmp_wav), spans, tone_hz=tone_hz, level=level)
        final = tmp_wav
        if suffix != ".wav":
            fd, tmp_out = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=suffix, dir=dst.parent)
            os.close(fd)
            _encode(tmp_wav, tmp_out, suffix, timeout_s=timeout_s)
            final = tmp_out
        os.chmod(final, 0o644)
        os.replace(final, dst)
    finally:
        for leftover in (tmp_wav, tmp_out):
            if leftover:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
    return dst


def _write_redacted_wav(src: Path, dst: Path, spans: Sequence[TimeSpan], *, tone_hz: float, level: float) -> None:
    try:
        reader = wave.open(str(src), "rb")  # noqa: SIM115 - closed by the `with` below
    except (wave.Error, EOFError, OSError) as exc:
        raise RedactionError(f"Cannot read {src} as WAV: {exc}") from exc
    with reader:
        if reader.getsampwidth() != 2:
            raise RedactionError(f"{src}: {8 * reader.getsampwidth()}-bit WAV; expected 16-bit PCM.")
        rate, channels, total = reader.getframerate(), reader.getnchannels(), reader.getnframes()
        ranges = []
        for start, end in spans:
            if not (math.isfinite(start) and math.isfinite(end)) or end < start:
                raise RedactionError(f"Invalid time span ({start}, {end}).")
            a = max(0, math.floor(start * rate))
            b = min(total, math.ceil(end * rate))
            if b > a:
                ranges.append((a, b))
        amplitude = level * 32767.0
        with wave.open(str(dst), "wb") as writer:
            writer.setnchannels(channels)
            writer.setsampwidth(2)
            writer.setframerate(rate)
            pos = 0
            while pos < total:
                raw = reader.readframes(_BLOCK_FRAMES)
                if not raw:
                    break
                block = np.frombuffer(raw, dtype="<i2").reshape(-1, channels).copy()
                n = block.shape[0]
                for a, b in ranges:
                    lo, hi = max(a, pos), min(b, pos + n)
                    if hi <= lo:
                        continue
                    # phase measured from the span start, so the tone is continuous across blocks
                    t = (np.arange(lo, hi) - a) / rate
                    tone = np.round(amplitude * np.sin(2 * np.pi * tone_hz * t)).astype("<i2")
                    block[lo - pos : hi - pos, :] = tone[:, None]
                writer.writeframes(block.tobytes())
                pos += n
            if pos < total:
                raise RedactionError(f"{src} is shorter than its header says ({pos} of {total} frames).")


def _encode(src_wav: str, dst: str, suffix: str, *, timeout_s: float) -> None:
    codec = {".mp3": ["-c:a", "libmp3lame", "-q:a", "4"], ".ogg": ["-c:a", "libopus"], ".m4a": ["-c:a", "aac"]}
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", src_wav, *codec[suffix], dst]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise RedactionError(f"Encoding the redacted audio failed: {exc}") from exc
    if proc.returncode != 0:
        raise RedactionError(
            f"Encoding the redacted audio failed: {proc.stderr.decode('utf-8', 'replace').strip()[-300:]}"
        )
