"""Plan a listening copy that is de-identified by construction.

Pure (no Django). Muting only what the recogniser *recognised* as digits leaks whenever it
hears "Nero" for zero, "伞" for 三, or skips a stretch of speech. So this planner works the
other way round: a stretch of speech is kept only when the transcript covers it with words
that are confidently not personal data; everything else is muted. Layers, any one of which
mutes (the ``reason`` recorded with each span):

``number``          number-like words: digits, number words (English and Chinese, incl. 幺 两 洞),
                    letters mixed with digits, and the engines' near-misses for digits
                    (``deid_lexicon.json``) when they sit next to other number-like words;
``cue``             after a cue word (card, phone, ID, 卡号, 手机, 验证码 ...) until confident
                    non-number words resume (one is enough once the number itself was heard)
                    or a horizon passes;
``low_confidence``  words below a probability threshold next to a number-like run, and words
                    decoded next to a decoding loop outside a run of confident plain words;
``uncovered``       speech that voice activity detection heard but no transcript word covers;
``email``           e-mail addresses and spelled letters ("j dot smith at example dot com");
``untimed``         text that cannot be placed in time (its whole segment is muted).

The redacted text masks exactly the words whose audio is muted, and is checked once more by
``complaints.pii.find_sensitive``: anything it still finds mutes (and masks) its whole segment.

The status is ``ok`` only when every layer ran (word times and VAD regions were available)
and the transcript covers the speech with enough confidence; otherwise ``needs_review``: the
copy is still muted as well as possible, but a person must listen before it is released.

Modules: ``deid_words`` (constants, lexicon, tokens), ``deid_layers`` (number runs, loops,
uncovered speech), ``deid_cues`` (cue, e-mail and repeat windows); this module puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from complaints.pii import find_sensitive

from .deid_cues import _cue_windows, _repeat_windows
from .deid_layers import _distrust_near_loops, _mark_loops, _number_extents, _number_runs, _overlap, _uncovered
from .deid_words import (  # the tuning constants live in deid_words; a few are read as deid.NAME
    CUE_HORIZON_S,
    REASONS,
    REGION_EDGE_S,
    REPEAT_SLACK_S,
    REVIEW_DOUBTFUL_KEPT,
    REVIEW_LOOP_S,
    REVIEW_MEAN_PROB,
    REVIEW_UNCOVERED_S,
    Token,
    _tokens,
    classify,
    lexicon,
)
from .redaction import SegmentText, Word, mask_label, merge_spans

# --------------------------------------------------------------------------- the plan


@dataclass
class SegmentPlan:
    text: str
    redacted: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # masked char spans (start, end, kind)
    untimed: bool = False


@dataclass
class DeidPlan:
    segments: list[SegmentPlan]
    mute: list[tuple[float, float, str]]  # padded, merged, clamped; reason of the longest part
    muted_s: dict[str, float]  # seconds muted per reason (each reason's spans padded and merged)
    uncovered_s: float
    mean_prob: float | None
    layers: list[str]  # layers that ran
    review: list[str]  # why a person must listen before release (empty: ok)
    findings: int  # masked stretches in the text

    @property
    def status(self) -> str:
        return "needs_review" if self.review else "ok"

    @property
    def mute_times(self) -> list[tuple[float, float]]:
        return [(a, b) for a, b, _r in self.mute]

    @property
    def muted_total_s(self) -> float:
        return round(sum(b - a for a, b, _r in self.mute), 3)


@dataclass
class Layers:
    """What the layers found in one transcript, before the text is masked and spans padded."""

    texts: list[str]  # per segment
    tokens: list[Token]  # timed words with their ``reasons``
    untimed: list[int]  # segments that cannot be placed in time
    spans: dict[str, list[tuple[float, float]]]  # unpadded time spans per reason
    uncovered: list[tuple[float, float]]
    loop_s: float  # seconds under decoding loops


def run_layers(
    segments: Sequence[SegmentText],
    *,
    speech: Sequence[tuple[float, float]] | None,
    duration_s: float,
    pad_s: float = 0.0,
) -> Layers:
    """Run every layer over one transcript (see the module docstring); the planner below and
    bench/redaction_why.py read the result. ``pad_s`` is the padding the plan will add to every
    span: a window after a confidently recognised cue word starts that much later, so that once
    padded it starts where the cue word ends and does not cut into it (``deid_cues._window_start``)."""
    texts = [_segment_text(s) for s in segments]
    tokens, untimed = _tokens(segments, texts)
    loop_s = _mark_loops(tokens)
    _distrust_near_loops(tokens)
    _number_runs(tokens)
    extents = _number_extents(tokens, speech or [])
    windows = _cue_windows(tokens, duration_s, pad_s, speech or []) + _repeat_windows(tokens, pad_s)
    uncovered = _uncovered(tokens, speech or [])
    spans: dict[str, list[tuple[float, float]]] = {r: [] for r in REASONS}
    for t in tokens:
        for r in t.reasons:
            spans[r].append((t.start, t.end))
    for i in untimed:
        spans["untimed"].append((segments[i].start, segments[i].end))
    spans["uncovered"] = uncovered
    spans["number"] += extents
    spans["cue"] += windows  # the time between words too: a number the recogniser dropped
    return Layers(texts, tokens, untimed, spans, uncovered, loop_s)


def plan_listening_copy(
    segments: Sequence[SegmentText],
    *,
    speech: Sequence[tuple[float, float]] | None,
    language: str = "zh",
    duration_s: float,
    pad_s: float,
    text_check=find_sensitive,
) -> DeidPlan:
    """The mute spans and masked text for one transcript (see the module docstring).

    ``speech`` are the voice-activity regions of the same audio; ``None`` means VAD did not
    run, so uncovered speech cannot be ruled out and the plan needs review. ``text_check``
    finds personal data in the masked text (``complaints.pii.find_sensitive``): whatever it
    still finds mutes its whole segment."""
    found = run_layers(segments, speech=speech, duration_s=duration_s, pad_s=pad_s)
    texts, tokens, untimed, spans = found.texts, found.tokens, found.untimed, found.spans
    loop_s, uncovered = found.loop_s, found.uncovered

    plans = _mask_text(segments, texts, tokens, untimed, spans, language, duration_s)
    leftover = [i for i, p in enumerate(plans) if not p.untimed and text_check(p.redacted)]
    for i in leftover:  # the text check disagrees: fail closed on the whole segment
        spans["untimed"].append((segments[i].start, segments[i].end))
        plans[i].redacted, plans[i].untimed = mask_label("digits", language), True
        plans[i].spans = [(0, len(plans[i].text), "digits")]

    mute = _merge_with_reasons(spans, pad_s=pad_s, duration_s=duration_s)
    muted_s = {
        r: round(sum(b - a for a, b in merge_spans(s, pad_s=pad_s, duration_s=duration_s)), 3) for r, s in spans.items()
    }
    probs = [t.prob for t in tokens if t.prob is not None]
    mean_prob = round(sum(probs) / len(probs), 4) if probs else None
    uncovered_s = round(sum(b - a for a, b in uncovered), 3)

    layers = ["number", "cue", "low_confidence", "email"] if tokens or not texts else []
    review: list[str] = []
    if speech is None:
        review.append("voice activity detection did not run: uncovered speech cannot be ruled out")
    else:
        layers.append("uncovered")
    if untimed or leftover:
        review.append(f"{len(set(untimed) | set(leftover))} segment(s) without reliable word times (muted whole)")
    if uncovered_s > REVIEW_UNCOVERED_S:
        review.append(f"{uncovered_s:.1f} s of speech has no transcript (muted)")
    if loop_s > REVIEW_LOOP_S:
        review.append(f"the recogniser repeated itself over {loop_s:.1f} s (a decoding loop)")
    kept = [t for t in tokens if not t.reasons and not t.filler]
    n = sum(t.near_loop for t in kept)
    if n:
        review.append(f"{n} word(s) kept audible were decoded next to a decoding loop (not trusted alone)")
    doubtful = sum(not t.confident for t in kept)
    if kept and doubtful / len(kept) >= REVIEW_DOUBTFUL_KEPT:
        review.append(f"{doubtful} of {len(kept)} words kept audible were recognised with low confidence")
    if mean_prob is not None and mean_prob < REVIEW_MEAN_PROB:
        review.append(f"low recognition confidence (mean word probability {mean_prob:.2f})")
    # (a segment without words but with text is ``untimed`` above; one without text holds nothing:
    # speech under it that no word covers is ``uncovered``)
    findings = sum(len(p.spans) for p in plans)
    return DeidPlan(plans, mute, muted_s, uncovered_s, mean_prob, layers, review, findings)


def _segment_text(seg: SegmentText) -> str:
    if not seg.words:
        return seg.text.strip()
    return "".join(w.text for w in seg.words).strip()


def _mask_text(segments, texts, tokens, untimed, spans, language, duration_s) -> list[SegmentPlan]:
    """Mask every word whose audio is muted: selected by a layer, or at least half inside
    the final (padded) mute. Neighbouring masked words become one label."""
    plans = [SegmentPlan(text=t, redacted=t) for t in texts]
    for i in untimed:
        plans[i].untimed = True
        plans[i].redacted = mask_label("digits", language) if texts[i] else ""
        plans[i].spans = [(0, len(texts[i]), "digits")] if texts[i] else []
    # unpadded: the padding protects the audio edges, it does not make neighbouring words PII
    final = merge_spans([s for v in spans.values() for s in v], pad_s=0.0, duration_s=duration_s)
    by_seg: dict[int, list[Token]] = {}
    for t in tokens:
        inside = sum(_overlap(t.start, t.end, a, b) for a, b in final)
        if t.reasons or (t.end > t.start and inside >= 0.5 * (t.end - t.start)):
            by_seg.setdefault(t.seg, []).append(t)
    for i, masked in by_seg.items():
        masked.sort(key=lambda t: t.a)
        groups: list[list[Token]] = []
        for t in masked:
            if groups and not texts[i][groups[-1][-1].b : t.a].strip(" ,，.。、-—"):
                groups[-1].append(t)
            else:
                groups.append([t])
        plans[i].spans = [(g[0].a, g[-1].b, _kind(texts[i][g[0].a : g[-1].b], g)) for g in groups]
        out, pos = [], 0
        for a, b, kind in plans[i].spans:
            out += [texts[i][pos:a], mask_label(kind, language)]
            pos = b
        out.append(texts[i][pos:])
        plans[i].redacted = "".join(out)
    return plans


def _kind(text: str, group: list[Token]) -> str:
    if any(t.email or t.letter for t in group) and not any(t.weight for t in group):
        return "email"
    found = find_sensitive(text)
    return found[0].kind if found else "digits"


def _merge_with_reasons(
    spans: dict[str, list[tuple[float, float]]], *, pad_s: float, duration_s: float
) -> list[tuple[float, float, str]]:
    merged = merge_spans([s for v in spans.values() for s in v], pad_s=pad_s, duration_s=duration_s)
    out = []
    for a, b in merged:
        share = {r: sum(_overlap(a, b, max(0.0, x - pad_s), y + pad_s) for x, y in v) for r, v in spans.items()}
        reason = max(REASONS, key=lambda r: share[r])
        out.append((round(a, 3), round(b, 3), reason))
    return out


__all__ = [
    "CUE_HORIZON_S",
    "REASONS",
    "REGION_EDGE_S",
    "REPEAT_SLACK_S",
    "DeidPlan",
    "Layers",
    "SegmentPlan",
    "Token",
    "Word",
    "plan_listening_copy",
    "run_layers",
    "classify",
    "lexicon",
]
