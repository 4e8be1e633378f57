"""Shared pieces of transcript redaction: the timed-word values the speech layer produces,
the labels that replace masked text, and span merging. The planner that decides what to
mute is ``recordings.deid`` (pure, no Django).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    # decoded in or next to a decoding loop (``speech.decoding.mark_near_loops``): not evidence
    # on its own that the speech under it is harmless (``deid._distrust_near_loops``)
    near_loop: bool = False


@dataclass(frozen=True)
class SegmentText:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


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
