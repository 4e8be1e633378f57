"""Pure logic: periods, ranking, period change, spike test, medians. Exact numbers."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.dimensions import DimensionError, dimension
from analytics.periods import (
    PeriodError,
    TierSplit,
    custom_period,
    period_containing,
    preceding_periods,
    previous_period,
    split_by_month,
)
from analytics.ranking import (
    competition_ranks,
    median_from_cumulative,
    period_change,
    poisson_sf,
    rank_issues,
    rate,
    rising_issues,
)


def test_week_month_quarter_and_their_previous_periods():
    week = period_containing("week", date(2026, 3, 4))  # a Wednesday
    assert (week.start, week.end, week.label) == (date(2026, 3, 2), date(2026, 3, 8), "2026-W10")
    assert previous_period(week).start == date(2026, 2, 23)
    month = period_containing("month", date(2026, 3, 31))
    assert (month.start, month.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert previous_period(month) == period_containing("month", date(2026, 2, 1))
    assert previous_period(month).end == date(2026, 2, 28)
    quarter = period_containing("quarter", date(2026, 1, 15))
    assert (quarter.start, quarter.end, quarter.label) == (date(2026, 1, 1), date(2026, 3, 31), "2026-Q1")
    assert previous_period(quarter).start == date(2025, 10, 1)


def test_custom_previous_period_has_equal_length_and_baseline_is_oldest_first():
    p = custom_period(date(2026, 3, 1), date(2026, 3, 10))
    prev = previous_period(p)
    assert (prev.start, prev.end, prev.days) == (date(2026, 2, 19), date(2026, 2, 28), 10)
    base = preceding_periods(p, 3)
    assert [b.end for b in base] == [date(2026, 2, 8), date(2026, 2, 18), date(2026, 2, 28)]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 3, 10), date(2026, 3, 1), "早于开始日期"),
        (date(1990, 1, 1), date(1990, 2, 1), "过早"),
        (date(2020, 1, 1), date(2026, 1, 1), "过长"),
    ],
)
def test_bad_custom_periods_are_refused_with_a_message(start, end, message):
    with pytest.raises(PeriodError, match=message):
        custom_period(start, end)


def test_period_and_dimension_messages_follow_the_ui_language():
    from django.utils import translation

    with pytest.raises(DimensionError, match=r"^未知的层级：'7'（可选 1-3）$"):
        dimension("B", "7")
    with translation.override("en"), pytest.raises(PeriodError, match=r"^Date range too long \(at most \d+ days\)$"):
        custom_period(date(2020, 1, 1), date(2026, 1, 1))


def test_unknown_period_kind_axis_and_level_are_refused():
    with pytest.raises(PeriodError):
        period_containing("fortnight", date(2026, 1, 1))
    with pytest.raises(DimensionError):
        dimension("D", 2)
    with pytest.raises(DimensionError):
        dimension("B", "7")
    with pytest.raises(DimensionError):
        dimension("B", 2).parse_key("B030202")  # deeper than level 2
    with pytest.raises(DimensionError):
        dimension("BC", 3).parse_key("B0302")  # pair needs two codes


def test_dimension_keys_truncate_codes_and_keep_shallow_leaves():
    codes = {"A": "A0302", "B": "B030202", "C": "C0501"}
    assert dimension("B", 2).key_for(codes) == "B0302"
    assert dimension("B", 3).key_for(codes) == "B030202"
    assert dimension("BC", 2).key_for(codes) == "B0302|C0501"
    assert dimension("B", 2).key_for({"B": "B99"}) == "B99"


def test_competition_ranks_share_equal_counts():
    assert competition_ranks({"x": 5, "y": 7, "z": 5, "w": 1, "zero": 0}) == {"y": 1, "x": 2, "z": 2, "w": 4}


def test_period_change_new_marker_and_no_division_by_zero():
    assert period_change(7, 0) == period_change(7, 0)
    new = period_change(7, 0)
    assert (new.absolute, new.percent, new.is_new) == (7, None, True)
    down = period_change(3, 4)
    assert (down.absolute, down.percent, down.is_new) == (-1, -25.0, False)
    flat = period_change(0, 0)
    assert (flat.absolute, flat.percent, flat.is_new) == (0, None, False)
    assert rate(1, 3) == 33.3 and rate(5, 0) is None


def test_rank_issues_exact_rows():
    current = {"B0302": 40, "B0401": 25, "B0101": 25, "B0601": 10}
    previous = {"B0302": 50, "B0401": 10, "B0701": 30}
    rows = rank_issues(current, previous, {"B0302": 4, "B0401": 5}, total=125)
    assert [(r.key, r.rank) for r in rows] == [("B0302", 1), ("B0101", 2), ("B0401", 2), ("B0601", 4)]
    top = rows[0]
    assert (top.count, top.share, top.previous, top.change.absolute, top.change.percent) == (40, 32.0, 50, -10, -20.0)
    assert (top.previous_rank, top.rank_change, top.repeat, top.repeat_rate) == (1, 0, 4, 10.0)
    b0401 = rows[2]
    assert (b0401.change.percent, b0401.previous_rank, b0401.rank_change, b0401.repeat_rate) == (150.0, 3, 1, 20.0)
    b0101 = rows[1]
    assert b0101.change.is_new and b0101.previous_rank is None and b0101.rank_change is None
    assert rank_issues(current, previous, limit=2)[1].key == "B0101"
    assert rank_issues({}, previous) == []


def test_poisson_tail_matches_closed_form():
    # P(X >= 3 | lam=1) = 1 - e^-1 (1 + 1 + 1/2)
    assert poisson_sf(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)
    assert poisson_sf(0, 4.0) == 1.0
    # far tail: P(X >= 60 | lam=10) is tiny but positive and finite
    tail = poisson_sf(60, 10.0)
    assert 0 < tail < 1e-20
    assert poisson_sf(60, 10.0) == pytest.approx(
        sum(math.exp(-10 + k * math.log(10) - math.lgamma(k + 1)) for k in range(60, 200)), rel=1e-9
    )


def test_rising_issues_flags_a_spike_with_its_evidence_and_ignores_noise():
    baselines = {
        "B030202": [10, 12, 8, 10, 11, 9, 10, 10],  # mean 10
        "B0101": [20, 22, 18, 20, 21, 19, 20, 20],  # steady
        "B0601": [0, 0, 0, 0, 0, 0, 0, 1],  # tiny code
    }
    current = {"B030202": 30, "B0101": 23, "B0601": 4, "B0703": 12}
    found = rising_issues(baselines, current, min_count=10, alpha=0.01, min_ratio=1.5)
    assert [r.key for r in found] == ["B0703", "B030202"]
    spike = found[1]
    assert (spike.current, spike.baseline_mean, spike.ratio) == (30, 10.0, 3.0)
    assert spike.p_value == pytest.approx(poisson_sf(30, 10.0))
    assert spike.baseline_std == round(math.sqrt((4 + 4 + 1 + 1) / 7), 2) == 1.2  # sample std
    assert spike.z == round(20 / math.sqrt(10), 2)  # spread floored at sqrt(mean)
    new = found[0]
    assert new.ratio is None and new.baseline_mean == 0.0  # new code: no ratio, judged against the 0.5 floor


def test_min_count_keeps_tiny_codes_out():
    assert rising_issues({"B0601": [0] * 8}, {"B0601": 9}, min_count=10) == []


def test_median_from_cumulative_interpolates_inside_the_bucket():
    # 10 values: 2 within 1h, 6 within 4h, 10 within 8h -> median (5th) lies in (1h, 4h]
    assert median_from_cumulative([1, 4, 8], [2, 6, 10], 10) == pytest.approx(1 + 3 * (5 - 2) / 4)
    assert median_from_cumulative([1, 4], [0, 1], 4) == math.inf
    assert median_from_cumulative([1], [0], 0) is None


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 50)),
    st.dictionaries(st.sampled_from(["a", "b", "c", "f"]), st.integers(0, 50)),
)
def test_ranking_invariants(current, previous):
    rows = rank_issues(current, previous)
    positive = {k: v for k, v in current.items() if v > 0}
    assert {r.key for r in rows} == set(positive)
    assert [r.count for r in rows] == sorted(positive.values(), reverse=True)
    for r in rows:
        assert r.change.absolute == r.count - previous.get(r.key, 0)
        assert r.rank == 1 + sum(1 for v in positive.values() if v > r.count)
    if rows:
        assert sum(r.share for r in rows) == pytest.approx(100, abs=0.1 * len(rows))


def test_split_by_month_reads_whole_months_coarse_and_edge_days_daily():
    d = date
    assert split_by_month(d(2026, 1, 1), d(2026, 3, 31)) == TierSplit((d(2026, 1, 1), d(2026, 3, 1)), ())
    assert split_by_month(d(2026, 1, 15), d(2026, 3, 10)) == TierSplit(
        (d(2026, 2, 1), d(2026, 2, 1)), ((d(2026, 1, 15), d(2026, 1, 31)), (d(2026, 3, 1), d(2026, 3, 10)))
    )
    # February 2028 has 29 days; a range ending on the 28th is not a whole month
    assert split_by_month(d(2028, 2, 1), d(2028, 2, 28)) == TierSplit(None, ((d(2028, 2, 1), d(2028, 2, 28)),))
    assert split_by_month(d(2028, 2, 1), d(2028, 2, 29)) == TierSplit((d(2028, 2, 1), d(2028, 2, 1)), ())


@settings(max_examples=300)
@given(start=st.dates(date(2024, 1, 1), date(2027, 12, 31)), length=st.integers(0, 400))
def test_split_by_month_covers_every_day_exactly_once(start, length):
    end = start + timedelta(days=length)
    split = split_by_month(start, end)
    covered: list[date] = []
    for a, b in split.days:
        covered += [a + timedelta(days=i) for i in range((b - a).days + 1)]
    if split.months:
        first, last = split.months
        assert first.day == 1 and last.day == 1
        day = first
        while day < (last + timedelta(days=32)).replace(day=1):
            covered.append(day)
            day += timedelta(days=1)
    assert sorted(covered) == [start + timedelta(days=i) for i in range(length + 1)]
    # the edge days never contain a whole month
    for a, b in split.days:
        assert not (a.day == 1 and (b + timedelta(days=1)).day == 1)


def test_a_running_period_is_cut_at_today_and_compared_with_the_same_span_before():
    from analytics.periods import period_to_date, preceding_periods

    dec = period_to_date(period_containing("month", date(2026, 12, 7)), date(2026, 12, 7))
    assert (dec.start, dec.end, dec.to_date) == (date(2026, 12, 1), date(2026, 12, 7), True)
    prev = previous_period(dec)
    assert (prev.start, prev.end, prev.to_date) == (date(2026, 11, 1), date(2026, 11, 7), True)
    # 1-31 March to date against 1-28 February, and January's first 31 days without drifting
    mar = period_to_date(period_containing("month", date(2027, 3, 30)), date(2027, 3, 30))
    assert [(p.start, p.end) for p in preceding_periods(mar, 2)] == [
        (date(2027, 1, 1), date(2027, 1, 30)),
        (date(2027, 2, 1), date(2027, 2, 28)),
    ]
    q = period_to_date(period_containing("quarter", date(2026, 12, 7)), date(2026, 12, 7))
    assert (q.start, q.days) == (date(2026, 10, 1), 68)
    assert (previous_period(q).start, previous_period(q).days) == (date(2026, 7, 1), 68)
    # a finished period is left whole, and so is its comparison
    nov = period_to_date(period_containing("month", date(2026, 11, 15)), date(2026, 12, 7))
    assert not nov.to_date and previous_period(nov) == period_containing("month", date(2026, 10, 1))
