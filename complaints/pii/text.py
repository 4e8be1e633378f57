"""Finding and masking personal data in free text: complaint text, call transcripts, log
lines (rules: ``complaints.pii``). Standard library only, besides the package's own modules."""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from .identifiers import _MOBILE_PREFIXED, _mask_card_digits, id_number_valid, luhn_valid
from .numbers import _CN_NUMERALS, _DIGIT_TABLE, _WRITTEN_DIGITS, _normalize

# cue -> (kind it suggests, whether it also makes a 3-7 digit run sensitive).
# Kind None means "tail" (尾号 7890): the last four digits may stay visible.
_CUES: dict[str, tuple[str | None, bool]] = {
    **dict.fromkeys(
        ["cvv2", "cvv", "cvc2", "cvc", "security code", "安全码", "验证码"] + ["背面三位", "后三位", "背面"],
        ("cvv", True),
    ),
    **dict.fromkeys(["card number", "card no", "card", "卡号"], ("card", True)),
    **dict.fromkeys(["银行卡", "信用卡", "借记卡", "储蓄卡"], ("card", False)),
    **dict.fromkeys(["id number", "id card", "id", "身份证", "证件号"], ("id_number", True)),
    **dict.fromkeys(["phone", "mobile", "tel", "手机", "电话"], ("mobile", True)),
    **dict.fromkeys(["account", "账号", "帐号"], ("account", True)),
    **dict.fromkeys(["账户", "帐户"], ("account", False)),
    **dict.fromkeys(["尾号", "后四位", "末四位", "last four"], (None, True)),
}
_CUE_INFO = {cue.translate(_DIGIT_TABLE): info for cue, info in _CUES.items()}
_CUE_RE = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(cue)}(?![a-z])" if cue.isascii() else re.escape(cue)
        for cue in sorted(_CUE_INFO, key=len, reverse=True)
    ),
    re.IGNORECASE | re.ASCII,
)

_SPACE = r"[ \u3000]"
_JOINERS = "-‐‑–—,，、"
# Between digit groups: one space, or one joiner with a space either side; or a slash, dot
# (written without spaces: "500. 6222" ends a sentence), middle dot or underscore between
# groups of up to 8 digits (6222.0212.3456.7894, but 13812345678_20261125.wav is a phone
# number and a date).
_SEP = (
    rf"(?:{_SPACE}?[{_JOINERS}]{_SPACE}?|{_SPACE}"
    rf"|(?<!\d{{9}})(?:{_SPACE}?/{_SPACE}?|[.·・•‧_])(?=\d{{1,8}}(?!\d)))"
)
_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*(?:[Xx](?![A-Za-z0-9]))?", re.ASCII)
# '*' in the local part: a masked e-mail (z***@example.com) is still found as one.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+@*-])[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)[-_]?\d+(?:[-_]\d+)*[Xx]?", re.ASCII)
# A case or regulator reference: letters, a year, a sequence number (VOC-2026-0001234).
_CASE_REFERENCE = re.compile(r"[A-Za-z]{2,8}[-_]?(?:19|20)\d{2}[-_]\d{3,7}", re.ASCII)
_TIME = re.compile(r"(?<!\d)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?!\d)", re.ASCII)
_DASH = "-‐‑–—"
_DATE_SEPS = _DASH + "./"
_MONTH, _DAY = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12]\d|3[01])"
_DATE = re.compile(
    rf"(?<!\d)(?<!\d[{_DATE_SEPS}])"
    rf"(?:(?:19|20)\d{{2}}([{_DATE_SEPS}]){_MONTH}\1{_DAY}|{_DAY}([./]){_DAY}\2(?:19|20)\d{{2}})"
    rf"(?!\d)(?![{_DATE_SEPS}]\d)",
    re.ASCII,
)
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,4})?(?!\d)", re.ASCII)
_DIGIT_SEP = re.compile(rf"\d{_SEP}", re.ASCII)
_GLUED_AFTER = re.compile(rf"{_SEP}\d", re.ASCII)
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥$]|rmb|人民币)[ \u3000]?$", re.IGNORECASE)
_CURRENCY = r"[ \u3000]?(?:元|块|圆|万|亿|rmb|cny|yuan)"
_CURRENCY_AFTER = re.compile(_CURRENCY, re.IGNORECASE)
# A clause comma, and an amount after it: "VOC-2026-0001234，200元" is a case and an amount.
_CLAUSE_COMMA = re.compile(rf"{_SPACE}?[，、]{_SPACE}?|,{_SPACE}")
_AMOUNT_AHEAD = re.compile(rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d{{1,4}})?{_CURRENCY}", re.IGNORECASE)
_UNIT_AFTER = re.compile(r"[ \u3000]?[年月日号元块圆万亿次个天点分秒岁%％笔期位]")
_SERVICE_NUMBER = re.compile(r"95\d{3}|123\d{2}", re.ASCII)  # 95588, 12378: hotlines
_TERMINATORS = frozenset("。！？!?；;\n@")  # a cue does not reach past these
_GAP_IGNORED = frozenset("0123456789*+ \u3000./·・•‧_" + _JOINERS)  # not counted in a cue's reach
_CHAIN_FILLER = frozenset(" \u3000,，.。、;；:：-—…嗯呃啊额哦")
_CUE_WINDOW = 8  # max counted characters between a cue and the digits it refers to
_CHAIN_GAP = 3  # max filler characters between pieces of one spoken number


@dataclass(frozen=True)
class Finding:
    """A sensitive span; ``start``/``end`` are offsets into the ORIGINAL text."""

    kind: str  # card, mobile, id_number, account, cvv, email, digits
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Scan:
    text: str
    norm: str  # see normalize_numbers
    starts: list[int]
    ends: list[int]
    glue: str  # norm with the separators that do not join (a clause comma before an amount) blanked
    spans: list[tuple[int, int, str]]  # (start, end, kind) in norm

    def origin(self, i: int) -> str:
        """'w' written digit (0-9, ０-９), 'c' Chinese numeral, 'e' number word, '' other."""
        c = self.text[self.starts[i]]
        if self.ends[i] - self.starts[i] == 1 and (c in _WRITTEN_DIGITS or c in _CN_NUMERALS):
            return "w" if c in _WRITTEN_DIGITS else "c"
        return "e" if self.norm[i].isdigit() else ""


def find_sensitive(text: str) -> list[Finding]:
    """Return the sensitive spans of ``text``, sorted and non-overlapping; offsets are into
    ``text`` as given, whatever way its numbers are written (ASCII or full-width digits,
    Chinese numerals, English number words).

    Any run of 8+ digits (groups may be joined by one space, hyphen, comma, slash, middle
    dot, underscore or dot) is sensitive; checksums and cue words only classify it. A 3-7
    digit run is sensitive within a few characters after a cue (卡号, 身份证, 手机, 电话,
    账号, card, account, phone, ID, CVV/安全码/验证码...), and so are further pieces of a
    number that was just found when only filler (，。嗯) separates them.
    """
    scan = _scan(text)
    return [_finding(scan, s, e, kind) for s, e, kind in scan.spans]


def _finding(scan: _Scan, s: int, e: int, kind: str) -> Finding:
    start, end = scan.starts[s], scan.ends[e - 1]
    return Finding(kind, start, end, scan.text[start:end])


def _scan(text: str) -> _Scan:
    norm, starts, ends = _normalize(text)
    if "@" not in norm and not any(c.isdigit() for c in norm):
        return _Scan(text, norm, starts, ends, norm, [])
    work = list(norm)  # protected or consumed characters are blanked to '#'
    glue = list(norm)
    spans: list[tuple[int, int, str]] = []

    def blank(start: int, end: int) -> None:
        work[start:end] = "#" * (end - start)

    def no_join(start: int, end: int) -> None:
        blank(start, end)
        glue[start:end] = "#" * (end - start)

    for m in _EMAIL.finditer(norm):
        spans.append((m.start(), m.end(), "email"))
        blank(*m.span())
    cues = []
    for m in _CUE_RE.finditer("".join(work)):
        cues.append((m.end(), *_CUE_INFO[m.group().lower()]))
        blank(*m.span())
    snapshot = "".join(work)
    for m in _REFERENCE.finditer(snapshot):
        # VOC-2026-0001234 is a reference: letters, then digit groups of under 8 digits that
        # do not read as a mobile, card or ID together and are not followed by more digit
        # groups (a clause comma after a case reference does not join: "VOC-2026-0001234，
        # 200元"). Otherwise only the letters are set aside (fail closed).
        blank(*m.span(1))
        digits = m[0][len(m[1]) :]
        glued = _GLUED_AFTER.match(snapshot, m.end())
        if glued and _CASE_REFERENCE.fullmatch(m[0]) and (comma := _CLAUSE_COMMA.match(snapshot, m.end())):
            no_join(*comma.span())
            glued = None
        if (
            not re.search(r"\d{8}", digits)
            and not glued
            and _classify(re.sub(r"[^0-9Xx]", "", digits), None) == "digits"
        ):
            blank(*m.span())
    for pattern in (_TIME, _DATE):
        for m in pattern.finditer("".join(work)):
            blank(*m.span())
    joined = "".join(work)
    for run in _RUN.finditer(joined):
        # "13812345678，200元": a clause comma does not join an amount to a whole mobile, ID
        # or card number before it (one that only reads as "digits" is joined: fail closed).
        for comma in _CLAUSE_COMMA.finditer(joined, run.start(), run.end()):
            before = re.sub(r"\D", "", joined[run.start() : comma.start()])
            if _AMOUNT_AHEAD.match(joined, comma.end()) and _classify(before, None) != "digits":
                no_join(*comma.span())
    joined = "".join(work)
    for m in _AMOUNT.finditer(joined):
        if _is_amount(joined, m):
            blank(*m.span())

    joined = "".join(work)
    cue_ends = [cue[0] for cue in cues]
    # reach[i]: characters counted towards a cue's reach in norm[:i]; a terminator counts
    # as "too far" by itself.
    steps = (0 if c in _GAP_IGNORED else _CUE_WINDOW + 1 if c in _TERMINATORS else 1 for c in norm)
    reach = list(itertools.accumulate(steps, initial=0))
    scan = _Scan(text, norm, starts, ends, "".join(glue), spans)
    last_end, last_kind = 0, None
    for start, end in _runs(joined, scan):
        digits = re.sub(r"[^0-9Xx]", "", joined[start:end])
        cue = _cue_before(reach, cues, cue_ends, start)
        if len(digits) >= 8:
            kind = _classify(digits, cue[0] if cue else None)
            if kind == "mobile" and start and norm[start - 1] == "+":
                start -= 1
        else:
            chained = last_kind if _is_chained(norm[last_end:start]) else None
            kind = _short_kind(norm, start, end, digits, cue, chained)
        if kind:
            spans.append((start, end, kind))
            last_end, last_kind = end, kind
    spans.sort()
    return scan


def _is_amount(work: str, m: re.Match[str]) -> bool:
    """1,200.50 / 3.5 / ¥12000 / 12000元: an amount (up to 10 integer digits), unless it is
    one group of a longer separated run (6222 0212 3456 7890元)."""
    if _glued_before(work, m.start()) or _GLUED_AFTER.match(work, m.end()):
        return False
    whole, decimals = m.group(1), m.group(2)
    currency = bool(
        _CURRENCY_BEFORE.search(work, max(0, m.start() - 4), m.start()) or _CURRENCY_AFTER.match(work, m.end())
    )
    digits = whole.replace(",", "")
    return len(digits) <= 10 and ("," in whole or bool(decimals) or currency)


def _glued_before(work: str, i: int) -> bool:
    """A digit and a group separator stand just before ``work[i]``."""
    return any((m := _DIGIT_SEP.match(work, j)) and m.end() == i for j in range(max(0, i - 4), i))


def _runs(work: str, scan: _Scan):
    """Yield (start, end) of digit runs, trimmed of a stray X, of a lone Chinese numeral
    glued to written digits (6222…7890一直 → 一 is a word, not a digit) and of a lone
    number word beside written digits (13812345678 one more thing)."""
    for m in _RUN.finditer(work):
        start, end = m.span()
        if work[end - 1] in "Xx" and sum(c.isdigit() for c in work[start:end]) != 17:
            end -= 1
        if end - start > 1 and scan.origin(start) == "c" and scan.origin(start + 1) == "w":
            start += 1
        if end - start > 1 and scan.origin(end - 1) == "c" and scan.origin(end - 2) == "w":
            end -= 1
        # ... but only when 8+ digits remain: a number word never lets a run fall under 8
        trimmed_start = _past_lone_word(work, scan, start, end, 1)
        trimmed_end = _past_lone_word(work, scan, end - 1, trimmed_start - 1, -1) + 1
        if sum(c.isdigit() for c in work[trimmed_start:trimmed_end]) >= 8:
            start, end = trimmed_start, trimmed_end
        yield start, end


def _past_lone_word(work: str, scan: _Scan, i: int, stop: int, step: int) -> int:
    """From edge ``i`` of a run (towards ``stop``): past a one-digit number word and the
    separator after it when the next digit is a written one; else ``i``."""
    if scan.origin(i) != "e":
        return i
    j, word = i + step, (scan.starts[i], scan.ends[i])
    if j != stop and (scan.starts[j], scan.ends[j]) == word:
        return i  # "double eight": two digits
    while j != stop and not work[j].isdigit():
        j += step
    return j if j != stop and scan.origin(j) == "w" else i


def _cue_before(reach: list[int], cues: list, cue_ends: list[int], start: int):
    """The nearest cue before ``start`` as (kind, marks_short_runs), or None when it is
    more than _CUE_WINDOW characters away or in another sentence. Digits, '*' and
    separators between are not counted, so a cue reaches as far after masking as before."""
    i = bisect.bisect_right(cue_ends, start) - 1
    if i < 0 or reach[start] - reach[cue_ends[i]] > _CUE_WINDOW:
        return None
    return cues[i][1:]


def _is_chained(gap: str) -> bool:
    return len(gap) <= _CHAIN_GAP and set(gap) <= _CHAIN_FILLER


def _classify(digits: str, cue_kind: str | None) -> str:
    """Kind of a run of 8+ digits (it is masked whatever the answer)."""
    n = len(digits)
    if _MOBILE_PREFIXED.fullmatch(digits):  # optionally +86 / 0086
        return "mobile"
    if n == 18 and (digits[-1] in "Xx" or id_number_valid(digits)):
        return "id_number"
    if 13 <= n <= 19 and luhn_valid(digits):
        return "card"
    if cue_kind == "card" and 12 <= n <= 19:
        return "card"
    if cue_kind == "account":
        return "account"
    if cue_kind == "id_number" and 15 <= n <= 18:
        return "id_number"
    return "digits"


def _short_kind(norm, start, end, digits, cue, chained) -> str | None:
    """Kind of a run of fewer than 8 digits, or None when it is not sensitive."""
    if norm[max(0, start - 3) : start] == "***" or norm[end : end + 3] == "***":
        return None  # visible digits of an earlier mask (622202******7890)
    if _UNIT_AFTER.match(norm, end) or (start and norm[start - 1] in "¥￥$"):
        return None  # 3个月, 2026年, 500元: a quantity, not an identifier
    if chained and len(digits) >= 2:
        return chained
    if not (3 <= len(digits) <= 7 and cue and cue[1]):
        return None
    kind = cue[0]
    if kind is None:  # 尾号7890: the last four may be shown
        return None if len(digits) <= 4 else "digits"
    if kind == "mobile" and _SERVICE_NUMBER.fullmatch(digits):
        return None
    return kind


def mask_text(text: str) -> str:
    """Replace every finding of :func:`find_sensitive` by its mask; all other characters
    are kept. Idempotent. A mask replaces the whole span, however its digits were written
    (number words and Chinese numerals included). Masks (ASCII):
    card 622202******7890 (under 13 digits: ********7890); mobile 138****5678 (+86 kept);
    id_number 1****************X; account ****7890; cvv ***; email a***@example.com;
    digits: all '*', the last 4 kept only for runs of 12+; fragments under 8 digits: all '*'.
    An edge of a span that touches other digits (directly, or through a separator: a date
    or reference left beside it) shows no digits, so kept digits never join into a longer run.
    """
    scan = _scan(text)
    out, pos = [], 0
    for s, e, kind in scan.spans:
        f = _finding(scan, s, e, kind)
        if kind == "email":
            masked = _mask(kind, f.text.translate(_DIGIT_TABLE))
        else:
            masked = _mask(kind, scan.norm[s:e])
            if _glued_before(scan.glue, s) or (s and scan.origin(s - 1) == "w"):
                masked = re.sub(r"^[0-9X]+", lambda m: "*" * len(m[0]), masked)
            if _GLUED_AFTER.match(scan.glue, e) or (e < len(scan.norm) and scan.origin(e) == "w"):
                masked = re.sub(r"[0-9X]+$", lambda m: "*" * len(m[0]), masked)
        out += [text[pos : f.start], masked]
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def _mask(kind: str, chars: str) -> str:
    if kind == "email":  # z***@example.com; a domain keeps no run of 8+ digits either
        domain = chars.split("@", 1)[1]
        return chars[0] + "***@" + _RUN.sub(_star_long_run, domain)
    if kind == "cvv":
        return "***"
    digits = re.sub(r"[^0-9X]", "", chars.upper())
    n = len(digits)
    if n < 8:
        return "*" * n
    if kind == "card":
        return _mask_card_digits(digits)
    if kind == "mobile":  # a +86 / 0086 prefix stays as written
        prefix = chars[: [i for i, c in enumerate(chars) if c.isdigit()][-11]]
        return prefix + digits[-11:-8] + "****" + digits[-4:]
    if kind == "id_number":
        return digits[0] + "*" * (n - 2) + digits[-1]
    if kind == "account" or n >= 12:
        return "*" * (n - 4) + digits[-4:]
    return "*" * n


def _star_long_run(m: re.Match[str]) -> str:
    return re.sub(r"\d", "*", m[0]) if sum(c.isdigit() for c in m[0]) >= 8 else m[0]
