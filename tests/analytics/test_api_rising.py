"""The rising-issues API carries the same evidence as the page (issue 11): expected count with its
interval, q, since when, the history judged against, and the series not judged (历史不足);
the TOP API says which comparison it made and whether a period is still running."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from analytics import selectors
from analytics.dimensions import dimension

from .test_rising_history import part_way  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_rising_api_has_the_evidence_and_the_series_not_judged(client, users, part_way):  # noqa: F811
    client.force_login(users["ho_officer"])
    query = {"kind": "week", "anchor": part_way.start.isoformat(), "level": "3"}
    body = client.get(reverse("analytics_api:rising"), query).json()
    found = selectors.rising_result(
        selectors.resolve_scope(users["ho_officer"], ""), part_way, dimension("B", 3), by_branch=True
    )
    assert (body["scope"], body["judged"], body["series"]) == ("ALL", found.judged, found.series)
    assert (body["baseline_periods"], body["q"]) == (26, 0.2)  # a week view (analytics.alerts.is_week_view)
    assert body["period"]["start"] == part_way.start.isoformat() and body["period"]["to_date"] is False
    bj = next(r for r in body["rows"] if r["org_code"] == "BJ")
    page_row = next(r for r in found.rows if r.org_code == "BJ")
    assert (bj["key"], bj["current"], bj["baseline"]) == ("B030202", 16, [2] * 8)
    assert bj["expected"] == page_row.expected and (bj["lower"], bj["upper"]) == (page_row.lower, page_row.upper)
    assert bj["lower"] <= 2 <= bj["upper"] < 16
    assert bj["q_value"] == page_row.q_value and bj["q_value"] >= bj["p_value"]
    assert bj["since"] == part_way.start.isoformat() and len(bj["baseline_labels"]) == 8
    assert {"org_code": "BJ", "key": "B0401", "name": selectors.base.key_name("B0401")} in body["not_judged"]
    assert {(r["org_code"], r["key"]) for r in body["not_judged"]} == set(found.short_history)


def test_top_api_says_what_it_compared_with(client, users, pin_clock):
    pin_clock(date(2026, 12, 7))
    client.force_login(users["ho_officer"])
    body = client.get(reverse("analytics_api:top"), {"preset": "yoy"}).json()
    assert body["compare"] == "year" and body["period"]["to_date"] is True
    assert (body["previous"]["start"], body["previous"]["end"]) == ("2025-12-01", "2025-12-07")
    body = client.get(reverse("analytics_api:top"), {"preset": "last_month"}).json()
    assert body["compare"] == "previous" and body["period"]["to_date"] is False
    assert body["previous"]["start"] == "2026-10-01"
    assert client.get(reverse("analytics_api:top"), {"preset": "tomorrow"}).status_code == 400
