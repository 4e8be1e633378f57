"""The list's other orders (deadline, latest change): keyset pages that visit every match once,
in order, on the probe path and the sparse path alike; a cursor belongs to its order."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import cursor as cursors
from complaints import list_selectors
from complaints.list_selectors import ComplaintFilters, complaint_page_for
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0))
DAY = dt.date(2026, 12, 7)


@pytest.fixture
def cases(org_tree):
    """18 cases at BJ: deadlines on 6 days (3 each, ties on purpose), every third without one;
    every other one about 年费; updated at distinct times."""
    rows = []
    for i in range(18):
        c = ComplaintFactory(
            responsible_org=org_tree.bj,
            received_at=NOW - timedelta(hours=i),
            summary="信用卡年费争议" if i % 2 else "柜面排队时间长",
            details="客户来电反映。",
        )
        due = None if i % 3 == 0 else DAY + timedelta(days=i % 6)
        Complaint.objects.filter(pk=c.pk).update(due_date=due, updated_at=NOW - timedelta(minutes=7 * i + i % 5))
        rows.append(Complaint.objects.get(pk=c.pk))
    return rows


def _expected(rows, sort: str) -> list[str]:
    if sort == "due":
        key = lambda c: (c.due_date is None, c.due_date or DAY, c.id)  # noqa: E731
        return [c.reference for c in sorted(rows, key=key)]
    return [c.reference for c in sorted(rows, key=lambda c: (c.updated_at, c.id), reverse=True)]


def _walk(user, f, sort, limit=4) -> list[str]:
    seen, cursor = [], None
    while True:
        page = complaint_page_for(user, f, cursor=cursor, limit=limit, sort=sort)
        seen += [c.reference for c in page.items]
        cursor = page.next_cursor
        if not cursor:
            return seen


@pytest.mark.parametrize("probe", [3, 2000])
@pytest.mark.parametrize("sort", ["due", "updated"])
def test_every_match_once_in_order_over_all_pages(monkeypatch, cases, bj_manager, ho_officer, sort, probe):
    monkeypatch.setattr(list_selectors, "PROBE_ROWS", probe)  # 3: the probe is too short, the sparse path runs
    assert _walk(ho_officer, ComplaintFilters(), sort) == _expected(cases, sort)
    fee = [c for c in cases if "年费" in c.summary]
    assert _walk(bj_manager, ComplaintFilters(q="年费"), sort) == _expected(fee, sort)


def test_a_cursor_belongs_to_its_order(cases, ho_officer):
    first = complaint_page_for(ho_officer, ComplaintFilters(), limit=4, sort="due")
    with pytest.raises(ValueError, match="无效的翻页游标"):
        complaint_page_for(ho_officer, ComplaintFilters(), cursor=first.next_cursor, limit=4, sort="updated")
    received = complaint_page_for(ho_officer, ComplaintFilters(), limit=4).next_cursor
    with pytest.raises(ValueError, match="无效的翻页游标"):
        complaint_page_for(ho_officer, ComplaintFilters(), cursor=received, limit=4, sort="due")
    with pytest.raises(ValueError):
        complaint_page_for(ho_officer, ComplaintFilters(), sort="reference")


def test_key_cursors_round_trip_and_refuse_garbage():
    stamp = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0, 5))
    assert cursors.decode_key(cursors.encode_key("updated", stamp, 9), "updated", kind=dt.datetime).value == stamp
    empty = cursors.decode_key(cursors.encode_key("due", None, 9), "due", kind=dt.date)
    assert (empty.value, empty.id) == (None, 9)
    for bad in ("garbage!", cursors.encode_key("due", DAY, 1).replace("Z", "A") + "x"):
        with pytest.raises(ValueError):
            cursors.decode_key(bad, "due", kind=dt.date)


def test_the_capped_count_counts_the_match_set_not_the_page(cases, bj_manager, monkeypatch):
    page = complaint_page_for(bj_manager, ComplaintFilters(q="年费"), limit=2, count=True)
    assert (len(page.items), page.count, page.count_capped) == (2, 9, False)
    monkeypatch.setattr(list_selectors, "COUNT_CAP", 5)
    page = complaint_page_for(bj_manager, ComplaintFilters(q="年费"), limit=2, count=True)
    assert (page.count, page.count_capped) == (5, True)
