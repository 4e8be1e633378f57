"""Positive evidence from the audio for speech no transcript word covers (issue 10, layer 4).

Whisper drops whole sentences ("xie4 xie4 ni3 de bang1 zhu4") or loops over them; the planner
(``recordings.deid``) mutes such *uncovered* speech, because nothing vouches for it. Here each
uncovered stretch is decoded again on its own (the audio cropped to it, same engine and model)
and its words are added to the transcript **only** when the second decoding vouches for the
whole stretch: every word recognised with confidence (``RECHECK_MIN_PROB``), none number-like, a
cue, a spelled letter or an e-mail part (``deid_words.classify``), no decoding loop. Anything
else leaves the stretch uncovered (muted, counted) exactly as before. Accepted words then go
through every layer of the planner like any other word (a cue among them opens its window, a
number next to them takes them in, the text check reads them).

Pure: the decoding is a callable ``decode(start_s, end_s) -> list[Word]`` (absolute times) that
the caller binds to its engine and audio (``recordings.pipeline.recheck_uncovered``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .deid_layers import _mark_loops, _uncovered
from .deid_words import _PUNCT, Token, _tokens, classify
from .redaction import SegmentText, Word

RECHECK_MIN_PROB = 0.6  # every word of a re-decoded stretch at least this probable, or none is taken
RECHECK_MARGIN_S = 0.2  # audio decoded around the stretch (the decoder needs a run-up)
RECHECK_MIN_S = 0.3  # shorter stretches are not decoded again (they stay uncovered)


@dataclass
class RecheckResult:
    segments: list[SegmentText]  # the transcript with the accepted words added (sorted by time)
    tried: list[tuple[float, float]] = field(default_factory=list)  # uncovered stretches decoded again
    accepted: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, text) added
    rejected: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, why)
    decode_s: float = 0.0  # wall seconds spent decoding


def uncovered_spans(
    segments: Sequence[SegmentText], speech: Sequence[tuple[float, float]] | None
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Speech the transcript's words do not cover (as ``deid``'s uncovered layer sees it), and
    the times of the words of decoding loops."""
    if not speech:
        return [], []
    texts = [_segment_text(s) for s in segments]
    tokens, _untimed = _tokens(segments, texts)
    _mark_loops(tokens)
    return _uncovered(tokens, speech), [(t.start, t.end) for t in tokens if t.repeat]


def verdict(words: Sequence[Word], *, min_prob: float = RECHECK_MIN_PROB, per_word: bool = False) -> str:
    """ "" when ``words`` vouch for their stretch, else why not. ``per_word`` (a screened variant,
    bench/redaction_recheck.py): doubtful words do not reject the stretch, they are left out by the
    caller (their time stays uncovered); number-like and cue words still do."""
    tokens = []
    for w in words:
        if not w.text.strip():
            continue
        t = classify(Token(0, 0, 0, float(w.start), float(w.end), w.text.strip(), w.prob))
        if t.numberish:
            return f"number-like word {w.text.strip()!r}"
        if t.cue or t.email_cue or t.email_part or t.repeat_cue:
            return f"cue word {w.text.strip()!r}"
        if w.prob is None or w.prob < min_prob:
            if per_word:
                continue
            return f"doubtful word {w.text.strip()!r} (p={w.prob})"
        tokens.append(t)
    if not any(_PUNCT.sub("", t.text) for t in tokens):
        return "no words"
    _mark_loops(tokens)
    if any(t.repeat for t in tokens):
        return "decoding loop"
    return ""


def recheck_uncovered(
    segments: Sequence[SegmentText],
    speech: Sequence[tuple[float, float]] | None,
    decode: Callable[[float, float], list[Word]],
    *,
    duration_s: float,
    min_prob: float = RECHECK_MIN_PROB,
    per_word: bool = False,
) -> RecheckResult:
    """Decode each uncovered stretch again and add its words where they vouch for it (see the
    module docstring). ``decode(a, b)`` returns the words heard in ``a``..``b`` (absolute times)."""
    out = RecheckResult(segments=list(segments))
    added: list[SegmentText] = []
    spans, loops = uncovered_spans(segments, speech)
    for a, b in spans:
        if b - a < RECHECK_MIN_S:
            continue
        c0, c1 = max(0.0, a - RECHECK_MARGIN_S), min(duration_s, b + RECHECK_MARGIN_S)
        out.tried.append((a, b))
        t0 = time.perf_counter()
        heard = decode(c0, c1)
        out.decode_s += time.perf_counter() - t0
        # the words of this stretch (the margin belongs to words the transcript already has)
        words = [w for w in heard if w.text.strip() and a <= (w.start + w.end) / 2 <= b]
        why = verdict(words, min_prob=min_prob, per_word=per_word)
        if why:
            out.rejected.append((a, b, why))
            continue
        words = [w for w in words if w.prob is not None and w.prob >= min_prob]
        if any(x < b and a < y for x, y in loops):
            # the decoder looped over this stretch: its new words are trusted only as the planner
            # trusts words decoded next to a loop (a run of distinct confident plain words)
            words = [replace(w, near_loop=True) for w in words]
        text = "".join(w.text for w in words).strip()
        added.append(SegmentText(start=words[0].start, end=words[-1].end, text=text, words=tuple(words)))
        out.accepted.append((a, b, text))
    out.segments = sorted(list(segments) + added, key=lambda s: (s.start, s.end))
    return out


def _segment_text(seg: SegmentText) -> str:
    if not seg.words:
        return seg.text.strip()
    return "".join(w.text for w in seg.words).strip()
