"""workflow.permissions, the rules the role table alone does not show (issue 17).

Written against hand-made mutants that survived the checklist suite: a head-office user holding a
branch role acting as the branch, the author rule on approve/return read without the case's
history, the current assignee not counted as a handler of the case; and the page offering a
decision on one's own extension or pause request that the service then refuses.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from tests.conftest import PINNED_TODAY
from workflow import permissions, services
from workflow.errors import ActionDenied
from workflow.models import Decision, ExtensionRequest, PauseRequest

from .conftest import put


@pytest.mark.parametrize(("role", "action"), [(roles.BRANCH_MANAGER, "assign"), (roles.BRANCH_HANDLER, "accept")])
def test_a_branch_role_held_at_head_office_does_not_act_as_the_branch(
    role, action, org_tree, staff, new_case, make_user
):
    """Branch-level grants are for users outside head office (head office sees every case)."""
    at_ho = make_user(role, org_tree.ho, username=f"ho_with_{role}")
    state = "accepted" if action == "assign" else "routed"
    case = put(new_case(org_tree.bj), state)
    assert permissions.denial(at_ho, case, action) is not None
    branch_user = staff.bj_manager if role == roles.BRANCH_MANAGER else staff.bj_handler
    assert permissions.denial(branch_user, case, action) is None


@pytest.mark.parametrize("action", ["approve_decision", "return_to_branch"])
def test_the_author_of_the_pending_decision_is_refused_when_the_service_checks(action, org_tree, staff, new_case):
    """The single-action check (what services call) reads who drafted the pending decision.

    The draft was written by someone now holding the approver role (e.g. moved to head office).
    """
    case = put(new_case(org_tree.bj), "ho_review")
    Decision.objects.create(complaint=case, text="拟全额退还年费", proposed_result="upheld", author=staff.ho_approver)
    with pytest.raises(ActionDenied) as refused:
        permissions.check(staff.ho_approver, case, action)
    assert refused.value.audit["rule"] == "authored"
    assert str(refused.value) == str(permissions.RECUSAL_MESSAGES["authored"])
    assert permissions.denial(staff.ho_officer, case, action) is None


def test_the_current_assignee_is_a_handler_and_does_not_decide_the_verification(org_tree, staff, new_case):
    """Whoever holds the case now handled it, even where the assignment history does not name them
    (a case taken over from an earlier system carries its assignee but no Assignment row)."""
    case = put(new_case(org_tree.bj_cy), "verification", assigned_to=staff.bj_manager)
    assert not case.assignments.exists()
    assert permissions.case_parties(case, action="decide_verification").handlers == {staff.bj_manager.pk}
    assert permissions.denial(staff.bj_manager, case, "decide_verification") == str(
        permissions.RECUSAL_MESSAGES["handled"]
    )
    assert permissions.denial(staff.ho_approver, case, "decide_verification") is None


def _action_boxes(client, user, case) -> set[str]:
    client.force_login(user)
    page = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    return {name for name in ("decide_extension", "decide_pause") if f'data-action="{name}"' in page}


def test_a_branch_managers_own_extension_is_offered_to_head_office_not_to_him(
    client, org_tree, staff, new_case, pin_clock
):
    pin_clock(PINNED_TODAY)
    case = new_case(org_tree.bj)
    services.case_route(complaint_id=case.pk, actor=staff.ho_officer)
    services.case_accept(complaint_id=case.pk, actor=staff.bj_manager)
    req = services.extension_request(complaint_id=case.pk, actor=staff.bj_manager, reason="需调取第三方交易记录")

    assert "decide_extension" not in _action_boxes(client, staff.bj_manager, case)
    assert "decide_extension" in _action_boxes(client, staff.ho_approver, case)
    # The page and the service follow one rule: his attempt is refused (and logged), head office's is not.
    with pytest.raises(ActionDenied, match="不能审批自己提出的延期申请"):
        services.extension_decide(request_id=req.pk, actor=staff.bj_manager, approve=True)
    services.extension_decide(request_id=req.pk, actor=staff.ho_approver, approve=True)
    assert ExtensionRequest.objects.get(pk=req.pk).decided_by == staff.ho_approver


def test_a_handlers_extension_is_offered_to_the_branch_manager(client, org_tree, staff, new_case, pin_clock):
    pin_clock(PINNED_TODAY)
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    ExtensionRequest.objects.create(complaint=case, level=1, reason="案情复杂", requested_by=staff.bj_handler)
    assert "decide_extension" in _action_boxes(client, staff.bj_manager, case)
    assert "decide_extension" not in _action_boxes(client, staff.bj_handler, case)


def test_nobody_is_offered_the_decision_on_their_own_pause_request(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_manager)
    PauseRequest.objects.create(
        complaint=case,
        reason="appraisal",
        reference="JD-2026-0917",
        note="司法鉴定",
        requested_by=staff.bj_manager,
        expected_end=PINNED_TODAY,
    )
    assert permissions.denial(staff.bj_manager, case, "decide_pause") == "不能审批自己提出的暂停申请"
    assert "decide_pause" not in permissions.allowed_actions(staff.bj_manager, case)
    assert "decide_pause" in permissions.allowed_actions(staff.ho_approver, case)


def test_a_head_office_grant_held_outside_head_office_gives_nothing(org_tree, staff, new_case):
    """An approver moved to a branch keeps a stale grant (RoleGrant.clean refuses new ones only in
    forms): the head-office rule still refuses him."""
    moved = staff.ho_approver
    moved.org = org_tree.bj
    moved.save(update_fields=["org"])
    case = put(new_case(org_tree.bj), "ho_review")
    Decision.objects.create(complaint=case, text="拟全额退还年费", proposed_result="upheld", author=staff.bj_manager)
    assert permissions.denial(moved, case, "approve_decision") is not None
    assert permissions.denial(staff.ho_officer, case, "approve_decision") is None


@pytest.mark.parametrize(
    ("state", "allowed"),
    [("accepted", True), ("approved", True), ("responded", False), ("verification", False), ("closed", False)],
)
def test_an_extension_is_asked_only_while_the_decision_is_still_owed(state, allowed, org_tree, staff, new_case):
    """Once the customer has been told (responded, verification, closed) the decision clock has
    stopped: there is nothing to extend."""
    case = put(new_case(org_tree.bj), state, assigned_to=staff.bj_handler)
    assert (permissions.denial(staff.bj_handler, case, "request_extension") is None) is allowed


@pytest.mark.parametrize(("state", "allowed"), [("registered", False), ("routed", True), ("investigating", True)])
def test_a_branch_manager_assigns_only_once_head_office_has_routed_the_case(state, allowed, org_tree, staff, new_case):
    """A case registered against a branch is still head office's to route (or not accept)."""
    case = put(new_case(org_tree.bj), state)
    assert (permissions.denial(staff.bj_manager, case, "assign") is None) is allowed


def test_a_handlers_pause_is_offered_to_the_branch_manager_not_to_head_office(org_tree, staff, new_case):
    """The page offers the decision only to the level the service accepts (one rule)."""
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    PauseRequest.objects.create(
        complaint=case, reason="appraisal", reference="JD-1", note="鉴定", requested_by=staff.bj_handler,
        expected_end=PINNED_TODAY,
    )  # fmt: skip
    assert "decide_pause" in permissions.allowed_actions(staff.bj_manager, case)
    assert "decide_pause" not in permissions.allowed_actions(staff.ho_approver, case)
    with pytest.raises(ActionDenied, match="暂停申请由分行投诉主管审批"):
        services.pause_decide(complaint_id=case.pk, actor=staff.ho_approver, approve=True)
