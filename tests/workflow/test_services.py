"""The workflow services: the full path, each side path, and the bad inputs (state unchanged)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from workflow import services
from workflow.errors import ActionDenied, CaseNotFound, InvalidInput, StaleCase
from workflow.models import Assignment, CaseTransition, Decision, ExtensionRequest, InvolvedStaff

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db


def run_to_approved(c, s, t0):
    services.case_route(complaint_id=c.pk, actor=s.ho_officer, now=t0 + timedelta(minutes=20))
    services.case_accept(complaint_id=c.pk, actor=s.bj_manager, now=t0 + timedelta(minutes=38))
    services.case_assign(complaint_id=c.pk, actor=s.bj_manager, handler_id=s.bj_handler.pk, now=t0 + timedelta(hours=1))
    services.case_start_investigation(complaint_id=c.pk, actor=s.bj_handler, now=t0 + timedelta(hours=2))
    services.case_draft_decision(
        complaint_id=c.pk,
        actor=s.bj_handler,
        text="经核实，年费收取符合合同约定，但未充分提示，予以减免。",
        proposed_result="partly_upheld",
        redress_amount="200",
        redress_type="fee_waiver",
        root_cause="C0103",
        now=t0 + timedelta(days=1),
    )
    services.case_submit_for_review(complaint_id=c.pk, actor=s.bj_handler, now=t0 + timedelta(days=1, hours=1))
    services.case_review(complaint_id=c.pk, actor=s.ho_approver, approve=True, now=t0 + timedelta(days=2))


def test_full_path_records_every_step_and_timestamps(org_tree, staff, new_case):
    t0 = at(2026, 3, 2, 12, 25)
    c = new_case(org_tree.bj, received_at=t0)
    assert c.status == "registered" and c.due_date == date(2026, 3, 17)
    run_to_approved(c, staff, t0)
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, informed_via="phone", now=t0 + timedelta(days=3))
    services.case_close(
        complaint_id=c.pk,
        actor=staff.bj_manager,
        result="partly_upheld",
        redress_amount="200.00",
        redress_type="fee_waiver",
        root_cause="C0103",
        now=t0 + timedelta(days=4),
    )
    c = fresh(c)
    assert c.status == "closed"
    assert c.first_response_at == t0 + timedelta(minutes=38)
    assert c.accepted_at == t0 + timedelta(minutes=38)
    assert c.decided_at == t0 + timedelta(days=2)
    assert c.responded_at == t0 + timedelta(days=3)
    assert (c.result, c.redress_amount, c.redress_type, c.root_cause_code.code) == (
        "partly_upheld",
        Decimal("200.00"),
        "fee_waiver",
        "C0103",
    )
    actions = list(CaseTransition.objects.filter(complaint=c).values_list("action", "from_state", "to_state"))
    assert actions == [
        ("register", "", "registered"),
        ("route", "registered", "routed"),
        ("accept", "routed", "accepted"),
        ("assign", "accepted", "accepted"),
        ("start_investigation", "accepted", "investigating"),
        ("draft_decision", "investigating", "decision_drafted"),
        ("submit_for_review", "decision_drafted", "ho_review"),
        ("approve_decision", "ho_review", "approved"),
        ("respond", "approved", "responded"),
        ("close", "responded", "closed"),
    ]
    assert CaseTransition.objects.filter(complaint=c, action="route").get().actor == staff.ho_officer


def test_return_to_branch_needs_a_comment_then_reworks(org_tree, staff, new_case):
    t0 = at(2026, 3, 2)
    c = new_case(org_tree.bj, received_at=t0)
    c = put(c, "ho_review", assigned_to=staff.bj_handler)
    Decision.objects.create(complaint=c, text="v1", proposed_result="upheld", author=staff.bj_handler)
    with pytest.raises(InvalidInput, match="退回意见"):
        services.case_review(complaint_id=c.pk, actor=staff.ho_officer, approve=False, comment="  ")
    assert fresh(c).status == "ho_review"
    services.case_review(complaint_id=c.pk, actor=staff.ho_officer, approve=False, comment="补充流水证据")
    assert fresh(c).status == "investigating"
    assert Decision.objects.get(complaint=c).review == "returned"


def test_branch_cannot_approve_its_own_decision(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "ho_review")
    for user in (staff.bj_manager, staff.bj_handler):
        with pytest.raises(ActionDenied):
            services.case_review(complaint_id=c.pk, actor=user, approve=True)
    assert fresh(c).status == "ho_review"


def test_illegal_transition_for_state_is_refused_clearly(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    with pytest.raises(ActionDenied, match="当前状态「已登记」不能执行"):
        services.case_respond(complaint_id=c.pk, actor=staff.bj_manager)
    assert fresh(c).status == "registered"


def test_acting_on_merged_or_closed_case_is_refused(org_tree, staff, new_case):
    for state in ("merged", "closed", "withdrawn"):
        c = put(new_case(org_tree.bj), state)
        with pytest.raises(ActionDenied, match="不能再办理"):
            services.case_comment(complaint_id=c.pk, actor=staff.bj_manager, body="还在吗")
        with pytest.raises(ActionDenied):
            services.case_withdraw(complaint_id=c.pk, actor=staff.bj_manager, reason="x")
        assert fresh(c).status == state


def test_missing_reason_is_refused(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    with pytest.raises(InvalidInput, match="不予受理的理由"):
        services.case_not_accept(complaint_id=c.pk, actor=staff.ho_officer, reason="")
    assert fresh(c).status == "registered"


def test_stale_page_is_refused_and_nothing_changes(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    seen = services.version_of(c)
    services.case_route(complaint_id=c.pk, actor=staff.ho_officer, expected_version=seen)
    with pytest.raises(StaleCase, match="已被他人更新"):
        services.case_not_accept(complaint_id=c.pk, actor=staff.ho_officer, reason="重复", expected_version=seen)
    assert fresh(c).status == "routed"
    # nothing changed, and the refused attempt is on the log (who, what, why)
    log = list(CaseTransition.objects.filter(complaint=c).order_by("pk"))
    assert [t.action for t in log] == ["register", "route", "refused"]
    assert log[-1].actor == staff.ho_officer and log[-1].data == {"action": "not_accept", "rule": "stale"}
    assert "已被他人更新" in log[-1].reason


def test_other_branch_case_does_not_exist_for_the_user(org_tree, staff, new_case):
    c = put(new_case(org_tree.sh), "routed")
    with pytest.raises(CaseNotFound):
        services.case_accept(complaint_id=c.pk, actor=staff.bj_manager)
    assert fresh(c).status == "routed"


def test_auditor_never_acts(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    with pytest.raises(ActionDenied, match="只读"):
        services.case_route(complaint_id=c.pk, actor=staff.auditor)


def test_handler_accepting_unassigned_case_takes_it(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj_cy), "routed")
    services.case_accept(complaint_id=c.pk, actor=staff.bj_cy_handler)
    c = fresh(c)
    assert c.assigned_to == staff.bj_cy_handler
    assert Assignment.objects.filter(complaint=c, assigned_to=staff.bj_cy_handler).exists()


def test_handler_cannot_work_a_case_assigned_to_someone_else(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "accepted", assigned_to=staff.bj_handler2)
    with pytest.raises(ActionDenied, match="其他经办人"):
        services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler)


def test_reassignment_is_logged_with_previous_handler(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "accepted")
    services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler.pk)
    services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler2.pk, reason="就近")
    last = Assignment.objects.filter(complaint=c).last()
    assert (last.previous, last.assigned_to, last.reason) == (staff.bj_handler, staff.bj_handler2, "就近")
    assert CaseTransition.objects.filter(complaint=c, action="reassign").count() == 1


def test_manager_cannot_assign_outside_subtree(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "accepted")
    with pytest.raises(InvalidInput):
        services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.sh_handler.pk)
    assert fresh(c).assigned_to is None


def test_conflict_of_interest_blocks_assignment_and_action_with_reason(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "accepted")
    services.involved_staff_add(
        complaint_id=c.pk, actor=staff.bj_manager, user_id=staff.bj_handler.pk, kind=InvolvedStaff.Kind.SUBJECT
    )
    with pytest.raises(InvalidInput, match="被投诉人，须回避"):
        services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler.pk)
    with pytest.raises(ActionDenied, match="回避"):
        services.case_start_investigation(complaint_id=c.pk, actor=staff.bj_handler)
    assert fresh(c).assigned_to is None and fresh(c).status == "accepted"


def test_naming_the_current_handler_as_involved_unassigns_them(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    services.involved_staff_add(complaint_id=c.pk, actor=staff.ho_officer, user_id=staff.bj_handler.pk)
    assert fresh(c).assigned_to is None


def test_merge_closes_repeat_and_keeps_original_clock(org_tree, staff, new_case):
    original = new_case(org_tree.bj, received_at=at(2026, 3, 2))
    repeat = new_case(org_tree.bj, received_at=at(2026, 3, 9), customer=original.customer)
    due_before = original.due_date
    services.case_merge(
        complaint_id=repeat.pk,
        actor=staff.ho_officer,
        into_reference=original.reference,
        reason="重复投诉",
        now=at(2026, 3, 10),
    )
    repeat, original = fresh(repeat), fresh(original)
    assert repeat.status == "merged" and repeat.merged_into == original and repeat.closed_at
    assert original.due_date == due_before and original.status == "registered"
    assert CaseTransition.objects.filter(complaint=original, action="merged_in").exists()


def test_merge_into_itself_or_unknown_is_refused(org_tree, staff, new_case):
    c = new_case(org_tree.bj)
    for ref, msg in ((c.reference, "自身"), ("VOC-NOPE", "找不到")):
        with pytest.raises(InvalidInput, match=msg):
            services.case_merge(complaint_id=c.pk, actor=staff.ho_officer, into_reference=ref, reason="重复")
    assert fresh(c).status == "registered"


def test_merge_into_other_branch_case_not_visible_to_branch(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "routed")
    other = new_case(org_tree.sh)
    with pytest.raises(InvalidInput, match="找不到"):
        services.case_merge(complaint_id=c.pk, actor=staff.bj_manager, into_reference=other.reference, reason="重复")


@pytest.mark.parametrize(
    ("field", "value", "msg"),
    [
        ("result", "", "处理结果"),
        ("redress_type", "cash", "补偿方式"),
        ("redress_amount", "-5", "0 到"),
        ("redress_amount", "abc", "格式"),
        ("root_cause", "", "根因代码"),
        ("root_cause", "C01", "末级"),
        ("root_cause", "B030202", "C"),
    ],
)
def test_closing_requires_result_redress_and_root_cause_leaf(org_tree, staff, new_case, field, value, msg):
    c = put(new_case(org_tree.bj), "responded")
    data = {"result": "upheld", "redress_amount": "50", "redress_type": "refund", "root_cause": "C0201"}
    data[field] = value
    with pytest.raises(InvalidInput, match=msg):
        services.case_close(complaint_id=c.pk, actor=staff.bj_manager, **data)
    c = fresh(c)
    assert c.status == "responded" and c.result == "" and c.closed_at is None


def test_money_redress_needs_an_amount(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "responded")
    with pytest.raises(InvalidInput, match="大于 0"):
        services.case_close(
            complaint_id=c.pk,
            actor=staff.bj_manager,
            result="upheld",
            redress_amount="0",
            redress_type="refund",
            root_cause="C0201",
        )


def test_submit_without_a_draft_is_refused(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "decision_drafted", assigned_to=staff.bj_handler)
    with pytest.raises(InvalidInput, match="拟定处理意见"):
        services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler)


def test_branch_first_comment_is_the_first_response_but_ho_comment_is_not(org_tree, staff, new_case):
    t0 = at(2026, 3, 2, 12, 25)
    c = put(new_case(org_tree.bj, received_at=t0), "routed")
    services.case_comment(
        complaint_id=c.pk, actor=staff.ho_officer, body="请尽快联系客户", now=t0 + timedelta(minutes=30)
    )
    assert fresh(c).first_response_at is None
    services.case_comment(complaint_id=c.pk, actor=staff.bj_manager, body="已联系客户", now=t0 + timedelta(minutes=38))
    services.case_comment(complaint_id=c.pk, actor=staff.bj_manager, body="再次联系", now=t0 + timedelta(hours=3))
    assert fresh(c).first_response_at == t0 + timedelta(minutes=38)


def test_extension_request_rule_is_one_pending_and_at_most_level_2(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="需调取外部流水")
    with pytest.raises(InvalidInput, match="审批中"):
        services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="again")
    put(c, "investigating", extension_level=2)
    ExtensionRequest.objects.update(status="rejected")
    with pytest.raises(InvalidInput, match="60 天"):
        services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="还要")


def test_extension_request_needs_reason(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    with pytest.raises(InvalidInput, match="延期理由"):
        services.extension_request(complaint_id=c.pk, actor=staff.bj_handler, reason="")
    assert not ExtensionRequest.objects.exists()
