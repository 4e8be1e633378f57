"""Login throttling (django-axes, voc/hardening.py): 5 wrong passwords for one username from one
client address lock that pair out for 15 minutes, with a message on the login page; an
administrator can unlock earlier. The client address follows VOC_TRUSTED_PROXIES."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-123"
LOCK_MESSAGE = "登录失败次数过多"


@pytest.fixture
def officer(org_tree, make_user):
    return make_user(roles.HO_OFFICER, org_tree.ho, username="officer")


def _login(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _fail(client: Client, username: str, times: int, **extra) -> list[int]:
    return [_login(client, username, "wrong-password", **extra).status_code for _ in range(times)]


def test_five_failures_lock_the_account_even_for_the_right_password(client, officer):
    assert _fail(client, "officer", 4) == [200] * 4
    fifth = _login(client, "officer", "wrong-password")
    assert fifth.status_code == 429
    locked = _login(client, "officer", PASSWORD)
    body = locked.content.decode()
    assert locked.status_code == 429
    assert LOCK_MESSAGE in body and "15 分钟后再试" in body and "联系系统管理员解锁" in body
    assert 'name="username"' in body and 'value="officer"' in body  # the login form is still there
    assert client.get(reverse("home")).status_code == 302  # not signed in


def test_before_the_limit_the_usual_error_is_shown_and_a_success_resets_the_count(client, officer):
    wrong = _login(client, "officer", "wrong-password").content.decode()
    assert "用户名或密码不正确" in wrong and LOCK_MESSAGE not in wrong
    _fail(client, "officer", 3)
    assert _login(client, "officer", PASSWORD).status_code == 302
    client.logout()
    assert _fail(client, "officer", 4) == [200] * 4  # the count started again after the success
    assert _login(client, "officer", PASSWORD).status_code == 302


def test_the_lock_is_per_username_and_address(client, officer, org_tree, make_user):
    make_user(roles.HO_OFFICER, org_tree.ho, username="colleague")
    _fail(client, "officer", 5)
    # The same office (address) can still sign in other users ...
    assert _login(Client(), "colleague", PASSWORD).status_code == 302
    # ... and the user can still sign in from another address.
    assert _login(Client(), "officer", PASSWORD, REMOTE_ADDR="192.0.2.44").status_code == 302
    assert _login(Client(), "officer", PASSWORD).status_code == 429


def test_the_lock_expires_after_15_minutes(client, officer):
    _fail(client, "officer", 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert _login(client, "officer", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _login(client, "officer", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, officer):
    """No trusted proxy (the default): X-Forwarded-For is the client's own word and ignored."""
    for n in range(5):
        _login(client, "officer", "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert _login(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(client, officer, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # VOC_TRUSTED_PROXIES=1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    attacker_forging = {**proxy, "HTTP_X_FORWARDED_FOR": "192.0.2.99, 203.0.113.5"}  # proxy appends the real one
    user_elsewhere = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    _fail(client, "officer", 5, **attacker)
    assert _login(Client(), "officer", PASSWORD, **attacker_forging).status_code == 429
    assert _login(Client(), "officer", PASSWORD, **user_elsewhere).status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_an_administrator_unlocks_a_user_in_the_admin(client, officer, org_tree):
    _fail(client, "officer", 5)
    attempt = AccessAttempt.objects.get(username="officer")
    admin = UserFactory(username="root", org=org_tree.ho)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    admin_client = Client()
    admin_client.force_login(admin)
    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "officer" in listing
    deleted = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert _login(client, "officer", PASSWORD).status_code == 302


def test_the_lock_message_is_translated(client, officer):
    client.cookies["django_language"] = "en"
    _fail(client, "officer", 5)
    body = _login(client, "officer", PASSWORD).content.decode()
    assert "Too many failed sign-ins" in body and "15 minutes" in body


def test_a_request_without_a_client_address_can_still_sign_in(client, officer):
    """gunicorn on a unix socket gives no REMOTE_ADDR; axes keeps the address in an inet column
    on PostgreSQL, where a placeholder like 'unknown' would turn every login into a 500."""
    assert _login(client, "officer", "wrong-password", REMOTE_ADDR="").status_code == 200
    assert _login(client, "officer", PASSWORD, REMOTE_ADDR="").status_code == 302
