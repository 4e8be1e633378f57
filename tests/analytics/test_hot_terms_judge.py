"""Hot topics (issue 16): the fast judgement (``hot_terms.judge``: terms fitted once, a term not
said this week not fitted, phrases judged against the family) decides exactly what the full fit
(``hot_terms.judge_full``) decides, on small generated sets. Pure."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from analytics import hot_terms
from analytics.alerts import model

CURRENT = date(2026, 11, 30)  # a Monday
TOPICS = ["信用卡年费", "贷款利率", "转账没到账", "理财收益", "网点排队", "存款证明", "积分兑换", "分期手续费"]
TAIL = "国我以要他时来用生到作地于出分成可主发年动同工下过子产种面方后多定行学法所民得经之进等部度家电力里如水化高自理起小物现实加量两体制机当使点从业本去性应开合因由其些然前外天政四日社义事平形相全表间样关各重新线内数正心反明看原又利比或但质气第向道命此变条只结解意建月公无系军情者最立代想已通并提直题"


def _calls(seed: int, *, planted: dict[int, int], sustained: bool = False) -> list[tuple[date, set[str]]]:
    """27 weeks of 80-120 calls: two topics each, a random stretch of common characters (a long
    tail of terms, most not said in a given week), 手机银行闪退 said in ``planted[w]`` calls of
    week w before the current one (0 = the current week) and, with ``sustained``, 密码重置失败
    rising over the last three weeks."""
    rng = random.Random(seed)
    out: list[tuple[date, set[str]]] = []
    for w in range(26, -1, -1):
        monday = CURRENT - timedelta(weeks=w)
        for i in range(rng.randint(80, 120)):
            parts = [*rng.sample(TOPICS, 2), "".join(rng.choice(TAIL[:60]) for _ in range(rng.randint(3, 6)))]
            if i < planted.get(w, rng.choice([0, 0, 1])):
                parts.append("手机银行闪退了")
            if sustained and i < (6 if w <= 2 else rng.choice([0, 1, 2])):
                parts.append("密码重置失败")
            out.append((monday + timedelta(days=i % 7), hot_terms.call_terms(parts)))
    return out


CASES = [
    pytest.param(1, {0: 14}, False, id="planted"),
    pytest.param(2, {0: 0}, False, id="nothing-planted"),
    pytest.param(3, {0: 8, 1: 6, 2: 5}, True, id="sustained"),
]


@pytest.mark.parametrize(("seed", "planted", "sustained"), CASES)
def test_the_fast_judgement_decides_as_the_full_fit(seed, planted, sustained):
    weeks = hot_terms.count_weeks(_calls(seed, planted=planted, sustained=sustained))
    family = hot_terms.fit_family(weeks, CURRENT)
    # the shortcut is exercised: many judged terms are not said this week
    assert sum(1 for s in family.series if s.current == 0) > len(family.series) // 4
    fast, full = hot_terms.judge(weeks, CURRENT), hot_terms.judge_full(weeks, CURRENT)
    assert fast.rows == full.rows
    assert (fast.judged, fast.calls, fast.q) == (full.judged, full.calls, full.q)
    if planted[0]:
        assert any(r.term in "手机银行闪退" for r in fast.rows), [r.term for r in fast.rows]


def test_the_sustained_rise_is_found_by_both():
    weeks = hot_terms.count_weeks(_calls(3, planted={0: 8, 1: 6, 2: 5}, sustained=True))
    rows = hot_terms.judge(weeks, CURRENT).rows
    assert any(r.span > 1 for r in rows), rows
    assert rows == hot_terms.judge_full(weeks, CURRENT).rows


def _recount(calls, phrase):
    counts: dict[date, int] = {}
    for day, found in calls:
        if all(t in found for t in ("手机银", "机银行", "行闪退")):
            counts[hot_terms.week_of(day)] = counts.get(hot_terms.week_of(day), 0) + 1
    return {phrase: counts}


def test_phrases_judged_against_the_family_as_by_a_second_full_fit():
    calls = _calls(4, planted={0: 14})
    weeks = hot_terms.count_weeks(calls)
    family = hot_terms.fit_family(weeks, CURRENT)
    phrases = hot_terms.merge_candidates([r.term for r in hot_terms.decide(family).rows])
    assert "手机银行闪退" in phrases
    counts = _recount(calls, "手机银行闪退")
    merged = hot_terms.with_phrases(weeks, counts)
    fast = hot_terms.decide(hot_terms.with_terms(family, merged, list(counts)))
    full = hot_terms.judge_full(merged, CURRENT)
    assert [r.term for r in fast.rows] == [r.term for r in full.rows]
    assert "手机银行闪退" in [r.term for r in fast.rows]
    assert (fast.judged, fast.calls) == (full.judged, full.calls) and fast.judged == len(family.terms) + 1
    for a, b in zip(fast.rows, full.rows, strict=True):
        # the same evidence; q-values may differ in the last digits (alpha pooled without the phrase)
        assert (a.current, a.week_count, a.span, a.history, a.lower, a.upper) == (
            b.current, b.week_count, b.span, b.history, b.lower, b.upper,
        )  # fmt: skip
        assert math.isclose(a.expected, b.expected, abs_tol=0.011) and math.isclose(a.ratio, b.ratio, abs_tol=0.011)
        assert math.isclose(a.q_value, b.q_value, rel_tol=1e-3)


def test_only_terms_said_this_week_and_the_phrases_are_fitted(monkeypatch):
    calls = _calls(1, planted={0: 14})
    weeks = hot_terms.count_weeks(calls)
    fitted: list[int] = []
    real_fit = model._fit
    monkeypatch.setattr(model, "_fit", lambda *a, **kw: fitted.append(1) or real_fit(*a, **kw))
    family = hot_terms.fit_family(weeks, CURRENT)
    said = sum(1 for s in family.series if s.current > 0)
    # one week, then at most the three sustained spans and the best span's interval
    assert 0 < len(fitted) <= said * 5 and said < len(family.series) * 0.75
    fast = len(fitted)
    fitted.clear()
    hot_terms.judge_full(weeks, CURRENT)
    assert len(fitted) - fast >= len(family.series) - said  # the full fit: every judged term
    fitted.clear()
    counts = _recount(calls, "手机银行闪退")
    hot_terms.with_terms(family, hot_terms.with_phrases(weeks, counts), list(counts))
    assert 0 < len(fitted) <= 5  # the phrase only, not the family again
