"""Behaviour of complaints.pii: finding and masking personal data (no Django needed).

Privacy rules (DOMAIN.md): cards show at most first 6 + last 4 digits, CVV is never kept,
phones are shown as 138****5678, and spoken Chinese digits count as digits. Whisper drops
digits (SPEECH.md), so masking never depends on a checksum.
"""

import hashlib
import hmac
from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from complaints.pii import (
    Finding,
    card_first6_last4,
    find_sensitive,
    id_number_valid,
    keyed_hash,
    luhn_valid,
    mask_card,
    mask_id_number,
    mask_mobile,
    mask_text,
    normalize_card,
    normalize_digits,
    normalize_id_number,
    normalize_mobile,
    normalize_numbers,
)
from tests.complaints.pii_reference import (
    CARD,
    ID,
    ID_X,
    id_check_char,
    longest_digit_run,
)

# --- normalize_digits --------------------------------------------------------------


def test_normalize_digits_reads_spoken_and_full_width_digits_char_by_char():
    assert normalize_digits("幺三八〇两") == ("13802", [0, 1, 2, 3, 4])
    assert normalize_digits("零一二三四五六七八九") == ("0123456789", list(range(10)))
    assert normalize_digits("卡号６２２２") == ("卡号6222", [0, 1, 2, 3, 4, 5])


def test_normalize_digits_leaves_positional_numerals_alone():
    assert normalize_digits("一百二十元")[0] == "1百2十元"
    assert normalize_digits("三千五百万")[0] == "3千5百万"


@given(st.text())
def test_normalize_digits_maps_every_index_back_to_the_original(text):
    normalized, mapping = normalize_digits(text)
    assert len(normalized) == len(text) == len(mapping)
    assert mapping == list(range(len(text)))
    for original, new in zip(text, normalized, strict=True):
        assert new == original or (new.isascii() and new.isdigit())


# --- mask_text: exact outputs ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # cards: first 6 + last 4, whatever the spelling
        ("我的卡号是6222021234567890", "我的卡号是622202******7890"),  # not Luhn-valid: the cue decides
        (f"请核实{CARD}的交易", "请核实622202******7894的交易"),  # Luhn-valid, no cue
        ("6222 0212 3456 7894", "622202******7894"),
        ("卡号：6222-0212-3456-7894，谢谢", "卡号：622202******7894，谢谢"),
        ("卡号六二二二零二一二三四五六七八九四", "卡号622202******7894"),
        ("卡号 六二二二 〇二幺二 三四五六 七八九四 谢谢", "卡号 622202******7894 谢谢"),
        ("嗯卡号是六二二二，零二一二，三四五六，七八九四。", "嗯卡号是622202******7894。"),
        ("卡号６２２２０２１２３４５６７８９４", "卡号622202******7894"),
        ("卡号6222021234567894一直没到账", "卡号622202******7894一直没到账"),  # 一直 is a word
        ("4111111111111111", "411111******1111"),
        ("6217000000000000004", "621700*********0004"),  # 19 digits: still only 6 + 4 visible
        ("信用卡 622202123456", "信用卡 ********3456"),  # 12 digits after a cue: last 4 only
        # Whisper dropped a digit: no longer Luhn-valid, still masked
        ("卡号是六二二二零二一二三四五六七八九", "卡号是622202*****6789"),
        ("号码是六二二二零二一二三四五六七八九", "号码是***********6789"),
        # a card read out in pieces, each piece masked
        ("卡号是六二二二。零二一二。三四五六。七八九四。", "卡号是****。****。****。****。"),
        ("卡号六二二二，嗯，零二一二", "卡号****，嗯，****"),
        # mobiles
        ("手机13812345678", "手机138****5678"),
        ("电话：+86 138 1234 5678", "电话：+86 138****5678"),
        ("tel 0086-13812345678", "tel 0086-138****5678"),
        ("回电138-1234-5678即可", "回电138****5678即可"),
        ("联系我幺三八幺二三四五六七八", "联系我138****5678"),
        ("号码幺五两零零零零幺幺幺幺", "号码152****1111"),
        # resident ID numbers: first 1 + 16 stars + last 1
        (f"身份证号{ID}", "身份证号1****************3"),
        ("身份证11010519491231002x", "身份证1****************X"),
        ("110101 19900307 1233", "1****************3"),
        ("身份证110101900307123", "身份证1*************3"),  # 15 digits after the cue
        # accounts: stars + last 4
        ("账号12345678901", "账号*******8901"),
        ("账号622202-1234", "账号******1234"),
        # CVV and codes: nothing kept
        ("安全码是一二三", "安全码是***"),
        ("CVV2 123", "CVV2 ***"),
        ("cvv: 1234", "cvv: ***"),
        ("卡片背面三位是456", "卡片背面三位是***"),
        ("验证码886655", "验证码***"),
        # short runs after other cues
        ("手机号是138", "手机号是***"),
        ("身份证后几位是123456", "身份证后几位是******"),
        # e-mail
        ("邮箱zhang.san@example.com", "邮箱z***@example.com"),
        ("QQ邮箱123456789@qq.com", "QQ邮箱1***@qq.com"),
        ("a@12345678.cn", "a***@********.cn"),
        # other long runs: all stars, last 4 kept from 12 digits on
        ("流水号12345678", "流水号********"),
        ("流水号123456789012", "流水号********9012"),
        ("2026-0001234", "***********"),  # no letter prefix: an 11-digit run, masked
        # references never swallow a following number
        ("编号VOC-2026-0001234，手机13812345678", "编号VOC-2026-0001234，手机138****5678"),
        # a reference running on into more digit groups is masked with them (fail closed)
        ("VOC-2026-0001234 13812345678", "VOC-******************5678"),
        ("Tel-138-1234-5678", "Tel-138****5678"),  # a cue word is not a reference prefix
        ("abc-1381234-5678", "abc-138****5678"),  # the groups read as a mobile
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked
    assert mask_text(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "交易金额1,200.50元",
        "分期金额￥12,345,678.00",
        "转账12000000元",
        "利率3.85",
        "2026-11-25",
        "于2026-11-25 12:25在柜台办理",
        "通话时长12:25",
        "2026年11月25日",
        "投诉编号VOC-2026-0001234已受理",
        "编号voc-2026-0001234",
        "一百二十元",
        "等了两个月，打了三次电话",
        "办卡后等了3个月",
        "手机银行转账5000元",
        "手机丢了。12345",  # the cue does not reach into the next sentence
        "客服电话95588一直占线",
        "电话12378投诉",
        "尾号7894的信用卡被盗刷",
        "卡号后四位是7894",
        "张先生您好，请问还有什么可以帮您？",
    ],
)
def test_mask_text_leaves_non_identifiers_alone(text):
    assert find_sensitive(text) == []
    assert mask_text(text) == text


def test_year_and_reference_are_never_read_as_a_mobile():
    assert find_sensitive("VOC-2026-0001234") == []
    assert [f.kind for f in find_sensitive("2026-0001234")] == ["digits"]
    assert [f.kind for f in find_sensitive("编号2026-1381234")] == ["digits"]


def test_a_date_beside_a_card_stays_a_date_and_no_kept_digits_touch_it():
    assert mask_text(f"{CARD} 2026-11-25被盗刷") == "622202********** 2026-11-25被盗刷"
    assert mask_text(f"{CARD}，2026-11-25被盗刷") == "622202**********，2026-11-25被盗刷"
    assert mask_text(f"{CARD}于2026-11-25被盗刷") == "622202******7894于2026-11-25被盗刷"
    assert mask_text("日期2026-11-25，13812345678") == "日期2026-11-25，*******5678"


def test_groups_of_a_number_are_not_taken_for_an_amount():
    assert mask_text("138,123,456,78元") == "138****5678元"
    assert mask_text("6222 0212 3456 7894元") == "622202******7894元"


def test_letter_prefixed_run_of_8_or_more_digits_is_still_masked():
    assert mask_text("TXN20261125000123") == "TXN**********0123"
    assert mask_text("ABC-2026-12345678") == "ABC-********5678"  # the groups are masked together
    assert mask_text(f"card{CARD}") == "card622202******7894"


# --- numbers written out in words, odd groupings ---------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # English number words: the whole spelled-out span is replaced
        ("My number is one three eight one two three four five six seven eight, thanks",
         "My number is 138****5678, thanks"),
        ("one three nine eight one two three four five six seven eight", "********5678"),
        ("Card six two two two oh two one two three four five six seven eight nine four.",
         "Card 622202******7894."),
        ("call me on one three eight, one two three four, five six seven eight", "call me on 138****5678"),
        ("ONE THREE EIGHT one two three four five six seven eight", "138****5678"),
        ("one three double eight one two three four triple five", "138****4555"),  # 13881234555
        ("six two two two zero two one two three four five six seven eight nine four", "622202******7894"),
        ("one one zero one zero one one nine nine oh oh three oh seven one two three X", "1****************X"),
        ("card six two two two, oh, oh two one two three four five six seven eight nine four",
         "card 622200*******7894"),  # "oh" between number words across a comma is a zero
        ("1234567 oh", "********"),  # ... and after digits; the run reaches 8 digits
        ("1234567 eight", "********"),
        ("13812345678 one more thing", "138******** one more thing"),  # a lone word after 8+ digits
        ("phone one two three", "phone ***"),  # a cue makes a short run sensitive, as with digits
        ("安全码 one two three", "安全码 ***"),
        # Chinese numerals, radio forms included (洞 = 0, 拐 = 7, 勾 = 9)
        ("幺三九八一二三四五六七八", "********5678"),
        ("手机幺三八洞洞两三四五拐八", "手机138****4578"),
        ("卡号六二二二洞二幺二三四五六拐八勾四", "卡号622202******7894"),
        # mixed spellings in one number
        ("139 八一二三 4567", "139****4567"),
        ("手机幺三八 one two three four 5678", "手机138****5678"),
        ("1 3 8 one two three four 五六七八", "138****5678"),
        # odd groupings and full-width forms
        ("6222.0212.3456.7894", "622202******7894"),
        ("6222/0212/3456/7894", "622202******7894"),
        ("6222 / 0212 / 3456 / 7894", "622202******7894"),
        ("6222·0212·3456·7894", "622202******7894"),
        ("6222_0212_3456_7894", "622202******7894"),
        ("6222、0212、3456、7894", "622202******7894"),
        ("６２２２－０２１２－３４５６－７８９４", "622202******7894"),
        ("６２２２．０２１２．３４５６．７８９４", "622202******7894"),
        ("6222 02123 4567 894", "622202******7894"),
        ("138．1234．5678", "138****5678"),
        ("手机 138/1234/5678。", "手机 138****5678。"),
    ],
)  # fmt: skip
def test_numbers_in_words_and_odd_groupings_are_masked_whole(text, masked):
    assert mask_text(text) == masked
    assert mask_text(masked) == masked
    assert longest_digit_run(masked) < 8


@pytest.mark.parametrize(
    "text",
    [
        "Oh, I see. I called two or three times.",
        "someone phoned about one fee",
        "one oh one",  # three digits, no cue
        "double check the double charge",
        "I have one card and two accounts",
        "Room one oh one, floor two",
        "于2026.11.25办理，2026/11/25到账，25/11/2026补登",
        "Oh, 13 people called",  # a lone "Oh" before digits is an interjection
        "利率3.85%，金额1,200.50元",
        "版本6.3.1",
        "共500.00. 6222",  # a dot followed by a space ends a sentence
        "系统漏洞导致重复扣费",  # 洞 alone is a word
        "拐弯处的网点",
    ],
)
def test_words_dates_and_decimals_that_are_not_identifiers_stay(text):
    assert find_sensitive(text) == []
    assert mask_text(text) == text


def test_a_date_needs_a_real_month_and_day():
    assert mask_text("2026.13.45") == "********"
    assert mask_text("2026.13.25") == "********"
    assert mask_text("2026-11-25 与 2026/02/30") == "2026-11-25 与 2026/02/30"  # day 30 is in range


def test_a_spelled_out_number_is_found_as_a_span_of_the_original_words():
    text = "Hi, my phone is one three eight, one two three four, five six seven eight. Thanks"
    start = text.index("one three")
    end = text.index(". Thanks")
    assert find_sensitive(text) == [Finding("mobile", start, end, text[start:end])]
    text = "卡号 six two two two 洞二幺二 3456 double seven eight nine four"
    (finding,) = find_sensitive(text)
    assert (finding.kind, finding.text) == ("card", text[3:])
    assert mask_text(text) == "卡号 622202*******7894"


def test_normalize_numbers_reads_words_and_keeps_their_spans():
    norm, spans = normalize_numbers("tel one three, double eight")
    assert norm == "tel 13, 88"
    assert spans[4:6] == [(4, 7), (8, 13)]
    assert spans[8:] == [(15, 27), (15, 27)]  # both digits of "double eight"
    assert normalize_numbers("６洞") == ("60", [(0, 1), (1, 2)])


def test_an_amount_after_a_clause_comma_is_not_joined_to_a_case_or_a_number():
    # the false positive reported: "VOC-**********4200元已退" read like 4200 yuan
    assert mask_text("VOC-2026-0001234，200元已退") == "VOC-2026-0001234，200元已退"
    assert mask_text("投诉VOC-2026-0001234, 200 yuan refunded") == "投诉VOC-2026-0001234, 200 yuan refunded"
    assert mask_text("JG-2026-0042，1,200.50元") == "JG-2026-0042，1,200.50元"
    assert mask_text("VOC-2026-0001234，13812345678") == "VOC-2026-0001234，138****5678"
    assert mask_text("13812345678，200元已退") == "138****5678，200元已退"
    assert mask_text(f"{CARD}，200元") == "622202******7894，200元"
    # a card or ID read out in comma groups is still one number, 元 or not
    assert mask_text("卡号6222，0212，3456，7894") == "卡号622202******7894"
    assert mask_text("6222，0212，3456，7894元") == "622202******7894元"
    assert mask_text("110101，19900307，1233元") == "1****************3元"
    assert mask_text("138，1234，5678元") == "138****5678元"
    # thousands groups are not a clause comma; digits that are not a whole identifier
    # stay joined (fail closed)
    assert mask_text("138,123,456,78元") == "138****5678元"
    assert mask_text("2026-0001234，200元") == "**********4200元"


# --- find_sensitive ----------------------------------------------------------------


def test_findings_are_spans_of_the_original_text():
    text = "我叫张三，卡号六二二二 零二一二 三四五六 七八九四，手机+86 13812345678"
    assert find_sensitive(text) == [
        Finding("card", 7, 26, "六二二二 零二一二 三四五六 七八九四"),
        Finding("mobile", 29, 44, "+86 13812345678"),
    ]


def test_findings_classify_by_checksum_and_cue():
    def kinds(text):
        return [f.kind for f in find_sensitive(text)]

    assert kinds(CARD) == ["card"]
    assert kinds(ID) == ["id_number"]
    assert kinds("11010119900307123X") == ["id_number"]  # any 17 digits + X
    assert kinds("13812345678") == ["mobile"]
    assert kinds("12812345678") == ["digits"]
    assert kinds("6222021234567890") == ["digits"]  # Luhn fails, no cue: still masked
    assert kinds("账户 6222021234567890") == ["account"]
    assert kinds("安全码 123，邮箱a@b.cn") == ["cvv", "email"]


# --- identifier helpers ------------------------------------------------------------


def test_luhn_valid():
    assert luhn_valid(CARD)
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("")
    assert not luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("１２")


def test_id_number_valid_checks_checksum_and_birth_date():
    assert id_number_valid(ID)
    assert id_number_valid(ID_X)
    assert id_number_valid(ID_X.lower())
    assert not id_number_valid(ID[:-1] + "4")  # wrong check digit
    assert not id_number_valid("440524188001010014")  # checksum ok, born 1880
    first17 = "31010419000229123"  # 1900-02-29 does not exist
    assert not id_number_valid(first17 + id_check_char(first17))
    future = "110101" + f"{date.today().year + 1}0101" + "123"
    assert not id_number_valid(future + id_check_char(future))
    assert not id_number_valid(ID[:-1])
    assert not id_number_valid("11010119900307123Y")


def test_normalize_mobile():
    assert normalize_mobile("13812345678") == "13812345678"
    assert normalize_mobile("+86 138-1234-5678") == "13812345678"
    assert normalize_mobile("0086 13812345678") == "13812345678"
    assert normalize_mobile("１３８１２３４５６７８") == "13812345678"
    for bad in ["12812345678", "1381234567", "138123456789", "138abcd5678", ""]:
        with pytest.raises(ValueError, match="^手机号码格式不正确$"):
            normalize_mobile(bad)


def test_normalize_id_number():
    assert normalize_id_number(ID_X.lower()) == ID_X
    assert normalize_id_number(" 110105 19491231 002ｘ ") == ID_X
    with pytest.raises(ValueError, match="^身份证号码格式不正确$"):
        normalize_id_number("1101011990030712")
    with pytest.raises(ValueError, match="^身份证号码校验位错误$"):
        normalize_id_number(ID[:-1] + "4")
    with pytest.raises(ValueError, match="^身份证号码出生日期无效$"):
        normalize_id_number("440524188001010014")


def test_number_errors_follow_the_ui_language():
    """The same rejection reads in English only under the English UI (no mixed-language text)."""
    with translation.override("en"):
        with pytest.raises(ValueError, match="^Invalid mobile number$"):
            normalize_mobile("12812345678")
        with pytest.raises(ValueError, match="^ID number checksum mismatch$"):
            normalize_id_number(ID[:-1] + "4")
        with pytest.raises(ValueError, match="^Invalid card number$"):
            normalize_card("62220212345")


def test_normalize_card():
    assert normalize_card("6222 0212-3456 7894") == CARD
    assert normalize_card("622202123456") == "622202123456"
    for bad in ["62220212345", "62220212345678901234", "6222abcd34567894", ""]:
        with pytest.raises(ValueError, match="^银行卡号格式不正确$"):
            normalize_card(bad)


def test_masks_for_storage():
    assert mask_mobile("+86 138 1234 5678") == "138****5678"
    assert mask_id_number(ID) == "1****************3"
    assert mask_id_number(ID_X.lower()) == "1****************X"
    assert mask_card("6222 0212 3456 7894") == "622202******7894"
    assert mask_card("622202123456") == "********3456"
    assert card_first6_last4(CARD) == ("622202", "7894")
    assert card_first6_last4("622202123456") == ("", "3456")  # never 10 of 12 digits
    with pytest.raises(ValueError):
        mask_mobile("12345")


def test_keyed_hash_is_hmac_sha256_of_the_normalised_value():
    expected = hmac.new(b"secret", b"13812345678", hashlib.sha256).hexdigest()
    assert keyed_hash("13812345678", b"secret") == expected
    assert keyed_hash("+86 138-1234-5678", "secret") == expected
    assert keyed_hash(ID_X.lower(), "secret") == keyed_hash(ID_X, "secret")
    assert keyed_hash("6222 0212 3456 7894", "secret") == keyed_hash(CARD, "secret")
    assert keyed_hash("13812345678", "other") != expected
    assert len(expected) == 64
    with pytest.raises(ValueError):
        keyed_hash("13812345678", "")
