"""A browser-playable copy of an original recording whose format browsers cannot play.

Phone systems often store calls as AMR, which no mainstream browser decodes, so the original
player would stay silent. The first play of such an original makes a PCM WAV listening copy
next to it in the same private storage (same access rule, same play log: it is the original's
audio); later plays reuse it. The original file itself is never changed.
"""

from __future__ import annotations

from pathlib import Path

from ..models import CallRecording
from ..speech import audio

# Containers the product's supported browsers play natively (Chrome, Edge, Firefox, Safari).
BROWSER_FORMATS = frozenset({"wav", "mp3", "m4a", "aac", "ogg"})
LISTENING_COPY_SUFFIX = ".listen.wav"


def original_playable_path(rec: CallRecording) -> Path:
    """The file to stream for the original version: the original itself, or its listening copy
    (made on first use). Raises ``audio.DecodeFailed`` if the original cannot be decoded."""
    original = Path(rec.file.path)
    if rec.audio_format in BROWSER_FORMATS:
        return original
    copy = original.with_name(original.name + LISTENING_COPY_SUFFIX)
    if not copy.is_file():
        # decode_to_wav16k writes to a temporary file and renames it: a concurrent first play
        # either finds the finished copy or makes an identical one.
        audio.decode_to_wav16k(original, copy, timeout_s=60 + 0.5 * float(rec.duration_s or 0))
    return copy
