"""Suspected-complaint cues and A/B/C code hints over transcript text (pure)."""

from __future__ import annotations

from complaints.taxonomy_data import TAXONOMY
from recordings.code_hints import suggest
from recordings.complaint_cues import is_suspected, scan


class Row:
    """A taxonomy row like taxonomy_selectors.CodeRow, built from the pure data."""

    def __init__(self, spec, leaves):
        self.code, self.axis, self.parent = spec.code, spec.axis, spec.parent
        self.name_zh, self.name_en = spec.name_zh, spec.name_en
        self.keywords_zh, self.keywords_en = spec.keywords_zh, spec.keywords_en
        self.is_active, self.is_leaf = True, spec.code in leaves


def rows():
    parents = {s.parent for s in TAXONOMY if s.parent}
    leaves = {s.code for s in TAXONOMY if s.code not in parents}
    return [Row(s, leaves) for s in TAXONOMY]


def test_complaint_call_is_suspected_with_reasons():
    score, hits = scan([(0.0, "你好，我要投诉，你们乱收费"), (5.0, "不退款我就打12378")])
    assert is_suspected(score)
    assert {h.rule for h in hits} == {"complain", "fee", "refund", "regulator"}
    regulator = next(h for h in hits if h.rule == "regulator")
    assert regulator.phrase == "12378" and regulator.segment == 1 and regulator.start_s == 5.0
    assert regulator.reason_zh


def test_ordinary_enquiry_is_not_suspected():
    score, hits = scan([(0.0, "你好，我想查询一下信用卡账单日是哪天"), (3.0, "好的谢谢")])
    assert not is_suspected(score)
    assert hits == []


def test_english_complaint_cues():
    score, hits = scan([(0.0, "I want to complain, this is an unacceptable hidden fee, refund it")])
    assert is_suspected(score)
    assert {"complain", "unhappy", "fee", "refund"} <= {h.rule for h in hits}


def test_code_hints_name_the_words_behind_each_suggestion():
    out = suggest("客户说信用卡年费没开卡就被扣了，要求退还年费", rows())
    b = out["B"]
    assert b and b[0]["code"] == "B030202"
    assert "年费" in b[0]["words"]
    assert all(s["words"] for axis in out.values() for s in axis)


def test_code_hints_empty_text_suggests_nothing():
    assert suggest("", rows()) == {"A": [], "B": [], "C": []}
