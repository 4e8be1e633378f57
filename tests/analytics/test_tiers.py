"""Reports read whole months from the monthly tier and edge days from the daily one;
the numbers must be the same as reading every day (and as the raw rows)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics import selectors
from analytics.dimensions import dimension
from analytics.models import DailyRollup, MonthlyRollup
from analytics.periods import custom_period, period_containing, preceding_periods
from analytics.selectors.rising import _rising
from analytics.services import rollup_rebuild
from tests.analytics.conftest import make_case
from tests.conftest import CALENDAR_EDGES

# Every test here runs on days at month, quarter and year edges (the tiers split periods there).
pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("today", CALENDAR_EDGES, indirect=True)]


@pytest.fixture
def spread(org_tree, today):
    """Unequal cases over ~100 days: BJ (incl. BJ-CY) more and on more codes than SH."""
    codes = [("B030202", "C03"), ("B0101", "C0101"), ("B0401", "C0201")]
    for i in range(100):
        day = today - timedelta(days=i)
        b, c = codes[i % 3]
        make_case(org_tree.bj if i % 2 else org_tree.bj_cy, day, b=b, c=c, is_repeat=i % 5 == 0)
        if i % 4 == 0:
            make_case(org_tree.sh, day, b="B0401", c="C0201", a="A0101")
    rollup_rebuild()
    return today


def periods_across_month_edges(today):
    last_month = period_containing("month", today.replace(day=1) - timedelta(days=1))
    return [
        last_month,  # monthly tier only
        custom_period(today - timedelta(days=80), today - timedelta(days=3)),  # edges + whole months
        custom_period(today - timedelta(days=9), today),  # daily only
        period_containing("quarter", today - timedelta(days=40)),
    ]


def test_top_from_both_tiers_equals_raw_rows(spread, users):
    assert 0 < MonthlyRollup.objects.count() < DailyRollup.objects.count()  # the coarse tier is in use
    for who in ("ho_officer", "bj_manager", "sh_manager"):
        scope = selectors.resolve_scope(users[who], "")
        for period in periods_across_month_edges(spread):
            for dim in (dimension("B", 3), dimension("BC", 3), dimension("C", 1), dimension("A", 2)):
                fast = selectors.top_issues(scope, period, dim, with_rising=False, limit=None)
                raw = selectors.top_issues(scope, period, dim, with_rising=False, limit=None, raw=True)
                assert [(r.row.key, r.row.count, r.row.repeat) for r in fast.rows] == [
                    (r.row.key, r.row.count, r.row.repeat) for r in raw.rows
                ]
                assert (fast.total, fast.previous_total) == (raw.total, raw.previous_total)


def test_branch_sees_only_its_subtree_in_the_monthly_tier(spread, users, org_tree):
    period = custom_period(spread - timedelta(days=99), spread)
    bj = selectors.top_issues(selectors.resolve_scope(users["bj_manager"], ""), period, dimension("B", 3))
    sh = selectors.top_issues(selectors.resolve_scope(users["sh_manager"], ""), period, dimension("B", 3))
    ho = selectors.top_issues(selectors.resolve_scope(users["ho_officer"], ""), period, dimension("B", 3))
    assert (bj.total, sh.total, ho.total) == (100, 25, 125)
    assert [r.row.key for r in sh.rows] == ["B0401"]


def test_monthly_trend_and_heat_map_add_up_to_the_top_totals(spread, users):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    period = custom_period(spread - timedelta(days=80), spread - timedelta(days=3))
    top = selectors.top_issues(scope, period, dimension("B", 3), with_rising=False, limit=None)
    by_key = {r.row.key: r.row.count for r in top.rows}
    trend_month = selectors.trend(scope, period, dimension("B", 3), granularity="month", by="code")
    trend_week = selectors.trend(scope, period, dimension("B", 3), granularity="week", by="code")
    assert {s.key: sum(s.values) for s in trend_month.series} == by_key
    assert {s.key: sum(s.values) for s in trend_week.series} == by_key
    by_org = selectors.trend(scope, period, dimension("B", 3), granularity="month", by="org")
    assert sum(sum(s.values) for s in by_org.series) == top.total
    heat = selectors.heat_map(scope, period, dimension("B", 3))
    assert sum(map(sum, heat.cells)) == top.total
    # a month's bucket holds exactly that month's cases
    assert trend_month.buckets[-1] == period.end.replace(day=1).isoformat()


def test_rising_baselines_are_the_same_from_either_tier(spread, users):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    daily = selectors.rollups_in(scope)
    monthly = selectors.base.monthly_rollups_in(scope)
    for period in (period_containing("month", spread), preceding_periods(period_containing("quarter", spread), 1)[0]):
        for dim in (dimension("B", 3), dimension("BC", 3)):
            options = {"by_branch": True}
            assert _rising(daily, monthly, period, dim, **options) == _rising(daily, None, period, dim, **options)
