"""Auditor's checklist, issue 17 points 2 (merges) and 3 (closing).

Each point as the compliance officer found it on 2026-12-07 (the bad path), then refused
or recorded correctly.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.complaints.factories import CustomerFactory
from tests.workflow.conftest import at, fresh, put
from workflow import services
from workflow.errors import ActionDenied, InvalidInput
from workflow.models import CaseTransition, Decision
from workflow.timeliness import timeliness_of

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 10)


@pytest.fixture
def pair(org_tree, new_case):
    """An earlier case and a later repeat of the same customer, both open and in time."""
    earlier = new_case(org_tree.bj, received_at=at(2026, 3, 2))
    later = put(new_case(org_tree.bj, received_at=at(2026, 3, 9), customer=earlier.customer), "routed")
    return earlier, later


def merge(case, into, actor, **kw):
    kw.setdefault("reason", "同一客户重复投诉")
    kw.setdefault("now", NOW)
    return services.case_merge(complaint_id=case.pk, actor=actor, into_reference=into.reference, **kw)


# --- Point 2: merges cannot hide complaints -------------------------------------------------


def test_point2_merge_needs_a_reason(pair, staff):
    earlier, later = pair
    with pytest.raises(InvalidInput, match="合并理由"):
        merge(later, earlier, staff.ho_officer, reason="")
    assert fresh(later).status == "routed"


def test_point2_merge_into_another_customers_case_is_refused_unless_head_office_overrides(org_tree, staff, new_case):
    earlier = new_case(org_tree.bj, received_at=at(2026, 3, 2))
    later = put(new_case(org_tree.bj, received_at=at(2026, 3, 9), customer=CustomerFactory()), "routed")
    with pytest.raises(InvalidInput, match="不是同一客户"):
        merge(later, earlier, staff.bj_manager)
    with pytest.raises(ActionDenied, match="总行"):
        merge(later, earlier, staff.bj_manager, override_customer=True)
    assert fresh(later).status == "routed"
    merge(later, earlier, staff.ho_officer, override_customer=True, reason="同一家庭账户，客户本人确认")
    entry = CaseTransition.objects.get(complaint=later, action="merge")
    assert entry.data["customer_override"] is True and entry.actor == staff.ho_officer and "家庭" in entry.reason


@pytest.mark.parametrize("state", ["closed", "withdrawn", "merged", "not_accepted"])
def test_point2_merge_into_an_ended_case_is_refused(pair, staff, state):
    earlier, later = pair
    put(earlier, state)
    with pytest.raises(InvalidInput):
        merge(later, earlier, staff.ho_officer)
    assert fresh(later).status == "routed" and fresh(later).merged_into is None


def test_point2_the_earlier_case_survives(pair, staff):
    earlier, later = pair
    put(earlier, "routed")
    with pytest.raises(InvalidInput, match="较晚的投诉合并到较早"):
        merge(earlier, later, staff.ho_officer)
    merge(later, earlier, staff.ho_officer)
    assert fresh(later).status == "merged" and fresh(later).merged_into == earlier


def test_point2_an_overdue_case_cannot_be_merged_away_and_stays_late(org_tree, staff, new_case):
    """Bad path: a case 21 days late was merged into a new one and lost its 已超期 mark."""
    late = put(new_case(org_tree.bj, received_at=at(2026, 1, 5)), "investigating")  # due 2026-01-20
    newer = new_case(org_tree.bj, received_at=at(2026, 2, 9), customer=late.customer)
    # Even merging the other way round (later into earlier) cannot take the late case out of the reports.
    with pytest.raises(InvalidInput, match="较晚的投诉合并到较早"):
        merge(late, newer, staff.ho_officer, now=at(2026, 2, 10))
    older = new_case(org_tree.bj, received_at=at(2026, 1, 2), customer=late.customer)
    with pytest.raises(InvalidInput, match="超过处理时限"):
        merge(late, older, staff.ho_officer, now=at(2026, 2, 10))
    assert fresh(late).status == "investigating" and timeliness_of(fresh(late), now=at(2026, 2, 10)).overdue


def test_point2_head_office_can_undo_a_merge_within_the_window_and_the_clock_comes_back(pair, staff, settings):
    settings.WORKFLOW_UNMERGE_DAYS = 10
    earlier, later = pair
    merge(later, earlier, staff.ho_officer)
    with pytest.raises(ActionDenied):
        services.case_unmerge(complaint_id=later.pk, actor=staff.bj_manager, reason="误合并", now=NOW)
    with pytest.raises(InvalidInput, match="10 天"):
        services.case_unmerge(complaint_id=later.pk, actor=staff.ho_officer, reason="误合并", now=NOW + timedelta(11))
    services.case_unmerge(complaint_id=later.pk, actor=staff.ho_approver, reason="并非同一事项", now=NOW + timedelta(1))
    c = fresh(later)
    assert c.status == "routed" and c.merged_into is None and c.closed_at is None
    # Its own decision clock, from its own receipt (2026-03-09 + 15 days = 03-24).
    assert c.due_date == c.decision_due_date == timeliness_of(c, now=NOW).due_date
    assert c.decision_due_date.isoformat() == "2026-03-24"
    assert CaseTransition.objects.filter(complaint=earlier, action="unmerged_out").exists()


# --- Point 3: every path to closed carries the approved record ------------------------------


@pytest.fixture
def approved(org_tree, staff, new_case):
    """A case whose decision head office approved: upheld, refund 300, root cause C0202."""
    c = new_case(org_tree.bj, received_at=at(2026, 3, 2))
    put(c, "investigating", assigned_to=staff.bj_handler)
    services.case_draft_decision(
        complaint_id=c.pk,
        actor=staff.bj_handler,
        text="经核实多收年费，予以退还。",
        proposed_result="upheld",
        redress_amount="300",
        redress_type="refund",
        root_cause="C0202",
        now=at(2026, 3, 5),
    )
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 3, 5, 11))
    services.case_review(complaint_id=c.pk, actor=staff.ho_approver, approve=True, now=at(2026, 3, 6))
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 3, 7))
    return fresh(c)


def test_point3_a_different_result_goes_back_to_head_office_review(approved, staff):
    """Bad path: a branch manager closed as 不成立 / 无补偿 although head office approved 成立 / refund 300."""
    services.case_close(
        complaint_id=approved.pk,
        actor=staff.bj_manager,
        result="not_upheld",
        redress_amount="0",
        redress_type="none",
        root_cause="C0202",
        now=at(2026, 3, 8),
    )
    c = fresh(approved)
    assert c.status == "ho_review" and not c.result and c.closed_at is None
    draft = c.decisions.order_by("-version").first()
    assert (draft.proposed_result, draft.redress_type, draft.review) == ("not_upheld", "none", Decision.Review.PENDING)
    entry = CaseTransition.objects.get(complaint=c, action="close_changed")
    assert entry.actor == staff.bj_manager and "300" in entry.data["approved"]
    # The answer was told on 03-07: re-review does not make it late or on time again.
    assert timeliness_of(c).on_time is True


def test_point3_closing_as_approved_carries_result_redress_and_leaf_root_cause(approved, staff):
    with pytest.raises(InvalidInput, match="末级"):
        services.case_close(
            complaint_id=approved.pk,
            actor=staff.bj_manager,
            result="upheld",
            redress_amount="300",
            redress_type="refund",
            root_cause="C05",  # has children: not a leaf
        )
    services.case_close(
        complaint_id=approved.pk,
        actor=staff.bj_manager,
        result="upheld",
        redress_amount="300",
        redress_type="refund",
        root_cause="C0202",
        now=at(2026, 3, 8),
    )
    c = fresh(approved)
    assert (c.status, c.result, c.redress_amount, c.redress_type, c.root_cause_code.code) == (
        "closed",
        "upheld",
        Decimal("300.00"),
        "refund",
        "C0202",
    )


def test_point3_responded_verification_closed_carries_the_approved_record(approved, staff):
    """Bad path: responded → verification → closed needed no result, redress or root cause."""
    services.verification_request(
        complaint_id=approved.pk, actor=staff.ho_officer, requested_on=at(2026, 3, 9).date(), reason="不认可",
        now=at(2026, 3, 9),
    )  # fmt: skip
    services.verification_decide(
        complaint_id=approved.pk, actor=staff.ho_approver, outcome="upheld", comment="维持", now=at(2026, 3, 20)
    )
    c = fresh(approved)
    assert c.status == "closed"
    assert (c.result, c.redress_type, c.redress_amount, c.root_cause_code.code) == (
        "upheld",
        "refund",
        Decimal("300.00"),
        "C0202",
    )


def test_point3_no_close_without_an_approved_decision(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj, received_at=at(2026, 3, 2)), "responded")
    with pytest.raises(InvalidInput, match="审核通过"):
        services.case_close(
            complaint_id=c.pk,
            actor=staff.bj_manager,
            result="upheld",
            redress_amount="0",
            redress_type="none",
            root_cause="C0202",
        )
    assert fresh(c).status == "responded"
