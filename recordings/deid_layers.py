"""Layers of the listening-copy planner (``recordings.deid``) that work on number-like words,
decoding loops and speech no word covers: number runs and their extents (layers 1 and 3),
loop marks (layer 0) and uncovered speech (layer 4). Pure; each marks ``Token.reasons`` or
returns time spans."""

from __future__ import annotations

from collections.abc import Sequence

from .deid_words import (
    _CJK,
    _PUNCT,
    BRIDGE_S,
    COVER_SLACK_S,
    CUE_RESUME_CHARS,
    CUE_RESUME_WORDS,
    LOOP_PHRASE,
    LOOP_SAME_TOKEN,
    MAX_WORD_S,
    MIN_RUN_WEIGHT,
    NEAR_ONLY_RUN,
    REGION_EDGE_S,
    RUN_GAP_S,
    UNCOVERED_MIN_S,
    Token,
)
from .redaction import merge_spans


def _number_runs(tokens: list[Token]) -> None:
    """Layers 1 and 3: runs of number-like words (and the doubtful words next to them)."""
    i = 0
    while i < len(tokens):
        if not tokens[i].numberish:
            i += 1
            continue
        run = [i]
        j = i + 1
        while j < len(tokens) and tokens[j].start - tokens[run[-1]].end <= RUN_GAP_S:
            t = tokens[j]
            if t.numberish or t.filler or not t.confident:
                run.append(j)
                j += 1
            else:
                break
        # a doubtful word just before the run belongs to it too ("fam six two")
        k = i - 1
        while k >= 0 and not tokens[k].confident and tokens[run[0]].start - tokens[k].end <= RUN_GAP_S:
            run.insert(0, k)
            k -= 1
        while run and tokens[run[-1]].filler:
            run.pop()
        members = [tokens[n] for n in run]
        weight = sum(t.weight for t in members)
        near = sum(t.near for t in members)
        letters = sum(t.letter for t in members)
        doubtful = sum(not t.confident and not t.numberish for t in members)
        is_email = any(t.email for t in members) or letters >= 3
        is_number = weight >= MIN_RUN_WEIGHT or weight + near + doubtful >= NEAR_ONLY_RUN
        if is_email or is_number:
            for t in members:
                if t.numberish or t.weight:
                    t.reasons.add("email" if (t.email or t.letter) and is_email and not t.weight else "number")
                elif not t.confident:
                    t.reasons.add("low_confidence")
                else:
                    t.reasons.add("number")  # a filler inside a spoken number
        i = max(j, i + 1)


def _number_extents(tokens: list[Token], speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Around muted numbers: the words bridging two of them, and the rest of the speech
    region up to a close edge (see BRIDGE_S and REGION_EDGE_S). Bridged words are marked too."""
    muted = [t for t in tokens if "number" in t.reasons]
    # a doubtful word a spoken number took in ("铁" for the last digits) is part of it: the
    # number reaches to the region edge from there
    in_runs = muted + [t for t in tokens if "low_confidence" in t.reasons]
    extents: list[tuple[float, float]] = []
    for a, b in zip(muted, muted[1:], strict=False):
        if b.start - a.end <= BRIDGE_S and b.start > a.end:
            extents.append((a.end, b.start))
            for t in tokens:
                if t.start >= a.end and t.end <= b.start and not t.reasons:
                    t.reasons.add("number")
    for s0, s1 in speech:
        inside = [t for t in muted if t.start < s1 and s0 < t.end]
        if inside and 0 < min(t.start for t in inside) - s0 <= REGION_EDGE_S:
            extents.append((s0, min(t.start for t in inside)))
        last = max((t.end for t in in_runs if t.start < s1 and s0 < t.end), default=None)
        if inside and 0 < s1 - last <= REGION_EDGE_S:
            extents.append((last, s1))
    return extents


def _mark_loops(tokens: list[Token]) -> float:
    """Mark the tokens of decoding loops (see LOOP_*); returns the seconds they span."""
    norm = [_PUNCT.sub("", t.text).lower() for t in tokens]
    i = 0
    while i < len(tokens):  # the same token again and again
        j = i
        while j + 1 < len(tokens) and norm[j + 1] == norm[i] and norm[i]:
            j += 1
        if j - i + 1 >= LOOP_SAME_TOKEN:
            for t in tokens[i : j + 1]:
                t.repeat = True
        i = j + 1
    seen: set[tuple[str, ...]] = set()
    for i in range(len(tokens)):  # a phrase said before (the first time is kept)
        if not norm[i]:
            continue
        units, k = 0, i
        while k < len(tokens) and units < LOOP_PHRASE:
            if norm[k]:  # a Chinese character or a whole English word is one unit
                units += len(norm[k]) if _CJK.search(norm[k]) else 1
            k += 1
        gram = tuple(x for x in norm[i:k] if x)
        if units < LOOP_PHRASE or len(gram) < 2:
            continue
        if gram in seen:
            for t in tokens[i:k]:
                t.repeat = True
        seen.add(gram)
    return sum(t.end - t.start for t in tokens if t.repeat)


def _distrust_near_loops(tokens: list[Token]) -> None:
    """Layer 0: words decoded in or next to a stretch the decoder looped over (``near_loop``).
    A decode resumed after a loop may start inside the number it could not read and write its
    digits as plain words ("牛牛花汤"): such words vouch for their audio only as a run of
    confident plain words with CUE_RESUME_WORDS / CUE_RESUME_CHARS different words / characters;
    the others are doubtful (not ``confident``) and muted. Kept ones ask for a listen."""
    run: list[Token] = []

    def close() -> None:  # distinct: digits heard as words repeat a few syllables ("摇摇人摇")
        units = [_PUNCT.sub("", t.text).lower() for t in run if not t.filler]
        chars = {ch for u in units for ch in u if _CJK.match(ch)}
        words = {u for u in units if u and not _CJK.search(u)}
        if len(words) < CUE_RESUME_WORDS and len(chars) < CUE_RESUME_CHARS:
            for t in run:
                t.distrust = True
        run.clear()

    for t in tokens:
        if run and (not t.near_loop or t.start - run[-1].end > RUN_GAP_S):
            close()
        if t.near_loop and t.confident and (t.plain or t.filler):
            run.append(t)
        elif t.near_loop:
            close()
            t.distrust = True
    close()
    for t in tokens:
        if t.distrust:
            t.reasons.add("low_confidence")


def _uncovered(tokens: list[Token], speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Layer 4: speech regions that no transcript word covers (words of a decoding loop and
    words stretched far beyond their spoken length cover nothing)."""
    covered = merge_spans(
        [(t.start, t.end) for t in tokens if not t.repeat and t.end - t.start <= _max_length(t)], pad_s=COVER_SLACK_S
    )
    out = []
    for s0, s1 in speech:
        pos = s0
        for c0, c1 in covered:
            if c1 <= pos or c0 >= s1:
                continue
            if c0 - pos >= UNCOVERED_MIN_S:
                out.append((pos, c0))
            pos = max(pos, c1)
        if s1 - pos >= UNCOVERED_MIN_S:
            out.append((pos, s1))
    return out


def _max_length(t: Token) -> float:
    """How long the spoken form of this token can plausibly last ("6222021234567890" takes
    seconds, "铁" does not)."""
    core = _PUNCT.sub("", t.text)
    syllables = sum(ch.isdigit() or bool(_CJK.match(ch)) for ch in core)
    return MAX_WORD_S + 0.45 * syllables + 0.08 * (len(core) - syllables)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))
