"""Pure helpers for classification codes: parsing, combined codes, tree navigation, picker search.

No Django imports. The data lives in ``complaints.taxonomy_data``.

Code format: axis letter (A channel, B business, C cause) + two digits per level, 1-3 levels,
each segment 01-99 ("00" is not a valid segment): A01, A0101, B030202.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.utils.translation import gettext

from complaints.taxonomy_data import AXES, TAXONOMY, CodeSpec

__all__ = [
    "AXES",
    "CODE_RE",
    "MAX_LEVEL",
    "TAXONOMY",
    "CodeSpec",
    "ParsedCode",
    "ancestors",
    "code_at_level",
    "combined_code",
    "leaf_codes",
    "match_score",
    "parse_code",
    "search",
    "split_combined",
    "validate_taxonomy",
]

MAX_LEVEL = 3
CODE_RE = re.compile(r"^[ABC](?:0[1-9]|[1-9][0-9]){1,3}$")
COMBINED_SEPARATOR = "-"
_COMBINED_AXES = ("A", "B", "C")


class ParsedCode(NamedTuple):
    axis: str  # 'A' | 'B' | 'C'
    level: int  # 1..3
    parent: str | None  # None for a first-level code (the axis root is implicit)


def _format_error(code: object) -> ValueError:
    return ValueError(gettext("分类代码格式不正确：%(code)s") % {"code": repr(code)})


def parse_code(code: str) -> ParsedCode:
    """Parse a code; raise ValueError (message in the UI language) if the format is wrong. Strict: no trimming, no case folding."""
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise _format_error(code)
    level = (len(code) - 1) // 2
    return ParsedCode(axis=code[0], level=level, parent=code[:-2] if level > 1 else None)


def _expect_axis(code: str, axis: str, position: int) -> None:
    parsed = parse_code(code)
    if parsed.axis != axis:
        raise ValueError(
            gettext("组合代码第 %(position)d 部分应为 %(axis)s 轴代码：%(code)s")
            % {"position": position, "axis": axis, "code": repr(code)}
        )


def combined_code(a: str, b: str, c: str) -> str:
    """("A0303", "B030202", "C05") -> "A0303-B030202-C05". Checks format and axis of each part (not leafness)."""
    for position, (code, axis) in enumerate(zip((a, b, c), _COMBINED_AXES, strict=True), start=1):
        _expect_axis(code, axis, position)
    return COMBINED_SEPARATOR.join((a, b, c))


def split_combined(value: str) -> tuple[str, str, str]:
    """Inverse of combined_code: "A0303-B030202-C05" -> ("A0303", "B030202", "C05")."""
    parts = value.split(COMBINED_SEPARATOR) if isinstance(value, str) else []
    if len(parts) != 3:
        raise ValueError(gettext("组合分类代码格式不正确：%(value)s（应为 A..-B..-C..）") % {"value": repr(value)})
    for position, (code, axis) in enumerate(zip(parts, _COMBINED_AXES, strict=True), start=1):
        _expect_axis(code, axis, position)
    return parts[0], parts[1], parts[2]


def ancestors(code: str) -> list[str]:
    """Proper ancestors, root-most first: B030202 -> ["B03", "B0302"]; A01 -> []."""
    level = parse_code(code).level
    return [code[: 1 + 2 * n] for n in range(1, level)]


def code_at_level(code: str, level: int) -> str:
    """Truncate to ``level`` (1-based): code_at_level("B030202", 1) -> "B03"."""
    own = parse_code(code).level
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= own:
        raise ValueError(  # a programming error (no page asks for a level it did not validate): English only
            f"Level out of range: code {code!r} has {own} level(s), asked for level {level!r}"
        )
    return code[: 1 + 2 * level]


def leaf_codes(specs: Iterable[CodeSpec]) -> set[str]:
    """Codes that are nobody's parent (the only codes a case may carry)."""
    codes = {s.code for s in specs}
    parents = {parse_code(c).parent for c in codes}
    return codes - parents


def validate_taxonomy(specs: Iterable[CodeSpec]) -> list[str]:
    """Consistency problems (empty list = fine): bad format, duplicates, missing parent, duplicate sibling names."""
    problems: list[str] = []
    seen: set[str] = set()
    sibling_names: set[tuple[str | None, str, str]] = set()
    specs = list(specs)
    codes = {s.code for s in specs}
    for spec in specs:
        try:
            parsed = parse_code(spec.code)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if spec.code in seen:
            problems.append(f"duplicate code {spec.code}")
        seen.add(spec.code)
        if parsed.parent and parsed.parent not in codes:
            problems.append(f"{spec.code}: parent {parsed.parent} missing")
        if not spec.name_zh.strip() or not spec.name_en.strip():
            problems.append(f"{spec.code}: empty name")
        for lang, name in (("zh", spec.name_zh), ("en", spec.name_en.casefold())):
            key = (parsed.parent or parsed.axis, lang, name)
            if key in sibling_names:
                problems.append(f"{spec.code}: duplicate {lang} name among siblings: {name}")
            sibling_names.add(key)
    return problems


# ----------------------------------------------------------------------------------------- search

# Per-word scores; a multi-word query sums its words' best scores and needs every word to match.
_S_CODE_EXACT = 1000
_S_CODE_PREFIX = 900  # minus _S_CODE_DEPTH_STEP per extra code character
_S_CODE_DEPTH_STEP = 50
_S_ZH_NAME_EQ = 600
_S_ZH_NAME_IN = 500
_S_ZH_KW_EQ = 450
_S_EN_NAME_WORD_EQ = 400
_S_EN_KW_WORD_EQ = 380
_S_ZH_KW_IN = 350
_S_EN_NAME_WORD_PREFIX = 300
_S_EN_KW_WORD_PREFIX = 280
_S_COVERAGE_BASE = 100  # CJK run-on text ("信用卡年费") explained by the code's terms: 100..340
_S_INHERITED = 20  # the word only matches an ancestor (typing 信用卡 lists the credit-card leaves too)

_QUERY_SPLIT_RE = re.compile(r"[\s,，、;；/|]+")
_WORD_RE = re.compile(r"[0-9a-z]+")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CODE_PREFIX_RE = re.compile(r"^[ABC][0-9]*$")
_ZH_NAME_SPLIT_RE = re.compile(r"[、/（）()，,\s及或]+")


def _norm(text: str) -> str:
    """NFKC (full-width -> ASCII) + casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


def _query_words(query: str) -> list[str]:
    return [w for w in _QUERY_SPLIT_RE.split(_norm(query or "")) if w]


def _direct_score(word: str, spec: CodeSpec) -> int:
    """Best score of one normalised query word against one spec's own code, names and keywords."""
    best = 0
    upper = word.upper()
    if spec.code == upper:
        return _S_CODE_EXACT
    if _CODE_PREFIX_RE.fullmatch(upper) and spec.code.startswith(upper):
        best = _S_CODE_PREFIX - _S_CODE_DEPTH_STEP * (len(spec.code) - len(upper))

    is_cjk = bool(_CJK_RE.search(word))
    substring_ok = is_cjk or len(word) >= 2  # a lone Latin letter only matches codes and whole terms
    name_zh = _norm(spec.name_zh)
    if word == name_zh:
        best = max(best, _S_ZH_NAME_EQ)
    elif substring_ok and word in name_zh:
        best = max(best, _S_ZH_NAME_IN)
    for kw in _norm(spec.keywords_zh).split():
        if word == kw:
            best = max(best, _S_ZH_KW_EQ)
        elif substring_ok and word in kw:
            best = max(best, _S_ZH_KW_IN)

    if not is_cjk:
        # English: whole words, or word prefixes (type-ahead) from two characters on.
        for words, eq, prefix in (
            (_WORD_RE.findall(_norm(spec.name_en)), _S_EN_NAME_WORD_EQ, _S_EN_NAME_WORD_PREFIX),
            (_WORD_RE.findall(_norm(spec.keywords_en)), _S_EN_KW_WORD_EQ, _S_EN_KW_WORD_PREFIX),
        ):
            for w in words:
                if w == word:
                    best = max(best, eq)
                elif len(word) >= 2 and w.startswith(word):
                    best = max(best, prefix)
    return best


def _terms(spec: CodeSpec) -> list[str]:
    """Terms (two characters or more) used to explain run-on CJK text."""
    terms = [t for t in _ZH_NAME_SPLIT_RE.split(_norm(spec.name_zh)) if t]
    terms += _norm(spec.keywords_zh).split()
    terms += _WORD_RE.findall(_norm(spec.name_en)) + _WORD_RE.findall(_norm(spec.keywords_en))
    return [t for t in terms if len(t) >= 2]


def _covered(word: str, terms: Iterable[str]) -> set[int]:
    positions: set[int] = set()
    for term in terms:
        start = word.find(term)
        while start != -1:
            positions.update(range(start, start + len(term)))
            start = word.find(term, start + 1)
    return positions


def _coverage_score(word: str, spec: CodeSpec, context: Sequence[CodeSpec]) -> int:
    """For a CJK word typed without spaces ("信用卡年费", "app闪退"): how much of it the spec's own terms
    (and, secondarily, its ancestors' terms) explain. 0 unless the spec itself explains something."""
    direct = _covered(word, _terms(spec))
    if not direct:
        return 0
    total = direct | _covered(word, [t for anc in context for t in _terms(anc)])
    return _S_COVERAGE_BASE + (200 * len(total)) // len(word) + (40 * len(direct)) // len(word)


def _word_score(word: str, spec: CodeSpec, context: Sequence[CodeSpec], fuzzy: bool = True) -> int:
    score = _direct_score(word, spec)
    if score:
        return score
    if fuzzy and _CJK_RE.search(word):
        score = _coverage_score(word, spec, context)
        if score:
            return score
    if any(_direct_score(word, anc) for anc in context):
        return _S_INHERITED
    return 0


def match_score(query: str, spec: CodeSpec, context: Sequence[CodeSpec] = ()) -> int:
    """Picker relevance of ``spec`` for ``query``; 0 = no match.

    Higher for: exact code > code prefix ("b0302", case-insensitive; shallower first) > zh name equal/contains >
    zh keyword equal > en name word > en keyword word > zh keyword contains > en word prefix > run-on CJK text
    explained by the code's terms. Every whitespace/punctuation-separated word must match somewhere.
    ``context``: the spec's ancestors (search() passes them); a word matching only an ancestor counts weakly,
    so "信用卡" also lists the credit-card leaves and "credit annual fee" finds B030202.
    """
    return _score(_query_words(query), spec, context, fuzzy_words=None)


def _score(words: list[str], spec: CodeSpec, context: Sequence[CodeSpec], fuzzy_words: set[str] | None) -> int:
    if not words:
        return 0
    total = 0
    for word in words:
        score = _word_score(word, spec, context, fuzzy=fuzzy_words is None or word in fuzzy_words)
        if not score:
            return 0
        total += score
    return total


def search(query: str, specs: Iterable[CodeSpec], limit: int = 20, *, leaves_only: bool = False) -> list[CodeSpec]:
    """Specs matching ``query``, best first (score desc, then code). Empty query -> [].

    ``leaves_only`` drops inner nodes (a case must carry a leaf on each axis).
    """
    specs = list(specs)
    words = _query_words(query)
    if not words:
        return []
    # Run-on CJK coverage is a fallback: only for words that no code matches directly
    # (so "信用卡" does not drag in B030205 via its name fragment "用卡").
    fuzzy_words = {w for w in words if not any(_direct_score(w, s) for s in specs)}
    by_code = {s.code: s for s in specs}
    leaves = leaf_codes(specs) if leaves_only else None
    scored: list[tuple[int, str, CodeSpec]] = []
    for spec in specs:
        if leaves is not None and spec.code not in leaves:
            continue
        context = [by_code[c] for c in ancestors(spec.code) if c in by_code]
        score = _score(words, spec, context, fuzzy_words)
        if score:
            scored.append((-score, spec.code, spec))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [spec for _, _, spec in scored[: max(limit, 0)]]
