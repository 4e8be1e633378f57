from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent, Organisation, RoleGrant, User

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录客户之声" in body


def test_pages_name_a_shipped_icon(client):
    from django.contrib.staticfiles import finders

    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("login")).content.decode()
    assert finders.find("favicon.svg")  # browsers otherwise ask for /favicon.ico and log a 404


def test_login_and_logout(client, org_tree, make_user):
    make_user(roles.BRANCH_HANDLER, org_tree.bj, username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-test-123"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_wrong_password_shows_message(client, org_tree, make_user):
    make_user(roles.BRANCH_HANDLER, org_tree.bj, username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_language_switch_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body
    assert "Sign in to Voice of Customer" in body


def test_audit_log_is_404_for_non_auditors(client, org_tree, make_user):
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.bj))
    assert client.get(reverse("accounts:audit_log")).status_code == 404


def test_auditor_reads_audit_log(client, org_tree, make_user):
    auditor = make_user(roles.AUDITOR, org_tree.ho)
    AuditEvent.objects.create(actor=auditor, action="unmask_view", object_type="complaints.customer", object_id="7")
    client.force_login(auditor)
    body = client.get(reverse("accounts:audit_log")).content.decode()
    assert "unmask_view" in body and "客户 #7" in body  # an unknown old kind as stored; the object by name


def test_auditor_or_admin_role_outside_head_office_reads_no_audit_trail(client, org_tree, make_user):
    # Such grants are refused (below); one that slipped in (e.g. an old row) still opens nothing.
    AuditEvent.objects.create(action="unmask_view", object_type="complaints.customer", object_id="7")
    for role in (roles.AUDITOR, roles.ADMIN):
        user = make_user(roles.BRANCH_MANAGER, org_tree.bj, username=f"old_{role}")
        RoleGrant.objects.create(user=user, role=role)  # written past the services
        client.force_login(User.objects.get(pk=user.pk))
        assert client.get(reverse("accounts:audit_log")).status_code == 404
        assert client.get(reverse("recordings:plays")).status_code == 404


@pytest.mark.parametrize("role", sorted(roles.HEAD_OFFICE_ROLES))
def test_head_office_roles_are_refused_outside_head_office(org_tree, role):
    from django.core.exceptions import ValidationError

    from accounts.services import user_upsert

    with pytest.raises(ValueError, match="only held at head office"):
        user_upsert(username="x", org=org_tree.bj, roles=[role])
    assert not User.objects.filter(username="x").exists()
    user = user_upsert(username="y", org=org_tree.bj_cy, roles=[roles.BRANCH_HANDLER])
    with pytest.raises(ValidationError, match="只能授予总行人员"):
        RoleGrant(user=user, role=role).full_clean()  # what the admin's role inline runs
    RoleGrant(user=user_upsert(username="z", org=org_tree.ho, roles=[]), role=role).full_clean()


def test_admin_sees_administration_link_and_handler_does_not(client, org_tree, make_user):
    admin_user = make_user(roles.ADMIN, org_tree.ho)
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    assert 'data-key="admin"' in client.get(reverse("home")).content.decode()
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    assert 'data-key="admin"' not in client.get(reverse("home")).content.decode()


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", "--quick", "--complaints", "0", verbosity=0)
    counts = (Organisation.objects.count(), User.objects.count(), RoleGrant.objects.count())
    call_command("seed_demo", "--quick", "--complaints", "0", verbosity=0)
    assert (Organisation.objects.count(), User.objects.count(), RoleGrant.objects.count()) == counts
    assert Organisation.objects.filter(kind=Organisation.Kind.BRANCH).count() == 5
    assert Organisation.objects.filter(kind=Organisation.Kind.SUB_BRANCH).count() == 10
    assert User.objects.get(username="bj_manager").has_role(roles.BRANCH_MANAGER)
    assert User.objects.get(username="bj_cy_handler").org.code == "BJ-CY"


def test_every_demo_user_can_log_in_and_gets_a_home(client, db):
    from accounts.demo import DEMO_PASSWORD

    call_command("seed_demo", "--quick", "--complaints", "0", verbosity=0)
    for user in User.objects.all():
        login = client.post(reverse("login"), {"username": user.username, "password": DEMO_PASSWORD})
        assert login.status_code == 302, user.username
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert user.org.name_zh in response.content.decode()
        client.logout()


def test_browser_language_does_not_override_chinese_default(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in body
