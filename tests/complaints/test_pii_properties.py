"""Property tests of complaints.pii: generated cards, IDs and mobiles, however written, are masked whole."""

import re
from datetime import date

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from complaints.pii import (
    Finding,
    find_sensitive,
    id_number_valid,
    luhn_valid,
    mask_id_number,
    mask_text,
    normalize_id_number,
    normalize_numbers,
)
from tests.complaints.pii_reference import (
    KINDS,
    SPOKEN,
    WORD,
    WORDS,
    id_check_char,
    longest_digit_run,
    luhn_complete,
    output_runs,
)

# --- properties --------------------------------------------------------------------


@st.composite
def card_numbers(draw):
    prefix = draw(st.sampled_from(["622202", "621700", "4", "51", "35"]))
    length = draw(st.integers(16, 19))
    body = draw(st.text("0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix)))
    return luhn_complete(prefix + body)


@st.composite
def id_numbers(draw):
    region = draw(st.sampled_from(["110101", "310104", "440305", "510107"]))
    born = draw(st.dates(date(1930, 1, 1), date(2010, 12, 31)))
    first17 = region + born.strftime("%Y%m%d") + draw(st.text("0123456789", min_size=3, max_size=3))
    return first17 + id_check_char(first17)


mobile_numbers = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
GROUPINGS = {"card": [4, 4, 4, 4, 4], "id": [6, 8, 4], "mobile": [3, 4, 4]}


@st.composite
def english_words(draw, group: str) -> str:
    """Digits read out in English: 'oh' or 'zero' for 0, 'double'/'triple' for repeats."""
    words, i = [], 0
    while i < len(group):
        if not group[i].isdigit():  # the X of an ID
            words.append(group[i])
            i += 1
            continue
        same = len(group[i:]) - len(group[i:].lstrip(group[i]))
        times = draw(st.sampled_from([n for n in (1, 2, 3) if n <= same]))
        word = draw(st.sampled_from(["zero", "oh", "Oh", "o"])) if group[i] == "0" else WORDS[group[i]]
        words.append({1: "", 2: "double ", 3: "triple "}[times] + word)
        i += times
    return " ".join(words)


@st.composite
def rendered_secrets(draw):
    """(kind, digits, rendering) of a card, ID or mobile as a person or Whisper writes it."""
    kind = draw(st.sampled_from(["card", "id", "mobile"]))
    digits = draw({"card": card_numbers(), "id": id_numbers(), "mobile": mobile_numbers}[kind])
    grouping = draw(st.sampled_from(["none", "standard", "random"]))
    if grouping == "none":
        sizes = [len(digits)]
    elif grouping == "standard":
        sizes = GROUPINGS[kind]
    else:
        sizes = draw(st.lists(st.integers(2, 6), min_size=len(digits) // 2, max_size=len(digits) // 2))
    groups, rest = [], digits
    for size in sizes:
        if rest:
            groups.append(rest[:size])
            rest = rest[size:]
    if rest:
        groups.append(rest)
    if len(groups[-1]) < 2 and len(groups) > 1:  # no one-digit group
        groups[-2:] = [groups[-2] + groups[-1]]
    sep = draw(
        st.sampled_from(["", " ", "-", "，", ", ", " - ", "\u3000", ".", "/", "·", "_", "、", "．", "／", "－", " / "])
    )
    rendered = []
    for group in groups:
        style = draw(st.sampled_from(["ascii", "spoken", "fullwidth", "words"]))
        if style == "spoken":
            group = "".join(draw(st.sampled_from(SPOKEN[c])) if c.isdigit() else c for c in group)
        elif style == "fullwidth":
            group = "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in group)
        elif style == "words":
            group = draw(english_words(group))
        rendered.append(group)
    text = ""
    for group in rendered:  # words never touch letters or other words
        glue = " " if text and (text[-1].isalpha() or group[0].isalpha()) and sep.strip() == "" else sep
        text += (glue if text else "") + group
    if kind == "id" and text.endswith("X"):
        text = text[:-1] + draw(st.sampled_from("Xx"))
    if kind == "mobile":
        text = draw(st.sampled_from(["", "+86 ", "+86-", "+86"])) + text
    return kind, digits, text


FILLER_TOKENS = [
    "我", "的", "客户", "投诉", "银行", "请", "您好", "谢谢", "张先生", "柜台", "被扣费", "吗",
    "卡号", "是", "身份证", "手机", "电话", "安全码", "尾号", "账号", "信用卡", "嗯", "呃",
    "card", "ID", "CVV", "account", "abc", "VOC",
    "，", "。", "：", "；", " ", "、", ".", "元", "年", "个", "¥", "*",
]  # fmt: skip
filler = st.lists(st.sampled_from(FILLER_TOKENS), max_size=5).map("".join)
# Empty joiners let letters touch a secret (card6222…, ID110101…); none is a digit or hyphen.
joiner = st.sampled_from(["", " ", "，", "：", "是", "。", "的"])


@st.composite
def texts_with_secrets(draw):
    """Chinese text with cards, IDs and mobiles embedded (ASCII, spoken, full-width)."""
    secrets = draw(st.lists(rendered_secrets(), min_size=1, max_size=4))
    parts = [draw(filler)]
    for _kind, _digits, text in secrets:  # something always stands between two secrets
        parts += [draw(joiner), text, draw(joiner), draw(filler), draw(st.sampled_from(FILLER_TOKENS))]
    joined = ""
    for part in filter(None, parts):  # a number word never runs into other letters ("onecard")
        joined += (
            " " + part
            if joined and joined[-1].isascii() and joined[-1].isalpha() and part[0].isascii() and part[0].isalpha()
            else part
        )
    return joined, secrets


property_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(texts_with_secrets())
def test_masked_text_keeps_no_8_consecutive_digits(case):
    text, secrets = case
    masked = mask_text(text)
    assert longest_digit_run(masked) < 8, masked
    masked_digits = output_runs(masked)
    for _kind, digits, _rendered in secrets:
        for i in range(len(digits) - 7):
            assert not any(digits[i : i + 8] in run for run in masked_digits)


@property_settings
@given(texts_with_secrets())
def test_mask_text_is_idempotent(case):
    text, _secrets = case
    once = mask_text(text)
    assert mask_text(once) == once


@property_settings
@given(rendered_secrets(), st.sampled_from(["", "。", "我的", "您好，"]), st.sampled_from(["", "。", "谢谢"]))
def test_a_lone_identifier_is_found_whole_and_classified(secret, before, after):
    kind, digits, rendered = secret
    expected = {"card": "card", "id": "id_number", "mobile": "mobile"}[kind]
    if kind == "card" and len(digits) == 18 and id_number_valid(digits):
        expected = "id_number"  # checksum collision: masked either way
    text = before + rendered + after
    assert find_sensitive(text) == [Finding(expected, len(before), len(before) + len(rendered), rendered)]


_ALPHABET = st.sampled_from(
    list("0123456789０９零〇一幺二两三五九十百 -，,.:：元年号@abcxX*+")
    + ["卡号", "安全码", "手机", "尾号", "VOC-", "qq.com"]
    + ["one", "oh", "eight", "double ", "洞", ".", "/", "·", "_", "、", "．", "元", "，"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
@example("卡号6222021234567890，12点")
@example("1****************X-2026")
@example("abc11 01 01 19 47 01 13 79 2X我")
@example("0@qq.com@qq.com")
@example("11010519491231002X0.6222021234567894")
@example("000000000000零+86 13812345678")
def test_findings_are_sorted_disjoint_original_spans_and_masking_is_idempotent(text):
    findings = find_sensitive(text)
    previous_end = 0
    for f in findings:
        assert f.kind in KINDS
        assert previous_end <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text
        previous_end = f.end
    once = mask_text(text)
    assert mask_text(once) == once


@given(st.text(st.characters(exclude_characters="0123456789０１２３４５６７８９零〇洞一幺二两三四五六七拐八九勾@")))
def test_text_without_digits_is_unchanged(text):
    assume(not re.search(WORD, text, re.IGNORECASE))
    assert mask_text(text) == text


@given(
    st.lists(st.sampled_from(["one", "oh", "double", "two", " ", "-", "X", "洞", "６", "，", "a", "7", "Ｏne"])).map(
        "".join
    )
)
def test_normalize_numbers_maps_every_character_to_a_span_of_the_original(text):
    norm, spans = normalize_numbers(text)
    assert len(norm) == len(spans)
    previous = (0, 0)
    for char, (start, end) in zip(norm, spans, strict=True):
        assert 0 <= start < end <= len(text)
        assert previous <= (start, end)  # in reading order
        if end - start > 1:  # a number word ("double eight" gives two digits)
            assert char.isdigit() and re.fullmatch(r"[A-Za-z \-0-9０-９]+", text[start:end])
        previous = (start, end)


@given(card_numbers(), st.data())
def test_luhn_detects_every_single_digit_error(card, data):
    assert luhn_valid(card)
    i = data.draw(st.integers(0, len(card) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != card[i]]))
    assert not luhn_valid(card[:i] + wrong + card[i + 1 :])


@given(id_numbers())
def test_generated_id_numbers_validate_and_normalise(value):
    assert id_number_valid(value)
    assert normalize_id_number(value.lower()) == value
    assert mask_id_number(value) == value[0] + "*" * 16 + value[-1]
