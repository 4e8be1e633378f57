"""FROZEN COPY of today's redaction plan (issue 10 "baseline"), for bench/redaction.py.

Copied at commit da1415f from recordings/redaction.py (``plan_redaction`` and helpers), with the
pieces of recordings/speech/redact_audio.py it uses (``RedactionError``, ``align_words``,
``char_spans_to_time_spans``) and complaints/pii.py (bench/baseline_pii.py). Do not edit: the
method is being replaced, and the benchmark compares old and new in the same run. The plan's
``SegmentText``/``Word`` inputs are duck-typed (recordings.redaction's own dataclasses work).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bench.baseline_pii import find_sensitive

TimeSpan = tuple[float, float]
CharSpan = tuple[int, int]

# ---- copied from recordings/speech/redact_audio.py


class RedactionError(RuntimeError):
    """Sensitive audio could not be located or masked; the recording must not be played."""


def align_words(words: Sequence, text: str) -> list[CharSpan]:
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


def char_spans_to_time_spans(words: Sequence, text: str, char_spans: Iterable[CharSpan | object]) -> list[TimeSpan]:
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


def _char_span(span) -> CharSpan:
    if hasattr(span, "start") and hasattr(span, "end"):
        return int(span.start), int(span.end)
    start, end = span
    return int(start), int(end)


# ---- copied from recordings/redaction.py

# What replaces a sensitive stretch in the text users see: no digit survives, so a
# mis-transcribed number can never leak through a partial mask.
LABELS_ZH = {
    "card": "卡号",
    "mobile": "手机号",
    "id_number": "证件号",
    "account": "账号",
    "cvv": "安全码",
    "email": "邮箱",
    "digits": "号码",
}
LABELS_EN = {
    "card": "card number",
    "mobile": "phone number",
    "id_number": "ID number",
    "account": "account number",
    "cvv": "security code",
    "email": "email",
    "digits": "number",
}


# Whisper sometimes spells digits out in English ("six, two, two, two, ..."): read them as
# digits before looking for numbers, so a spelled-out card number is masked too.
_EN_DIGIT_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_EN_DIGIT_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(_EN_DIGIT_WORDS) + r")(?![A-Za-z])", re.IGNORECASE)


def find_sensitive_spoken(text: str) -> list[tuple[int, int, str]]:
    """``find_sensitive`` over ``text`` with English digit words read as digits; spans
    (start, end, kind) are offsets into the ORIGINAL text."""
    norm: list[str] = []
    spans: list[tuple[int, int]] = []  # original span of each normalised character
    pos = 0
    for m in _EN_DIGIT_RE.finditer(text):
        for i in range(pos, m.start()):
            norm.append(text[i])
            spans.append((i, i + 1))
        norm.append(_EN_DIGIT_WORDS[m.group(1).lower()])
        spans.append(m.span())
        pos = m.end()
    for i in range(pos, len(text)):
        norm.append(text[i])
        spans.append((i, i + 1))
    return [(spans[f.start][0], spans[f.end - 1][1], f.kind) for f in find_sensitive("".join(norm))]


def mask_label(kind: str, language: str) -> str:
    if language == "en":
        return f"[{LABELS_EN.get(kind, 'number')} removed]"
    return f"[{LABELS_ZH.get(kind, '号码')}已隐去]"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    prob: float | None = None


@dataclass(frozen=True)
class SegmentText:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass
class SegmentPlan:
    text: str
    redacted: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # char spans in ``text``
    times: list[tuple[float, float]] = field(default_factory=list)  # audio spans (unpadded)
    unresolved: bool = False  # a finding here could not be placed in time


@dataclass
class RedactionPlan:
    segments: list[SegmentPlan]
    mute: list[tuple[float, float]]  # padded, merged, clamped
    findings: int
    problems: list[str]

    @property
    def confident(self) -> bool:
        return not self.problems


def segment_text(seg: SegmentText) -> str:
    """The segment text as built from its words (so char offsets map onto words)."""
    if not seg.words:
        return seg.text.strip()
    return "".join(w.text for w in seg.words).strip()


def plan_redaction(
    segments: Sequence[SegmentText], *, language: str = "zh", pad_s: float = 0.3, duration_s: float | None = None
) -> RedactionPlan:
    texts = [segment_text(seg) for seg in segments]
    offsets, pos = [], 0
    for text in texts:
        offsets.append(pos)
        pos += len(text) + 1  # the joining space
    joined = " ".join(texts)
    findings = find_sensitive_spoken(joined)

    plans = [SegmentPlan(text=t, redacted=t) for t in texts]
    for start, end, kind in findings:
        for i, text in enumerate(texts):
            a, b = max(start - offsets[i], 0), min(end - offsets[i], len(text))
            if a < b and text[a:b].strip():
                plans[i].spans.append((a, b, kind))

    problems: list[str] = []
    for i, (seg, plan) in enumerate(zip(segments, plans, strict=True)):
        if not plan.spans:
            continue
        plan.redacted = _apply_masks(plan.text, plan.spans, language)
        if not seg.words:
            plan.unresolved = True
        else:
            try:
                # Strict: every visible character of a span must lie inside a timed word.
                plan.times = char_spans_to_time_spans(seg.words, plan.text, [(a, b) for a, b, _k in plan.spans])
            except RedactionError:
                plan.unresolved = True
        if plan.unresolved:
            problems.append(f"segment {i} ({seg.start:.1f}-{seg.end:.1f} s): sensitive text without word times")
    mute = merge_spans([t for p in plans for t in p.times], pad_s=pad_s, duration_s=duration_s)
    return RedactionPlan(segments=plans, mute=mute, findings=len(findings), problems=problems)


def _apply_masks(text: str, spans: list[tuple[int, int, str]], language: str) -> str:
    out, pos = [], 0
    for a, b, kind in sorted(spans):
        if a < pos:
            continue
        out += [text[pos:a], mask_label(kind, language)]
        pos = b
    out.append(text[pos:])
    return "".join(out)


def merge_spans(
    spans: Sequence[tuple[float, float]], *, pad_s: float, duration_s: float | None = None
) -> list[tuple[float, float]]:
    """Pad each span by ``pad_s`` on both sides, clamp to the audio, merge overlaps."""
    padded = sorted((max(0.0, a - pad_s), b + pad_s) for a, b in spans)
    if duration_s is not None:
        padded = [(a, min(b, duration_s)) for a, b in padded if a < duration_s]
    merged: list[tuple[float, float]] = []
    for a, b in padded:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
