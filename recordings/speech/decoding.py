"""Decoding settings and the post-processing both engines share (Django-free, no model).

* ``DECODE_DEFAULTS`` / ``decode_options``: every setting a caller may override with
  ``transcribe(..., decode={...})``;
* the hallucination filter and ``postprocess``: silence gives an empty transcript, never
  invented text;
* decoding loops: ``trim_loop`` and ``resume_after_loops`` (the ``loop_segments`` setting).

``recordings.speech.engines`` runs the models and re-exports what its callers use from here.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from dataclasses import dataclass, field, replace

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
    # what happens to a segment whose text loops (rule 4 below): "drop" it whole, "trim" it to
    # the words before the loop starts (the rest of its time then has no words), or "resume":
    # trim it and decode again from the next stretch of speech (``resume_after_loops``); every
    # word in or near the looped stretch is then marked ``near_loop`` (``mark_near_loops``)
    "loop_segments": "drop",
    # "resume" only at a stretch of speech that follows a pause at least this long (seconds,
    # measured between voice-activity regions); 0: at the first stretch after the loop began
    "loop_resume_pause_s": 0.0,
    "vad_threshold": VAD_THRESHOLD,
    "vad_min_silence_ms": VAD_MIN_SILENCE_MS,
    "vad_speech_pad_ms": VAD_SPEECH_PAD_MS,
    "clip_merge_gap_s": CLIP_MERGE_GAP_S,
}
FASTER_WHISPER_ONLY = {"repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "loop_resume_pause_s": 0.0}


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
    pause = out["loop_resume_pause_s"]
    if not isinstance(pause, int | float) or isinstance(pause, bool) or not 0 <= pause < 30:
        raise ValueError("decoding setting 'loop_resume_pause_s' must be seconds from 0 to 30")
    prompt = out["prompt"]
    if prompt is not None and not isinstance(prompt, dict):
        raise ValueError("decoding setting 'prompt' must be a mapping of language code to text")
    return out


def prompt_for(options: dict, language: str | None) -> str | None:
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
    # in (or within LOOP_NEAR_MARGIN_S of) a stretch the decoder looped over: with
    # loop_segments="resume" such words come from a decode that may have restarted inside the
    # number it could not read (recordings.deid does not take them as evidence on their own)
    near_loop: bool = False


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str  # stripped; equals the concatenation of its words' text, stripped
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)


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


def loop_stretches(segments: list[Segment]) -> list[tuple[float, float]]:
    """The time each looping segment's loop covers: from where its loop begins (after the words
    ``trim_loop`` keeps) to the segment's end, which is where the decoder's window ended."""
    out = []
    for seg in segments:
        if _is_loop(seg):
            kept = trim_loop(seg)
            out.append((kept.end if kept is not None else seg.start, seg.end))
    return out


def _resume_at(loop_start: float, end: float, regions, min_pause_s: float) -> float | None:
    """The start of the first voice-activity region after ``loop_start`` (and before the window's
    last half second) that follows at least ``min_pause_s`` without speech."""
    prev_end = None
    for a, b in sorted(regions or []):
        if loop_start < a < end - 0.5 and (min_pause_s <= 0 or prev_end is None or a - prev_end >= min_pause_s):
            return a
        prev_end = b if prev_end is None else max(prev_end, b)
    return None


def resume_after_loops(segments: list[Segment], regions, decode_spans, *, min_pause_s: float = 0.0) -> list[Segment]:
    """Decode again what a decoding loop swallowed, from the next stretch of speech on. Once in a
    loop ("4-4-4-…") the decoder writes it to the end of its 30 s window and every word said there
    is lost; decoding again from the loop's start only loops again. The looping segment stays
    (``postprocess`` trims it, its loop's time keeps no words); ``decode_spans(spans)`` decodes from
    the first voice-activity region that starts after the loop began (after a pause of at least
    ``min_pause_s``, measured between the regions) to the segment's end. The resumed decode may
    still start inside the number the decoder could not read: ``postprocess`` marks its words
    ``near_loop``."""
    out, pending = list(segments), list(segments)
    for _ in range(LOOP_RESUME_ROUNDS):
        spans = []
        for seg in pending:
            if not _is_loop(seg):
                continue
            kept = trim_loop(seg)
            loop_start = kept.end if kept is not None else seg.start
            nxt = _resume_at(loop_start, seg.end, regions, min_pause_s)
            if nxt is not None:
                spans.append((math.floor(nxt * 100) / 100, math.ceil(seg.end * 100) / 100))
        if not spans:
            break
        pending = decode_spans(spans)
        out += pending
    return sorted(out, key=lambda s: (s.start, s.end))


LOOP_NEAR_MARGIN_S = 1.0  # words this close to a looped stretch are marked near_loop too


def mark_near_loops(
    segments: list[Segment], stretches: list[tuple[float, float]], *, margin_s: float = LOOP_NEAR_MARGIN_S
) -> list[Segment]:
    """The segments with every word that overlaps a looped stretch (widened by ``margin_s`` on
    both sides) marked ``near_loop``. Pure; text and times are unchanged."""
    wide = [(a - margin_s, b + margin_s) for a, b in stretches]
    out = []
    for seg in segments:
        words = [
            replace(w, near_loop=True) if any(w.start < b and a < w.end for a, b in wide) else w for w in seg.words
        ]
        out.append(replace(seg, words=words) if words != seg.words else seg)
    return out


def postprocess(
    segments: list[Segment], *, language: str, duration_s: float, loop_segments: str = "drop"
) -> list[Segment]:
    """Shared clean-up: drop hallucinated and empty segments, simplified Chinese for zh. With
    ``loop_segments="resume"`` the words in or near a looped stretch are marked ``near_loop``."""
    stretches = loop_stretches(segments) if loop_segments == "resume" else []
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
    return mark_near_loops(out, stretches) if stretches else out


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
            out.append(replace(w, text=converted[pos : pos + n]))
            pos += n
        return out
    return [replace(w, text=to_simplified(w.text)) for w in words]
