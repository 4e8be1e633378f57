"""The case page's one read of the workflow's rows (``workflow.case_records``) answers what the
per-rule queries answer: the 回避/independence parties, the pauses, the timeliness, the pending
requests. If the page's read and the services' reads disagreed, the page would offer an action
the service then refuses (or hide one it allows)."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Complaint
from recordings.selectors import case_recordings
from workflow import permissions, selectors, services
from workflow.case_records import cached_records, case_records
from workflow.models import Pause
from workflow.timeline import timeline_entries
from workflow.timeliness import timeliness_of

from . import test_case_page
from .conftest import at, fresh

pytestmark = pytest.mark.django_db
full_case, open_case = test_case_page.full_case, test_case_page.open_case  # the page tests' cases


def _read(case: Complaint) -> Complaint:
    """The case as the case page holds it: prefetched once."""
    page = Complaint.objects.select_related("responsible_org", "assigned_to").get(pk=case.pk)
    selectors.case_page_prefetch(page)
    case_recordings(page)  # the recordings panel's read (the timeline lists the uploads too)
    assert cached_records(page) is not None
    return page


@pytest.mark.parametrize("which", ["full_case", "open_case"])
def test_the_one_read_answers_as_the_rules_own_queries(request, which, django_assert_num_queries):
    case = request.getfixturevalue(which)
    queried = fresh(case)
    page = _read(case)
    with django_assert_num_queries(0):  # everything below comes from the page's read
        parties = permissions.case_parties(page)
        pauses = selectors.pauses_of(page)
        timely = timeliness_of(page, now=at(2026, 11, 10))
        pending, pausing = selectors.pending_extension(page), selectors.has_pending_pause(page)
        timeline_entries(page)
    assert parties == permissions.case_parties(queried)
    assert parties.handlers and parties.involved  # the fixture's case has both: the comparison bites
    assert pauses == selectors.pauses_of(queried)
    assert timely == timeliness_of(queried, now=at(2026, 11, 10))
    expected = selectors.pending_extension(queried)
    assert (pending and (pending.pk, pending.level, str(pending.requested_by))) == (
        expected and (expected.pk, expected.level, str(expected.requested_by))
    )
    assert pausing == selectors.has_pending_pause(queried)


def test_open_case_has_both_requests_and_who_asked(open_case, staff):
    records = case_records(fresh(open_case))
    assert records.pending_extension.requested_by_id == staff.bj_handler.pk
    assert records.pending_pause_requester == staff.bj_handler.pk and not records.pending_pause_by_manager
    assert records.involved == {staff.bj_handler2.pk} and records.assignees == {staff.bj_handler.pk}


def test_a_managers_pause_request_is_known_as_the_managers(open_case, staff):
    """Head office decides a branch manager's own pause: the page's read knows who asked."""
    services.pause_decide(
        complaint_id=open_case.pk, actor=staff.bj_manager, approve=False, comment="材料不全", now=at(2026, 11, 6)
    )
    services.case_pause(
        complaint_id=open_case.pk,
        actor=staff.bj_manager,
        reason=Pause.Reason.values[0],
        note="主管申请",
        reference="JD-2026-201",
        expected_end=date(2026, 11, 25),
        now=at(2026, 11, 6, 11),
    )
    page = _read(open_case)
    assert permissions.case_parties(page) == permissions.case_parties(fresh(open_case))
    assert case_records(page).pending_pause_by_manager is True


def test_timeline_groups_notifications_per_event_and_names_actors(full_case):
    entries = timeline_entries(fresh(full_case))
    sent = [e for e in entries if e.kind == "notification"]
    assert sent and all(e.detail.endswith("人") for e in sent)
    assert any(e.detail.startswith("2") for e in sent)  # the approval went to two people, one entry
    comments = [e for e in entries if e.kind == "comment"]
    assert [e.detail for e in comments] == ["第1次联系客户", "第2次联系客户", "第3次联系客户"]
    assert {e.actor for e in comments} == {"branch_handler_bj"}
    assert [e.at for e in entries] == sorted(e.at for e in entries)
