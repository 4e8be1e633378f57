"""Speech-to-text engines behind one interface.

Django-free: callers pass settings in as plain values. Two engines give the same result type:

* ``faster-whisper`` (CTranslate2, int8 on CPU) — the default: ~3x faster and ~half the memory
  of the reference implementation on these machines (bench/results/stt-*.md);
* ``openai-whisper`` (PyTorch, float32 on CPU) — the reference implementation, loaded from a
  checkpoint converted from the same weights.

Both run the same decoding settings and post-processing (``recordings.speech.decoding``), whose
rule is: silence gives an empty transcript, never invented text. A ``TranscriptionResult``
without segments means "no speech".
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

from .decoding import (
    CLIP_MERGE_GAP_S,
    COMPRESSION_RATIO_DROP,
    DECODE_DEFAULTS,
    FASTER_WHISPER_ONLY,
    VAD_MIN_SILENCE_MS,
    VAD_SPEECH_PAD_MS,
    VAD_THRESHOLD,
    Segment,
    TranscriptionError,
    Word,
    compression_ratio,
    decode_options,
    is_hallucination,
    postprocess,
    prompt_for,
    resume_after_loops,
    to_simplified,
    trim_loop,
)
from .models import (
    ModelError,
    checkpoint_metadata,
    mask_library_log_handlers,
    resolve_model,
    resolve_openai_checkpoint,
)

LANGUAGES = ("zh", "en", "auto")
ENGINE_NAMES = ("faster-whisper", "openai-whisper")
SAMPLE_RATE = 16_000

# Speech regions for the de-identification check (``speech_regions``): tighter than the clips
# (short padding, short pauses split), so speech that no transcript word covers shows up.
COVERAGE_VAD_THRESHOLD = 0.5
COVERAGE_MIN_SILENCE_MS = 300
COVERAGE_SPEECH_PAD_MS = 60
# ``decode_crop``: at most this many tokens per second of audio (speech is ~3-5 words a second;
# timestamp tokens count too)
CROP_TOKENS_PER_S = 12


@dataclass(frozen=True)
class TranscriptionResult:
    language: str
    duration_s: float
    segments: list[Segment]
    engine: str
    model: str
    # Voice-activity regions of the whole file (``speech_regions``); None when VAD did not run.
    speech: list[tuple[float, float]] | None = None

    @property
    def has_speech(self) -> bool:
        return bool(self.segments)

    @property
    def text(self) -> str:
        """The transcript: segment texts joined by one space (offsets for redaction refer to this)."""
        return " ".join(s.text for s in self.segments)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


# --------------------------------------------------------------------------- engines


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, *, model_spec: str, cache_dir: Path, device: str, compute_type: str, cpu_threads: int):
        from faster_whisper import WhisperModel

        self.model_spec = model_spec
        location = resolve_model(model_spec, cache_dir=Path(cache_dir))
        self._model = WhisperModel(
            str(location),
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=1,
            download_root=str(Path(cache_dir) / "hub") if isinstance(location, str) else None,
        )
        self.multilingual = bool(self._model.model.is_multilingual)
        self._lock = threading.Lock()  # one transcription at a time per loaded model

    def transcribe(
        self, path: str | Path, language: str = "auto", *, decode: dict | None = None
    ) -> TranscriptionResult:
        from faster_whisper import decode_audio

        _check_language(language)
        lang = _language_for_model(language, self.multilingual, self.model_spec)
        opts = decode_options(decode)
        try:
            with self._lock:
                audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
                duration = len(audio) / SAMPLE_RATE
                # Same VAD front end as openai-whisper (``speech_clips``), not ``vad_filter=True``:
                # the built-in filter cuts out every pause >= 2 s and stitches the speech
                # together, so the decoder hears words across a splice it never heard in
                # training. On LibriVox that alone cost 3 of 71 words (WER 0.070 vs 0.028; see
                # bench/results/stt-2026-11-25.md). Clips keep short pauses in place and skip
                # only long silences, which is what stops hallucinations on silence.
                clips, speech = clips_and_regions(audio, opts)  # one VAD run for both
                if not clips:
                    return TranscriptionResult(
                        language=lang or "",
                        duration_s=duration,
                        segments=[],
                        engine=self.name,
                        model=self.model_spec,
                        speech=speech,
                    )
                settings_kw = {
                    "task": "transcribe",
                    "beam_size": opts["beam_size"],
                    "patience": opts["patience"],
                    "temperature": opts["temperature"],
                    "word_timestamps": True,
                    "condition_on_previous_text": opts["condition_on_previous_text"],
                    "no_speech_threshold": opts["no_speech_threshold"],
                    "log_prob_threshold": opts["log_prob_threshold"],
                    "compression_ratio_threshold": opts["compression_ratio_threshold"],
                    "repetition_penalty": opts["repetition_penalty"],
                    "no_repeat_ngram_size": opts["no_repeat_ngram_size"],
                    "hallucination_silence_threshold": opts["hallucination_silence_threshold"],
                    "hotwords": prompt_for(opts, lang),
                    "vad_filter": False,
                }
                raw, info = self._model.transcribe(
                    audio, language=lang, clip_timestamps=[t for clip in clips for t in clip], **settings_kw
                )
                segments = [_fw_segment(s) for s in raw]  # a generator: decoding happens here
                if opts["loop_segments"] == "resume":

                    def decode_spans(spans: list[tuple[float, float]]) -> list[Segment]:
                        again, _ = self._model.transcribe(
                            audio,
                            language=info.language or lang,
                            clip_timestamps=[t for sp in spans for t in sp],
                            **settings_kw,
                        )
                        return [_fw_segment(s) for s in again]

                    segments = resume_after_loops(
                        segments, speech, decode_spans, min_pause_s=opts["loop_resume_pause_s"]
                    )
        except (ValueError, OSError, RuntimeError) as exc:
            raise TranscriptionError(f"faster-whisper could not transcribe {path}: {exc}") from exc
        except Exception as exc:  # av.error.* for unreadable input
            if type(exc).__module__.startswith("av"):
                raise TranscriptionError(f"faster-whisper could not read {path}: {exc}") from exc
            raise
        detected = info.language or (lang or "en")
        return TranscriptionResult(
            language=detected,
            duration_s=duration,
            segments=postprocess(segments, language=detected, duration_s=duration, loop_segments=opts["loop_segments"]),
            engine=self.name,
            model=self.model_spec,
            speech=speech,
        )

    def decode_crop(
        self, audio, start_s: float, end_s: float, language: str, *, decode: dict | None = None
    ) -> list[Word]:
        """The words heard in ``audio[start_s:end_s]`` (16 kHz float32) decoded on its own: the
        decoder hears nothing around the crop. Same settings and post-processing as ``transcribe``
        (hallucinations and loops dropped, simplified Chinese); times are absolute. Used to check
        speech the transcript has no words for (``recordings.deid_recheck``)."""
        _check_language(language)
        lang = _language_for_model(language, self.multilingual, self.model_spec)
        opts = decode_options(decode)
        crop = audio[int(start_s * SAMPLE_RATE) : int(end_s * SAMPLE_RATE)]
        if len(crop) < SAMPLE_RATE // 10:
            return []
        with self._lock:
            raw, info = self._model.transcribe(
                crop,
                language=lang,
                task="transcribe",
                beam_size=opts["beam_size"],
                patience=opts["patience"],
                temperature=opts["temperature"],
                word_timestamps=True,
                condition_on_previous_text=False,
                no_speech_threshold=opts["no_speech_threshold"],
                log_prob_threshold=opts["log_prob_threshold"],
                compression_ratio_threshold=opts["compression_ratio_threshold"],
                repetition_penalty=opts["repetition_penalty"],
                no_repeat_ngram_size=opts["no_repeat_ngram_size"],
                hotwords=prompt_for(opts, lang),
                vad_filter=False,
                # a short crop is padded to a 30 s window, where a lost decoder can loop for 448
                # tokens (a minute of CPU); real speech needs far fewer tokens per second
                max_new_tokens=int(CROP_TOKENS_PER_S * (end_s - start_s)) + 8,
            )
            segments = [_fw_segment(s) for s in raw]
        kept = postprocess(segments, language=info.language or lang or "en", duration_s=len(crop) / SAMPLE_RATE)
        return [
            Word(w.start + start_s, w.end + start_s, w.text, w.probability, w.near_loop) for s in kept for w in s.words
        ]


def _fw_segment(s) -> Segment:
    return Segment(
        start=float(s.start),
        end=float(s.end),
        text=s.text,
        avg_logprob=float(s.avg_logprob),
        no_speech_prob=float(s.no_speech_prob),
        words=[Word(float(w.start), float(w.end), w.word, float(w.probability)) for w in (s.words or [])],
    )


class OpenAIWhisperEngine:
    """The reference implementation, float32 on CPU.

    openai-whisper has no voice activity detection. Without it, silence turns into invented text
    (" You" per 30 s window) and a long silence before speech can swallow the speech, and every
    silent window still costs a full decode (20 s of silence took minutes with temperature
    fallback). So the same Silero VAD that faster-whisper uses runs first: no speech at all ->
    empty result without calling the model; otherwise only the speech regions are decoded, via
    openai-whisper's ``clip_timestamps`` (which keeps timestamps relative to the whole file).
    """

    name = "openai-whisper"

    def __init__(self, *, model_spec: str, cache_dir: Path, cpu_threads: int, device: str = "cpu"):
        import torch
        import whisper

        mask_library_log_handlers()

        self.model_spec = model_spec
        checkpoint = resolve_openai_checkpoint(model_spec, cache_dir=Path(cache_dir))
        if device == "cpu":
            # Process-wide in PyTorch; a worker process runs one engine, so this is its budget.
            torch.set_num_threads(max(1, int(cpu_threads)))
        self._model = whisper.load_model(
            str(checkpoint), device=device, download_root=str(Path(cache_dir) / "openai-whisper")
        )
        meta = checkpoint_metadata(Path(checkpoint)) if not isinstance(checkpoint, str) else None
        if meta and meta.get("alignment_heads"):
            # Cross-attention heads that track time, used for word timestamps; a converted
            # checkpoint would otherwise fall back to "all heads of the last half of layers".
            heads = torch.zeros(self._model.dims.n_text_layer, self._model.dims.n_text_head, dtype=torch.bool)
            for layer, head in meta["alignment_heads"]:
                heads[layer, head] = True
            self._model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
        self.multilingual = bool(self._model.is_multilingual)
        self.cpu_threads = max(1, int(cpu_threads))
        self._lock = threading.Lock()

    def transcribe(
        self, path: str | Path, language: str = "auto", *, decode: dict | None = None
    ) -> TranscriptionResult:
        import torch
        import whisper

        _check_language(language)
        lang = _language_for_model(language, self.multilingual, self.model_spec)
        opts = decode_options(decode)
        unsupported = sorted(k for k, v in FASTER_WHISPER_ONLY.items() if opts[k] != v)
        if opts["loop_segments"] == "resume":
            unsupported.append("loop_segments=resume")
        if unsupported:
            raise ValueError(f"openai-whisper has no decoding setting {unsupported} (faster-whisper only)")
        try:
            audio = whisper.load_audio(str(path))  # ffmpeg subprocess -> float32 16 kHz mono
        except RuntimeError as exc:
            raise TranscriptionError(f"openai-whisper could not read {path}: {exc}") from exc
        duration = len(audio) / SAMPLE_RATE
        clips, speech = clips_and_regions(audio, opts)  # one VAD run for both
        if not clips:
            return TranscriptionResult(
                language=lang or "",
                duration_s=duration,
                segments=[],
                engine=self.name,
                model=self.model_spec,
                speech=speech,
            )
        with self._lock, torch.no_grad():
            _limit_threads(self.cpu_threads)
            if lang is None:
                # Detect on the first speech, not on whatever the file starts with.
                start = int(clips[0][0] * SAMPLE_RATE)
                chunk = whisper.pad_or_trim(torch.from_numpy(audio[start:]))
                mel = whisper.log_mel_spectrogram(chunk, self._model.dims.n_mels)
                _, probs = self._model.detect_language(mel)
                lang = max(probs, key=probs.get)
            result = whisper.transcribe(
                self._model,
                audio,
                language=lang,
                task="transcribe",
                fp16=False,
                beam_size=opts["beam_size"],
                patience=opts["patience"],
                temperature=opts["temperature"],
                word_timestamps=True,
                condition_on_previous_text=opts["condition_on_previous_text"],
                no_speech_threshold=opts["no_speech_threshold"],
                logprob_threshold=opts["log_prob_threshold"],
                compression_ratio_threshold=opts["compression_ratio_threshold"],
                hallucination_silence_threshold=opts["hallucination_silence_threshold"],
                initial_prompt=prompt_for(opts, lang),
                carry_initial_prompt=True,
                clip_timestamps=[t for clip in clips for t in clip],
                verbose=None,
            )
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s["text"],
                avg_logprob=float(s["avg_logprob"]),
                no_speech_prob=float(s["no_speech_prob"]),
                words=[
                    Word(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                    for w in s.get("words", [])
                ],
            )
            for s in result["segments"]
        ]
        return TranscriptionResult(
            language=lang,
            duration_s=duration,
            segments=postprocess(segments, language=lang, duration_s=duration, loop_segments=opts["loop_segments"]),
            engine=self.name,
            model=self.model_spec,
            speech=speech,
        )


def _limit_threads(cpu_threads: int) -> None:
    """Keep openai-whisper within its CPU budget (both settings apply to the calling thread).

    Its word-alignment DTW is compiled by numba with ``parallel=True``: numba then starts one
    OpenMP worker per core, and those workers spin between calls. Measured here on a 7 s clip
    with ``cpu_threads=1``: 21 s of CPU time with numba's default, 6.6 s with one numba thread,
    same text. The DTW itself is tiny, so one thread costs nothing.
    """
    import numba
    import torch

    numba.set_num_threads(1)
    torch.set_num_threads(cpu_threads)


def _clip_options(threshold: float, min_silence_ms: int, speech_pad_ms: int):
    from faster_whisper.vad import VadOptions

    return VadOptions(threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=speech_pad_ms)


def _region_options():
    from faster_whisper.vad import VadOptions

    return VadOptions(
        threshold=COVERAGE_VAD_THRESHOLD,
        min_silence_duration_ms=COVERAGE_MIN_SILENCE_MS,
        speech_pad_ms=COVERAGE_SPEECH_PAD_MS,
    )


def speech_timestamps(audio, *option_sets) -> list[list[dict]]:
    """faster-whisper's ``get_speech_timestamps`` for each ``VadOptions`` in ``option_sets``, from
    ONE run of the Silero model over ``audio``: the model's speech probabilities (the whole cost:
    an ONNX pass per 32 ms window) depend on the audio only, the options on what is read from
    them. The library's function runs as it is, with a model that computes once and answers every
    later call on the same padded audio from memory (its own copy of the function's globals, so
    other threads calling the library see the library's model)."""
    import types

    import numpy as np
    from faster_whisper import vad

    library = vad.get_speech_timestamps
    if len(option_sets) <= 1:
        return [library(audio, o, sampling_rate=SAMPLE_RATE) for o in option_sets]
    model = vad.get_vad_model()
    memo: list = []

    def once(padded):
        if not memo:
            memo.append((padded.copy(), model(padded)))  # a copy: the model writes into its input
        elif not np.array_equal(memo[0][0], padded):
            raise RuntimeError("speech_timestamps: the VAD model was asked about other audio")
        return memo[0][1]

    shared = types.FunctionType(
        library.__code__, {**library.__globals__, "get_vad_model": lambda: once}, library.__name__, library.__defaults__
    )
    return [shared(audio, o, sampling_rate=SAMPLE_RATE) for o in option_sets]


def _to_clips(chunks: list[dict], n_samples: int, merge_gap_s: float) -> list[tuple[float, float]]:
    clips: list[tuple[float, float]] = []
    for c in chunks:
        start, end = c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE
        if clips and start - clips[-1][1] <= merge_gap_s:
            clips[-1] = (clips[-1][0], end)
        else:
            clips.append((start, end))
    # openai-whisper seeks in 10 ms mel frames and loops forever on a clip that ends past the
    # last whole frame (it keeps decoding an empty window without advancing): clamp to it.
    last = (n_samples // 160) / 100
    out = []
    for s, e in clips:
        s, e = math.floor(s * 100) / 100, min(math.ceil(e * 100) / 100, last)
        if e - s >= 0.1:
            out.append((s, e))
    return out


def _to_regions(chunks: list[dict]) -> list[tuple[float, float]]:
    return [(round(c["start"] / SAMPLE_RATE, 3), round(c["end"] / SAMPLE_RATE, 3)) for c in chunks]


def speech_clips(
    audio,
    *,
    merge_gap_s: float = CLIP_MERGE_GAP_S,
    threshold: float = VAD_THRESHOLD,
    min_silence_ms: int = VAD_MIN_SILENCE_MS,
    speech_pad_ms: int = VAD_SPEECH_PAD_MS,
) -> list[tuple[float, float]]:
    """Speech regions (seconds) of 16 kHz float32 audio found by Silero VAD, close ones merged."""
    (chunks,) = speech_timestamps(audio, _clip_options(threshold, min_silence_ms, speech_pad_ms))
    return _to_clips(chunks, len(audio), merge_gap_s)


def speech_regions(audio) -> list[tuple[float, float]]:
    """Every stretch of speech (seconds), tightly: what a listening copy must account for."""
    (chunks,) = speech_timestamps(audio, _region_options())
    return _to_regions(chunks)


def clips_and_regions(audio, opts: dict) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(``speech_clips`` with the decoding settings ``opts``, ``speech_regions``) of one file from
    one Silero VAD run (``speech_timestamps``): the same two lists as calling both, at half the cost."""
    clip_chunks, region_chunks = speech_timestamps(
        audio,
        _clip_options(opts["vad_threshold"], opts["vad_min_silence_ms"], opts["vad_speech_pad_ms"]),
        _region_options(),
    )
    return _to_clips(clip_chunks, len(audio), opts["clip_merge_gap_s"]), _to_regions(region_chunks)


def _language_for_model(language: str, multilingual: bool, model_spec: str) -> str | None:
    if multilingual:
        return None if language == "auto" else language
    if language == "zh":
        raise TranscriptionError(
            f"Speech model {model_spec!r} is English-only and cannot transcribe Mandarin; "
            "configure a multilingual model (e.g. pkg:base)."
        )
    return "en"


# --------------------------------------------------------------------------- factory

_engines: dict[tuple, FasterWhisperEngine | OpenAIWhisperEngine] = {}
_engines_lock = threading.Lock()


def get_engine(
    name: str,
    *,
    model_spec: str,
    cache_dir: Path,
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 1,
) -> FasterWhisperEngine | OpenAIWhisperEngine:
    """The engine for these settings, loaded once per process and reused.

    ``compute_type`` applies to faster-whisper only; openai-whisper runs float32 on CPU.
    Raises ``ModelError`` when the model cannot be located or verified.
    """
    key = (name, model_spec, str(cache_dir), device, compute_type, int(cpu_threads))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is not None:
            return engine
        if name == "faster-whisper":
            engine = FasterWhisperEngine(
                model_spec=model_spec,
                cache_dir=Path(cache_dir),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
            )
        elif name == "openai-whisper":
            engine = OpenAIWhisperEngine(
                model_spec=model_spec, cache_dir=Path(cache_dir), cpu_threads=cpu_threads, device=device
            )
        else:
            raise ValueError(f"Unknown speech engine {name!r}; choose one of {ENGINE_NAMES}.")
        _engines[key] = engine
        return engine


def clear_engine_cache() -> None:
    with _engines_lock:
        _engines.clear()


__all__ = [
    "COMPRESSION_RATIO_DROP",
    "DECODE_DEFAULTS",
    "ENGINE_NAMES",
    "LANGUAGES",
    "FasterWhisperEngine",
    "ModelError",
    "OpenAIWhisperEngine",
    "Segment",
    "TranscriptionError",
    "TranscriptionResult",
    "Word",
    "compression_ratio",
    "decode_options",
    "get_engine",
    "is_hallucination",
    "postprocess",
    "resume_after_loops",
    "speech_clips",
    "speech_regions",
    "to_simplified",
    "trim_loop",
]
