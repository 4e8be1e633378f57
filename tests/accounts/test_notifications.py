from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts import roles
from accounts.models import Notification
from accounts.services import notification_send

pytestmark = pytest.mark.django_db


def test_same_event_notifies_each_user_once(org_tree, make_user, django_capture_on_commit_callbacks):
    a = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    b = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    a.email = "a@bank.example"
    a.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            notification_send(recipients=[a, b], kind="overdue", title="超期", dedupe_key="overdue:1", email=True) == 2
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            notification_send(recipients=[a, b], kind="overdue", title="超期", dedupe_key="overdue:1", email=True) == 0
        )
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@bank.example"]


def test_inactive_users_are_not_notified(org_tree, make_user):
    a = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    a.is_active = False
    a.save()
    assert notification_send(recipients=[a], kind="x", title="t", dedupe_key="k") == 0


def test_user_reads_and_clears_only_own_notifications(client, org_tree, make_user):
    mine = make_user(roles.BRANCH_MANAGER, org_tree.bj)
    other = make_user(roles.BRANCH_MANAGER, org_tree.sh)
    notification_send(recipients=[mine], kind="x", title="北京提醒", dedupe_key="k1")
    notification_send(recipients=[other], kind="x", title="上海提醒", dedupe_key="k2")
    client.force_login(mine)
    body = client.get(reverse("accounts:notifications")).content.decode()
    assert "北京提醒" in body and "上海提醒" not in body
    client.post(reverse("accounts:notifications"))
    assert not Notification.objects.filter(recipient=mine, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()
