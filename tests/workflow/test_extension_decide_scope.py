"""An extension request is decided from its own case only (the page's form carries the request id)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workflow import services
from workflow.errors import CaseNotFound
from workflow.models import CaseTransition, ExtensionRequest
from workflow.services import version_of

from .conftest import fresh, put

pytestmark = pytest.mark.django_db


def _pending_request(case, staff):
    services.extension_request(complaint_id=case.pk, actor=staff.bj_handler, reason="需调取外部流水")
    return ExtensionRequest.objects.get(complaint=case)


def test_the_page_of_one_case_cannot_decide_another_cases_request(client, org_tree, staff, new_case):
    mine = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    other = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    req = _pending_request(other, staff)
    client.force_login(staff.bj_manager)  # may decide level-1 requests on both cases
    resp = client.post(
        reverse("workflow:act", args=[mine.pk, "decide_extension"]),
        {
            "decide_extension-version": version_of(mine),
            "decide_extension-request_id": req.pk,
            "decide_extension-decision": "approve",
        },
    )
    assert resp.status_code == 404
    req.refresh_from_db()
    assert req.status == ExtensionRequest.Status.PENDING and fresh(other).extension_level == 0
    assert not CaseTransition.objects.filter(action="extension_approved").exists()


def test_the_same_request_is_decided_from_its_own_case(client, org_tree, staff, new_case):
    case = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    req = _pending_request(case, staff)
    client.force_login(staff.bj_manager)
    resp = client.post(
        reverse("workflow:act", args=[case.pk, "decide_extension"]),
        {
            "decide_extension-version": version_of(fresh(case)),
            "decide_extension-request_id": req.pk,
            "decide_extension-decision": "approve",
        },
    )
    assert resp.status_code in (200, 302)
    req.refresh_from_db()
    assert req.status == ExtensionRequest.Status.APPROVED and fresh(case).extension_level == 1


def test_the_service_refuses_a_request_of_another_case(org_tree, staff, new_case):
    mine = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    other = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    req = _pending_request(other, staff)
    with pytest.raises(CaseNotFound):
        services.extension_decide(request_id=req.pk, complaint_id=mine.pk, actor=staff.bj_manager, approve=True)
    req.refresh_from_db()
    assert req.status == ExtensionRequest.Status.PENDING


def test_the_api_answers_another_cases_request_id_with_400_on_the_field(org_tree, staff, new_case):
    """The API's case is found (the manager sees both), so the wrong id is a bad field of the body:
    400 on request_id with the page's message, not 404 (which would say the case is missing)."""
    from .api_helpers import act

    mine = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    other = put(new_case(org_tree.bj), "investigating", assigned_to=staff.bj_handler)
    req = _pending_request(other, staff)
    resp = act(staff.bj_manager, mine, "decide_extension", {"request_id": req.pk, "decision": "approve"})
    assert resp.status_code == 400, resp.json()
    assert resp.json()["error"]["fields"] == {"request_id": ["延期申请不存在"]}
    req.refresh_from_db()
    assert req.status == ExtensionRequest.Status.PENDING and fresh(other).extension_level == 0
    assert (
        act(staff.bj_manager, mine, "decide_extension", {"request_id": 999999, "decision": "approve"}).status_code
        == 400
    )
