"""The remediation item's responsible-organisation picker (issue 14): search by code or name,
only active organisations in the user's scope; the form still refuses a code outside it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from analytics.models import ImprovementItem
from tests.accounts.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _codes(client, q: str) -> list[str]:
    resp = client.get(reverse("analytics:improvement_orgs"), {"q": q})
    assert resp.status_code == 200
    return [r["code"] for r in resp.json()["results"]]


@pytest.fixture
def bjs(org_tree):
    """BJS, whose code starts like BJ's (a prefix trap), and a closed BJ sub-branch."""
    OrganisationFactory(
        code="BJ-OLD", name_zh="旧支行", kind=Organisation.Kind.SUB_BRANCH, parent=org_tree.bj, is_active=False
    )
    return OrganisationFactory(code="BJS", name_zh="北京南分行", kind=Organisation.Kind.BRANCH, parent=org_tree.ho)


def test_branch_manager_finds_only_their_subtree_by_code_or_name(client, users, bjs):
    client.force_login(users["bj_manager"])
    assert _codes(client, "BJ") == ["BJ", "BJ-CY"]  # not BJS, not the closed BJ-OLD
    assert _codes(client, "朝阳") == ["BJ-CY"]
    assert _codes(client, "上海") == []


def test_head_office_finds_every_active_organisation(client, users, bjs):
    client.force_login(users["ho_officer"])
    assert _codes(client, "BJ") == ["BJ", "BJ-CY", "BJS"]
    assert _codes(client, "分行") == ["BJ", "BJS", "SH"]


def test_those_who_cannot_open_items_get_404(client, users):
    for who in ("auditor", "bj_handler"):
        client.force_login(users[who])
        assert client.get(reverse("analytics:improvement_orgs"), {"q": "BJ"}).status_code == 404


def test_the_form_offers_the_picker_and_still_refuses_an_org_outside_scope(client, users):
    client.force_login(users["bj_manager"])
    page = client.get(reverse("analytics:improvement_new")).content.decode()
    assert f'data-picker-url="{reverse("analytics:improvement_orgs")}"' in page and "js/code-picker.js" in page
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    resp = client.post(reverse("analytics:improvement_new"), {"title": "年费整改", "owner_org": "SH", "due_date": due})
    assert resp.status_code == 400 and "责任机构不存在或不在权限范围内" in resp.content.decode()
    assert not ImprovementItem.objects.exists()
