"""Rising issues judged only against history that exists, on the pages and on demo-like data."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts.models import User
from analytics import selectors
from analytics.dimensions import dimension
from analytics.periods import custom_period, period_containing, period_to_date, preceding_periods
from analytics.services import rollup_rebuild
from complaints.models import ClassificationCode

from .conftest import make_case


@pytest.fixture
def part_way(org_tree, today):
    """BJ: B030202 two a week for 8 weeks, then 16 in the last complete week (a rise with
    history); B0401 first seen 10 days before that week, 20 in it (starts part-way)."""
    week = period_containing("week", today - timedelta(days=7))
    for w in range(1, 9):
        for i in range(2):
            make_case(org_tree.bj, week.start - timedelta(days=7 * w - i))
    for i in range(16):
        make_case(org_tree.bj, week.start + timedelta(days=i % 7))
    make_case(org_tree.bj, week.start - timedelta(days=10), b="B0401", c="C0201")
    for i in range(20):
        make_case(org_tree.bj, week.start + timedelta(days=i % 7), b="B0401", c="C0201")
    rollup_rebuild()
    return week


def test_a_code_starting_part_way_says_not_enough_history_instead_of_rising(client, users, part_way):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    dim = dimension("B", 3)
    found = selectors.rising_result(scope, part_way, dim, by_branch=True)
    assert {(r.org_code, r.key) for r in found.rows} == {("", "B030202"), ("BJ", "B030202")}
    assert {("", "B0401"), ("BJ", "B0401")} <= found.short_history
    rise = next(r for r in found.rows if r.org_code == "BJ")
    assert (rise.current, rise.baseline) == (16, (2,) * 8)
    assert rise.lower <= 2 <= rise.upper < 16 and rise.since == part_way.start
    top = {r.row.key: r for r in selectors.top_issues(scope, part_way, dim).rows}
    assert top["B0401"].history_short and not top["B0401"].rising_here and not top["B0401"].rising_in
    assert top["B030202"].rising_here and not top["B030202"].history_short

    client.force_login(users["ho_officer"])
    query = f"kind=week&anchor={part_way.start.isoformat()}"
    page = client.get(reverse("analytics:top") + "?" + query).content.decode()
    row = page[page.index('data-key="B0401"') :]
    assert "历史不足" in row[: row.index("</tr>")]
    rising_page = client.get(reverse("analytics:rising") + "?" + query).content.decode()
    assert 'id="short-history"' in rising_page and "B0401" in rising_page
    assert 'data-key="B030202" data-org="BJ"' in rising_page and 'data-key="B0401"' not in rising_page
    client.cookies["django_language"] = "en"
    english = client.get(reverse("analytics:top") + "?" + query).content.decode()
    assert "Not enough history" in english


def test_the_page_says_which_history_and_rate_a_view_is_judged_at(client, users, part_way):
    """A week view is judged against 26 weeks at the week rate, a month against 8 months at q 0.1
    (analytics.alerts.is_week_view); the method note on the page says which, in both languages."""
    client.force_login(users["ho_officer"])
    url = reverse("analytics:rising")
    week = client.get(url, {"kind": "week", "anchor": part_way.start.isoformat()}).content.decode()
    assert "此前 26 个同长周期" in week and "q ≤ 0.2" in week and "按周查看时对比半年的周数据" in week
    assert 'data-key="B030202" data-org="BJ"' in week  # the history that exists is still 8 weeks
    month = client.get(url, {"kind": "month", "anchor": part_way.start.isoformat()}).content.decode()
    assert "此前 8 个同长周期" in month and "q ≤ 0.1" in month and "按周查看" not in month
    client.cookies["django_language"] = "en"
    english = client.get(url, {"kind": "week", "anchor": part_way.start.isoformat()}).content.decode()
    assert "the 26 periods before it" in english and "q ≤ 0.2" in english and "half a year of weeks" in english


def test_a_code_introduced_in_the_taxonomy_recently_is_not_judged_before_it(users, part_way):
    ClassificationCode.objects.filter(code="B030202").update(valid_from=part_way.start - timedelta(days=14))
    scope = selectors.resolve_scope(users["ho_officer"], "")
    found = selectors.rising_result(scope, part_way, dimension("B", 3), by_branch=True)
    assert ("", "B030202") in found.short_history and not found.rows


def _demo(today: date, total: int) -> None:
    from accounts import demo as accounts_demo
    from complaints.demo import _seed

    accounts_demo.seed()
    _seed(total, random.Random(20260301))
    rollup_rebuild()


@pytest.mark.parametrize(
    "view",
    ["month to date", "last month", "quarter to date", "last quarter", "week", "last 30 days"],
)
def test_demo_like_data_flags_only_the_seeded_rise(view, today, db):
    """A year of demo intake (go-live a year ago) on the pinned day: no view flags more than the
    seeded credit-card-fee rise at SZ; quarters have too little history to be judged."""
    _demo(today, 6000)
    officer = User.objects.get(username="ho_officer")
    scope = selectors.resolve_scope(officer, "")
    month = period_to_date(period_containing("month", today), today)
    quarter = period_to_date(period_containing("quarter", today), today)
    period = {
        "month to date": month,
        "last month": preceding_periods(period_containing("month", today), 1)[0],
        "quarter to date": quarter,
        "last quarter": preceding_periods(period_containing("quarter", today), 1)[0],
        "week": period_containing("week", today - timedelta(days=7)),
        "last 30 days": custom_period(today - timedelta(days=29), today),
    }[view]
    for dim in (dimension("B", 3), dimension("B", 2)):
        found = selectors.rising_result(scope, period, dim, by_branch=True)
        assert found.series > 50
        seeded = {"B030202", "B0302", "B03"}
        assert all(r.key in seeded and r.org_code in ("", "SZ") for r in found.rows), found.rows
        if period.kind == "quarter":
            assert found.judged == 0 and len(found.short_history) == found.series
        else:
            assert found.judged > 0.8 * found.series


@pytest.fixture
def lasting(org_tree, today):
    """BJ: B030202 7 and 9 a week alternately for 10 weeks, then 13 a week for 3 weeks, and 10 in
    the last complete week: that week alone is unremarkable, the last four together are not."""
    week = period_containing("week", today - timedelta(days=7))
    weekly = [7, 9] * 5 + [13, 13, 13]
    for w, n in enumerate(reversed(weekly), start=1):
        for i in range(n):
            make_case(org_tree.bj, week.start - timedelta(days=7 * w - i % 7))
    for i in range(10):
        make_case(org_tree.bj, week.start + timedelta(days=i % 7))
    rollup_rebuild()
    return week


def test_a_rise_that_lasts_says_it_was_judged_on_the_weeks_together(client, users, lasting):
    """A week view also judges the week with the 1-3 weeks before it (analytics.alerts.
    decide_sustained); the alert says so: the summed count, this week's own, since when, and the
    weeks in the sparkline. A month view has no such test."""
    scope = selectors.resolve_scope(users["ho_officer"], "")
    found = selectors.rising_result(scope, lasting, dimension("B", 3), by_branch=True)
    assert found.q_sustained == 0.1
    bj = next(r for r in found.rows if r.org_code == "BJ")
    assert (bj.key, bj.span, bj.current, bj.period_count, bj.recent) == ("B030202", 4, 49, 10, (13, 13, 13))
    assert bj.since == lasting.start - timedelta(days=21) and bj.spark_values[-4:] == (13, 13, 13, 10)
    assert bj.lower <= bj.expected <= bj.upper and bj.expected < 49
    month = selectors.rising_result(scope, period_containing("month", lasting.start), dimension("B", 3))
    assert month.q_sustained is None

    client.force_login(users["ho_officer"])
    query = {"kind": "week", "anchor": lasting.start.isoformat()}
    page = client.get(reverse("analytics:rising"), query).content.decode()
    row = page[page.index('data-key="B030202" data-org="BJ"') :]
    row = row[: row.index("</tr>")]
    assert (
        "持续上升：本期及此前共 4 期合计（本期 10）" in row and (lasting.start - timedelta(days=21)).isoformat() in row
    )
    assert "另判“持续上升”" in page
    top = client.get(reverse("analytics:top"), query).content.decode()
    assert "持续上升，近 4 期合计 49（本期 10）" in top
    body = client.get(reverse("analytics_api:rising"), {**query, "level": "3"}).json()
    api = next(r for r in body["rows"] if r["org_code"] == "BJ")
    assert (api["span"], api["current"], api["period_count"], api["recent"]) == (4, 49, 10, [13, 13, 13])
    response = client.get(reverse("analytics:export", args=("rising", "csv")), query)
    export = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *lines = export.splitlines()
    assert header.split(",")[3:6] == ["判断件数", "本期件数", "合并期数"]
    assert any(line.startswith("B030202,") and ",BJ,49,10,4," in line for line in lines), export
    client.cookies["django_language"] = "en"
    english = client.get(reverse("analytics:rising"), query).content.decode()
    assert "Lasting rise: the sum of this period and the ones before it, 4 periods in all (this period 10)" in english
