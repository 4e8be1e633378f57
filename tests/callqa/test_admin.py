"""Rules are edited in the admin: a change of what a rule checks is a new version, and the audited
admin site records who changed what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent, User
from callqa.models import QaRule
from tests.accounts.factories import UserFactory
from tests.accounts.test_admin_audit import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org_tree):
    root = UserFactory(username="root", org=org_tree.ho, roles=(roles.ADMIN,))
    User.objects.filter(pk=root.pk).update(is_staff=True, is_superuser=True)
    client.force_login(root)
    client.root = root
    return client


def test_an_admin_edit_is_a_new_version_and_is_audited(admin_client):
    rule = QaRule.objects.get(key="promise_returns")
    url = reverse("admin:callqa_qarule_change", args=[rule.pk])
    data = form_data(admin_client.get(url))
    data["phrases_zh"] = [data["phrases_zh"][0] + "\n躺赚不亏"]
    data["weight"] = ["40"]
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.context["errors"] if resp.context else resp
    rule.refresh_from_db()
    assert (rule.version, rule.weight) == (2, 40)
    v2 = rule.versions.get(version=2)
    assert "躺赚不亏" in v2.phrases["zh"] and v2.created_by == admin_client.root
    assert rule.versions.get(version=1).weight == 30  # the old version is kept as it was
    event = AuditEvent.objects.get(action="admin.change", object_type="callqa.qarule", object_id=str(rule.pk))
    assert event.actor == admin_client.root and event.detail["fields"]["weight"] == {"from": 30, "to": 40}
    # Saving again without a change makes no version.
    admin_client.post(url, form_data(admin_client.get(url)))
    rule.refresh_from_db()
    assert rule.version == 2 and rule.versions.count() == 2


def test_a_rule_cannot_be_deleted_in_the_admin(admin_client):
    rule = QaRule.objects.get(key="greeting")
    resp = admin_client.post(reverse("admin:callqa_qarule_delete", args=[rule.pk]), {"post": "yes"})
    assert resp.status_code == 403
    assert QaRule.objects.filter(pk=rule.pk).exists()
