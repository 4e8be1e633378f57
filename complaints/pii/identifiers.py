"""A customer's own numbers: mobile, resident ID (GB 11643) and card numbers validated,
normalised, masked for display and keyed-hashed for lookup (rules: ``complaints.pii``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from django.utils.translation import gettext

from .numbers import normalize_digits

_MOBILE_PREFIXED = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})", re.ASCII)
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
    """Why an 18-character resident ID number (GB 11643-1999) is invalid ("format",
    "checksum" or "birth_date"; see _id_problem_message), or None."""
    if not _ID_FORMAT.fullmatch(value):
        return "format"
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return "checksum"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= date.today():
        return "birth_date"
    return None


def _id_problem_message(problem: str) -> str:
    """The staff-facing text for a problem from _id_problem, in the active UI language."""
    if problem == "format":
        return gettext("身份证号码格式不正确")
    if problem == "checksum":
        return gettext("身份证号码校验位错误")
    return gettext("身份证号码出生日期无效")


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
        raise ValueError(gettext("手机号码格式不正确"))
    return m.group(1)


def normalize_id_number(s: str) -> str:
    """18-char resident ID, check character as upper-case X; raises ValueError."""
    value = _compact(s).upper()
    problem = _id_problem(value)
    if problem:
        raise ValueError(_id_problem_message(problem))
    return value


def normalize_card(s: str) -> str:
    """Card number as 12-19 ASCII digits (spaces/dashes removed); raises ValueError."""
    value = _compact(s)
    if not re.fullmatch(r"\d{12,19}", value, re.ASCII):
        raise ValueError(gettext("银行卡号格式不正确"))
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
        raise ValueError("Hash key must not be empty")  # configuration error, not for staff
    canonical = _compact(value).upper()
    mobile = _MOBILE_PREFIXED.fullmatch(canonical)
    if mobile:
        canonical = mobile.group(1)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _mask_card_digits(digits: str) -> str:
    if len(digits) < 13:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
