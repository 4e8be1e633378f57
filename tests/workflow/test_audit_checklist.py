"""Issue 17, as an auditor's checklist: points 4, 5, 6 and 8.

Each test first tries what the compliance officer did (the bad path), then checks that it is
refused with a clear message — and, for 回避, logged on the case — or recorded correctly.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from complaints.models import Complaint
from workflow import selectors, services
from workflow.errors import ActionDenied, InvalidInput
from workflow.models import CaseAlert, CaseTransition, Decision, InvolvedStaff, Pause, VerificationRequest

from .conftest import at, fresh, put

pytestmark = pytest.mark.django_db
T0 = at(2026, 3, 2, 12, 25)  # Monday; 15 days -> Tue 17 March


def approved_case(org, staff, new_case, *, handler, manager, approver):
    """A case taken through the services to an approved decision (handler drafts, HO approves)."""
    c = put(new_case(org, received_at=T0), "investigating", assigned_to=handler)
    services.case_draft_decision(
        complaint_id=c.pk, actor=handler, text="年费予以减免", proposed_result="upheld",
        redress_amount="300", redress_type="refund", root_cause="C0201", now=at(2026, 3, 5),
    )  # fmt: skip
    services.case_submit_for_review(complaint_id=c.pk, actor=handler, now=at(2026, 3, 5, 11))
    services.case_review(complaint_id=c.pk, actor=approver, approve=True, now=at(2026, 3, 6))
    return c


def closed_case(org, staff, new_case, *, handler, manager, approver, informed_via="letter", informed_on=None):
    c = approved_case(org, staff, new_case, handler=handler, manager=manager, approver=approver)
    services.case_respond(
        complaint_id=c.pk, actor=handler, informed_via=informed_via, informed_on=informed_on, now=at(2026, 3, 9)
    )
    services.case_close(
        complaint_id=c.pk, actor=manager, result="upheld", redress_amount="300", redress_type="refund",
        root_cause="C0201", now=at(2026, 3, 10),
    )  # fmt: skip
    return fresh(c)


@pytest.fixture
def bj_closed(org_tree, staff, new_case):
    return closed_case(
        org_tree.bj, staff, new_case, handler=staff.bj_handler, manager=staff.bj_manager, approver=staff.ho_officer
    )


# --- 4. Verification (核实) -------------------------------------------------------------------
def test_4a_responding_records_how_and_when_the_customer_received_the_decision(org_tree, staff, new_case):
    c = approved_case(
        org_tree.bj, staff, new_case, handler=staff.bj_handler, manager=staff.bj_manager, approver=staff.ho_officer
    )
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        services.case_respond(
            complaint_id=c.pk, actor=staff.bj_handler, informed_via="sms", informed_on=date(2026, 3, 12),
            now=at(2026, 3, 9),
        )  # fmt: skip
    assert fresh(c).status == "approved"
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, informed_via="sms", now=at(2026, 3, 9))
    d = Decision.objects.get(complaint=c)
    assert (d.informed_via, d.informed_on) == ("sms", date(2026, 3, 9))


def test_4b_the_30_day_window_runs_from_the_letters_arrival_not_the_click(bj_closed, staff):
    c = bj_closed  # answered by letter on 9 March; the customer received it on 20 March
    with pytest.raises(InvalidInput, match="尚未登记客户收到处理决定的日期"):
        services.verification_request(
            complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 4, 15), reason="不认可",
            now=at(2026, 4, 15),
        )  # fmt: skip
    services.decision_informed_record(
        complaint_id=c.pk, actor=staff.bj_handler, informed_via="letter", informed_on=date(2026, 3, 20),
        now=at(2026, 3, 21),
    )  # fmt: skip
    # 15 April is 36 days after the click on "respond" but 26 days after the letter arrived
    req = services.verification_request(
        complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 4, 15), reason="不认可",
        now=at(2026, 4, 15),
    )  # fmt: skip
    assert req.decision_received_on == date(2026, 3, 20) and req.window_end == date(2026, 4, 20)
    assert fresh(c).status == "verification"


def test_4c_one_verification_per_decision(bj_closed, staff):
    services.decision_informed_record(
        complaint_id=bj_closed.pk, actor=staff.bj_handler, informed_via="letter", informed_on=date(2026, 3, 12)
    )
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    services.verification_decide(
        complaint_id=bj_closed.pk, actor=staff.ho_approver, outcome="upheld", comment="维持", now=at(2026, 3, 25)
    )
    with pytest.raises(InvalidInput, match="只能核实一次"):
        services.verification_request(
            complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 26), reason="再次",
            now=at(2026, 3, 26),
        )  # fmt: skip
    assert VerificationRequest.objects.filter(complaint=bj_closed).count() == 1
    assert fresh(bj_closed).status == "closed"


def test_4d_only_the_customers_request_entered_by_ho_or_intake_opens_it(bj_closed, staff):
    Decision.objects.filter(complaint=bj_closed).update(informed_on=date(2026, 3, 12))
    for branch_user in (staff.bj_manager, staff.bj_handler):
        with pytest.raises(ActionDenied):
            services.verification_request(
                complaint_id=bj_closed.pk, actor=branch_user, requested_on=date(2026, 3, 20), reason="x",
                now=at(2026, 3, 20),
            )  # fmt: skip
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.agent, requested_on=date(2026, 3, 20), reason="客户来电要求核实",
        requested_via="phone", now=at(2026, 3, 20),
    )  # fmt: skip
    assert fresh(bj_closed).status == "verification"


def test_4e_a_branch_handler_cannot_withdraw_a_verification_and_withdrawal_keeps_the_result(bj_closed, staff):
    Decision.objects.filter(complaint=bj_closed).update(informed_on=date(2026, 3, 12))
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    with pytest.raises(ActionDenied):  # the reported bug: this made the case "客户撤诉"
        services.case_withdraw(complaint_id=bj_closed.pk, actor=staff.bj_handler, reason="客户撤回")
    with pytest.raises(ActionDenied):
        services.verification_withdraw(complaint_id=bj_closed.pk, actor=staff.bj_handler, reason="客户撤回")
    services.verification_withdraw(complaint_id=bj_closed.pk, actor=staff.ho_approver, reason="客户来函撤回核实申请")
    c = fresh(bj_closed)
    assert c.status == "closed" and c.result == "upheld" and c.redress_amount == 300
    assert VerificationRequest.objects.get(complaint=c).outcome == "withdrawn"


def test_4f_changed_outcome_changes_the_result_through_a_new_approved_decision(bj_closed, staff, make_user, org_tree):
    Decision.objects.filter(complaint=bj_closed).update(informed_on=date(2026, 3, 12))
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    with pytest.raises(InvalidInput):  # "变更处理意见" without saying what it changes to
        services.verification_decide(
            complaint_id=bj_closed.pk, actor=staff.ho_approver, outcome="changed", comment="改为全额退还"
        )
    services.verification_decide(
        complaint_id=bj_closed.pk, actor=staff.ho_approver, outcome="changed", comment="改为全额退还",
        text="全额退还年费 600 元", result="upheld", redress_amount="600", redress_type="refund", root_cause="C0201",
        now=at(2026, 3, 25),
    )  # fmt: skip
    c = fresh(bj_closed)
    assert c.status == "verification" and c.redress_amount == 300  # not changed before its approval
    with pytest.raises(ActionDenied, match="自己拟定"):
        services.verification_change_review(complaint_id=c.pk, actor=staff.ho_approver, approve=True)
    from accounts import roles

    second = make_user(roles.HO_APPROVER, org_tree.ho, username="ho_approver_two")
    services.verification_change_review(complaint_id=c.pk, actor=second, approve=True, now=at(2026, 3, 26))
    c = fresh(c)
    assert c.status == "closed" and c.redress_amount == 600
    new = Decision.objects.get(complaint=c, version=2)
    assert new.review == "approved" and new.reviewed_by == second and new.from_verification is not None


def test_4f_a_returned_change_goes_back_to_the_verifier_who_drafted_it(bj_closed, staff, make_user, org_tree):
    """Drafting the changed decision is part of verifying, not handling the verified level: when
    head office returns it, the same verifier concludes again (the drafter still never approves it:
    test_4f above; those who handled the case still never verify it: test_4g)."""
    from accounts import roles

    Decision.objects.filter(complaint=bj_closed).update(informed_on=date(2026, 3, 12))
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    change = {"outcome": "changed", "comment": "改为全额退还", "text": "全额退还年费 600 元", "result": "upheld",
              "redress_amount": "600", "redress_type": "refund", "root_cause": "C0201"}  # fmt: skip
    services.verification_decide(complaint_id=bj_closed.pk, actor=staff.ho_approver, now=at(2026, 3, 25), **change)
    second = make_user(roles.HO_APPROVER, org_tree.ho, username="ho_approver_two")
    services.verification_change_review(
        complaint_id=bj_closed.pk, actor=second, approve=False, comment="金额依据不足", now=at(2026, 3, 26)
    )
    assert VerificationRequest.objects.get(complaint=bj_closed).outcome == ""
    services.verification_decide(
        complaint_id=bj_closed.pk, actor=staff.ho_approver, outcome="upheld", comment="经复查维持原处理意见",
        now=at(2026, 3, 27),
    )  # fmt: skip
    c = fresh(bj_closed)
    assert c.status == "closed" and c.redress_amount == 300
    assert VerificationRequest.objects.get(complaint=c).decided_by == staff.ho_approver


def test_4g_who_closed_a_sub_branch_case_does_not_decide_its_verification(org_tree, staff, new_case):
    c = closed_case(
        org_tree.bj_cy, staff, new_case, handler=staff.bj_cy_handler, manager=staff.bj_manager,
        approver=staff.ho_officer, informed_via="phone",
    )  # fmt: skip
    services.verification_request(
        complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    with pytest.raises(ActionDenied, match="核实须由未参与办理的人员"):
        services.verification_decide(complaint_id=c.pk, actor=staff.bj_manager, outcome="upheld", comment="维持")
    refused = CaseTransition.objects.get(complaint=c, action="refused")
    assert refused.actor == staff.bj_manager and refused.data["action"] == "decide_verification"
    services.verification_decide(complaint_id=c.pk, actor=staff.ho_approver, outcome="upheld", comment="维持")
    assert fresh(c).status == "closed"


def test_4h_a_verification_does_not_rewrite_the_decisions_timeliness(org_tree, staff, new_case):
    """The reported case: answered late; a verification must not turn it into "按时答复"."""
    c = put(new_case(org_tree.bj, received_at=T0), "investigating", assigned_to=staff.bj_handler)
    services.case_draft_decision(
        complaint_id=c.pk, actor=staff.bj_handler, text="不成立", proposed_result="not_upheld",
        redress_type="none", root_cause="C0201", now=at(2026, 3, 20),
    )  # fmt: skip
    services.case_submit_for_review(complaint_id=c.pk, actor=staff.bj_handler, now=at(2026, 3, 20))
    services.case_review(complaint_id=c.pk, actor=staff.ho_officer, approve=True, now=at(2026, 3, 21))
    services.case_respond(complaint_id=c.pk, actor=staff.bj_handler, informed_via="phone", now=at(2026, 3, 23))
    assert selectors.clock_for(fresh(c), now=at(2026, 3, 24)).decided_on_time is False
    services.verification_request(
        complaint_id=c.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 30), reason="不认可",
        now=at(2026, 3, 30),
    )  # fmt: skip
    services.verification_decide(
        complaint_id=c.pk, actor=staff.ho_approver, outcome="upheld", comment="维持", now=at(2026, 4, 2)
    )
    req = VerificationRequest.objects.get(complaint=c)
    assert req.due_date > date(2026, 4, 20)  # its own clock, on its own row
    assert selectors.clock_for(fresh(c), now=at(2026, 4, 3)).decided_on_time is False


# --- 5. 回避 --------------------------------------------------------------------------------
def test_5a_intake_records_picked_staff_and_flags_staff_named_in_the_text(org_tree, staff, new_case):
    staff.bj_handler2.display_name = "王小明"
    staff.bj_handler2.save(update_fields=["display_name"])
    c = new_case(org_tree.bj, details="客户称网点柜员王小明态度恶劣")
    flagged = InvolvedStaff.objects.get(complaint=c)
    assert flagged.user == staff.bj_handler2 and flagged.kind == "named"
    # the agent's picker, through the intake service
    from complaints.services.customers import CustomerInput
    from complaints.services.intake import complaint_register

    picked = complaint_register(
        actor=staff.agent, channel="hotline", code_a="A0302", code_b="B030202", code_c="C0101",
        summary="投诉经办人", customer=CustomerInput(name="张三", title="mr", mobile="13800138000"),
        responsible_org=org_tree.bj, involved_staff=[staff.bj_handler],
    )  # fmt: skip
    assert list(InvolvedStaff.objects.filter(complaint=picked).values_list("user", "kind")) == [
        (staff.bj_handler.pk, "involved")
    ]


def test_5b_named_staff_cannot_be_assigned_approve_or_decide_and_attempts_are_logged(org_tree, staff, new_case):
    c = put(new_case(org_tree.bj), "accepted")
    InvolvedStaff.objects.create(complaint=c, user=staff.bj_handler, kind="named")
    with pytest.raises(InvalidInput, match="须回避"):
        services.case_assign(complaint_id=c.pk, actor=staff.bj_manager, handler_id=staff.bj_handler.pk)
    assert fresh(c).assigned_to is None
    log = CaseTransition.objects.get(complaint=c, action="refused")
    assert (log.actor, log.data["target"], log.data["rule"]) == (
        staff.bj_manager,
        staff.bj_handler.username,
        "involved",
    )
    # an involved head-office approver cannot approve the decision
    c2 = put(new_case(org_tree.bj), "ho_review")
    InvolvedStaff.objects.create(complaint=c2, user=staff.ho_approver)
    with pytest.raises(ActionDenied, match="回避"):
        services.case_review(complaint_id=c2.pk, actor=staff.ho_approver, approve=True)
    assert fresh(c2).status == "ho_review"
    assert CaseTransition.objects.filter(complaint=c2, action="refused", actor=staff.ho_approver).count() == 1


def test_5c_names_match_whole_words_and_chinese_names_of_two_or_more_characters():
    from workflow.recusal import names_in_text

    staff = [(1, "lijun", "李军"), (2, "li", ""), (3, "wang", "王")]
    assert names_in_text("柜员李军态度差", staff) == {1}
    assert names_in_text("my client lijun said", staff) == {1}
    assert names_in_text("client service; 王先生", staff) == set()


# --- 6. Pauses -----------------------------------------------------------------------------
@pytest.fixture
def investigating(org_tree, staff, new_case):
    return put(new_case(org_tree.bj, received_at=T0), "investigating", assigned_to=staff.bj_handler)


def test_6a_a_pause_needs_type_evidence_and_expected_end(investigating, staff):
    base = {"complaint_id": investigating.pk, "actor": staff.bj_handler, "reason": "appraisal", "note": "司法鉴定"}
    with pytest.raises(InvalidInput, match="委托编号"):
        services.case_pause(**base, expected_end=date(2026, 4, 1), now=at(2026, 3, 5))
    with pytest.raises(InvalidInput, match="预计结束日期"):
        services.case_pause(**base, reference="JD-7", now=at(2026, 3, 5))
    assert fresh(investigating).status == "investigating"


def test_6b_the_clock_stops_only_when_the_branch_manager_approves(investigating, staff):
    services.case_pause(
        complaint_id=investigating.pk, actor=staff.bj_handler, reason="appraisal", note="司法鉴定",
        reference="JD-7", expected_end=date(2026, 3, 20), now=at(2026, 3, 5),
    )  # fmt: skip
    assert fresh(investigating).status == "investigating"  # asking does not stop the clock
    with pytest.raises(ActionDenied):
        services.pause_decide(complaint_id=investigating.pk, actor=staff.bj_handler, approve=True)
    with pytest.raises(ActionDenied, match="分行投诉主管审批"):
        services.pause_decide(complaint_id=investigating.pk, actor=staff.ho_approver, approve=True)
    services.pause_decide(complaint_id=investigating.pk, actor=staff.bj_manager, approve=True, now=at(2026, 3, 6))
    pause = Pause.objects.get(complaint=investigating)
    assert fresh(investigating).status == "paused" and pause.expected_end == date(2026, 3, 20)


def test_6c_a_branch_managers_own_pause_is_approved_by_head_office(investigating, staff):
    services.case_pause(
        complaint_id=investigating.pk, actor=staff.bj_manager, reason="testing", note="检测",
        reference="JC-1", expected_end=date(2026, 3, 20), now=at(2026, 3, 5),
    )  # fmt: skip
    with pytest.raises(ActionDenied):
        services.pause_decide(complaint_id=investigating.pk, actor=staff.bj_manager, approve=True)
    services.pause_decide(complaint_id=investigating.pk, actor=staff.ho_approver, approve=True, now=at(2026, 3, 6))
    assert fresh(investigating).status == "paused"


def test_6d_the_escalation_job_raises_a_pause_past_its_expected_end_once(investigating, staff):
    services.case_pause(
        complaint_id=investigating.pk, actor=staff.bj_handler, reason="appraisal", note="司法鉴定",
        reference="JD-7", expected_end=date(2026, 3, 16), now=at(2026, 3, 13),
    )  # fmt: skip
    services.pause_decide(complaint_id=investigating.pk, actor=staff.bj_manager, approve=True, now=at(2026, 3, 13))
    assert services.escalation_run(now=at(2026, 3, 16)).pause_overdue == 0
    assert services.escalation_run(now=at(2026, 3, 17)).pause_overdue == 1
    assert services.escalation_run(now=at(2026, 3, 18)).pause_overdue == 0  # told once
    assert CaseAlert.objects.get(complaint=investigating, kind="pause_overdue").due_date == date(2026, 3, 16)


# --- 8. Extension approval ---------------------------------------------------------------------
def test_8a_a_branch_managers_own_extension_is_approved_by_head_office(investigating, staff):
    req = services.extension_request(
        complaint_id=investigating.pk, actor=staff.bj_manager, reason="案情复杂", now=at(2026, 3, 10)
    )
    with pytest.raises(ActionDenied):
        services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True)
    assert req.pk in set(selectors.approval_queue(staff.ho_approver).extensions.values_list("pk", flat=True))
    services.extension_decide(request_id=req.pk, actor=staff.ho_approver, approve=True, now=at(2026, 3, 11))
    assert Complaint.objects.get(pk=investigating.pk).extension_level == 1


def test_8b_the_close_form_example_root_cause_code_exists_and_is_a_leaf():
    import re

    from complaints.taxonomy_selectors import code_for_new_case
    from workflow.forms import CloseForm, VerificationDecideForm

    for form in (CloseForm, VerificationDecideForm):
        example = re.search(r"C\d{2,4}", str(form.base_fields["root_cause"].label)).group(0)
        assert code_for_new_case(example, axis="C").code == example


def test_timeline_shows_pause_verification_and_refusals(bj_closed, staff):
    from workflow.timeline import timeline_entries

    Decision.objects.filter(complaint=bj_closed).update(informed_on=date(2026, 3, 12))
    services.verification_request(
        complaint_id=bj_closed.pk, actor=staff.ho_officer, requested_on=date(2026, 3, 20), reason="不认可",
        now=at(2026, 3, 20),
    )  # fmt: skip
    with pytest.raises(ActionDenied):
        services.verification_decide(complaint_id=bj_closed.pk, actor=staff.bj_handler, outcome="upheld", comment="x")
    titles = [e.title + " " + e.detail for e in timeline_entries(fresh(bj_closed))]
    assert any("客户收到处理决定 2026-03-12" in t for t in titles)
    # point 7: a wrong role's attempt is kept too, with who tried what
    refused = CaseTransition.objects.get(complaint=bj_closed, action="refused")
    assert refused.actor == staff.bj_handler and refused.data["rule"] == "not_permitted"
    assert any("操作被拒绝" in t and "尝试" in t for t in titles)
    assert timedelta(0) <= fresh(bj_closed).closed_at - at(2026, 3, 10)
