"""A filtered list finds the newest matches whether they are common or sparse in the user's scope
(complaints.list_selectors.newest_ids: a bounded walk of the newest rows first, then the match set)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import list_selectors, selectors
from complaints.list_selectors import ComplaintFilters, complaint_page_for
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 12, 7, 10, 0))


@pytest.fixture
def small_probe(monkeypatch):
    monkeypatch.setattr(list_selectors, "PROBE_ROWS", 5)  # so a few rows exercise both paths


@pytest.fixture
def sparse(org_tree):
    """BJ: 12 cases, only the 3 oldest about 年费; SH: 12 newer 年费 cases (common elsewhere)."""
    bj = [
        ComplaintFactory(
            responsible_org=org_tree.bj, received_at=NOW - timedelta(days=30 - i),
            summary="信用卡年费争议" if i < 3 else "柜面排队时间长", details="客户来电反映。",
        )
        for i in range(12)
    ]  # fmt: skip
    for i in range(12):
        ComplaintFactory(
            responsible_org=org_tree.sh,
            received_at=NOW - timedelta(hours=i),
            summary="年费未减免",
            details="客户来电反映。",
        )
    return bj


def refs(page):
    return [c.reference for c in page.items]


def test_matches_older_than_the_probe_are_found_newest_first(small_probe, sparse, bj_manager):
    page = complaint_page_for(bj_manager, ComplaintFilters(q="年费"), limit=25)
    assert refs(page) == [c.reference for c in reversed(sparse[:3])]
    assert page.next_cursor is None


def test_common_matches_come_from_the_probe_in_order_and_page_on(small_probe, sparse, ho_officer):
    first = complaint_page_for(ho_officer, ComplaintFilters(q="年费"), limit=4)
    assert len(first.items) == 4 and all(c.responsible_org.code == "SH" for c in first.items)
    assert [c.received_at for c in first.items] == sorted((c.received_at for c in first.items), reverse=True)
    seen = refs(first)
    cursor = first.next_cursor
    while cursor:
        page = complaint_page_for(ho_officer, ComplaintFilters(q="年费"), cursor=cursor, limit=4)
        seen += refs(page)
        cursor = page.next_cursor
    # every match exactly once, newest first: 12 SH cases, then BJ's 3 old ones
    assert len(seen) == len(set(seen)) == 15
    assert seen[-3:] == [c.reference for c in reversed(sparse[:3])]


@pytest.mark.parametrize("probe", [5, 2000])
def test_same_page_as_the_plain_query_for_every_filter(monkeypatch, sparse, bj_manager, probe):
    monkeypatch.setattr(list_selectors, "PROBE_ROWS", probe)
    for f in (
        ComplaintFilters(q="年费"),
        ComplaintFilters(q="排队"),
        ComplaintFilters(code_b="B03"),
        ComplaintFilters(q="无此词"),
    ):
        base = list_selectors.complaint_filter(selectors.complaints_for(bj_manager), f, bj_manager)
        plain = list(base.order_by("-received_at", "-id").values_list("reference", flat=True)[:5])
        assert refs(complaint_page_for(bj_manager, f, limit=5)) == plain


def test_the_planner_setting_does_not_outlive_the_sparse_read(small_probe, sparse, bj_manager):
    """The match set is read with index scans off for that one read only, also when the caller
    is inside a transaction of its own (a savepoint's release would keep a SET LOCAL)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with transaction.atomic():
        page = complaint_page_for(bj_manager, ComplaintFilters(q="年费"), limit=25)
        assert len(page.items) == 3  # the sparse path ran (the probe of 5 held no match)
        with connection.cursor() as cur:
            cur.execute("SHOW enable_indexscan")
            assert cur.fetchone()[0] == "on"


def _built(n: int, org, *, summary: str, start) -> list:
    """``n`` cases of ``org`` an hour apart going back from ``start`` (rows built directly, in bulk)."""
    from complaints.grams import cjk_grams
    from complaints.models import Complaint
    from tests.complaints.factories import CustomerFactory, code

    customer = CustomerFactory()
    a, b, c = code("A0302"), code("B030202"), code("C03")
    rows = [
        Complaint(
            reference=f"VOC-2026-{summary[:1]}{start.day:02d}{i:05d}", channel=Complaint.Channel.HOTLINE,
            code_a=a, code_b=b, code_c=c, summary=summary, details="客户来电反映。",
            search_grams=cjk_grams(summary, "客户来电反映。"), received_at=start - timedelta(hours=i),
            customer=customer, responsible_org=org,
        )
        for i in range(n)
    ]  # fmt: skip
    return Complaint.objects.bulk_create(rows)


def _ran_sparse_read(queries) -> bool:
    return any("enable_indexscan" in q["sql"] for q in queries)


def test_a_burst_of_other_cases_on_top_of_a_common_word_does_not_read_its_whole_match_set(
    monkeypatch, org_tree, ho_officer
):
    """The newest rows hold no match (a burst of other cases), but the word is common in the rest:
    the planner says so, and the walk goes on (bounded) instead of reading and sorting every match."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("decided by PostgreSQL's estimates")
    monkeypatch.setattr(list_selectors, "PROBE_ROWS", 20)
    monkeypatch.setattr(list_selectors, "FAR_ROWS", 200)
    old = _built(1500, org_tree.sh, summary="年费未减免", start=NOW - timedelta(days=2))
    burst = _built(40, org_tree.bj, summary="柜面排队时间长", start=NOW)
    with connection.cursor() as cur:
        cur.execute("ANALYZE complaints_complaint")
    with CaptureQueriesContext(connection) as walked:
        page = complaint_page_for(ho_officer, ComplaintFilters(q="年费"), limit=10)
    assert refs(page) == [c.reference for c in old[:10]]  # the newest ten matches, newest first
    assert not _ran_sparse_read(walked.captured_queries)
    assert burst  # (the 40 newest rows, none about 年费)

    # A word the planner knows to be rare still goes to its match set after the probe.
    rare = _built(3, org_tree.sh, summary="保险误导销售", start=NOW - timedelta(days=200))
    with connection.cursor() as cur:
        cur.execute("ANALYZE complaints_complaint")
    with CaptureQueriesContext(connection) as read:
        page = complaint_page_for(ho_officer, ComplaintFilters(q="误导"), limit=10)
    assert refs(page) == [c.reference for c in rare]
    assert _ran_sparse_read(read.captured_queries)
