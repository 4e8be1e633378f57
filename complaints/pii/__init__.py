"""Find and mask personal data in complaint text, call transcripts and identifiers.

Rules (design: DOMAIN.md "Privacy", SPEECH.md):

- Digits are read however they are written before detection: Chinese numerals (一二三,
  幺 = 1, 两 = 2, and the radio forms 洞 = 0, 拐 = 7, 勾 = 9), full-width ０-９ and
  separators, and English number words ("one three eight", "oh" for zero next to other
  number words, "double eight" = 88, "triple oh" = 000). :func:`normalize_numbers` keeps,
  for every normalised character, its span in the ORIGINAL text, so every finding is a
  span of the original text (the audio redactor maps those spans to word timestamps) and
  a mask replaces the whole span: no number word or digit of it is left behind.
- Digit groups are joined by one space, hyphen, comma, 、, slash, middle dot (·), underscore
  or a dot written without spaces (6222.0287.6543.2109). A clause comma (，、 or ", ")
  does not join when the group after it reads as an amount (200元) and the digits before
  it are complete on their own (a mobile number, an ID or card number passing its checksum, or a case
  reference such as VOC-2026-0001234):
  "VOC-2026-0001234，200元已退" keeps reading as a case and an amount.
- Whisper drops and rewrites digits, so checksums (Luhn, GB 11643) only CLASSIFY a run;
  they never decide whether it is masked. Every run of 8+ digits is masked, and so is a
  3-7 digit run shortly after a cue word (卡号, 安全码, 手机, card, CVV, ...).
- Cards show at most the first 6 and last 4 digits; CVV and short fragments keep nothing.
- Dates (2026-11-25, 2026.11.25, 2026/11/25), times (12:25), amounts (1,200.50元) and
  letter-prefixed references (VOC-2026-0001234) are not identifiers and are left alone.

The package: ``numbers`` reads digits however they are written, ``text`` finds and masks them in
free text, ``identifiers`` validates, normalises, masks and hashes a customer's own numbers.
Every public name is importable from ``complaints.pii`` as before the split.
"""

from __future__ import annotations

from .identifiers import (
    card_first6_last4,
    id_number_valid,
    keyed_hash,
    luhn_valid,
    mask_card,
    mask_id_number,
    mask_mobile,
    normalize_card,
    normalize_id_number,
    normalize_mobile,
)
from .numbers import normalize_digits, normalize_numbers
from .text import Finding, find_sensitive, mask_text

__all__ = [
    "Finding",
    "card_first6_last4",
    "find_sensitive",
    "id_number_valid",
    "keyed_hash",
    "luhn_valid",
    "mask_card",
    "mask_id_number",
    "mask_mobile",
    "mask_text",
    "normalize_card",
    "normalize_digits",
    "normalize_id_number",
    "normalize_mobile",
    "normalize_numbers",
]
