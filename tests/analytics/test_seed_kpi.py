"""Seed KPIs on the handling-performance tab (issue 11): time from logging to the branch's first
response (median and p90 per branch and month, against the internal target) and the share told
their decision on time (the derived timeliness), on the page and in the exports. Expectations are
computed by hand below (percentiles interpolate linearly between order statistics)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analytics import selectors
from analytics.periods import custom_period
from analytics.services import rollup_rebuild
from tests.analytics.conftest import at, make_case

pytestmark = pytest.mark.django_db
OCT, NOV, SH_DAY = date(2026, 10, 12), date(2026, 11, 30), date(2026, 10, 20)
PERIOD = "?kind=custom&start=2026-10-01&end=2026-11-30"


def _case(org, day, first_h=None, told_after_days=None):
    extra = {}
    if first_h is not None:
        extra["first_response_at"] = at(day) + timedelta(hours=first_h)
    if told_after_days is not None:
        told = at(day + timedelta(days=told_after_days))
        extra.update(status="closed", decided_at=told, responded_at=told, result="upheld")
    return make_case(org, day, **extra)


@pytest.fixture
def kpi_cases(org_tree, users, today):
    # BJ, October: first responses 1, 2, 3, 4, 10 h; told on day 10, 30 (late), never (deadline
    # passed: late), 5 and 12 -> 3 of 5 on time. The 3 h case is at the sub-branch BJ-CY.
    _case(org_tree.bj, OCT, 1, 10)
    _case(org_tree.bj, OCT, 2, 30)
    _case(org_tree.bj_cy, OCT, 3)
    _case(org_tree.bj, OCT, 4, 5)
    _case(org_tree.bj, OCT, 10, 12)
    # BJ, 30 November: 0.5 h, 6 h and one not yet responded; all inside their window (unknown).
    _case(org_tree.bj, NOV, 0.5)
    _case(org_tree.bj, NOV, 6)
    _case(org_tree.bj, NOV)
    # SH, October: 5 h, told on day 20 (late).
    _case(org_tree.sh, SH_DAY, 5, 20)
    _case(org_tree.sh, date(2026, 9, 30), 1, 3)  # outside the period
    rollup_rebuild()


def test_median_p90_target_share_and_timely_share_per_branch_and_month(users, kpi_cases):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    rows, total = selectors.seed_kpis(scope, custom_period(date(2026, 10, 1), NOV))
    got = {
        (r.org_code, r.month): (
            r.cases,
            r.responded,
            r.median_h,
            r.p90_h,
            r.within_target,
            r.timely,
            r.timely_known,
            r.timely_rate,
        )  # fmt: skip
        for r in rows
    }
    assert got == {
        # [1,2,3,4,10]: median 3; p90 at rank 0.9*4 = 3.6 -> 4 + 0.6*(10-4) = 7.6; <= 4 h: 4 of 5
        ("BJ", date(2026, 10, 1)): (5, 5, 3.0, 7.6, 80.0, 3, 5, 60.0),
        # [0.5, 6]: median 3.25; p90 0.5 + 0.9*5.5 = 5.45; <= 4 h: 1 of 2; none judged yet
        ("BJ", date(2026, 11, 1)): (3, 2, 3.25, 5.45, 50.0, 0, 0, None),
        ("SH", date(2026, 10, 1)): (1, 1, 5.0, 5.0, 0.0, 0, 1, 0.0),
    }
    # all: [0.5,1,2,3,4,5,6,10]: median 3.5; p90 at rank 6.3 -> 6 + 0.3*4 = 7.2; 5 of 8 within 4 h;
    # 3 of 6 judged cases on time
    assert (total.cases, total.responded, total.median_h, total.p90_h, total.within_target) == (9, 8, 3.5, 7.2, 62.5)
    assert (total.timely, total.timely_known, total.timely_rate) == (3, 6, 50.0)
    assert [r.over_target for r in rows] == [True, True, True]  # every p90 above 4 h


def test_the_target_is_a_setting(users, kpi_cases, settings):
    settings.ANALYTICS_FIRST_RESPONSE_TARGET_H = 8
    scope = selectors.resolve_scope(users["ho_officer"], "")
    rows, total = selectors.seed_kpis(scope, custom_period(date(2026, 10, 1), NOV))
    assert [(r.within_target, r.over_target) for r in rows] == [(80.0, False), (100.0, False), (100.0, False)]
    assert total.within_target == 87.5


def test_branch_manager_sees_own_branch_by_sub_branch(users, kpi_cases):
    scope = selectors.resolve_scope(users["bj_manager"], "")
    rows, total = selectors.seed_kpis(scope, custom_period(date(2026, 10, 1), NOV))
    assert {(r.org_code, r.month, r.cases) for r in rows} == {
        ("BJ", date(2026, 10, 1), 4),
        ("BJ-CY", date(2026, 10, 1), 1),
        ("BJ", date(2026, 11, 1), 3),
    }
    assert total.cases == 8


def test_page_shows_the_target_and_the_figures(client, users, kpi_cases):
    client.force_login(users["ho_officer"])
    body = client.get(reverse("analytics:performance") + PERIOD).content.decode()
    assert 'data-testid="target-h">≤ 4 h<' in body and "内部目标：登记后 4 小时内首次响应" in body
    row = body[body.index('data-org="BJ" data-month="2026-10"') :].split("</tr>")[0]
    assert ">3.0<" in row and ">7.6<" in row and "80.0%" in row and "60.0%（3/5）" in row


def test_seed_kpi_export_is_typed(client, users, kpi_cases):
    client.force_login(users["ho_officer"])
    response = client.get(reverse("analytics:export", args=["seed_kpi", "xlsx"]) + PERIOD)
    assert response.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows()]
    header = [c.value for c in rows[0]]
    assert header[:7] == ["机构", "名称", "受理月份", "受理件数", "已首次响应", "首次响应中位数（小时）", "首次响应P90（小时）"]  # fmt: skip
    bj_oct = dict(zip(header, rows[1], strict=True))
    assert bj_oct["受理月份"].is_date and bj_oct["受理月份"].value == datetime(2026, 10, 1)
    assert bj_oct["首次响应P90（小时）"].value == 7.6 and bj_oct["首次响应P90（小时）"].data_type == "n"
    assert bj_oct["内部目标（小时）"].value == 4
    assert bj_oct["4小时内响应占比"].value == pytest.approx(0.8) and bj_oct["4小时内响应占比"].number_format == "0.0%"
    assert bj_oct["按时答复占比"].value == pytest.approx(0.6)
    total = dict(zip(header, rows[-1], strict=True))
    assert (
        total["机构"].value == "ALL"
        and total["受理月份"].value is None
        and total["首次响应中位数（小时）"].value == 3.5
    )
    csv_body = b"".join(
        client.get(reverse("analytics:export", args=["seed_kpi", "csv"]) + PERIOD).streaming_content
    ).decode("utf-8-sig")
    assert csv_body.splitlines()[1].startswith("BJ,北京分行,2026-10-01,5,5,3.0,7.6,4.0,80.0,5,3,60.0")


def test_page_in_english(client, users, kpi_cases):
    client.force_login(users["ho_officer"])
    client.cookies["django_language"] = "en"
    body = client.get(reverse("analytics:performance") + PERIOD).content.decode()
    assert "Internal target: first response within 4 hours of logging" in body
    assert "First response, 90th percentile (hours)" in body and "Decisions told on time" in body
