"""Every add, change and delete through the admin site writes an audit event: who, which object,
which fields from what to what; secrets never and personal data only masked."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.admin_audit import HIDDEN, AuditedModelAdmin, audit_value
from accounts.models import AuditEvent, Organisation, RoleGrant, User
from complaints.models import RoutingRule
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET_PASSWORD = "Zq7-unguessable-Pw-2026"


@pytest.fixture
def superuser(org_tree):
    return UserFactory(username="root", org=org_tree.ho, roles=(roles.ADMIN,))


@pytest.fixture
def admin_client(client, superuser):
    User.objects.filter(pk=superuser.pk).update(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


class _FormFields(HTMLParser):
    """The values a browser would submit for the admin's main form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            default = "on" if a.get("type") in {"checkbox", "radio"} else ""
            self.data.setdefault(name, []).append(a.get("value", default))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_data(response) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(response.content.decode())
    return parser.data


def events(action: str, obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
            "id"
        )
    )


def test_every_registered_admin_writes_audit_events(superuser):
    """Walks the whole admin site: a model admin added by anyone, in any app, is covered."""
    request = RequestFactory().post("/admin/")
    request.user = superuser
    assert len(admin.site._registry) > 10
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedModelAdmin), model
        obj = model()
        setattr(obj, model._meta.pk.attname, "k1" if isinstance(model._meta.pk, models.CharField) else 987654)
        if obj.pk is None:  # DRF's TokenProxy: its admin identifies a token by its user
            obj.user_id = 987654
        for field in model._meta.concrete_fields:  # str(obj) of a log entry may format a date
            if isinstance(field, models.DateTimeField):
                setattr(obj, field.attname, timezone.now())
        label = model._meta.label_lower
        model_admin.log_addition(request, obj, "[]")
        model_admin.log_change(request, obj, "[]")
        model_admin.log_deletions(request, [obj])
        written = AuditEvent.objects.filter(object_type=label, object_id=str(obj.pk), actor=superuser)
        assert sorted(written.values_list("action", flat=True)) == ["admin.add", "admin.change", "admin.delete"], label


def test_changing_a_user_records_fields_masked_and_the_roles_granted(admin_client, superuser, org_tree):
    target = UserFactory(username="li_si", org=org_tree.bj, roles=(roles.BRANCH_HANDLER,))
    url = reverse("admin:accounts_user_change", args=[target.pk])
    data = form_data(admin_client.get(url))
    data.update(
        email=["li.si@bank.example"],
        display_name=["李四"],
        is_active=[],  # unticked: deactivate
        **{
            "role_grants-1-role": [roles.BRANCH_MANAGER],
            "role_grants-1-user": [str(target.pk)],
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response

    (event,) = events("admin.change", target)
    assert event.actor == superuser
    fields = event.detail["fields"]
    assert fields["email"] == {"from": "", "to": "l***@bank.example"}
    assert fields["display_name"] == {"from": "", "to": "李*"}
    assert fields["is_active"] == {"from": True, "to": False}
    assert set(fields) == {"email", "display_name", "is_active"}
    grant = RoleGrant.objects.get(user=target, role=roles.BRANCH_MANAGER)
    assert event.detail["inlines"] == [
        {
            "model": "accounts.rolegrant",
            "id": str(grant.pk),
            "op": "add",
            "fields": {"role": {"from": None, "to": roles.BRANCH_MANAGER}},
        }
    ]
    assert "li.si" not in json.dumps(event.detail, ensure_ascii=False)


def test_adding_a_user_and_setting_a_password_never_records_the_password(admin_client, superuser):
    add = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "wang_wu",
            "usable_password": "true",
            "password1": SECRET_PASSWORD,
            "password2": SECRET_PASSWORD,
            "role_grants-TOTAL_FORMS": "0",
            "role_grants-INITIAL_FORMS": "0",
        },
    )
    assert add.status_code == 302, add.context["errors"]
    user = User.objects.get(username="wang_wu")
    (added,) = events("admin.add", user)
    assert added.detail["fields"]["username"] == {"from": None, "to": "wang_wu"}
    assert added.detail["fields"]["password1"] == {"from": HIDDEN, "to": HIDDEN}

    changed = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": SECRET_PASSWORD + "x", "password2": SECRET_PASSWORD + "x"},
    )
    assert changed.status_code == 302
    (event,) = events("admin.change", user)
    assert event.detail["fields"] == {"password": {"from": HIDDEN, "to": HIDDEN}}
    trail = json.dumps(list(AuditEvent.objects.values("detail")), ensure_ascii=False)
    assert SECRET_PASSWORD not in trail
    assert user.password.split("$")[-1] not in trail


def test_adding_an_organisation(admin_client, org_tree):
    response = admin_client.post(
        reverse("admin:accounts_organisation_add"),
        {
            "code": "GZ",
            "name_zh": "广州分行",
            "name_en": "",
            "kind": "branch",
            "parent": str(org_tree.ho.pk),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    gz = Organisation.objects.get(code="GZ")
    (event,) = events("admin.add", gz)
    assert event.detail["fields"]["code"] == {"from": None, "to": "GZ"}
    assert event.detail["fields"]["parent"] == {"from": None, "to": org_tree.ho.pk}


def test_list_editable_change_is_recorded(admin_client):
    rule = RoutingRule.objects.create(priority=7, code_b_prefix="B09", target=RoutingRule.Target.HOME_BRANCH)
    changelist = admin_client.get(reverse("admin:complaints_routingrule_changelist"))
    data = form_data(changelist)
    data = {k: v for k, v in data.items() if k.startswith("form-") or k in {"_save"}}
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == [str(rule.pk)])
    data.pop(f"form-{index}-is_active", None)
    data["_save"] = ["Save"]
    response = admin_client.post(reverse("admin:complaints_routingrule_changelist"), data)
    assert response.status_code == 302
    (event,) = events("admin.change", rule)
    assert event.detail["fields"] == {"is_active": {"from": True, "to": False}}


def test_bulk_delete_writes_one_event_per_object(admin_client, superuser):
    groups = [Group.objects.create(name=n) for n in ("reviewers", "trainees")]
    response = admin_client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [str(g.pk) for g in groups], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Group.objects.exists()
    for g in groups:
        (event,) = events("admin.delete", g)
        assert event.actor == superuser


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("password", "hunter2-long", HIDDEN),
        ("key", "a" * 40, HIDDEN),
        ("email", "zhang.san@bank.example", "z***@bank.example"),
        ("first_name", "张三丰", "张**"),
        ("note", "客户手机 13812345678 来电", "客户手机 138****5678 来电"),
        ("note", "x" * 500, "x" * 199 + "…"),
        ("is_active", True, True),
        ("roles", ["a", "b"], ["a", "b"]),
    ],
)
def test_audit_value_hides_secrets_and_masks_personal_data(field, value, expected):
    assert audit_value(field, value) == expected
