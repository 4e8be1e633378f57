"""Issue 15's "done when": integration clients drive a case from registration to closed through the
API alone (API keys, no staff session), while a webhook receiver records every event once, in
order, signed, and without personal data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import RoleGrant
from integrations import services
from integrations.models import EventType

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "channel": "hotline",
    "code_a": "A0302",
    "code_b": "B030202",
    "code_c": "C03",
    "summary": "信用卡年费争议",
    "customer": {"name": "张伟", "title": "mr", "mobile": "13800138000", "home_org": "BJ"},
}
DECISION = {"result": "partly_upheld", "redress_type": "fee_waiver", "redress_amount": "200.00", "root_cause": "C0103"}


def client_with_key(name, org, grant, allowed) -> APIClient:
    client = services.integration_client_create(name=name, org=org, allowed_actions=allowed)
    for role in grant:
        RoleGrant.objects.create(user=client.service_user, role=role)
    _key, raw = services.api_key_create(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return api


def test_clients_drive_a_case_to_closed_through_the_api_while_the_receiver_records_each_event_in_order(
    org_tree, pin_clock, endpoint, receiver
):
    pin_clock(date(2026, 12, 7))
    cache.clear()
    call_centre = client_with_key("Call centre", org_tree.ho, [roles.AGENT, roles.HO_OFFICER], ["route"])
    review_desk = client_with_key("HO review", org_tree.ho, [roles.HO_APPROVER], ["approve_decision"])
    branch_crm = client_with_key(
        "BJ CRM",
        org_tree.bj,
        [roles.BRANCH_MANAGER, roles.BRANCH_HANDLER],
        ["accept", "start_investigation", "draft_decision", "submit_for_review", "respond", "close"],
    )
    created = call_centre.post("/api/v1/complaints/", REGISTRATION, format="json")
    assert created.status_code == 201, created.content
    ref = created.json()["reference"]
    steps = [
        (call_centre, "route", {"org": "BJ"}, "routed"),
        (branch_crm, "accept", {"reason": "已电话联系客户"}, "accepted"),
        (branch_crm, "start_investigation", {}, "investigating"),
        (
            branch_crm,
            "draft_decision",
            {"text": "年费收取符合约定，但未充分提示，予以减免。", "proposed_result": "partly_upheld", **DECISION},
            "decision_drafted",
        ),
        (branch_crm, "submit_for_review", {}, "ho_review"),
        (review_desk, "approve_decision", {"comment": "同意"}, "approved"),
        (branch_crm, "respond", {"informed_via": "phone"}, "responded"),
        (branch_crm, "close", DECISION, "closed"),
    ]
    for api, action, body, state in steps:
        response = api.post(f"/api/v1/complaints/{ref}/actions/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.content.decode()[:500])
        assert response.json()["status"] == state
    # a key is limited to its client's actions even where the user behind it could act
    refused = call_centre.post(f"/api/v1/complaints/{ref}/actions/comment/", {"body": "x"}, format="json")
    assert refused.status_code == 403

    result = services.deliveries_send_due()

    expected_states = ["registered", *[state for _api, _action, _body, state in steps]]
    assert [e["case"]["status"] for e in receiver.events] == expected_states
    assert [e["type"] for e in receiver.events] == [
        EventType.CASE_CREATED,
        *[EventType.STATE_CHANGED] * (len(steps) - 1),
        EventType.CLOSED,
    ]
    assert [e["data"].get("action") for e in receiver.events] == ["register", *[a for _x, a, _b, _s in steps]]
    assert [e["sequence"] for e in receiver.events] == list(range(1, len(steps) + 2))
    assert result.sent == len(steps) + 1 and receiver.rejected == []
    wire = json.dumps(receiver.events, ensure_ascii=False)
    for personal in ("张伟", "13800138000", "信用卡年费争议"):
        assert personal not in wire
