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
    # voice-activity regions of the audio; None when VAD did not run (de-identification then
    # cannot rule out uncovered speech and asks for review)
    speech: list[tuple[float, float]] | None = None
    # who said each segment (parallel to ``segments``); empty: one unknown speaker (a mono call)
    speakers: list[str] = field(default_factory=list)
    # a stereo call: each channel's own transcript, by speaker, in channel order (``stereo.interleave``)
    parts: list[tuple[str, Transcript]] = field(default_factory=list)

    @property
    def stereo(self) -> bool:
        return bool(self.parts)

    def speaker_of(self, i: int) -> str:
        return self.speakers[i] if self.speakers else "unknown"


def segment_confidence(word_probs: list[float], avg_logprob: float | None) -> float | None:
    """A segment's own confidence: the geometric mean of its word probabilities. (The
    decoder's avg_logprob belongs to a whole 30 s window, so every segment of a window
    carried the same value.)"""
    probs = [p for p in word_probs if p is not None and p > 0]
    if probs:
        return round(math.exp(sum(math.log(p) for p in probs) / len(probs)), 4)
    return round(math.exp(avg_logprob), 4) if avg_logprob is not None else None


def transcribe_audio(
    wav_path: Path,
    *,
    engine_name: str,
    model_spec: str,
    cache_dir: Path,
    language: str,
    cpu_threads: int = 1,
    decode: dict | None = None,
) -> Transcript:
    """Transcribe a decoded 16 kHz WAV. ``language`` "auto" lets the model detect it; ``decode``
    overrides decoding settings (``speech.engines.DECODE_DEFAULTS``; settings.TRANSCRIPTION_DECODE).

    Raises ``recordings.speech.models.ModelError`` (model missing) or
    ``recordings.speech.engines.TranscriptionError`` (this file cannot be transcribed)."""
    from .speech import engines

    engine = engines.get_engine(engine_name, model_spec=model_spec, cache_dir=Path(cache_dir), cpu_threads=cpu_threads)
    result = engine.transcribe(str(wav_path), language=language or "auto", decode=decode)
    out = Transcript(
        language=(result.language or "").lower(),
        duration_s=float(result.duration_s or 0.0),
        engine=result.engine,
        model=result.model,
        speech=None if result.speech is None else [tuple(r) for r in result.speech],
    )
    for seg in result.segments:
        words = tuple(
            Word(start=w.start, end=w.end, text=w.text, prob=round(w.probability, 4), near_loop=w.near_loop)
            for w in seg.words
        )
        out.segments.append(SegmentText(start=seg.start, end=seg.end, text=seg.text, words=words))
        out.confidences.append(segment_confidence([w.probability for w in seg.words], seg.avg_logprob))
    return out


def recheck_uncovered(
    transcript: Transcript,
    wav_path: Path,
    *,
    engine_name: str,
    model_spec: str,
    cache_dir: Path,
    cpu_threads: int = 1,
    decode: dict | None = None,
):
    """``transcript`` with the words of uncovered speech that a second, cropped decoding vouches
    for (``recordings.deid_recheck``), and that check's result; ``(transcript, None)`` when it
    cannot run (no VAD regions, or an engine without ``decode_crop``)."""
    from .deid_recheck import recheck_uncovered as recheck
    from .speech import engines

    engine = engines.get_engine(engine_name, model_spec=model_spec, cache_dir=Path(cache_dir), cpu_threads=cpu_threads)
    if transcript.speech is None or not hasattr(engine, "decode_crop") or not transcript.segments:
        return transcript, None
    from faster_whisper import decode_audio

    audio = decode_audio(str(wav_path), sampling_rate=engines.SAMPLE_RATE)
    language = transcript.language if transcript.language in ("zh", "en") else "auto"

    def decode_words(a: float, b: float) -> list[Word]:
        return [
            Word(start=w.start, end=w.end, text=w.text, prob=round(w.probability, 4), near_loop=w.near_loop)
            for w in engine.decode_crop(audio, a, b, language, decode=decode)
        ]

    result = recheck(transcript.segments, transcript.speech, decode_words, duration_s=transcript.duration_s)
    conf = {id(s): c for s, c in zip(transcript.segments, transcript.confidences, strict=False)}
    out = Transcript(
        language=transcript.language,
        duration_s=transcript.duration_s,
        engine=transcript.engine,
        model=transcript.model,
        segments=result.segments,
        confidences=[
            conf[id(s)] if id(s) in conf else segment_confidence([w.prob for w in s.words], None)
            for s in result.segments
        ],
        speech=transcript.speech,
    )
    return out, result
