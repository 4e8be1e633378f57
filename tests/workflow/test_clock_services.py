"""The regulated clock through the services, with explicit ``now`` (time travel, no sleeping)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.complaints.factories import code
from workflow import clocks, selectors, services
from workflow.errors import ActionDenied, InvalidInput
from workflow.hooks import work_calendar
from workflow.models import ExtensionRequest, VerificationRequest

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db
T0 = at(2026, 3, 2, 12, 25)  # Monday; 15 days -> Tue 17 March


@pytest.fixture
def investigating(org_tree, staff, new_case):
    c = new_case(org_tree.bj, received_at=T0)
    return put(c, "investigating", assigned_to=staff.bj_handler)


def paused(c, *, by, approver, at_, reason="appraisal", note="司法鉴定", expected_end=None):
    """Request a pause (with a reference and an expected end) and have it approved at ``at_``."""
    end = expected_end or (at_.date() + timedelta(days=30))
    services.case_pause(
        complaint_id=c.pk, actor=by, reason=reason, note=note, reference="JD-1", expected_end=end, now=at_
    )
    services.pause_decide(complaint_id=c.pk, actor=approver, approve=True, now=at_)


def told(c, *, on: date, via="phone"):
    """Fixture shortcut: an approved decision the customer received on ``on``."""
    from workflow.models import Decision

    return Decision.objects.create(
        complaint=c, version=1, text="维持", proposed_result="not_upheld", author=c.assigned_to or c.created_by,
        review="approved", reviewed_at=at(on.year, on.month, on.day, 9), informed_on=on, informed_via=via,
    )  # fmt: skip


def test_registration_sets_the_15_day_due_date(investigating):
    assert investigating.due_date == date(2026, 3, 17)


def test_pause_stops_the_clock_and_resume_moves_the_deadline(investigating, staff):
    c = investigating
    paused(c, by=staff.bj_handler, approver=staff.bj_manager, at_=at(2026, 3, 5))
    c = fresh(c)
    assert c.status == "paused" and c.paused_since == at(2026, 3, 5)
    clock = selectors.clock_for(c, now=at(2026, 3, 20))  # past the original deadline, but paused
    assert clock.paused and clock.state == "paused" and clock.state != "overdue"
    services.case_resume(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 3, 12))
    c = fresh(c)
    assert c.status == "investigating"  # back to where it was paused
    assert (c.paused_days, c.due_date, c.paused_since) == (7, date(2026, 3, 24), None)


def test_resume_returns_to_accepted_when_paused_from_accepted(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj, received_at=T0), "accepted", assigned_to=staff.bj_handler)
    paused(c, by=staff.bj_manager, approver=staff.ho_approver, at_=at(2026, 3, 3), reason="testing")
    services.case_resume(complaint_id=c.pk, actor=staff.ho_officer, now=at(2026, 3, 4))
    assert fresh(c).status == "accepted"


def test_an_overdue_case_cannot_be_paused(investigating, staff):
    with pytest.raises(InvalidInput, match="不能再暂停"):
        services.case_pause(
            complaint_id=investigating.pk,
            actor=staff.bj_handler,
            reason="appraisal",
            note="晚了",
            reference="JD-1",
            expected_end=date(2026, 4, 30),
            now=at(2026, 3, 18),
        )
    assert fresh(investigating).status == "investigating"


def test_pause_needs_a_known_reason_and_a_note(investigating, staff):
    with pytest.raises(InvalidInput, match="暂停原因"):
        services.case_pause(complaint_id=investigating.pk, actor=staff.bj_handler, reason="holiday", note="x")
    with pytest.raises(InvalidInput, match="暂停说明"):
        services.case_pause(complaint_id=investigating.pk, actor=staff.bj_handler, reason="appraisal", note=" ")


def test_level_1_extension_approved_by_branch_manager_gives_30_days(investigating, staff):
    req = services.extension_request(
        complaint_id=investigating.pk, actor=staff.bj_handler, reason="案情复杂", now=at(2026, 3, 10)
    )
    services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True, now=at(2026, 3, 11))
    c = fresh(investigating)
    assert (c.extension_level, c.due_date) == (1, date(2026, 4, 1))
    assert ExtensionRequest.objects.get(pk=req.pk).status == "approved"


def test_nobody_approves_their_own_extension(investigating, staff):
    req = services.extension_request(
        complaint_id=investigating.pk, actor=staff.bj_manager, reason="复杂", now=at(2026, 3, 10)
    )
    with pytest.raises(ActionDenied, match="自己"):
        services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True)
    assert ExtensionRequest.objects.get(pk=req.pk).status == "pending" and fresh(investigating).extension_level == 0


def test_level_2_extension_needs_customer_told_and_a_head_office_approver(investigating, staff):
    c = put(investigating, "investigating", extension_level=1)
    with pytest.raises(InvalidInput, match="告知客户"):
        services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="特别复杂", now=at(2026, 3, 20))
    req = services.extension_request(
        complaint_id=c.pk, actor=staff.bj_handler, reason="特别复杂", customer_informed=True, now=at(2026, 3, 20)
    )
    for wrong in (staff.bj_manager, staff.ho_officer):
        with pytest.raises(ActionDenied):
            services.extension_decide(request_id=req.pk, actor=wrong, approve=True)
    services.extension_decide(request_id=req.pk, actor=staff.ho_approver, approve=True, now=at(2026, 3, 21))
    expected = clocks.decision_due(date(2026, 3, 2), extension_level=2, calendar=work_calendar())
    assert fresh(c).extension_level == 2 and fresh(c).due_date == expected


def test_rejecting_an_extension_needs_a_reason_and_keeps_the_deadline(investigating, staff):
    req = services.extension_request(
        complaint_id=investigating.pk, actor=staff.bj_handler, reason="复杂", now=at(2026, 3, 10)
    )
    with pytest.raises(InvalidInput, match="驳回理由"):
        services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=False)
    services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=False, comment="证据已齐")
    assert ExtensionRequest.objects.get(pk=req.pk).status == "rejected"
    assert fresh(investigating).due_date == date(2026, 3, 17)


def test_no_extension_once_overdue(investigating, staff):
    with pytest.raises(InvalidInput, match="超过处理时限"):
        services.extension_request(
            complaint_id=investigating.pk, actor=staff.bj_handler, reason="来不及", now=at(2026, 3, 18)
        )
    assert not ExtensionRequest.objects.exists()


@pytest.fixture
def responded(org_tree, staff, new_case):
    c = new_case(org_tree.bj, received_at=T0)
    c = put(
        c,
        "closed",
        responded_at=at(2026, 3, 10, 15),
        closed_at=at(2026, 3, 11),
        result="partly_upheld",
        redress_type="fee_waiver",
        redress_amount=50,
        root_cause_code=code("C0202"),
    )
    told(c, on=date(2026, 3, 10))
    return c


def test_verification_within_30_days_reopens_under_upper_level_with_own_clock(responded, staff, org_tree):
    services.verification_request(
        complaint_id=responded.pk,
        actor=staff.ho_officer,
        requested_on=date(2026, 4, 9),
        reason="客户不认可减免金额",
        now=at(2026, 4, 9, 16),
    )
    c = fresh(responded)
    req = VerificationRequest.objects.get(complaint=c)
    assert c.status == "verification"
    assert req.upper_org == org_tree.ho  # BJ is a branch: its upper level is head office
    assert req.due_date == clocks.verification_due(date(2026, 4, 9), calendar=work_calendar())
    with pytest.raises(ActionDenied):  # the branch does not verify its own decision
        services.verification_decide(complaint_id=c.pk, actor=staff.bj_manager, outcome="upheld", comment="维持")
    services.verification_decide(complaint_id=c.pk, actor=staff.ho_approver, outcome="upheld", comment="维持原意见")
    assert fresh(c).status == "closed" and VerificationRequest.objects.get(pk=req.pk).outcome == "upheld"


def test_sub_branch_case_is_verified_by_its_branch(org_tree, staff, new_case):
    c = put(
        new_case(org_tree.bj_cy, received_at=T0),
        "responded",
        responded_at=at(2026, 3, 10),
        result="upheld",
        redress_type="none",
        redress_amount=0,
        root_cause_code=code("C0202"),
    )
    told(c, on=date(2026, 3, 10))
    services.verification_request(
        complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可", now=at(2026, 3, 20)
    )
    assert VerificationRequest.objects.get(complaint=c).upper_org == org_tree.bj
    services.verification_decide(complaint_id=c.pk, actor=staff.bj_manager, outcome="upheld", comment="维持")
    assert fresh(c).status == "closed"


def test_verification_after_30_days_is_refused(responded, staff):
    with pytest.raises(InvalidInput, match="30 日内"):
        services.verification_request(
            complaint_id=responded.pk,
            actor=staff.ho_officer,
            requested_on=date(2026, 4, 10),
            reason="迟到的请求",
            now=at(2026, 4, 10),
        )
    assert fresh(responded).status == "closed"
    assert not VerificationRequest.objects.exists()


def test_verification_date_in_future_is_refused(responded, staff):
    with pytest.raises(InvalidInput, match="晚于今天"):
        services.verification_request(
            complaint_id=responded.pk,
            actor=staff.ho_officer,
            requested_on=date(2026, 3, 20),
            reason="x",
            now=at(2026, 3, 15),
        )


def test_clock_shows_overdue_due_today_and_first_response(org_tree, staff, new_case):
    c = new_case(org_tree.bj, received_at=T0)
    assert selectors.clock_for(c, now=at(2026, 3, 17)).state == "due_today"
    assert selectors.clock_for(c, now=at(2026, 3, 15)).state == "due_soon"
    late = selectors.clock_for(c, now=at(2026, 3, 18))
    assert late.state == "overdue" and late.days_left == -1
    # first response 38 minutes after a 12:25 call: inside the 2 working-hour target
    c = put(c, "accepted", first_response_at=T0 + timedelta(minutes=38))
    clock = selectors.clock_for(c, now=at(2026, 3, 3))
    assert round(clock.first_response_hours, 2) == round(38 / 60, 2) and not clock.first_response_late
    assert clock.first_response_due == T0 + timedelta(hours=2)


def test_regulator_referred_case_shows_reference_and_forward_deadline(org_tree, new_case):
    c = new_case(
        org_tree.bj,
        received_at=at(2026, 3, 6),
        is_regulator_referred=True,
        regulator_reference="JG-2026-0042",
        regulator_received_on=date(2026, 3, 2),
    )
    clock = selectors.clock_for(c, now=at(2026, 3, 6))
    assert clock.regulator_reference == "JG-2026-0042"
    assert clock.regulator_forward_due == date(2026, 3, 5)  # 3 working days after Mon 2 March
    assert clock.regulator_forwarded_in_time is False
