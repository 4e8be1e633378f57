"""The seed KPIs in the API (issue 11): the handling-performance tab's first-response median/p90
per org and month against the internal target and the share told on time, as JSON — the same
figures as the page (one selector), scoped like the page, and a clear 400 for a bad query."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analytics import selectors
from analytics.periods import custom_period

from .test_seed_kpi import NOV, OCT, PERIOD, kpi_cases  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = reverse("analytics_api:seed_kpi")
QUERY = {"kind": "custom", "start": "2026-10-01", "end": "2026-11-30"}
FIELDS = ("median_h", "p90_h", "within_target", "timely", "timely_known", "timely_rate", "cases", "responded")


def _page_cells(body: str, org: str, month: str) -> dict[str, str]:
    row = body[body.index(f'data-org="{org}" data-month="{month}"') :].split("</tr>")[0]
    return {col: re.sub(r"<[^>]+>", "", text) for col, text in re.findall(r'data-col="(\w+)">(.*?)</td>', row)}


def test_api_answers_the_pages_figures(client, users, kpi_cases):  # noqa: F811
    client.force_login(users["ho_officer"])
    response = client.get(URL, QUERY)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["scope"], body["target_h"], body["period"]["start"], body["period"]["end"]) == (
        "ALL",
        4.0,
        "2026-10-01",
        "2026-11-30",
    )
    rows, total = selectors.seed_kpis(selectors.resolve_scope(users["ho_officer"], ""), custom_period(OCT, NOV))
    assert [(r["org_code"], r["month"]) for r in body["rows"]] == [(r.org_code, r.month.isoformat()) for r in rows]
    for got, want in zip(body["rows"], rows, strict=True):
        assert {f: got[f] for f in FIELDS} == {f: getattr(want, f) for f in FIELDS}
        assert got["over_target"] is want.over_target
    bj_oct = body["rows"][0]
    # hand-computed in test_seed_kpi: [1,2,3,4,10] h -> median 3, p90 7.6, 80 % within 4 h, 3 of 5 on time
    assert (bj_oct["org_code"], bj_oct["month"], bj_oct["median_h"], bj_oct["p90_h"]) == ("BJ", "2026-10-01", 3.0, 7.6)
    assert (bj_oct["within_target"], bj_oct["timely_rate"], bj_oct["over_target"]) == (80.0, 60.0, True)
    assert body["total"]["month"] is None and body["total"]["cases"] == total.cases == 9
    assert (body["total"]["median_h"], body["total"]["p90_h"], body["total"]["timely_rate"]) == (3.5, 7.2, 50.0)
    # and the page shows the same numbers
    page = client.get(reverse("analytics:performance") + PERIOD).content.decode()
    cells = _page_cells(page, "BJ", "2026-10")
    assert cells == {
        "median": str(bj_oct["median_h"]),
        "p90": str(bj_oct["p90_h"]),
        "within": f"{bj_oct['within_target']}%",
        "timely": f"{bj_oct['timely_rate']}%（{bj_oct['timely']}/{bj_oct['timely_known']}）",
    }


def test_unanswered_month_has_nulls_not_zeros(client, users, kpi_cases, settings):  # noqa: F811
    settings.ANALYTICS_FIRST_RESPONSE_TARGET_H = 8
    client.force_login(users["ho_officer"])
    body = client.get(URL, QUERY).json()
    assert body["target_h"] == 8.0
    bj_nov = next(r for r in body["rows"] if (r["org_code"], r["month"]) == ("BJ", "2026-11-01"))
    # nobody's decision window is over yet: the share is unknown, not 0 %
    assert (bj_nov["timely_known"], bj_nov["timely_rate"], bj_nov["within_target"]) == (0, None, 100.0)
    assert [r["over_target"] for r in body["rows"]] == [False, False, False]


def test_branch_manager_sees_only_the_own_subtree(client, users, kpi_cases):  # noqa: F811
    client.force_login(users["bj_manager"])
    body = client.get(URL, QUERY).json()
    assert body["scope"] == "BJ"
    assert {(r["org_code"], r["month"], r["cases"]) for r in body["rows"]} == {
        ("BJ", "2026-10-01", 4),
        ("BJ-CY", "2026-10-01", 1),
        ("BJ", "2026-11-01", 3),
    }
    assert body["total"]["cases"] == 8  # SH's case is not counted anywhere
    sub = client.get(URL, {**QUERY, "org": "BJ-CY"}).json()
    assert [(r["org_code"], r["cases"]) for r in sub["rows"]] == [("BJ-CY", 1)] and sub["total"]["cases"] == 1
    outside = client.get(URL, {**QUERY, "org": "SH"})
    assert outside.status_code == 404 and outside.json()["error"]["code"] == "not_found"
    client.force_login(users["bj_handler"])  # a role without analytics
    assert client.get(URL, QUERY).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"kind": "custom", "start": "2026-11-30", "end": "2026-10-01"}, "non_field_errors", "2026-10-01"),
        ({"start": "2026-13-01"}, "start", "YYYY-MM-DD"),
        ({"preset": "tomorrow"}, "preset", "tomorrow"),
        ({"kind": "fortnight"}, "kind", "fortnight"),
    ],
)
def test_bad_parameters_answer_400_with_a_message(client, users, kpi_cases, query, field, says):  # noqa: F811
    client.force_login(users["ho_officer"])
    response = client.get(URL, query)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field]
    assert error["message"] == error["fields"][field][0] and says in error["message"]
