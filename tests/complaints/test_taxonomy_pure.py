"""Pure tests for the classification taxonomy data and helpers (no database; messages via Django's gettext)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.utils import translation

from complaints.taxonomy import (
    CODE_RE,
    TAXONOMY,
    CodeSpec,
    ParsedCode,
    ancestors,
    code_at_level,
    combined_code,
    leaf_codes,
    match_score,
    parse_code,
    search,
    split_combined,
    validate_taxonomy,
)

CODES = [s.code for s in TAXONOMY]
BY_CODE = {s.code: s for s in TAXONOMY}
LEAVES = leaf_codes(TAXONOMY)

# Every code listed in DOMAIN.md "Classification codes".
EXPECTED_CODES = (
    ["A01", "A0101", "A0102", "A0103", "A02", "A0201", "A0202", "A03"]
    + [f"A03{i:02d}" for i in range(1, 6)]
    + ["A04", "A0401", "A0402", "A0403", "A99"]
    + ["B01", "B0101", "B0102", "B0103", "B02", "B0201", "B0202", "B0203", "B0204"]
    + ["B03", "B0301"]
    + [f"B0301{i:02d}" for i in range(1, 6)]
    + ["B0302"]
    + [f"B0302{i:02d}" for i in range(1, 9)]
    + ["B04", "B0401", "B0402", "B0403", "B0404", "B05", "B0501", "B0502", "B0503"]
    + ["B06", "B0601", "B0602", "B0603", "B07", "B0701", "B0702", "B0703", "B0704", "B99"]
    + ["C01", "C0101", "C0102", "C0103", "C02", "C0201", "C0202", "C03", "C04"]
    + ["C05", "C0501", "C0502", "C0503", "C06", "C0601", "C0602"]
    + ["C07", "C08", "C09", "C10", "C99"]
)


def codes(results: list[CodeSpec]) -> list[str]:
    return [s.code for s in results]


# ------------------------------------------------------------------------------------ data


def test_exactly_the_documented_codes_in_order():
    assert len(EXPECTED_CODES) == 83
    assert CODES == EXPECTED_CODES


def test_code_count_per_axis():
    assert Counter(c[0] for c in CODES) == {"A": 18, "B": 44, "C": 21}
    assert Counter(c[0] for c in LEAVES) == {"A": 14, "B": 35, "C": 17}
    assert len(LEAVES) == 66


def test_level_counts():
    assert Counter(BY_CODE[c].level for c in CODES) == {1: 24, 2: 46, 3: 13}


def test_codes_unique_and_all_parse():
    assert len(set(CODES)) == len(CODES)
    for spec in TAXONOMY:
        parsed = parse_code(spec.code)
        assert (parsed.axis, parsed.level, parsed.parent) == (spec.axis, spec.level, spec.parent)


def test_every_parent_exists():
    for spec in TAXONOMY:
        if spec.parent is not None:
            assert spec.parent in BY_CODE, spec.code


def test_validate_taxonomy_clean_and_catches_problems():
    assert validate_taxonomy(TAXONOMY) == []
    bad = [
        CodeSpec("B0303", "x", "x"),  # parent B03 missing from this list
        CodeSpec("A01", "柜面", "Counter"),
        CodeSpec("A01", "柜面2", "Counter 2"),
        CodeSpec("A02", "柜面", "counter"),
        CodeSpec("a03", "y", "y"),
    ]
    with translation.override("en"):
        problems = validate_taxonomy(bad)
    assert any("B0303: parent B03 missing" in p for p in problems)
    assert any("duplicate code A01" in p for p in problems)
    assert any("duplicate zh name" in p for p in problems)
    assert any("duplicate en name" in p for p in problems)
    assert any("Invalid classification code format: 'a03'" in p for p in problems)


def test_leaf_set():
    assert "B030202" in LEAVES
    assert "B0302" not in LEAVES
    assert "B03" not in LEAVES
    for leaf in ("A0101", "A99", "B99", "C03", "C04", "C07", "C08", "C09", "C10", "C99", "B030208", "B030105"):
        assert leaf in LEAVES
    for inner in ("A01", "A02", "A03", "A04", "B01", "B0301", "C01", "C05", "C06"):
        assert inner not in LEAVES
    assert leaf_codes([]) == set()


def test_names_unique_within_parent_and_nonempty():
    seen: set[tuple[str, str]] = set()
    for spec in TAXONOMY:
        assert spec.name_zh.strip() and spec.name_en.strip(), spec.code
        siblings_key = spec.parent or spec.axis
        for name in (spec.name_zh, "en:" + spec.name_en.casefold()):
            assert (siblings_key, name) not in seen, (spec.code, name)
            seen.add((siblings_key, name))


def test_every_leaf_has_useful_keywords():
    for code in LEAVES:
        spec = BY_CODE[code]
        zh = spec.keywords_zh.split()
        en = spec.keywords_en.split()
        assert 2 <= len(zh) <= 6, (code, zh)
        assert 2 <= len(en) <= 8, (code, en)
        assert len(set(zh)) == len(zh) and len(set(en)) == len(en), code


def test_keywords_are_not_already_in_the_name():
    for spec in TAXONOMY:
        for kw in spec.keywords_zh.split():
            assert kw not in spec.name_zh, (spec.code, kw)
        name_words = set(re.findall(r"[0-9a-z]+", spec.name_en.casefold()))
        for kw in spec.keywords_en.split():
            assert kw.casefold() not in name_words, (spec.code, kw)


def test_known_terms():
    assert BY_CODE["A0101"].name_zh == "柜台服务"
    assert BY_CODE["B0302"].name_zh == "信用卡"
    assert (BY_CODE["B030202"].name_zh, BY_CODE["B030202"].name_en) == ("收费及利息", "Fees and interest")
    assert BY_CODE["C0501"].name_zh == "误导销售"
    assert "违约金" in BY_CODE["B030202"].keywords_zh.split()
    assert "暴力催收" in BY_CODE["B030208"].keywords_zh.split()
    assert {"骚扰电话", "营销短信", "推销"} <= set(BY_CODE["C0503"].keywords_zh.split())
    assert {"隐私", "个人信息"} <= set(BY_CODE["B0602"].keywords_zh.split())
    assert {"取款机", "存款机", "吞卡"} <= set(BY_CODE["A0201"].keywords_zh.split())


# ------------------------------------------------------------------------------------ parse


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A01", ParsedCode("A", 1, None)),
        ("A0101", ParsedCode("A", 2, "A01")),
        ("B030202", ParsedCode("B", 3, "B0302")),
        ("C99", ParsedCode("C", 1, None)),
        ("C10", ParsedCode("C", 1, None)),
        ("B9999", ParsedCode("B", 2, "B99")),
    ],
)
def test_parse_code(code, expected):
    assert parse_code(code) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "A",
        "a01",
        "b0302",
        "A1",
        "A011",
        "A0",
        "D01",
        "X0101",
        "A00",
        "A0100",
        "B000202",
        "B03020201",
        " A01",
        "A01 ",
        "A01-B01",
        "Ａ01",  # full-width letter
        "A０1",  # full-width digit
        "A٠١",  # Arabic-Indic digits must not pass as \d
        None,
        101,
    ],
)
def test_parse_code_rejects_bad_format(bad):
    with pytest.raises(ValueError) as exc:
        parse_code(bad)
    assert str(exc.value) == f"分类代码格式不正确：{bad!r}"
    if isinstance(bad, str):
        assert not CODE_RE.fullmatch(bad)


def test_parse_code_message_example():
    with pytest.raises(ValueError, match=r"^分类代码格式不正确：'a01'$"):
        parse_code("a01")


def test_parse_code_message_in_english_ui():
    with translation.override("en"), pytest.raises(ValueError, match=r"^Invalid classification code format: 'a01'$"):
        parse_code("a01")


@pytest.fixture
def english():
    with translation.override("en"):
        yield


# ------------------------------------------------------------------------------------ combined


def test_combined_code_round_trip():
    assert combined_code("A0303", "B030202", "C05") == "A0303-B030202-C05"
    assert split_combined("A0303-B030202-C05") == ("A0303", "B030202", "C05")
    for a, b, c in [("A0101", "B0101", "C0101"), ("A99", "B99", "C99"), ("A0201", "B030105", "C0602")]:
        assert split_combined(combined_code(a, b, c)) == (a, b, c)


@pytest.mark.parametrize(
    ("args", "part", "axis"),
    [
        (("B0101", "B030202", "C05"), 1, "A"),
        (("A0303", "C05", "C05"), 2, "B"),
        (("A0303", "B030202", "A01"), 3, "C"),
    ],
)
def test_combined_code_wrong_axis(args, part, axis, english):
    with pytest.raises(ValueError, match=rf"Part {part} of a combined code must be an axis-{axis} code"):
        combined_code(*args)


def test_combined_code_bad_part_format(english):
    with pytest.raises(ValueError, match="Invalid classification code format: 'a0303'"):
        combined_code("a0303", "B030202", "C05")


@pytest.mark.parametrize(
    "bad",
    ["", "A0303", "A0303-B030202", "A0303-B030202-C05-C01", "A0303_B030202_C05", None],
)
def test_split_combined_wrong_shape(bad, english):
    with pytest.raises(ValueError, match="Invalid combined classification code"):
        split_combined(bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("B030202-A0303-C05", "Part 1 of a combined code must be an axis-A code: 'B030202'"),
        ("A0303-B030202-B05", "Part 3 of a combined code must be an axis-C code: 'B05'"),
        ("A0303-b030202-C05", "Invalid classification code format: 'b030202'"),
        ("A0303-B030202-C05 ", "Invalid classification code format: 'C05 '"),
        ("A0303--C05", "Invalid classification code format: ''"),
    ],
)
def test_split_combined_validates_parts(bad, message, english):
    with pytest.raises(ValueError) as exc:
        split_combined(bad)
    assert message in str(exc.value)


# ------------------------------------------------------------------------------------ tree


def test_combined_code_messages_in_chinese_by_default():
    with pytest.raises(ValueError, match=r"^组合代码第 1 部分应为 A 轴代码：'B0101'$"):
        combined_code("B0101", "B030202", "C05")
    with pytest.raises(ValueError, match=r"^组合分类代码格式不正确：'A0303'（应为 A..-B..-C..）$"):
        split_combined("A0303")


def test_ancestors():
    assert ancestors("B030202") == ["B03", "B0302"]
    assert ancestors("A0101") == ["A01"]
    assert ancestors("C05") == []
    with pytest.raises(ValueError, match="分类代码格式不正确"):
        ancestors("B03020")


def test_code_at_level():
    assert code_at_level("B030202", 1) == "B03"
    assert code_at_level("B030202", 2) == "B0302"
    assert code_at_level("B030202", 3) == "B030202"
    assert code_at_level("C05", 1) == "C05"


@pytest.mark.parametrize(("code", "level"), [("B0302", 3), ("C05", 2), ("B030202", 0), ("B030202", 4), ("A01", -1)])
def test_code_at_level_out_of_range(code, level):
    with pytest.raises(ValueError, match="Level out of range"):
        code_at_level(code, level)


# ------------------------------------------------------------------------------------ search


def test_search_annual_fee_zh():
    assert codes(search("年费", TAXONOMY)) == ["B030202", "B030103"]


def test_search_annual_fee_en():
    assert codes(search("annual fee", TAXONOMY))[0] == "B030202"
    assert codes(search("Annual FEE", TAXONOMY))[0] == "B030202"


def test_search_code_prefix_lists_node_then_children():
    assert codes(search("B0302", TAXONOMY)) == ["B0302"] + [f"B0302{i:02d}" for i in range(1, 9)]
    assert codes(search("b0302", TAXONOMY)) == codes(search("B0302", TAXONOMY))
    got = codes(search("B03", TAXONOMY, limit=100))
    assert got[:3] == ["B03", "B0301", "B0302"]  # shallower codes first
    assert len(got) == 16


def test_search_exact_code_first():
    assert codes(search("C05", TAXONOMY)) == ["C05", "C0501", "C0502", "C0503"]
    assert codes(search("c0601", TAXONOMY)) == ["C0601"]


def test_search_debt_collection():
    assert codes(search("催收", TAXONOMY)) == ["A0403", "B030208", "C07"]
    assert codes(search("暴力催收", TAXONOMY)) == ["B030208", "C07"]
    assert codes(search("催款", TAXONOMY)) == ["B030208"]


def test_search_atm():
    assert codes(search("ATM", TAXONOMY)) == ["A0201", "C0602"]
    assert codes(search("atm", TAXONOMY)) == ["A0201", "C0602"]
    assert codes(search("取款机", TAXONOMY)) == ["A0201"]
    assert codes(search("ATM机", TAXONOMY))[0] == "A0201"


def test_search_leak():
    assert codes(search("泄露", TAXONOMY)) == ["B0602", "C10"]


def test_search_app_crash():
    assert codes(search("app 闪退", TAXONOMY)) == ["C0601"]
    assert codes(search("APP闪退", TAXONOMY))[0] == "C0601"  # typed without a space
    assert codes(search("闪退", TAXONOMY)) == ["C0601"]


def test_search_unwanted_marketing():
    assert codes(search("骚扰电话", TAXONOMY))[0] == "C0503"
    assert codes(search("营销短信", TAXONOMY)) == ["C0503"]
    assert codes(search("推销", TAXONOMY)) == ["B0603", "C0503"]


def test_search_multi_word_needs_every_word():
    assert codes(search("信用卡 年费", TAXONOMY)) == ["B030202"]
    assert codes(search("credit annual fee", TAXONOMY)) == ["B030202"]
    assert codes(search("credit card fee", TAXONOMY)) == ["B030202"]
    assert search("年费 闪退", TAXONOMY) == []


def test_search_run_on_chinese():
    assert codes(search("信用卡年费", TAXONOMY))[0] == "B030202"
    assert codes(search("借记卡盗刷", TAXONOMY))[0] == "B030102"


def test_search_parent_name_lists_its_leaves():
    got = codes(search("信用卡", TAXONOMY))
    assert got == ["B0302"] + [f"B0302{i:02d}" for i in range(1, 9)]
    assert codes(search("信用卡", TAXONOMY, leaves_only=True)) == [f"B0302{i:02d}" for i in range(1, 9)]


def test_search_other_examples():
    assert codes(search("U盾", TAXONOMY)) == ["A0301"]
    assert codes(search("房贷", TAXONOMY)) == ["B0202"]  # substring of the name 个人住房贷款
    assert codes(search("按揭", TAXONOMY)) == ["B0202"]
    assert codes(search("mortgage", TAXONOMY)) == ["B0202"]
    assert codes(search("误导", TAXONOMY)) == ["C0501"]
    assert codes(search("支付宝", TAXONOMY))[:2] == ["A0401", "B0403"]
    assert codes(search("退保", TAXONOMY)) == ["B0703"]
    assert codes(search("ｍｏｒｔｇａｇｅ", TAXONOMY)) == ["B0202"]  # full-width input


def test_search_english_prefix_typeahead():
    assert codes(search("mortg", TAXONOMY)) == ["B0202"]
    assert "B0202" not in codes(search("m", TAXONOMY))  # a lone letter is not a word prefix


def test_search_empty_and_nonsense():
    assert search("", TAXONOMY) == []
    assert search("   ", TAXONOMY) == []
    assert search("zzzz", TAXONOMY) == []
    assert search("D01", TAXONOMY) == []


def test_search_limit_and_order():
    got = search("A", TAXONOMY, limit=5)
    assert codes(got) == ["A01", "A02", "A03", "A04", "A99"]
    assert search("A", TAXONOMY, limit=0) == []
    assert len(search("A", TAXONOMY)) == 18


def test_match_score_ranking():
    b030202 = BY_CODE["B030202"]
    assert match_score("B030202", b030202) > match_score("B0302", b030202) > match_score("收费", b030202)
    assert match_score("收费及利息", b030202) > match_score("收费", b030202) > match_score("年费", b030202)
    assert match_score("年费", b030202) > match_score("annual", b030202) > 0
    assert match_score("nothing", b030202) == 0
    assert match_score("", b030202) == 0
    # A word matching only an ancestor counts, weakly, when the ancestors are given.
    assert match_score("信用卡", b030202) == 0
    context = [BY_CODE["B03"], BY_CODE["B0302"]]
    assert 0 < match_score("信用卡", b030202, context) < match_score("年费", b030202)


def test_search_accepts_any_iterable_of_specs():
    subset = (s for s in TAXONOMY if s.axis == "C")
    assert codes(search("故障", subset)) == ["C06", "C0601", "C0602"]
