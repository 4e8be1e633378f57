"""FROZEN COPY of complaints/pii.py at commit da1415f, for bench/redaction.py's "baseline" method.

Do not edit: it is the method being replaced (issue 10), kept so the benchmark compares old and new
in the same run even after complaints/pii.py changes. Copied verbatim below this note.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_CN_NUMERALS = "〇零一幺二两三四五六七八九"
_DIGIT_TABLE = str.maketrans(_CN_NUMERALS + "０１２３４５６７８９", "0011223456789" + "0123456789")

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
_SEP = rf"(?:{_SPACE}?[-‐‑–—,，]{_SPACE}?|{_SPACE})"  # between digit groups
_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*(?:[Xx](?![A-Za-z0-9]))?", re.ASCII)
# '*' in the local part: a masked e-mail (z***@example.com) is still found as one.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+@*-])[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)[-_]?\d+(?:[-_]\d+)*[Xx]?", re.ASCII)
_TIME = re.compile(r"(?<!\d)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?!\d)", re.ASCII)
_DASH = "-‐‑–—"
_DATE = re.compile(rf"(?<!\d)(?<!\d[{_DASH}])(?:19|20)\d{{2}}-\d{{1,2}}-\d{{1,2}}(?!\d)(?![{_DASH}]\d)", re.A)
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,4})?(?!\d)", re.ASCII)
_GLUED_BEFORE = re.compile(rf"\d{_SEP}$", re.ASCII)
_GLUED_AFTER = re.compile(rf"{_SEP}\d", re.ASCII)
_WRITTEN_DIGIT = re.compile("[0-9０-９]")  # a digit, but not a Chinese numeral (一直)
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥$]|rmb|人民币)[ \u3000]?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"[ \u3000]?(?:元|块|圆|万|亿|rmb|cny|yuan)", re.IGNORECASE)
_UNIT_AFTER = re.compile(r"[ \u3000]?[年月日号元块圆万亿次个天点分秒岁%％笔期位]")
_SERVICE_NUMBER = re.compile(r"95\d{3}|123\d{2}", re.ASCII)  # 95588, 12378: hotlines
_MOBILE_PREFIXED = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})", re.ASCII)
_TERMINATORS = frozenset("。！？!?；;\n@")  # a cue does not reach past these
_GAP_IGNORED = frozenset("0123456789*+ \u3000-‐‑–—,，")  # not counted in a cue's reach
_CHAIN_FILLER = frozenset(" \u3000,，.。、;；:：-—…嗯呃啊额哦")
_CUE_WINDOW = 8  # max counted characters between a cue and the digits it refers to
_CHAIN_GAP = 3  # max filler characters between pieces of one spoken number


def normalize_digits(text: str) -> tuple[str, list[int]]:
    """Map spoken Chinese digits (〇零一二三四五六七八九, 幺 = 1, 两 = 2) and full-width
    ０-９ to ASCII digits, one character for one character.

    Positional numerals (十, 百, 千: amounts such as 一百二十) are left as they are.
    Returns the normalised text and, for each of its indexes, the index in ``text``.
    """
    return text.translate(_DIGIT_TABLE), list(range(len(text)))


@dataclass(frozen=True)
class Finding:
    """A sensitive span; ``start``/``end`` are offsets into the ORIGINAL text."""

    kind: str  # card, mobile, id_number, account, cvv, email, digits
    start: int
    end: int
    text: str


def find_sensitive(text: str) -> list[Finding]:
    """Return the sensitive spans of ``text``, sorted and non-overlapping.

    Any run of 8+ digits (groups may be joined by one space, hyphen or comma) is
    sensitive; checksums and cue words only classify it. A 3-7 digit run is sensitive
    within a few characters after a cue (卡号, 身份证, 手机, 电话, 账号, card, account,
    phone, ID, CVV/安全码/验证码...), and so are further pieces of a number that was
    just found when only filler (，。嗯) separates them.
    """
    norm, index = normalize_digits(text)
    work = list(norm)  # protected or consumed characters are blanked to '#'
    spans: list[tuple[int, int, str]] = []

    def blank(start: int, end: int) -> None:
        work[start:end] = "#" * (end - start)

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
        # groups. Otherwise only the letters are set aside (fail closed).
        blank(*m.span(1))
        digits = m[0][len(m[1]) :]
        if (
            not re.search(r"\d{8}", digits)
            and not _GLUED_AFTER.match(snapshot, m.end())
            and _classify(re.sub(r"[^0-9Xx]", "", digits), None) == "digits"
        ):
            blank(*m.span())
    for pattern in (_TIME, _DATE):
        for m in pattern.finditer("".join(work)):
            blank(*m.span())
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
    last_end, last_kind = 0, None
    for start, end in _runs(joined, text):
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
    return [Finding(kind, index[s], index[e - 1] + 1, text[index[s] : index[e - 1] + 1]) for s, e, kind in spans]


def _is_amount(work: str, m: re.Match[str]) -> bool:
    """1,200.50 / 3.5 / ¥12000 / 12000元: an amount (up to 10 integer digits), unless it is
    one group of a longer separated run (6222 0212 3456 7890元)."""
    if _GLUED_BEFORE.search(work, max(0, m.start() - 4), m.start()) or _GLUED_AFTER.match(work, m.end()):
        return False
    whole, decimals = m.group(1), m.group(2)
    currency = bool(
        _CURRENCY_BEFORE.search(work, max(0, m.start() - 4), m.start()) or _CURRENCY_AFTER.match(work, m.end())
    )
    digits = whole.replace(",", "")
    return len(digits) <= 10 and ("," in whole or bool(decimals) or currency)


def _runs(work: str, text: str):
    """Yield (start, end) of digit runs, trimmed of a stray X and of a lone Chinese
    numeral glued to ASCII digits (6222…7890一直 → 一 is a word, not a digit)."""
    for m in _RUN.finditer(work):
        start, end = m.span()
        if work[end - 1] in "Xx" and sum(c.isdigit() for c in work[start:end]) != 17:
            end -= 1
        if end - start > 1 and _lone_numeral(text, work, start, start + 1):
            start += 1
        if end - start > 1 and _lone_numeral(text, work, end - 1, end - 2):
            end -= 1
        yield start, end


def _lone_numeral(text: str, work: str, i: int, neighbour: int) -> bool:
    """text[i] is a Chinese numeral directly beside a written (non-Chinese) digit."""
    return text[i] in _CN_NUMERALS and text[neighbour] not in _CN_NUMERALS and work[neighbour].isdigit()


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
    are kept. Idempotent. Masks (ASCII, replacing the whole span):
    card 622202******7890 (under 13 digits: ********7890); mobile 138****5678 (+86 kept);
    id_number 1****************X; account ****7890; cvv ***; email a***@example.com;
    digits: all '*', the last 4 kept only for runs of 12+; fragments under 8 digits: all '*'.
    An edge of a span that touches other digits (directly, or through a separator: a date
    or reference left beside it) shows no digits, so kept digits never join into a longer run.
    """
    norm = normalize_digits(text)[0]
    out, pos = [], 0
    for f in find_sensitive(text):
        masked = _mask(f.kind, normalize_digits(f.text)[0])
        if f.kind != "email" and (
            _GLUED_BEFORE.search(norm, max(0, f.start - 4), f.start)
            or _WRITTEN_DIGIT.match(text[f.start - 1 : f.start])
        ):
            masked = re.sub(r"^[0-9X]+", lambda m: "*" * len(m[0]), masked)
        if f.kind != "email" and (_GLUED_AFTER.match(norm, f.end) or _WRITTEN_DIGIT.match(text, f.end)):
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


def _mask_card_digits(digits: str) -> str:
    if len(digits) < 13:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


# --- identifiers of customer records ----------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_FORMAT = re.compile(r"\d{17}[\dX]", re.ASCII)


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (ASCII digits only, 2+) passes the Luhn (mod 10) check."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _id_problem(value: str) -> str | None:
    """Why an 18-character resident ID number (GB 11643-1999) is invalid, or None."""
    if not _ID_FORMAT.fullmatch(value):
        return "身份证号码格式不正确 / Invalid ID number format"
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return "身份证号码校验位错误 / ID number checksum mismatch"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= date.today():
        return "身份证号码出生日期无效 / Invalid birth date in ID number"
    return None


def id_number_valid(s: str) -> bool:
    """True for an 18-char ID (17 digits + digit/X, x accepted) with a valid GB 11643
    check character and a plausible birth date (1900-01-01 .. today)."""
    return _id_problem(s.upper()) is None


def _compact(s: str) -> str:
    """NFKC (full-width → ASCII), Chinese digits as ASCII, no spaces, dashes, brackets."""
    return re.sub(r"[\s\-‐‑–—()]", "", normalize_digits(unicodedata.normalize("NFKC", s))[0])


def normalize_mobile(s: str) -> str:
    """Mainland mobile 1[3-9] + 9 digits; strips +86/0086, spaces and dashes."""
    m = _MOBILE_PREFIXED.fullmatch(_compact(s))
    if not m:
        raise ValueError("手机号码格式不正确 / Invalid mobile number")
    return m.group(1)


def normalize_id_number(s: str) -> str:
    """18-char resident ID, check character as upper-case X; raises ValueError."""
    value = _compact(s).upper()
    problem = _id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def normalize_card(s: str) -> str:
    """Card number as 12-19 ASCII digits (spaces/dashes removed); raises ValueError."""
    value = _compact(s)
    if not re.fullmatch(r"\d{12,19}", value, re.ASCII):
        raise ValueError("银行卡号格式不正确 / Invalid card number")
    return value


def mask_mobile(s: str) -> str:
    """13812345678 → 138****5678."""
    value = normalize_mobile(s)
    return value[:3] + "****" + value[-4:]


def mask_id_number(s: str) -> str:
    """110101199003071234 → 1****************4 (first 1, last 1)."""
    value = normalize_id_number(s)
    return value[0] + "*" * 16 + value[-1]


def mask_card(s: str) -> str:
    """6222021234567890 → 622202******7890 (at most first 6 + last 4; under 13 digits
    only the last 4)."""
    return _mask_card_digits(normalize_card(s))


def card_first6_last4(s: str) -> tuple[str, str]:
    """(first 6, last 4) for storage; first 6 is '' for cards under 13 digits, so no
    more than 4 of their digits are kept."""
    value = normalize_card(s)
    return (value[:6] if len(value) >= 13 else "", value[-4:])


def keyed_hash(value: str, key: bytes | str) -> str:
    """HMAC-SHA256 (hex) of the normalised value, for exact lookup without storing it.

    Normalisation: digits as ASCII, spaces/dashes removed, upper case, +86/0086 removed
    from mobile numbers, so every accepted spelling of one number gives one hash."""
    if isinstance(key, str):
        key = key.encode()
    if not key:
        raise ValueError("密钥不能为空 / Hash key must not be empty")
    canonical = _compact(value).upper()
    mobile = _MOBILE_PREFIXED.fullmatch(canonical)
    if mobile:
        canonical = mobile.group(1)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
