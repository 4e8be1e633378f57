"""Independent reference implementations and test data for the complaints.pii tests."""

import re

CARD = "6222021234567894"  # Luhn-valid
ID = "110101199003071233"  # valid GB 11643 checksum, born 1990-03-07
ID_X = "11010519491231002X"  # the standard's example, check character X
KINDS = {"card", "mobile", "id_number", "account", "cvv", "email", "digits"}

# Independent reference implementations, used to build test data.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SPOKEN = {
    "0": "零〇洞",
    "1": "一幺",
    "2": "二两",
    "3": "三",
    "4": "四",
    "5": "五",
    "6": "六",
    "7": "七拐",
    "8": "八",
    "9": "九勾",
}
WORDS = dict(
    zip("0123456789", ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], strict=True)
)
_TO_ASCII = str.maketrans(
    "零〇洞一幺二两三四五六七拐八九勾０１２３４５６７８９－．／＿", "0001122345677899" + "0123456789" + "-./_"
)
_WORD_DIGIT = {**{w: d for d, w in WORDS.items()}, "oh": "0", "o": "0"}
WORD = r"(?<![A-Za-z])(?:(double|triple)[ -]?)?(zero|oh|o|one|two|three|four|five|six|seven|eight|nine)(?![A-Za-z])"
_READ_WORDS = re.compile(rf"{WORD}(?:[ \t\u3000]+(?={WORD}))?", re.IGNORECASE)
_OUTPUT_RUN = re.compile(r"\d+(?:(?:[ \u3000]?[-‐‑–—,，、/·・•‧_][ \u3000]?|[ \u3000.])\d+)*", re.ASCII)


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def luhn_complete(partial: str) -> str:
    """Append the digit that makes ``partial`` Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (1 if i % 2 else 2)
        total += d - 9 if d > 9 else d
    return partial + str(-total % 10)


def spoken(digits: str) -> str:
    return "".join(SPOKEN[d][0] for d in digits)


def read_digits(text: str) -> str:
    """The text with every way of writing a digit read as an ASCII digit: an independent,
    greedier reading than the module's (every 'o'/'oh' is a zero; whitespace between
    number words is dropped)."""

    def word(m: re.Match[str]) -> str:
        return _WORD_DIGIT[m[2].lower()] * {"double": 2, "triple": 3}.get((m[1] or "").lower(), 1)

    return _READ_WORDS.sub(word, text.translate(_TO_ASCII))


def output_runs(text: str) -> list[str]:
    return [re.sub(r"\D", "", run) for run in _OUTPUT_RUN.findall(read_digits(text))]


def longest_digit_run(text: str) -> int:
    """Digits in the longest run of the text, reading Chinese/full-width digits and number
    words as digits and letting one space, hyphen, comma, slash, dot... join groups."""
    return max(map(len, output_runs(text)), default=0)
