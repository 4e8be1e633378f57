"""Period presets of the report pages (issue 11) and the like-for-like year comparison (同比)."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.forms import parse_report
from analytics.periods import (
    PRESETS,
    Period,
    comparison_period,
    period_containing,
    period_to_date,
    preset_period,
    same_period_last_year,
)
from tests.conftest import CALENDAR_EDGES, PINNED_TODAY

EXPECTED_ON_PINNED_DAY = {  # today 2026-12-07: (period, compared with, to_date)
    "mtd": ((date(2026, 12, 1), date(2026, 12, 7)), (date(2026, 11, 1), date(2026, 11, 7)), True),
    "last_month": ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31)), False),
    # 1 Oct - 7 Dec is 68 days: 1 Jul - 6 Sep
    "qtd": ((date(2026, 10, 1), date(2026, 12, 7)), (date(2026, 7, 1), date(2026, 9, 6)), True),
    "last_quarter": ((date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30)), False),
    "last30": ((date(2026, 11, 8), date(2026, 12, 7)), (date(2026, 10, 9), date(2026, 11, 7)), True),
    "yoy": ((date(2026, 12, 1), date(2026, 12, 7)), (date(2025, 12, 1), date(2025, 12, 7)), True),
}


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_on_the_pinned_day(preset):
    period, compare = preset_period(preset, PINNED_TODAY)
    (start, end), (p_start, p_end), to_date = EXPECTED_ON_PINNED_DAY[preset]
    before = comparison_period(period, compare)
    assert (period.start, period.end, period.to_date) == (start, end, to_date)
    assert (before.start, before.end) == (p_start, p_end)
    assert before.days == period.days or not to_date  # a running period is compared like for like


@pytest.mark.parametrize("today", CALENDAR_EDGES)
@pytest.mark.parametrize("preset", PRESETS)
def test_presets_across_month_quarter_and_year_edges(preset, today):
    """Every preset ends by today, is whole or marked to date, and its comparison ends before it."""
    period, compare = preset_period(preset, today)
    before = comparison_period(period, compare)
    assert period.end <= today and before.end < period.start
    if period.end == today:
        assert period.to_date
    else:
        assert period.end < today
    if compare == "year":
        assert before.start.year == period.start.year - 1 and before.start.month == period.start.month


def test_same_period_last_year_is_like_for_like_and_handles_29_february():
    assert same_period_last_year(period_to_date(period_containing("month", date(2028, 2, 29)), date(2028, 2, 29)))
    running = period_to_date(period_containing("quarter", date(2027, 1, 3)), date(2027, 1, 3))
    assert same_period_last_year(running) == Period("quarter", date(2026, 1, 1), date(2026, 1, 3), to_date=True)
    leap = Period("custom", date(2028, 2, 1), date(2028, 2, 29))
    assert same_period_last_year(leap) == Period("custom", date(2027, 2, 1), date(2027, 2, 28))
    week = period_containing("week", date(2026, 12, 7))  # ISO 2026-W50 -> 2025-W50
    assert same_period_last_year(week).start == date(2025, 12, 8)
    week53 = period_containing("week", date(2026, 12, 31))  # 2026-W53 -> 2025-W52
    assert same_period_last_year(week53).start == date(2025, 12, 22)


def test_the_default_report_is_the_last_30_days_marked_and_presets_round_trip(db, pin_clock):
    pin_clock(PINNED_TODAY)
    params, errors = parse_report({})
    assert not errors and params.preset == "last30" and params.period.to_date
    assert (params.period.start, params.period.end) == (date(2026, 11, 8), date(2026, 12, 7))
    params, _ = parse_report({"preset": "yoy", "level": "2"})
    assert params.compare == "year" and "preset=yoy" in params.query()
    again, _ = parse_report(dict(x.split("=") for x in params.query().split("&")))
    assert again == params
    explicit, _ = parse_report({"kind": "month", "anchor": "2026-11-03", "compare": "year"})
    assert explicit.preset == "" and explicit.compare == "year" and "compare=year" in explicit.query()
    _, errors = parse_report({"preset": "next_year"})
    assert errors
