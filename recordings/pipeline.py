"""Glue between the Django-free speech layer (``recordings.speech``) and our storage.

Django-free too: callers pass settings as plain values. ``transcribe_audio`` is shared by
the transcription job and ``manage.py transcribe`` so both produce the same text. The
speech layer already runs VAD, drops likely hallucinations and converts to simplified
Chinese; here the result becomes our plain ``SegmentText``/``Word`` values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .redaction import SegmentText, Word


@dataclass
class Transcript:
    language: str
    duration_s: float
    engine: str
    model: str
    segments: list[SegmentText] = field(default_factory=list)
    confidences: list[float | None] = field(default_factory=list)


def transcribe_audio(
    wav_path: Path, *, engine_name: str, model_spec: str, cache_dir: Path, language: str, cpu_threads: int = 1
) -> Transcript:
    """Transcribe a decoded 16 kHz WAV. ``language`` "auto" lets the model detect it.

    Raises ``recordings.speech.models.ModelError`` (model missing) or
    ``recordings.speech.engines.TranscriptionError`` (this file cannot be transcribed)."""
    from .speech import engines

    engine = engines.get_engine(engine_name, model_spec=model_spec, cache_dir=Path(cache_dir), cpu_threads=cpu_threads)
    result = engine.transcribe(str(wav_path), language=language or "auto")
    out = Transcript(
        language=(result.language or "").lower(),
        duration_s=float(result.duration_s or 0.0),
        engine=result.engine,
        model=result.model,
    )
    for seg in result.segments:
        words = tuple(Word(start=w.start, end=w.end, text=w.text, prob=round(w.probability, 4)) for w in seg.words)
        out.segments.append(SegmentText(start=seg.start, end=seg.end, text=seg.text, words=words))
        out.confidences.append(round(math.exp(seg.avg_logprob), 4) if seg.avg_logprob is not None else None)
    return out
