"""Audio redaction: render a playable copy of a recording with given time spans replaced by a
tone. Django-free. What to mute is decided by ``recordings.deid``.

It fails closed (DOMAIN.md "Privacy"): whenever the audio cannot be read or written in full,
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
from collections.abc import Sequence
from pathlib import Path

import numpy as np

TimeSpan = tuple[float, float]

TONE_LEVEL = 0.25  # of full scale: clearly audible, not painful
_BLOCK_FRAMES = 16_000 * 10


class RedactionError(RuntimeError):
    """Sensitive audio could not be located or masked; the recording must not be played."""


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
