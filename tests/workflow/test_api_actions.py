"""The workflow API (issue 15): a case driven from registration to closed through the API alone,
by the real roles; refusals as the case page gives them; bad bodies with the page's messages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from complaints.models import Complaint
from workflow import actions, forms, permissions
from workflow.models import CaseTransition
from workflow.services import version_of

from .api_helpers import PINNED, REGISTRATION, act, api_as, clock, timeline
from .conftest import fresh, put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday(pin_clock):
    pin_clock(PINNED)


def test_a_case_goes_from_registration_to_closed_through_the_api_alone(org_tree, staff):
    created = api_as(staff.agent).post("/api/v1/complaints/", REGISTRATION, format="json")
    assert created.status_code == 201, created.json()
    ref = created.json()["reference"]
    first = clock(staff.ho_officer, ref)
    assert first.status_code == 200 and first.json()["status"] == "registered"
    assert "route" in first.json()["allowed_actions"]
    version = first["ETag"]

    steps = [
        (staff.ho_officer, "route", {"org": "BJ", "reason": "信用卡业务，派北京分行"}, "routed"),
        (staff.bj_manager, "accept", {"reason": "已电话联系客户"}, "accepted"),
        (staff.bj_manager, "assign", {"handler": staff.bj_handler.pk}, "accepted"),
        (staff.bj_handler, "start_investigation", {}, "investigating"),
        (
            staff.bj_handler,
            "draft_decision",
            {
                "text": "年费收取符合约定，但未充分提示，予以减免。",
                "proposed_result": "partly_upheld",
                "redress_type": "fee_waiver",
                "redress_amount": "200.00",
                "root_cause": "C0103",
            },
            "decision_drafted",
        ),
        (staff.bj_handler, "submit_for_review", {}, "ho_review"),
        (staff.ho_approver, "approve_decision", {"comment": "同意"}, "approved"),
        (staff.bj_handler, "respond", {"informed_via": "phone"}, "responded"),
        (
            staff.bj_manager,
            "close",
            {
                "result": "partly_upheld",
                "redress_type": "fee_waiver",
                "redress_amount": "200.00",
                "root_cause": "C0103",
            },
            "closed",
        ),
    ]
    for user, action, body, state in steps:
        resp = act(user, ref, action, body, if_match=version)
        assert resp.status_code == 200, (action, resp.json())
        data = resp.json()
        assert (data["action"], data["status"]) == (action, state)
        assert resp["ETag"] == f'"{data["version"]}"' != version  # every step moves the version
        version = resp["ETag"]

    case = Complaint.objects.get(reference=ref)
    assert case.status == "closed" and case.assigned_to == staff.bj_handler
    assert case.root_cause_code.code == "C0103" and str(case.redress_amount) == "200.00"
    logged = list(CaseTransition.objects.filter(complaint=case).values_list("action", "actor__username"))
    assert logged == [
        ("register", staff.agent.username),
        *[(action, user.username) for user, action, _, _ in steps],
    ]
    entries = timeline(staff.ho_officer, ref).json()["entries"]
    assert [e["kind"] for e in entries if e["kind"] in {a for _, a, _, _ in steps}] == [a for _, a, _, _ in steps]
    assert clock(staff.bj_manager, ref).json()["allowed_actions"] == permissions.allowed_actions(
        staff.bj_manager, case, actions=["record_informed"]
    )


# --- refusals, as the case page gives them ------------------------------------------------------


@pytest.mark.parametrize("who", ["sh_manager", "sh_handler", "bj_cy_handler"])
def test_a_case_outside_the_users_scope_is_404_for_actions_timeline_and_clock(org_tree, staff, new_case, who):
    case = new_case(org_tree.bj)
    user = getattr(staff, who)
    assert act(user, case, "accept").status_code == 404
    assert timeline(user, case).status_code == 404
    assert clock(user, case).status_code == 404
    page = api_as(user)
    page.force_login(user)
    assert page.get(reverse("workflow:case", args=[case.pk])).status_code == 404  # as the page
    assert fresh(case).status == "registered"


@pytest.mark.parametrize(
    ("who", "state", "action", "body"),
    [
        ("auditor", "routed", "accept", {}),  # read-only role
        ("ho_officer", "routed", "accept", {}),  # head office does not accept for a branch
        ("bj_handler", "ho_review", "approve_decision", {}),  # a branch never approves its own decision
        ("bj_manager", "registered", "accept", {}),  # not routed yet
        ("bj_handler", "routed", "route", {}),  # dispatch is head office's
        ("bj_handler2", "investigating", "start_investigation", {}),  # assigned to someone else
    ],
)
def test_refusals_are_403_with_the_permission_tables_reason(org_tree, staff, new_case, who, state, action, body):
    case = put(new_case(org_tree.bj), state, assigned_to=staff.bj_handler)
    user = getattr(staff, who)
    expected = permissions.denial(user, case, action)
    assert expected  # the table refuses it ...
    resp = act(user, case, action, body)
    assert resp.status_code == 403  # ... and the API says so with the table's reason
    assert resp.json()["error"]["message"] == expected
    assert fresh(case).status == state


def test_the_page_and_the_api_offer_the_same_actions(client, org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "accepted", assigned_to=staff.bj_handler)
    for user in (staff.bj_manager, staff.bj_handler, staff.ho_officer, staff.auditor):
        client.force_login(user)
        page = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
        offered = clock(user, case).json()["allowed_actions"]
        on_page = {a for a in actions.SPECS if f"/act/{a}/" in page}
        assert set(offered) == on_page, user.username


def test_an_integration_client_is_asked_before_acting(org_tree, staff, new_case):
    """``workflow.api.permissions.client_may``: a key that does not allow the action is 403, and
    nothing happens even though the user behind it may act."""
    case = put(new_case(org_tree.bj), "routed")
    key = SimpleNamespace(allows=lambda action: action == "comment")
    client = api_as(staff.bj_manager)
    client.force_authenticate(staff.bj_manager, token=key)
    url = reverse("workflow_api:action_accept", args=[case.reference])
    resp = client.post(url, {}, format="json")
    assert resp.status_code == 403 and "接入系统" in resp.json()["error"]["message"]
    assert fresh(case).status == "routed"
    ok = client.post(reverse("workflow_api:action_comment", args=[case.reference]), {"body": "已联系"}, format="json")
    assert ok.status_code == 200


# --- bad bodies: 400 naming the field, with the page's message -------------------------------


def _page_errors(form_class, data) -> dict:
    form = form_class(data)
    assert not form.is_valid()
    return {k: [str(m) for m in v] for k, v in form.errors.items()}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"proposed_result": "partly_upheld", "redress_type": "none"}, "text"),  # missing
        ({"text": "   ", "proposed_result": "partly_upheld", "redress_type": "none"}, "text"),  # blank
        ({"text": "x" * 5001, "proposed_result": "partly_upheld", "redress_type": "none"}, "text"),  # too long
        ({"text": "意见", "proposed_result": "maybe", "redress_type": "none"}, "proposed_result"),  # unknown
        (
            {"text": "意见", "proposed_result": "upheld", "redress_type": "none", "redress_amount": "1.234"},
            "redress_amount",
        ),
    ],
)
def test_a_bad_body_is_400_with_the_pages_message_for_the_field(org_tree, staff, new_case, body, field):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    resp = act(staff.bj_handler, case, "draft_decision", body)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"][field] == _page_errors(forms.DecisionForm, body)[field]
    assert fresh(case).status == "investigating"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": 5, "proposed_result": "upheld", "redress_type": "none"}, "text", "应为 JSON string"),
        ({"text": "意见", "proposed_result": "upheld", "redress_type": "none", "redress_amount": 1.5}, "redress_amount", "应为 JSON string"),
        ({"text": None, "proposed_result": "upheld", "redress_type": "none"}, "text", "不能为 null"),
        ({"text": "意见", "proposed_result": "upheld", "redress_type": "none", "root_cause": ["C01"]}, "root_cause", "应为 JSON string"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_json_type_is_400_naming_the_field(org_tree, staff, new_case, body, field, message):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    resp = act(staff.bj_handler, case, "draft_decision", body)
    assert resp.status_code == 400
    assert message in resp.json()["error"]["fields"][field][0]
    assert fresh(case).status == "investigating"


def test_a_body_that_is_not_an_object_is_400(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    resp = act(staff.bj_manager, case, "accept", ["reason"])
    assert resp.status_code == 400 and resp.json()["error"]["fields"]["non_field_errors"]


def test_a_refusal_of_the_service_is_400_with_the_pages_message(client, org_tree, staff, new_case):
    """Returning a decision needs a comment: the service says so, on the page and in the API alike."""
    case = put(new_case(org_tree.bj), "ho_review")
    resp = act(staff.ho_approver, case, "return_to_branch", {"comment": ""})
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    client.force_login(staff.ho_approver)
    page = client.post(
        reverse("workflow:act", args=[case.pk, "return_to_branch"]),
        {"return_to_branch-version": version_of(case), "return_to_branch-comment": ""},
    )
    assert page.status_code == 400 and message in page.content.decode()
    assert fresh(case).status == "ho_review"


def test_an_unknown_organisation_code_is_a_field_error(org_tree, staff, new_case):
    case = new_case(org_tree.bj)
    resp = act(staff.ho_officer, case, "route", {"org": "NOPE"})
    assert resp.status_code == 400 and list(resp.json()["error"]["fields"]) == ["org"]
    assert fresh(case).status == "registered"


def test_an_unknown_action_is_404(org_tree, staff, new_case):
    case = new_case(org_tree.bj)
    resp = api_as(staff.ho_officer).post(f"/api/v1/complaints/{case.reference}/actions/teleport/", {}, format="json")
    assert resp.status_code == 404


# --- timeline and clock -----------------------------------------------------------------------


def test_clock_is_the_case_pages_clock_with_the_version_as_etag(org_tree, staff, new_case):
    from workflow.selectors import clock_for

    case = put(new_case(org_tree.bj), "accepted", assigned_to=staff.bj_handler)
    resp = clock(staff.bj_handler, case)
    data = resp.json()
    expected = clock_for(fresh(case))
    assert data["due_date"] == expected.due_date.isoformat()
    assert (data["days_left"], data["state"], data["period_days"]) == (
        expected.days_left,
        expected.state,
        expected.period_days,
    )
    assert resp["ETag"] == f'"{data["version"]}"' == f'"{version_of(fresh(case))}"'
    assert data["pending_extension"] is None


def test_timeline_lists_what_the_case_page_lists(client, org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    assert act(staff.bj_manager, case, "accept", {"reason": "已电话联系客户"}).status_code == 200
    assert act(staff.bj_manager, case, "comment", {"body": "客户下午再来电"}).status_code == 200
    entries = timeline(staff.bj_manager, case).json()["entries"]
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "received" and "accept" in kinds and "comment" in kinds
    client.force_login(staff.bj_manager)
    page = client.get(reverse("workflow:case", args=[case.pk])).content.decode()
    for e in entries:
        assert e["title"] in page


def test_no_body_is_an_empty_body_but_null_is_refused(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "routed")
    url = reverse("workflow_api:action_comment", args=[case.reference])
    null = api_as(staff.bj_manager).post(url, "null", content_type="application/json")
    assert null.status_code == 400 and fresh(case).first_response_at is None
    empty = api_as(staff.bj_manager).post(reverse("workflow_api:action_accept", args=[case.reference]))
    assert empty.status_code == 200 and fresh(case).status == "accepted"


def test_clock_shows_the_latest_decision_and_the_pending_extension(org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    draft = {
        "text": "经核实，予以减免年费。",
        "proposed_result": "upheld",
        "redress_type": "fee_waiver",
        "redress_amount": "120.00",
        "root_cause": "C0103",
    }
    assert act(staff.bj_handler, case, "draft_decision", draft).status_code == 200
    assert act(staff.bj_handler, case, "request_extension", {"reason": "需调取录音"}).status_code == 200
    data = clock(staff.bj_manager, case).json()
    assert data["decision"]["version"] == 1 and data["decision"]["review"] == ""  # awaiting review
    assert {k: data["decision"][k] for k in draft} == draft
    pending = data["pending_extension"]
    assert pending["level"] == 1 and "decide_extension" in data["allowed_actions"]
    decided = act(staff.bj_manager, case, "decide_extension", {"request_id": pending["id"], "decision": "approve"})
    assert decided.status_code == 200
    after = clock(staff.bj_manager, case).json()
    assert after["pending_extension"] is None and after["extension_level"] == 1 and after["period_days"] == 30
