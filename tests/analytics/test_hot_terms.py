"""Hot topics in call transcripts (issue 16): extraction and the rising judgement, pure."""

from __future__ import annotations

import random
from datetime import date, timedelta

from analytics import hot_terms

CURRENT = date(2026, 11, 30)  # a Monday
BACKGROUND = [
    "我的信用卡账单有问题",
    "我想查询一下贷款利率",
    "转账一直没有到账",
    "理财产品收益太低",
    "网点排队时间太长",
    "存款证明怎么开",
    "I want to check my mortgage balance",
    "the branch queue was too long",
]


def _calls(seed: int, planted_now: int, flat_share: float = 0.5) -> list[tuple[date, set[str]]]:
    """27 weeks of about 60 calls: background topics, a flat common phrase (信用卡年费, about
    half of the calls every week) and a planted phrase (手机银行闪退) said in at most one call a
    week before the current week and in ``planted_now`` calls of it."""
    rng = random.Random(seed)
    out: list[tuple[date, set[str]]] = []
    for w in range(26, -1, -1):
        monday = CURRENT - timedelta(weeks=w)
        n = rng.randint(50, 70)
        planted = planted_now if w == 0 else rng.choice([0, 0, 1])
        for i in range(n):
            parts = rng.sample(BACKGROUND, 2)
            if rng.random() < flat_share:
                parts.append("又收了信用卡年费")
            if i < planted:
                parts.append("手机银行闪退了")
            out.append((monday + timedelta(days=i % 7), hot_terms.call_terms(parts)))
    return out


def test_chinese_ngrams_and_english_words():
    found = hot_terms.terms("手机银行闪退了")
    assert {"手机", "银行", "闪退", "手机银", "银行闪", "行闪退"} <= found
    assert not any(t.endswith("了") for t in found)
    en = hot_terms.terms("The mobile app crashed, and the app crashed again.")
    assert {"mobile", "app", "crashed", "mobile app", "app crashed"} <= en
    assert "the" not in en and "and" not in en
    assert "crashed and" not in en and "again" not in en


def test_masked_pii_never_becomes_a_term():
    text = "卡号是[卡号已隐去]手机****号码 My card is [card number removed] and 6222 0212 ok ＊＊＊"
    found = hot_terms.terms(text)
    for t in found:
        assert "隐去" not in t and "removed" not in t and "*" not in t and "＊" not in t
        assert not any(c.isdigit() for c in t)
    # a mask between two words does not join them
    assert "是手" not in found and "号是手" not in found
    assert "card number" not in found and "removed" not in found


def test_a_call_counts_once_per_term():
    weeks = hot_terms.count_weeks([(CURRENT, hot_terms.call_terms(["年费年费", "又是年费"]))])
    assert weeks[CURRENT].calls == 1 and weeks[CURRENT].terms["年费"] == 1


def test_planted_rising_phrase_flagged_flat_common_term_not():
    for seed in (1, 2, 3):
        result = hot_terms.judge(hot_terms.count_weeks(_calls(seed, planted_now=15)), CURRENT)
        rising = {r.term for r in result.rows}
        assert "闪退" in rising or "银行闪" in rising or "行闪退" in rising, rising
        # the flat phrase is said in half of the calls every week: never rising
        assert not {"年费", "卡年费", "信用卡", "用卡年"} & rising, rising
        assert result.judged > 20
        top = next(r for r in result.rows if "闪退" in r.term)
        assert top.week_count == 15 and top.expected < 3 and top.q_value <= result.q


def test_no_rise_without_the_plant():
    for seed in (4, 5, 6):
        result = hot_terms.judge(hot_terms.count_weeks(_calls(seed, planted_now=0)), CURRENT)
        assert not [r for r in result.rows if "闪退" in r.term or "年费" in r.term], result.rows


def test_short_history_is_not_judged():
    calls = [c for c in _calls(7, planted_now=15) if c[0] >= CURRENT - timedelta(weeks=2)]
    result = hot_terms.judge(hot_terms.count_weeks(calls), CURRENT)
    assert result.rows == () and result.judged == 0


def test_more_calls_overall_is_not_a_rise():
    """Twice the calls this week, the flat phrase in half of them: not rising (exposure = calls)."""
    calls = _calls(8, planted_now=0)
    extra = [(CURRENT, hot_terms.call_terms(["又收了信用卡年费", "转账一直没有到账"])) for _ in range(30)]
    extra += [(CURRENT, hot_terms.call_terms(["理财产品收益太低"])) for _ in range(30)]
    result = hot_terms.judge(hot_terms.count_weeks(calls + extra), CURRENT)
    assert not {"年费", "卡年费", "信用卡"} & {r.term for r in result.rows}


def test_overlapping_pieces_chain_into_their_phrase():
    merged = hot_terms.merge_candidates(["手机银", "机银行", "行闪退", "闪退", "积分", "年费", "ATM"])
    assert list(merged) == ["手机银行闪退"]
    assert set(merged["手机银行闪退"]) == {"手机银", "机银行", "行闪退", "闪退"}
    # a gap in the chain (银行闪 not rising) still joins on the shared character
    assert list(hot_terms.merge_candidates(["手机银", "机银行", "行闪退"])) == ["手机银行闪退"]
    assert hot_terms.merge_candidates(["信用卡", "用卡年", "卡年费"]) == {"信用卡年费": ("信用卡", "卡年费", "用卡年")}


def _with_recount(calls: list[tuple[date, set[str]]], phrase: str, said) -> hot_terms.HotResult:
    weeks = hot_terms.count_weeks(calls)
    first = hot_terms.judge(weeks, CURRENT)
    phrases = hot_terms.merge_candidates([r.term for r in first.rows])
    assert phrase in phrases, [r.term for r in first.rows]
    counts = {p: {} for p in phrases}
    for day, found in calls:
        if said(found):
            monday = hot_terms.week_of(day)
            counts[phrase][monday] = counts[phrase].get(monday, 0) + 1
    return hot_terms.judge(hot_terms.with_phrases(weeks, counts), CURRENT)


def test_a_planted_phrase_shows_once_with_its_recounted_calls():
    calls = _calls(seed=4, planted_now=12)
    result = _with_recount(calls, "手机银行闪退", lambda found: "行闪退" in found and "手机银" in found)
    shown = [r.term for r in result.rows]
    assert "手机银行闪退" in shown and not any(t != "手机银行闪退" and t in "手机银行闪退" for t in shown), shown
    row = next(r for r in result.rows if r.term == "手机银行闪退")
    assert row.week_count == 12


def test_pieces_said_apart_are_not_shown_as_a_phrase():
    """Two rising pieces that chain, but the recount finds the joined phrase in few calls: the
    pieces stay, the phrase is not invented."""
    rng = random.Random(5)
    calls = []
    for w in range(26, -1, -1):
        monday = CURRENT - timedelta(weeks=w)
        for i in range(60):
            parts = rng.sample(BACKGROUND, 2)
            if w == 0 and i < 12:
                parts.append("手机银行")  # 手机银 / 机银行 rising
            if w == 0 and 20 <= i < 32:
                parts.append("银行闪退")  # 银行闪 / 行闪退 rising, in other calls
            calls.append((monday + timedelta(days=i % 7), hot_terms.call_terms(parts)))
    result = _with_recount(calls, "手机银行闪退", lambda found: False)
    shown = [r.term for r in result.rows]
    assert "手机银行闪退" not in shown and "行闪退" in shown and "手机银" in shown, shown
