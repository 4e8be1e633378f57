"""Reading numbers however they are written: Chinese numerals (幺 = 1, 两 = 2, radio forms
洞 = 0, 拐 = 7, 勾 = 9), full-width forms and English number words, each normalised character
mapped back to its span of the original text (rules: ``complaints.pii``). Standard library only."""

from __future__ import annotations

import re

# Chinese numerals read as digits: 幺 = 1, 两 = 2, and radio speech 洞 = 0, 拐 = 7, 勾 = 9.
# Positional numerals (十, 百, 千: amounts such as 一百二十) are not digits.
_CN_NUMERALS = "〇零洞一幺二两三四五六七拐八九勾"
_WRITTEN_DIGITS = frozenset("0123456789０１２３４５６７８９")
_DIGIT_TABLE = str.maketrans(_CN_NUMERALS + "０１２３４５６７８９", "0001122345677899" + "0123456789")
# For detection only: full-width ASCII forms (－．／＿ＣＶＶ) read as ASCII. The full-width
# comma stays: "，" separates clauses, while "," may group thousands.
_NORM_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C} | _DIGIT_TABLE

# English number words (Whisper spells digits out; people write them): "oh"/"o" is a zero
# only next to another number word ("one oh one"), "double eight" is 88.
_EN_DIGITS = {
    "zero": "0", "nought": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_EN_WEAK = frozenset({"oh", "o"})
_EN_REPEAT = {"double": 2, "triple": 3}
_EN_WORD = re.compile(
    r"(?<![A-Za-z])(?:" + "|".join(sorted([*_EN_DIGITS, *_EN_REPEAT], key=len, reverse=True)) + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_WORD_GAP = re.compile(r"[ \t\u3000]*")  # dropped between two number words: one run of digits
_WEAK_GAP = re.compile(r"[ \t\u3000.,，、/·・•‧_\-]{0,3}")  # between "oh" and another number word
_REPEAT_GAP = re.compile(r"[ \t\u3000\-]?")  # "double eight", "double-8"
_X_AFTER_WORD = re.compile(r"[ \t\u3000]+(?=[Xx](?![A-Za-z0-9]))")
_ONE_WRITTEN_DIGIT = re.compile(r"[0-9０-９](?![0-9０-９])")


def normalize_digits(text: str) -> tuple[str, list[int]]:
    """Map Chinese numerals (〇零一二三四五六七八九, 幺 = 1, 两 = 2, 洞 = 0, 拐 = 7, 勾 = 9)
    and full-width ０-９ to ASCII digits, one character for one character.

    Positional numerals (十, 百, 千: amounts such as 一百二十) are left as they are.
    Returns the normalised text and, for each of its indexes, the index in ``text``.
    English number words are read by :func:`normalize_numbers`.
    """
    return text.translate(_DIGIT_TABLE), list(range(len(text)))


def normalize_numbers(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as :func:`find_sensitive` reads it, and for each of its characters the span
    ``(start, end)`` of the ORIGINAL text it comes from.

    Chinese numerals and full-width forms become ASCII (one character for one); an English
    number word becomes its digit(s) spanning the whole word ("double eight" → "88", both
    spanning "double eight"); whitespace between two number words is dropped, so a number
    read out word by word is one run of digits.
    """
    norm, starts, ends = _normalize(text)
    return norm, list(zip(starts, ends, strict=True))


def _normalize(text: str) -> tuple[str, list[int], list[int]]:
    chars = text.translate(_NORM_TABLE)
    items = _number_words(text, chars) if _EN_WORD.search(text) else []
    if not items:  # the usual case: one character for one
        return chars, list(range(len(text))), list(range(1, len(text) + 1))
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for k, (start, end, digits) in enumerate(items):
        if k and _WORD_GAP.fullmatch(text, pos, start):
            pos = start  # "one three" → "13"
        pieces += [chars[pos:start], digits]
        starts += [*range(pos, start), *[start] * len(digits)]
        ends += [*range(pos + 1, start + 1), *[end] * len(digits)]
        pos = end
        if x := _X_AFTER_WORD.match(text, pos):
            pos = x.end()  # "... two X": the check character of an ID number
    pieces.append(chars[pos:])
    starts += range(pos, len(text))
    ends += range(pos + 1, len(text) + 1)
    return "".join(pieces), starts, ends


def _number_words(text: str, chars: str) -> list[tuple[int, int, str]]:
    """English number words of ``text`` as (start, end, digits), 'double'/'triple' applied.
    ``chars`` is ``text`` with full-width forms as ASCII. A weak zero ('oh', 'o') counts in
    a chain of words joined by short gaps that holds another number word, or beside digits
    (see _digit_beside)."""
    tokens = [(m.start(), m.end(), m.group().lower()) for m in _EN_WORD.finditer(text)]
    items: list[tuple[int, int, str, bool]] = []  # start, end, digits, weak
    i = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        i += 1
        if word in _EN_REPEAT:
            after = _REPEAT_GAP.match(chars, end).end()
            if i < len(tokens) and tokens[i][0] == after and tokens[i][2] in _EN_DIGITS:
                items.append((start, tokens[i][1], _EN_DIGITS[tokens[i][2]] * _EN_REPEAT[word], False))
                i += 1
            elif m := _ONE_WRITTEN_DIGIT.match(text, after):
                items.append((start, m.end(), m[0].translate(_DIGIT_TABLE) * _EN_REPEAT[word], False))
            continue  # otherwise "double" is an ordinary word
        items.append((start, end, _EN_DIGITS[word], word in _EN_WEAK))
    if not items:
        return []
    keep = [not weak for *_rest, weak in items]
    first = 0
    for k in range(len(items) + 1):  # chains of words joined by short gaps
        if k < len(items) and (k == first or _WEAK_GAP.fullmatch(chars, items[k - 1][1], items[k][0])):
            continue
        chain = range(first, k)
        if any(keep[j] for j in chain) or _digit_beside(chars, items[first][0], items[k - 1][1], len(chain)):
            for j in chain:
                keep[j] = True
        first = k
    return [(s, e, d) for (s, e, d, _weak), kept in zip(items, keep, strict=True) if kept]


def _digit_beside(chars: str, start: int, end: int, words: int) -> bool:
    """A chain of weak zeros reads as digits after a digit ("138 oh oh"), or before one when
    it has two words or more ("oh oh 138"; a lone "Oh, 138..." is an interjection)."""
    before = start
    while before > 0 and start - before < 3 and _WEAK_GAP.fullmatch(chars[before - 1]):
        before -= 1
    if before > 0 and chars[before - 1].isdigit():
        return True
    after = _WEAK_GAP.match(chars, end).end()
    return words > 1 and after < len(chars) and chars[after].isdigit()
