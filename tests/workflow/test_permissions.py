"""The permission table, parametrised over roles × actions, for a case of branch BJ.

The expectation is written out by hand here (not derived from RULES), so a
change to the table that gives an action to the wrong role fails a test.
"""

from __future__ import annotations

import pytest

from workflow import permissions
from workflow.errors import ActionDenied, CaseNotFound
from workflow.models import ExtensionRequest

from .conftest import put

pytestmark = pytest.mark.django_db

ACTORS = [
    "agent",
    "ho_officer",
    "ho_approver",
    "auditor",
    "bj_manager",
    "bj_handler",
    "bj_handler2",
    "bj_cy_handler",
    "sh_manager",
    "sh_handler",
]
HANDLING = {"bj_manager", "bj_handler"}
# action: (state the case is in, who may do it)
EXPECTED = {
    "route": ("registered", {"ho_officer"}),
    "not_accept": ("registered", {"ho_officer", "bj_manager"}),
    "accept": ("routed", HANDLING),
    "accept_and_investigate": ("routed", HANDLING),
    "start_investigation": ("accepted", HANDLING),
    "draft_decision": ("investigating", HANDLING),
    "submit_for_review": ("decision_drafted", HANDLING),
    "approve_decision": ("ho_review", {"ho_officer", "ho_approver"}),
    "return_to_branch": ("ho_review", {"ho_officer", "ho_approver"}),
    "respond": ("approved", HANDLING),
    "close": ("responded", {"bj_manager", "ho_officer"}),
    "request_pause": ("investigating", HANDLING),
    "decide_pause": ("investigating", {"bj_manager", "ho_approver"}),
    "resume": ("paused", HANDLING | {"ho_officer"}),
    "request_verification": ("responded", {"ho_officer", "agent"}),
    "decide_verification": ("verification", {"ho_approver"}),
    "withdraw_verification": ("verification", {"ho_approver"}),
    "approve_verification_change": ("verification", {"ho_approver"}),
    "record_informed": ("responded", HANDLING | {"ho_officer"}),
    "withdraw": ("investigating", HANDLING | {"ho_officer"}),
    "merge": ("routed", {"ho_officer", "bj_manager"}),
    "unmerge": ("merged", {"ho_officer", "ho_approver"}),
    "assign": ("accepted", {"bj_manager"}),
    "comment": ("investigating", HANDLING | {"ho_officer", "ho_approver"}),
    "request_extension": ("investigating", HANDLING),
    "decide_extension_1": ("investigating", {"bj_manager", "ho_approver"}),
    "decide_extension_2": ("investigating", {"ho_approver"}),
    "add_involved": ("investigating", {"ho_officer", "bj_manager"}),
}


def test_every_action_in_the_table_has_an_expectation():
    assert set(EXPECTED) == set(permissions.RULES)


def outcome(user, case, action) -> str:
    try:
        permissions.check(user, case, action)
    except CaseNotFound:
        return "not_found"
    except ActionDenied:
        return "denied"
    return "allowed"


def expected_outcome(actor: str, allowed: set[str]) -> str:
    if actor in allowed:
        return "allowed"
    if actor.startswith(("sh_", "bj_cy_")):
        return "not_found"  # another branch's case does not exist for them
    return "denied"


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_who_may_do_what(action, org_tree, staff, new_case):
    """One row of the table per action, every role in it (the diff shows the whole row)."""
    state, allowed = EXPECTED[action]
    case = put(new_case(org_tree.bj), state, assigned_to=staff.bj_handler)
    got = {actor: outcome(getattr(staff, actor), case, action) for actor in ACTORS}
    assert got == {actor: expected_outcome(actor, allowed) for actor in ACTORS}


@pytest.mark.parametrize("action", sorted(a for a in EXPECTED if permissions.RULES[a].states is None))
def test_state_actions_are_refused_in_a_final_state(action, org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "closed" if action != "decide_verification" else "merged")
    if action == "request_verification":
        case = put(case, "withdrawn")
    reason = permissions.denial(staff.ho_officer, case, action)
    assert reason is not None


def test_allowed_actions_for_a_handler_on_their_investigating_case(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    got = permissions.allowed_actions(staff.bj_handler, case)
    assert got == ["draft_decision", "request_pause", "withdraw", "comment", "request_extension"]
    assert permissions.allowed_actions(staff.auditor, case) == []


def test_pending_extension_request_is_decided_per_level(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    ExtensionRequest.objects.create(complaint=case, level=2, reason="x", requested_by=staff.bj_handler)
    assert permissions.denial(staff.bj_manager, case, "decide_extension_2") is not None
    assert permissions.denial(staff.ho_approver, case, "decide_extension_2") is None
