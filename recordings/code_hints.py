"""Suggest A/B/C classification codes from a transcript, with the words that led to each.

Pure (no Django): takes the taxonomy rows (anything with code, axis, parent, name_zh,
name_en, keywords_zh, keywords_en, is_leaf, is_active). A leaf scores for the terms of
its own names/keywords found in the text, plus a little for its ancestors' terms, and
only counts when at least one of its OWN terms occurs (so "信用卡" alone does not
suggest every credit-card leaf). Only suggestions: the agent chooses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SPLIT_ZH = re.compile(r"[、/（）()，,\s及或]+")
_WORD = re.compile(r"[a-z0-9]+")
_EN_STOP = frozenset({"and", "or", "of", "the", "other", "to", "in", "on", "for", "by", "with", "a", "an"})


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _terms(row) -> list[str]:
    zh = [t for t in _SPLIT_ZH.split(_norm(row.name_zh)) if len(t) >= 2]
    zh += [t for t in _norm(row.keywords_zh).split() if len(t) >= 2]
    en = _WORD.findall(_norm(row.name_en)) + _WORD.findall(_norm(row.keywords_en))
    en = [t for t in en if len(t) >= 3 and t not in _EN_STOP]
    return list(dict.fromkeys(zh + en))


def _found(term: str, text: str, words: set[str]) -> bool:
    if term.isascii():
        return term in words
    return term in text


def suggest(text: str, rows: Iterable, *, limit: int = 3) -> dict[str, list[dict]]:
    rows = [r for r in rows if getattr(r, "is_active", True)]
    by_code = {r.code: r for r in rows}
    norm = _norm(text)
    words = set(_WORD.findall(norm))
    own_hits: dict[str, list[str]] = {}
    for r in rows:
        hits = [t for t in _terms(r) if _found(t, norm, words)]
        if hits:
            own_hits[r.code] = hits
    out: dict[str, list[dict]] = {"A": [], "B": [], "C": []}
    for r in rows:
        if not r.is_leaf or r.code not in own_hits:
            continue
        inherited: list[str] = []
        parent = r.parent
        while parent:
            inherited += own_hits.get(parent, [])
            parent = by_code[parent].parent if parent in by_code else None
        own = own_hits[r.code]
        score = sum(2 * len(t) for t in own) + sum(len(t) for t in inherited)
        out.setdefault(r.axis, []).append(
            {
                "code": r.code,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
                "words": list(dict.fromkeys(own + inherited)),
                "score": score,
            }
        )
    for axis in out:
        out[axis].sort(key=lambda s: (-s["score"], s["code"]))
        out[axis] = out[axis][:limit]
    return out
