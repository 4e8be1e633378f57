"""Report numbers, exports, bad input, rising issues and their weekly notice."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import AuditEvent, Notification
from analytics import selectors
from analytics.dimensions import dimension
from analytics.exports import CASE_COLUMNS
from analytics.periods import custom_period, period_containing
from analytics.services import rising_issues_notify, rollup_rebuild
from tests.analytics.conftest import at, make_case

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_top_from_rollup_equals_top_from_raw_rows(unequal, users):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    period = custom_period(unequal.day - timedelta(days=5), unequal.day)
    for dim in (dimension("B", 2), dimension("B", 3), dimension("BC", 3), dimension("C", 1), dimension("A", 2)):
        fast = selectors.top_issues(scope, period, dim, with_rising=False)
        raw = selectors.top_issues(scope, period, dim, with_rising=False, raw=True)
        assert [(r.row.key, r.row.count, r.row.repeat) for r in fast.rows] == [
            (r.row.key, r.row.count, r.row.repeat) for r in raw.rows
        ]
    top = selectors.top_issues(scope, period, dimension("BC", 3), with_rising=False)
    assert [(r.row.key, r.row.count) for r in top.rows] == [
        ("B030202|C03", 4),
        ("B0401|C0201", 3),
        ("B0101|C0101", 1),
    ]
    assert top.rows[0].row.repeat_rate == 25.0 and top.rows[0].row.share == 50.0


def test_case_export_streams_masks_and_is_audited(client, unequal, users):
    client.force_login(users["ho_officer"])
    response = client.get(
        reverse("analytics:export", args=["cases", "csv"]) + "?axis=B&level=2&code=B0302&org=BJ&header=key"
    )
    assert isinstance(response, StreamingHttpResponse)
    rows = _csv(response)
    assert len(rows) == 4 and list(rows[0]) == list(CASE_COLUMNS)
    body = "".join(r["summary"] for r in rows)
    assert "13812345678" not in body and "5678" in body  # phone masked, tail kept
    row = rows[0]
    assert (row["product_code"], row["product"], row["sub_product_code"], row["issue_code"]) == (
        "B03",
        "银行卡",
        "B0302",
        "C03",
    )
    assert row["customer"] == "张先生" and row["timely"] == "" and row["disputed"] == "否"
    event = AuditEvent.objects.get(action="analytics.export")
    assert event.actor == users["ho_officer"]
    assert event.detail["scope"] == "BJ" and event.detail["code"] == "B0302" and event.object_id == "cases"


def test_export_reads_in_chunks_without_a_row_cap(client, org_tree, users, today, django_assert_max_num_queries):
    for _ in range(25):
        make_case(org_tree.sh, today)
    client.force_login(users["ho_officer"])
    import analytics.exports as exports

    old = exports.CHUNK_SIZE
    exports.CHUNK_SIZE = 4  # many chunks; every row still arrives
    try:
        response = client.get(reverse("analytics:export", args=["cases", "csv"]))
        assert len(_csv(response)) == 25
    finally:
        exports.CHUNK_SIZE = old


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=custom&start=2026-03-10&end=2026-03-01", "早于开始日期"),
        ("kind=custom&start=1900-01-01&end=1900-02-01", "过早"),
        ("kind=custom&start=2010-01-01&end=2026-01-01", "过长"),
        ("kind=fortnight", "周期"),
        ("axis=Z", "维度"),
        ("level=9", "层级"),
        ("start=notadate", "开始日期"),
    ],
)
def test_bad_parameters_get_a_clear_400_on_pages_exports_and_api(client, unequal, users, query, message):
    client.force_login(users["ho_officer"])
    page = client.get(reverse("analytics:top") + "?" + query)
    assert page.status_code == 400 and message in page.content.decode()
    export = client.get(reverse("analytics:export", args=["top", "csv"]) + "?" + query)
    assert export.status_code == 400 and message in export.content.decode()
    api = client.get(reverse("analytics_api:top") + "?" + query)
    assert api.status_code == 400 and api.json()["error"]["code"] == "validation_error"


def test_a_bad_period_reads_in_the_ui_language_only(client, unequal, users):
    """Issue 14: one language per message: Chinese by default, English once the user chose it."""
    client.force_login(users["ho_officer"])
    query = "?kind=custom&start=2026-03-10&end=2026-03-01"
    zh = client.get(reverse("analytics:top") + query).content.decode()
    assert "结束日期 2026-03-01 早于开始日期 2026-03-10" in zh and "is before start date" not in zh
    client.cookies["django_language"] = "en"
    en = client.get(reverse("analytics:top") + query)
    assert en.status_code == 400
    assert "End date 2026-03-01 is before start date 2026-03-10" in en.content.decode()
    assert "早于开始日期" not in en.content.decode()


@pytest.mark.parametrize("code", ["B9999", "XYZ", "B030202|C03", "C03"])
def test_unknown_or_mismatched_drilldown_codes_are_400(client, unequal, users, code):
    client.force_login(users["ho_officer"])
    response = client.get(reverse("analytics:cases") + f"?axis=B&level=2&code={code}")
    assert response.status_code == 400
    assert "代码" in response.content.decode()


def test_empty_period_renders_a_message_not_an_error(client, unequal, users):
    client.force_login(users["ho_officer"])
    response = client.get(reverse("analytics:top") + "?kind=month&anchor=2001-01-15")
    assert response.status_code == 200 and "没有投诉数据" in response.content.decode()
    assert client.get(reverse("analytics_api:top") + "?kind=month&anchor=2001-01-15").json()["rows"] == []


def test_new_code_shows_new_marker_instead_of_a_percentage(client, unequal, users):
    client.force_login(users["ho_officer"])
    rows = client.get(reverse("analytics_api:top")).json()["rows"]
    assert rows[0]["is_new"] is True and rows[0]["change_percent"] is None and rows[0]["previous"] == 0
    assert "新增" in client.get(reverse("analytics:top")).content.decode()


@pytest.fixture
def sz_spike(org_tree, today):
    """B030202 at SH: about 2 a week for 8 weeks, then 14 in the last complete week; BJ steady."""
    week = period_containing("week", today - timedelta(days=7))
    for w in range(1, 9):
        for i in range(2):
            make_case(org_tree.sh, week.start - timedelta(days=7 * w - i))
            make_case(org_tree.bj, week.start - timedelta(days=7 * w - i))
    for i in range(14):
        make_case(org_tree.sh, week.start + timedelta(days=i % 7))
    for i in range(2):
        make_case(org_tree.bj, week.start + timedelta(days=i))
    rollup_rebuild()
    return week


def test_rising_issue_is_found_per_branch_with_evidence(unequal, users, sz_spike, org_tree):
    scope = selectors.resolve_scope(users["ho_officer"], "")
    rows = selectors.rising_for(scope, sz_spike, dimension("B", 3), by_branch=True)
    sh = [r for r in rows if r.org_code == "SH"]
    assert [(r.key, r.current, r.baseline_mean, r.ratio) for r in sh] == [("B030202", 14, 2.0, 7.0)]
    assert sh[0].p_value < 1e-5 and sh[0].baseline == (2,) * 8
    assert not [r for r in rows if r.org_code == "BJ"]
    # the branch manager of BJ sees no rising issue of SH
    bj_scope = selectors.resolve_scope(users["bj_manager"], "")
    assert selectors.rising_for(bj_scope, sz_spike, dimension("B", 3)) == []


def test_weekly_job_notifies_head_office_once_per_code_and_week(users, sz_spike, today):
    assert rising_issues_notify(today=today) >= 1
    notes = Notification.objects.filter(recipient=users["ho_officer"], kind="analytics_rising")
    assert any("B030202" in n.title and "上海分行" in n.title for n in notes)
    assert not Notification.objects.filter(recipient=users["bj_manager"]).exists()
    count = notes.count()
    assert rising_issues_notify(today=today) == 0
    assert notes.count() == count


def test_performance_numbers_from_workflow_columns(org_tree, users, today):
    day = today - timedelta(days=50)
    make_case(
        org_tree.bj,
        day,
        status="closed",
        decided_at=at(day + timedelta(days=10)),
        responded_at=at(day + timedelta(days=10)),
        first_response_at=at(day, 11),
        result="upheld",
        redress_amount=Decimal("100.00"),
    )
    make_case(
        org_tree.bj,
        day,
        # Extended to 30 days, told on day 40: late (told on day 20 it would have been on time).
        status="closed",
        decided_at=at(day + timedelta(days=40)),
        responded_at=at(day + timedelta(days=40)),
        first_response_at=at(day, 13),
        result="not_upheld",
        extension_level=1,
    )
    make_case(org_tree.bj_cy, day, first_response_at=at(day, 12), due_date=today - timedelta(days=1))
    make_case(org_tree.sh, day)
    rollup_rebuild()
    scope = selectors.resolve_scope(users["bj_manager"], "")
    rows, total = selectors.performance(scope, custom_period(day, today), today=today)
    assert [r.org_code for r in rows] == ["BJ", "BJ-CY"]
    bj = rows[0]
    assert (bj.total, bj.decided, bj.timely_rate, bj.extension_rate, bj.upheld_rate) == (2, 2, 50.0, 50.0, 50.0)
    assert (bj.redress_count, bj.redress_sum) == (1, Decimal("100.00"))
    assert rows[1].overdue_open == 1 and rows[1].timely_rate == 0.0  # unanswered after its deadline
    assert (total.total, total.overdue_open) == (3, 1)
    # 1h, 3h, 2h: cumulative 1/2/3 at the 1h/2h/4h bounds; half (1.5) falls mid-way through (1h, 2h]
    assert total.median_first_response_h == pytest.approx(1.5)


def test_this_month_to_date_is_compared_like_for_like(client, org_tree, users, today):
    """On 7 December the month view compares 1-7 December with 1-7 November (it used to take all of
    November: everything looked about -78 %), and says the month is still running."""
    assert today == date(2026, 12, 7)
    for day in (date(2026, 12, 2), date(2026, 12, 5), date(2026, 11, 3), date(2026, 11, 20), date(2026, 11, 28)):
        make_case(org_tree.sh, day, b="B0401", c="C0201")
    rollup_rebuild()
    client.force_login(users["ho_officer"])
    api = client.get(reverse("analytics_api:top") + "?kind=month").json()
    assert (api["total"], api["previous_total"]) == (2, 1)  # 1-7 Nov holds one case, not three
    page = client.get(reverse("analytics:top") + "?kind=month").content.decode()
    assert "data-to-date" in page and "上期同期" in page and "2026-11-01 ~ 2026-11-07" in page
