"""Digit matching and near-miss alignment for bench/redaction.py (issue 10): is a PII string in
a text, and what did the engines write for each spoken digit. Pure."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import Call, Span  # noqa: E402

# --------------------------------------------------------------------------- digit matching

_CN_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1", "两": "2"}
_CN_DIGITS |= {c: str(i) for i, c in enumerate("０１２３４５６７８９")}
_EN_UNITS = {w: str(i) for i, w in enumerate(re.findall(r"\w+", "zero one two three four five six seven eight nine"))}
_EN_UNITS |= {"oh": "0", "o": "0", "nought": "0"}
_TEEN_WORDS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_EN_TEENS = {w: str(10 + i) for i, w in enumerate(re.findall(r"\w+", _TEEN_WORDS))}
_EN_TENS = {
    w: str(i + 2) for i, w in enumerate(re.findall(r"\w+", "twenty thirty forty fifty sixty seventy eighty ninety"))
}
_REPEAT = {"double": 2, "triple": 3}
_X_WORDS = {"x", "ex", "叉"}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d|[\u3400-\u9fff]|[^\sa-z\d\u3400-\u9fff]", re.IGNORECASE)


def digit_units(text: str) -> list[tuple[str | None, str]]:
    """Tokens of ``text`` as (digits or None, token). Digit words, two-digit words ("sixty two"
    → 62), "double five" → 55, Chinese numerals (幺 = 1, 两 = 2) become digits; punctuation is
    returned as ("", token) (it does not break a spoken number); other words as (None, token)."""
    toks = _TOKEN.findall(text)
    out: list[tuple[str | None, str]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        low = t.lower()
        if t.isdigit() and len(t) == 1 and t.isascii():
            out.append((t, t))
        elif t in _CN_DIGITS:
            out.append((_CN_DIGITS[t], t))
        elif low in _EN_UNITS:
            out.append((_EN_UNITS[low], t))
        elif low in _EN_TEENS:
            out.append((_EN_TEENS[low], t))
        elif low in _EN_TENS:
            nxt = [j for j in range(i + 1, min(i + 3, len(toks))) if toks[j] not in ("-", "‐")]
            if nxt and toks[nxt[0]].lower() in _EN_UNITS and toks[nxt[0]].lower() not in ("oh", "o", "zero", "nought"):
                out.append((_EN_TENS[low] + _EN_UNITS[toks[nxt[0]].lower()], f"{t}-{toks[nxt[0]]}"))
                i = nxt[0]
            else:
                out.append((_EN_TENS[low] + "0", t))
        elif low in _REPEAT and i + 1 < len(toks) and toks[i + 1].lower() in _EN_UNITS:
            out.append((_EN_UNITS[toks[i + 1].lower()] * _REPEAT[low], f"{t} {toks[i + 1]}"))
            i += 1
        elif low in _X_WORDS:
            out.append(("X", t))
        elif not re.match(r"[a-z\d\u3400-\u9fff]", t, re.IGNORECASE):
            out.append(("", t))
        else:
            out.append((None, t))
        i += 1
    return out


def digit_runs(text: str) -> list[str]:
    """Spoken/written numbers in ``text`` as digit strings (punctuation and spaces inside a
    number are ignored; any other word ends it)."""
    runs, cur = [], ""
    for digits, _tok in digit_units(text):
        if digits is None:
            if cur:
                runs.append(cur)
            cur = ""
        else:
            cur += digits
    if cur:
        runs.append(cur)
    return runs


def _alnum(text: str) -> str:
    """Lowercase letters and digits of ``text`` with digit words read as digits and the
    words dot/underscore/at dropped (for e-mail local parts)."""
    words = []
    for digits, tok in digit_units(text):
        if tok.lower() in ("dot", "underscore", "at"):
            continue
        words.append(digits if digits else tok.lower() if digits is None else "")
    return re.sub(r"[^a-z0-9]", "", "".join(words))


def found_in(truth: str, kind: str, text: str) -> str:
    """The piece of ``truth`` that ``text`` gives away ("" when none): any 4-digit substring of
    a number, the 3 digits of a CVV as a short run, or an e-mail's local part."""
    if kind == "email":
        local = re.sub(r"[^a-z0-9]", "", truth.lower())
        return local if len(local) >= 3 and local in _alnum(text) else ""
    runs = digit_runs(text)
    if kind == "cvv" or len(truth) < 4:
        return truth if any(truth in r for r in runs if len(r) <= 4) else ""
    best = ""
    grams = {truth[i : i + 4] for i in range(len(truth) - 3)}
    for r in runs:
        for i in range(len(r) - 3):
            if r[i : i + 4] in grams:
                # widen the match to the longest common stretch
                j = i + 4
                while j < len(r) and r[i : j + 1] in truth:
                    j += 1
                if j - i > len(best):
                    best = r[i:j]
    return best


# --------------------------------------------------------------------------- near misses

_PINYIN = {"ling2": "0", "yi1": "1", "yao1": "1", "er4": "2", "liang3": "2", "san1": "3", "si4": "4", "wu3": "5"}
_PINYIN |= {"liu4": "6", "qi1": "7", "ba1": "8", "jiu3": "9", "cha1": "X"}


def expected_units(span: Span) -> list[tuple[str, str]]:
    """(digit, what was said for it) for every character of the truth, from the spoken text."""
    out: list[tuple[str, str]] = []
    if span.lang == "zh":
        for syl in re.findall(r"[a-z]+\d", span.text):
            if syl in _PINYIN:
                out.append((_PINYIN[syl], syl))
    else:
        for digits, tok in digit_units(span.text.replace(",", " ")):
            if digits:
                out += [(d, tok.lower()) for d in digits]
    if "".join(d for d, _ in out) != span.truth:
        out = [(d, "?") for d in span.truth]
    return out


def align(expected: list[str], produced: list[str | None]) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment (index pairs; None = gap). A produced non-digit never matches."""
    n, m = len(expected), len(produced)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = 0 if produced[j - 1] == expected[i - 1] else 1
            cost[i, j] = min(cost[i - 1, j - 1] + sub, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs, i, j = [], n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (0 if produced[j - 1] == expected[i - 1] else 1):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def near_misses(call: Call, transcript) -> list[dict]:
    """What the engine wrote for each spoken digit of every PII span (by word timestamps)."""
    words = [w for seg in transcript.segments for w in seg.words]
    out = []
    for span in call.pii:
        if span.kind == "email":
            continue
        exp = expected_units(span)
        inside = [w for w in words if span.start - 0.15 <= (w.start + w.end) / 2 <= span.end + 0.15]
        produced: list[tuple[str | None, str]] = []
        for w in inside:
            for digits, tok in digit_units(w.text):
                if digits == "":
                    continue
                if digits is None:
                    produced.append((None, tok))
                else:
                    produced += [(d, tok) for d in digits]
        for i, j in align([d for d, _ in exp], [d for d, _ in produced]):
            digit, said = exp[i] if i is not None else (None, None)
            got, heard = produced[j] if j is not None else (None, None)
            if i is None:
                kind = "inserted" if got is None else "inserted_digit"
            elif j is None:
                kind = "deleted"
            elif got == digit:
                kind = "ok"
            elif got is None:
                kind = "near_miss"
            else:
                kind = "wrong_digit"
            out.append({"kind": kind, "digit": digit, "said": said, "heard": heard, "got": got, "span": span.kind})
    return out
