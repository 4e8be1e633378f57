"""The workflow API's guards: If-Match (412 on a stale version, for every action) and
Idempotency-Key (the first answer replayed, never acting twice; keys per user, expiring)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from workflow import actions
from workflow.models import ApiIdempotencyKey, CaseTransition, ExtensionRequest
from workflow.services import idempotency, version_of

from .api_helpers import PINNED, act, action_url, api_as, clock
from .conftest import fresh, put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday(pin_clock):
    pin_clock(PINNED)


def logged(case, action: str) -> int:
    return CaseTransition.objects.filter(complaint=case, action=action).count()


# --- If-Match -------------------------------------------------------------------------------------

# A body the form of each action accepts (the version check comes before the permission check,
# so any visible case answers a stale version with 412).
VALID_BODIES = {
    "route": {"org": "BJ"},
    "accept_and_investigate": {},
    "accept": {},
    "assign": {"handler": 0},
    "start_investigation": {},
    "draft_decision": {"text": "意见", "proposed_result": "upheld", "redress_type": "none"},
    "submit_for_review": {},
    "approve_decision": {},
    "return_to_branch": {"comment": "请补充"},
    "respond": {"informed_via": "phone"},
    "record_informed": {"informed_via": "phone", "informed_on": "2026-12-07"},
    "close": {"result": "upheld", "redress_type": "none", "root_cause": "C0103"},
    "request_pause": {
        "pause_reason": "appraisal",
        "note": "司法鉴定",
        "reference": "JD-1",
        "expected_end": "2026-12-20",
    },
    "decide_pause": {"decision": "approve"},
    "resume": {},
    "request_extension": {"reason": "案情复杂"},
    "decide_extension": {"decision": "approve"},  # request_id added below
    "request_verification": {"requested_on": "2026-12-07", "requested_via": "letter", "reason": "不同意"},
    "decide_verification": {"outcome": "upheld", "comment": "维持"},
    "approve_verification_change": {"decision": "approve"},
    "withdraw_verification": {"reason": "客户撤回"},
    "merge": {"into_reference": "VOC-2026-0000001", "reason": "重复"},
    "unmerge": {"reason": "误合并"},
    "not_accept": {"reason": "不属于投诉"},
    "withdraw": {"reason": "客户撤诉"},
    "add_involved": {"username": "x", "kind": "involved"},
    "comment": {"body": "备注"},
}


def test_every_action_has_a_body_here():
    """A new action on the case page must be added to VALID_BODIES (and so to the 412 test)."""
    assert set(actions.SPECS) <= set(VALID_BODIES)


@pytest.mark.parametrize("action", [a for a in VALID_BODIES if a in actions.SPECS])
def test_every_action_refuses_a_stale_if_match_with_412_and_does_nothing(org_tree, staff, new_case, action):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    body = dict(VALID_BODIES[action])
    if action == "assign":
        body["handler"] = staff.bj_handler.pk
    if action == "add_involved":
        body["username"] = staff.bj_handler2.username
    if action == "decide_extension":
        body["request_id"] = ExtensionRequest.objects.create(
            complaint=case, level=1, reason="复杂", requested_by=staff.bj_handler
        ).pk
    stale = f'"{version_of(case)}"'
    assert act(staff.bj_handler, case, "comment", {"body": "先记一笔"}).status_code == 200  # no version move
    assert act(staff.bj_manager, case, "assign", {"handler": staff.bj_handler2.pk}).status_code == 200  # moves it
    before = CaseTransition.objects.filter(complaint=case).exclude(action="refused").count()
    resp = act(staff.ho_approver, case, action, body, if_match=stale)
    assert resp.status_code == 412, resp.json()
    assert resp.json()["error"]["code"] == "precondition_failed"
    assert "已被他人更新" in resp.json()["error"]["message"]  # the page's message
    assert CaseTransition.objects.filter(complaint=case).exclude(action="refused").count() == before
    assert fresh(case).status == "investigating"


def test_the_current_version_acts_and_the_same_version_twice_is_stale(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    etag = clock(staff.bj_manager, case)["ETag"]
    first = act(staff.bj_manager, case, "accept", if_match=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    again = act(staff.bj_manager, case, "comment", {"body": "同一版本再提交"}, if_match=etag)
    assert again.status_code == 412
    assert act(staff.bj_manager, case, "comment", {"body": "新版本"}, if_match=first["ETag"]).status_code == 200


def test_a_comment_does_not_move_the_version_but_every_transition_does(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    v0 = clock(staff.bj_manager, case)["ETag"]
    assert act(staff.ho_officer, case, "comment", {"body": "总行备注"}).status_code == 200
    assert clock(staff.bj_manager, case)["ETag"] == v0  # an open form stays valid after a note
    with time_machine.travel(timezone.now(), tick=False):  # two events at one instant
        assert act(staff.bj_manager, case, "accept").status_code == 200
        v1 = clock(staff.bj_manager, case)["ETag"]
        assert act(staff.bj_manager, case, "assign", {"handler": staff.bj_handler.pk}).status_code == 200
        v2 = clock(staff.bj_manager, case)["ETag"]
    assert len({v0, v1, v2}) == 3


def test_any_version_and_several_tags_follow_rfc_9110(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    current = clock(staff.ho_officer, case)["ETag"]  # a note from head office keeps the version
    assert act(staff.ho_officer, case, "comment", {"body": "a"}, if_match="*").status_code == 200
    assert act(staff.ho_officer, case, "comment", {"body": "b"}, if_match=f'"old", {current}').status_code == 200
    assert act(staff.ho_officer, case, "comment", {"body": "c"}, if_match=f"W/{current}").status_code == 412  # weak
    bad = act(staff.ho_officer, case, "comment", {"body": "d"}, if_match="no-quotes")
    assert bad.status_code == 400 and "If-Match" in bad.json()["error"]["fields"]


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer_without_acting_twice(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    first = act(staff.bj_manager, case, "accept", {"reason": "已联系"}, key="accept-1")
    again = act(staff.bj_manager, case, "accept", {"reason": "已联系"}, key="accept-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert logged(case, "accept") == 1 and logged(case, "refused") == 0


def test_the_same_key_with_another_body_is_a_clear_422(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.bj_manager, case, "comment", {"body": "第一条"}, key="k").status_code == 200
    other = act(staff.bj_manager, case, "comment", {"body": "第二条"}, key="k")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["error"]["message"]
    elsewhere = act(staff.bj_manager, case, "accept", {}, key="k")  # same key, another action
    assert elsewhere.status_code == 422 and fresh(case).status == "routed"


def test_a_refused_request_keeps_no_answer_so_the_key_can_be_retried(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "ho_review")
    refused = act(staff.ho_approver, case, "return_to_branch", {"comment": ""}, key="ret-1")
    assert refused.status_code == 400
    assert not ApiIdempotencyKey.objects.filter(key="ret-1").exists()
    corrected = act(staff.ho_approver, case, "return_to_branch", {"comment": "请补充证据"}, key="ret-1")
    assert corrected.status_code == 200 and fresh(case).status == "investigating"


def test_a_key_still_being_acted_on_is_409(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    body = {"reason": "并发"}
    path = f"/api/v1/complaints/{case.reference}/actions/accept/"
    claim = idempotency.idempotency_claim(
        user=staff.bj_manager, key="busy", fingerprint=idempotency.fingerprint(method="POST", path=path, body=body)
    )
    assert claim.outcome == "claimed"  # as the first request does before it acts
    resp = act(staff.bj_manager, case, "accept", body, key="busy")
    assert resp.status_code == 409 and fresh(case).status == "routed"


def test_keys_are_per_user(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.bj_manager, case, "comment", {"body": "经理"}, key="same").status_code == 200
    resp = act(staff.bj_handler, case, "comment", {"body": "经办"}, key="same")
    assert resp.status_code == 200 and not resp.has_header("Idempotent-Replayed")
    assert ApiIdempotencyKey.objects.filter(key="same").count() == 2


def test_keys_expire_and_are_purged(org_tree, staff, new_case, settings):
    settings.WORKFLOW_API_IDEMPOTENCY_HOURS = 24
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.bj_manager, case, "comment", {"body": "一"}, key="old").status_code == 200
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later):
        # Expired: the key is free again (a new action, not a replay) ...
        resp = act(staff.bj_manager, case, "comment", {"body": "二"}, key="old")
        assert resp.status_code == 200 and not resp.has_header("Idempotent-Replayed")
        assert idempotency.idempotency_keys_purge() == 0  # the fresh row is not expired
    assert act(staff.bj_handler, case, "comment", {"body": "三"}, key="other").status_code == 200
    assert idempotency.idempotency_keys_purge(now=timezone.now() + timedelta(hours=49)) == 2
    assert not ApiIdempotencyKey.objects.exists()


def test_a_malformed_key_is_400(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    resp = act(staff.bj_manager, case, "accept", {}, key="x" * 101)
    assert resp.status_code == 400 and "Idempotency-Key" in resp.json()["error"]["fields"]
    assert fresh(case).status == "routed"


def test_a_key_is_claimed_in_its_own_committed_transaction(staff):
    """The claim must be visible to a concurrent request before the action runs: inside another
    transaction it refuses at once instead of joining it."""
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        idempotency.idempotency_claim(user=staff.bj_manager, key="k", fingerprint="f")
    assert not ApiIdempotencyKey.objects.exists()


def test_the_guards_answer_in_the_ui_language(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.ho_officer, case, "comment", {"body": "一"}, key="lang").status_code == 200
    client = api_as(staff.ho_officer)
    client.cookies["django_language"] = "en"
    reused = client.post(
        action_url(case, "comment"), {"body": "二"}, format="json", headers={"Idempotency-Key": "lang"}
    )
    assert reused.status_code == 422
    assert reused.json()["error"]["message"] == "This Idempotency-Key was used for another request; use a new key"
    stale = client.post(action_url(case, "accept"), {}, format="json", headers={"If-Match": '"0.routed@0.000000"'})
    assert stale.status_code == 412 and "已被" not in stale.json()["error"]["message"]


def test_beat_purges_expired_keys_through_the_task(org_tree, staff, new_case, settings):
    from workflow.tasks import purge_idempotency_keys

    assert any(e["task"] == "workflow.purge_idempotency_keys" for e in settings.CELERY_BEAT_SCHEDULE.values())
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.ho_officer, case, "comment", {"body": "一"}, key="beat").status_code == 200
    assert purge_idempotency_keys() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert purge_idempotency_keys() == 1


def test_a_crash_after_the_action_committed_never_lets_the_key_act_again(org_tree, staff, new_case, monkeypatch):
    """Fault injection: the answer cannot be built after the service committed (the process
    dies there). The key stays claimed: a retry is 409, and the case was accepted once."""
    from workflow.api import views

    case = put(new_case(org_tree.bj), "routed")

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(views, "case_state", crash)
    with pytest.raises(RuntimeError, match="worker killed"):
        act(staff.bj_manager, case, "accept", {}, key="crash")
    monkeypatch.undo()
    retry = act(staff.bj_manager, case, "accept", {}, key="crash")
    assert retry.status_code == 409
    assert fresh(case).status == "accepted" and logged(case, "accept") == 1
