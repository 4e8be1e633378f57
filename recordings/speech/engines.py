"""Speech-to-text engines behind one interface.

Django-free: callers pass settings in as plain values. Two engines give the same result type:

* ``faster-whisper`` (CTranslate2, int8 on CPU) — the default: ~3x faster and ~half the memory
  of the reference implementation on these machines (bench/results/stt-*.md);
* ``openai-whisper`` (PyTorch, float32 on CPU) — the reference implementation, loaded from a
  checkpoint converted from the same weights.

Both run the same post-processing, whose rule is: silence gives an empty transcript, never
invented text. A ``TranscriptionResult`` without segments means "no speech".
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

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

# Decoding settings shared by both engines.
BEAM_SIZE = 5
# Calls are long, and conditioning on the previous window lets one misrecognition (or a
# hallucination) repeat itself through the rest of the call; every window is decoded on its own.
CONDITION_ON_PREVIOUS_TEXT = False
# Deterministic decoding: beam search only, no temperature fallback. Whisper's fallback re-decodes
# a window by *sampling* when its average log-probability is below -1.0 or its text repeats
# itself, and robotic or noisy telephone speech sits right at that line: the same 8 kHz Mandarin
# file gave the right text 6 runs in 8 and a different, wrong text in the other 2 (CTranslate2's
# sampler cannot be re-seeded per call). A transcript is evidence in a complaint file: the same
# recording must give the same text on every run, retry and re-transcription. A window that
# falls into a repetition loop instead is dropped by the hallucination filter (rule 4 below).
TEMPERATURE = 0.0

# Voice activity detection (Silero VAD, shipped inside faster-whisper), run by ``speech_clips``
# for both engines. These are faster-whisper's ``vad_filter=True`` defaults.
VAD_THRESHOLD = 0.5
VAD_MIN_SILENCE_MS = 2000
VAD_SPEECH_PAD_MS = 400
# Speech chunks closer than this are decoded as one clip, pause included (fewer 30 s windows,
# no splices inside a sentence); longer pauses are skipped entirely.
CLIP_MERGE_GAP_S = 5.0
# Speech regions for the de-identification check (``speech_regions``): tighter than the clips
# (short padding, short pauses split), so speech that no transcript word covers shows up.
COVERAGE_VAD_THRESHOLD = 0.5
COVERAGE_MIN_SILENCE_MS = 300
COVERAGE_SPEECH_PAD_MS = 60

# Every decoding setting above, by name: what ``transcribe(..., decode={...})`` may override
# (``settings.TRANSCRIPTION_DECODE``, bench/redaction.py ``--decode``). ``prompt`` is text in the
# call's language ({"zh": "...", "en": "..."}) given to the decoder before every 30 s window:
# faster-whisper's ``hotwords``, openai-whisper's ``initial_prompt`` with ``carry_initial_prompt``
# (with ``condition_on_previous_text`` off, a plain initial prompt would reach the first window
# only). ``repetition_penalty`` and ``no_repeat_ngram_size`` exist in faster-whisper only.
DECODE_DEFAULTS: dict = {
    "beam_size": BEAM_SIZE,
    "patience": 1.0,
    "temperature": TEMPERATURE,
    "condition_on_previous_text": CONDITION_ON_PREVIOUS_TEXT,
    # whisper's own window checks (a window with no_speech_prob above the first AND mean
    # log-probability below the second is skipped whole; the ratio triggers fallback only)
    "no_speech_threshold": 0.6,
    "log_prob_threshold": -1.0,
    "compression_ratio_threshold": 2.4,
    "repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "hallucination_silence_threshold": None,
    "prompt": None,
    # what happens to a segment whose text loops (rule 4 below): "drop" it whole, or "trim" it to
    # the words before the loop starts (the rest of its time then has no words)
    "loop_segments": "drop",
    "vad_threshold": VAD_THRESHOLD,
    "vad_min_silence_ms": VAD_MIN_SILENCE_MS,
    "vad_speech_pad_ms": VAD_SPEECH_PAD_MS,
    "clip_merge_gap_s": CLIP_MERGE_GAP_S,
}
_FASTER_WHISPER_ONLY = {"repetition_penalty": 1.0, "no_repeat_ngram_size": 0}


def decode_options(overrides: dict | None = None) -> dict:
    """The decoding settings in effect: the defaults above with ``overrides`` applied.
    An unknown name is an error (a typo in settings must not be silently ignored)."""
    unknown = sorted(set(overrides or {}) - set(DECODE_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown decoding setting(s) {unknown}; known: {sorted(DECODE_DEFAULTS)}")
    out = {**DECODE_DEFAULTS, **(overrides or {})}
    t = out["temperature"]
    out["temperature"] = float(t) if isinstance(t, int | float) else tuple(float(x) for x in t)
    if out["loop_segments"] not in ("drop", "trim", "resume"):
        raise ValueError("decoding setting 'loop_segments' must be 'drop', 'trim' or 'resume'")
    prompt = out["prompt"]
    if prompt is not None and not isinstance(prompt, dict):
        raise ValueError("decoding setting 'prompt' must be a mapping of language code to text")
    return out


def _prompt_for(options: dict, language: str | None) -> str | None:
    prompt = options["prompt"] or {}
    text = prompt.get(language or "", "") if language else ""
    return text.strip() or None


# Hallucination filter, applied to every segment after VAD (which removes most silence).
#
# 1. SPEECH.md: drop a segment whose no_speech_prob is high AND whose avg_logprob is low. The
#    thresholds are Whisper's own (no_speech > 0.6 and avg_logprob < -1.0). Measurements here
#    show why they cannot be tighter: speech and hallucination overlap on these two numbers.
#    The invented " You" / " ." segments on silence without VAD (base and tiny.en) had
#    no_speech_prob 0.93-0.98 with avg_logprob -0.68..-0.78, while real (robotic espeak
#    Mandarin) speech reached no_speech_prob 0.92 with avg_logprob -1.0: any rule on these two
#    values strict enough to catch the former would delete the latter.
# 2. So the known silence phrases are caught by their text: a segment the model itself thought
#    was probably silence (no_speech_prob > 0.75) that says only one of the stock phrases
#    Whisper emits on silence (its subtitle-credit training data) is dropped.
# 3. Segments with no letter, digit or CJK character (" .", " . .") are dropped.
# 4. Repetition loops ("陛下陛下陛下…" for 7 s of robotic speech) are dropped: text whose zlib
#    compression ratio exceeds Whisper's own threshold (2.4) is the decoder going round in
#    circles, not something the caller said.
NO_SPEECH_PROB_DROP = 0.6
AVG_LOGPROB_DROP = -1.0
SILENCE_PHRASE_NO_SPEECH_PROB = 0.75
COMPRESSION_RATIO_DROP = 2.4
SILENCE_PHRASES = frozenset(
    {
        "you",
        "thank you",
        "thanks for watching",
        "thank you for watching",
        "bye",
        "字幕by索兰娅",
        "字幕由amaraorg社区提供",
        "请不吝点赞订阅转发打赏支持明镜与点点栏目",
        "谢谢观看",
        "谢谢大家",
        "谢谢",
    }
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)

_CONTENT = re.compile(r"\w", re.UNICODE)  # letters, digits, CJK; punctuation-only text is noise


class TranscriptionError(RuntimeError):
    """The engine could not transcribe this file (unreadable audio, wrong model for language)."""


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # as the model produced it, including a leading space in English
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str  # stripped; equals the concatenation of its words' text, stripped
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)


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


# --------------------------------------------------------------------------- post-processing


def compression_ratio(text: str) -> float:
    """Whisper's repetition measure: UTF-8 length over zlib-compressed length."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def is_hallucination(text: str, no_speech_prob: float, avg_logprob: float, *, loops: bool = True) -> bool:
    if no_speech_prob > NO_SPEECH_PROB_DROP and avg_logprob < AVG_LOGPROB_DROP:
        return True
    if loops and compression_ratio(text) > COMPRESSION_RATIO_DROP:
        return True
    if no_speech_prob > SILENCE_PHRASE_NO_SPEECH_PROB:
        return _NOT_WORD.sub("", to_simplified(text).lower()) in _SILENCE_KEYS
    return False


_SILENCE_KEYS = frozenset(_NOT_WORD.sub("", p) for p in SILENCE_PHRASES)


LOOP_MAX_GRAM = 4  # a loop is a phrase of up to this many words said three times in a row


def trim_loop(seg: Segment) -> Segment | None:
    """A looping segment cut back to the words before its loop starts; None when nothing is left
    or what is left still loops. Its text then is the kept words' text."""
    words = [w for w in seg.words if w.text.strip()]
    keys = [_NOT_WORD.sub("", to_simplified(w.text).lower()) or w.text.strip() for w in words]
    cut = len(words)
    for n in range(1, LOOP_MAX_GRAM + 1):
        for i in range(0, min(cut, len(keys) - 3 * n + 1)):
            if keys[i : i + n] == keys[i + n : i + 2 * n] == keys[i + 2 * n : i + 3 * n]:
                cut = i
                break
    kept = words[:cut]
    text = "".join(w.text for w in kept).strip()
    if not kept or compression_ratio(text) > COMPRESSION_RATIO_DROP:
        return None
    return Segment(seg.start, kept[-1].end, text, seg.avg_logprob, seg.no_speech_prob, kept)


LOOP_RESUME_ROUNDS = 8  # a resumed decode may loop again: at most this many rounds


def _is_loop(seg: Segment) -> bool:
    return compression_ratio(seg.text) > COMPRESSION_RATIO_DROP and not is_hallucination(
        seg.text, seg.no_speech_prob, seg.avg_logprob, loops=False
    )


def resume_after_loops(segments: list[Segment], regions, decode_spans) -> list[Segment]:
    """Decode again what a decoding loop swallowed, from the next stretch of speech on. Once in a
    loop ("4-4-4-…") the decoder writes it to the end of its 30 s window and every word said there
    is lost; decoding again from the loop's start only loops again. The looping segment stays
    (``postprocess`` trims it, its loop's time keeps no words); ``decode_spans(spans)`` decodes from
    the first voice-activity region that starts after the loop began to the segment's end."""
    out, pending = list(segments), list(segments)
    for _ in range(LOOP_RESUME_ROUNDS):
        spans = []
        for seg in pending:
            if not _is_loop(seg):
                continue
            kept = trim_loop(seg)
            loop_start = kept.end if kept is not None else seg.start
            nxt = next((a for a, _b in regions or [] if loop_start < a < seg.end - 0.5), None)
            if nxt is not None:
                spans.append((math.floor(nxt * 100) / 100, math.ceil(seg.end * 100) / 100))
        if not spans:
            break
        pending = decode_spans(spans)
        out += pending
    return sorted(out, key=lambda s: (s.start, s.end))


def postprocess(
    segments: list[Segment], *, language: str, duration_s: float, loop_segments: str = "drop"
) -> list[Segment]:
    """Shared clean-up: drop hallucinated and empty segments, simplified Chinese for zh."""
    out: list[Segment] = []
    for seg in segments:
        trim = loop_segments in ("trim", "resume")
        if is_hallucination(seg.text, seg.no_speech_prob, seg.avg_logprob, loops=not trim):
            continue
        if trim and compression_ratio(seg.text) > COMPRESSION_RATIO_DROP:
            seg = trim_loop(seg)
            if seg is None:
                continue
        words = [w for w in seg.words if w.text.strip()]
        if language == "zh":
            words = _to_simplified_words(words)
            text = to_simplified(seg.text) if not words else ""
        else:
            text = seg.text
        if words:
            text = "".join(w.text for w in words)
        text = text.strip()
        if not _CONTENT.search(text):
            continue
        start = max(0.0, min(seg.start, duration_s))
        end = max(start, min(seg.end, duration_s))
        out.append(
            Segment(
                start=start,
                end=end,
                text=text,
                avg_logprob=seg.avg_logprob,
                no_speech_prob=seg.no_speech_prob,
                words=words,
            )
        )
    return out


_opencc_lock = threading.Lock()
_opencc = None


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC ``t2s``); Whisper often writes traditional."""
    global _opencc
    with _opencc_lock:
        if _opencc is None:
            try:
                import opencc
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise TranscriptionError("OpenCC is not installed (pip package `opencc`).") from exc
            _opencc = opencc.OpenCC("t2s")
        return _opencc.convert(text)


def _to_simplified_words(words: list[Word]) -> list[Word]:
    if not words:
        return words
    # Convert the whole run at once so OpenCC sees phrases across word boundaries, then cut it
    # back into words. t2s almost always keeps the length; when it does not, fall back to
    # word-by-word conversion (keeps text and word list consistent for redaction).
    joined = "".join(w.text for w in words)
    converted = to_simplified(joined)
    if len(converted) == len(joined):
        out, pos = [], 0
        for w in words:
            n = len(w.text)
            out.append(Word(w.start, w.end, converted[pos : pos + n], w.probability))
            pos += n
        return out
    return [Word(w.start, w.end, to_simplified(w.text), w.probability) for w in words]


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
                clips = _clips(audio, opts)
                speech = speech_regions(audio)
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
                    "hotwords": _prompt_for(opts, lang),
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

                    segments = resume_after_loops(segments, speech, decode_spans)
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
        unsupported = sorted(k for k, v in _FASTER_WHISPER_ONLY.items() if opts[k] != v)
        if opts["loop_segments"] == "resume":
            unsupported.append("loop_segments=resume")
        if unsupported:
            raise ValueError(f"openai-whisper has no decoding setting {unsupported} (faster-whisper only)")
        try:
            audio = whisper.load_audio(str(path))  # ffmpeg subprocess -> float32 16 kHz mono
        except RuntimeError as exc:
            raise TranscriptionError(f"openai-whisper could not read {path}: {exc}") from exc
        duration = len(audio) / SAMPLE_RATE
        clips = _clips(audio, opts)
        speech = speech_regions(audio)
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
                initial_prompt=_prompt_for(opts, lang),
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


def _clips(audio, opts: dict) -> list[tuple[float, float]]:
    return speech_clips(
        audio,
        merge_gap_s=opts["clip_merge_gap_s"],
        threshold=opts["vad_threshold"],
        min_silence_ms=opts["vad_min_silence_ms"],
        speech_pad_ms=opts["vad_speech_pad_ms"],
    )


def speech_clips(
    audio,
    *,
    merge_gap_s: float = CLIP_MERGE_GAP_S,
    threshold: float = VAD_THRESHOLD,
    min_silence_ms: int = VAD_MIN_SILENCE_MS,
    speech_pad_ms: int = VAD_SPEECH_PAD_MS,
) -> list[tuple[float, float]]:
    """Speech regions (seconds) of 16 kHz float32 audio found by Silero VAD, close ones merged."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(
        audio,
        VadOptions(threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=speech_pad_ms),
        sampling_rate=SAMPLE_RATE,
    )
    clips: list[tuple[float, float]] = []
    for c in chunks:
        start, end = c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE
        if clips and start - clips[-1][1] <= merge_gap_s:
            clips[-1] = (clips[-1][0], end)
        else:
            clips.append((start, end))
    # openai-whisper seeks in 10 ms mel frames and loops forever on a clip that ends past the
    # last whole frame (it keeps decoding an empty window without advancing): clamp to it.
    last = (len(audio) // 160) / 100
    out = []
    for s, e in clips:
        s, e = math.floor(s * 100) / 100, min(math.ceil(e * 100) / 100, last)
        if e - s >= 0.1:
            out.append((s, e))
    return out


def speech_regions(audio) -> list[tuple[float, float]]:
    """Every stretch of speech (seconds), tightly: what a listening copy must account for."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(
        audio,
        VadOptions(
            threshold=COVERAGE_VAD_THRESHOLD,
            min_silence_duration_ms=COVERAGE_MIN_SILENCE_MS,
            speech_pad_ms=COVERAGE_SPEECH_PAD_MS,
        ),
        sampling_rate=SAMPLE_RATE,
    )
    return [(round(c["start"] / SAMPLE_RATE, 3), round(c["end"] / SAMPLE_RATE, 3)) for c in chunks]


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
    "decode_options",
    "get_engine",
    "postprocess",
    "speech_clips",
    "speech_regions",
    "to_simplified",
]
