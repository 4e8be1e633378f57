"""The customer is told the case reference when an agent registers it from their WeChat message:
an active customer-service message through the pluggable client (a recording client here), queued
after the commit, sent once, tried again while the platform refuses, logged."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.urls import reverse

from complaints.models import Complaint
from tests.complaints.test_pages import _form_token, _post_data
from tests.wechat.conftest import RecordingSender
from tests.wechat.wire import EXTERNAL_ID, OPENID, WECOM, text_xml
from wechat.models import WeChatMessage
from wechat.services import wechat_ack_send, wechat_draft_dismiss
from wechat.tasks import ACK_RETRIES

pytestmark = pytest.mark.django_db
TEXT = "信用卡未开卡被收年费，要求退还"


@pytest.fixture(autouse=True)
def _clock(pin_clock):
    pin_clock(date(2026, 11, 25))


def _register(client, draft, channel="wechat"):
    html = client.get(reverse("complaints:intake"), {"wechat": draft.pk}).content.decode()
    data = _post_data(_form_token(html), wechat=str(draft.pk), channel=channel, summary=TEXT, details=TEXT)
    resp = client.post(reverse("complaints:intake"), data)
    assert resp.status_code == 302
    return Complaint.objects.get()


def test_registering_a_draft_sends_the_customer_the_reference_after_the_commit(
    client, oa, agent, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=TEXT, msg_id="100"))
    draft = WeChatMessage.objects.get()
    client.force_login(agent)
    with django_capture_on_commit_callbacks() as queued:
        case = _register(client, draft)
        assert RecordingSender.sent == []  # nothing leaves before the commit
    assert queued
    for callback in queued:
        callback()
    assert RecordingSender.sent == [("official", OPENID, RecordingSender.sent[0][2])]
    assert case.reference in RecordingSender.sent[0][2]
    draft.refresh_from_db()
    assert draft.ack_sent_at is not None and draft.ack_error == ""
    assert wechat_ack_send(message_id=draft.pk) == "already"  # once only
    assert len(RecordingSender.sent) == 1


def test_a_wecom_customer_gets_it_through_the_wecom_client(client, wecom, agent):
    wecom.post(text_xml(to=WECOM["corp"], sender=EXTERNAL_ID, content=TEXT, msg_id="7"), agent_id="1000002")
    draft = WeChatMessage.objects.get()
    client.force_login(agent)
    case = _register(client, draft, channel="wecom")
    assert wechat_ack_send(message_id=draft.pk) == "sent"
    assert [(c, u) for c, u, _t in RecordingSender.sent] == [("wecom", EXTERNAL_ID)]
    assert case.reference in RecordingSender.sent[0][2]


def test_a_platform_that_refuses_is_asked_again_and_the_reason_is_kept_and_logged(
    client, oa, agent, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # retries run at once, in order
    RecordingSender.down = True
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=TEXT, msg_id="101"))
    draft = WeChatMessage.objects.get()
    client.force_login(agent)
    drafts_log = caplog.at_level(logging.WARNING, logger="complaints.services.drafts")
    with drafts_log, django_capture_on_commit_callbacks(execute=True):
        _register(client, draft)
    assert RecordingSender.tried == 1 + ACK_RETRIES and RecordingSender.sent == []
    draft.refresh_from_db()
    assert draft.ack_sent_at is None and "45015" in draft.ack_error
    assert f"wechat.WeChatMessage {draft.pk}: case reference not sent" in caplog.text
    RecordingSender.down = False  # the platform is back: the next try sends it and clears the reason
    assert wechat_ack_send(message_id=draft.pk) == "sent"
    draft.refresh_from_db()
    assert draft.ack_sent_at is not None and draft.ack_error == ""


def test_a_broker_that_is_down_does_not_fail_the_registration(
    client, oa, agent, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from celery import current_app

    from wechat.services import ACK_TASK

    def down(*args, **kwargs):
        raise OSError("broker unreachable")

    monkeypatch.setattr(current_app.tasks[ACK_TASK], "delay", down)
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=TEXT, msg_id="102"))
    draft = WeChatMessage.objects.get()
    client.force_login(agent)
    with caplog.at_level(logging.ERROR, logger="wechat.services"), django_capture_on_commit_callbacks(execute=True):
        _register(client, draft)
    assert Complaint.objects.count() == 1
    assert f"wechat message {draft.pk}: could not queue wechat.send_ack" in caplog.text
    assert RecordingSender.tried == 0


def test_nothing_is_sent_for_a_draft_that_was_not_registered(oa, agent):
    oa.post(text_xml(to="gh_10f6c3c3ac5a", sender=OPENID, content=TEXT, msg_id="103"))
    draft = WeChatMessage.objects.get()
    assert wechat_ack_send(message_id=draft.pk) == "missing"
    wechat_draft_dismiss(actor=agent, message=draft, reason="咨询营业时间")
    assert wechat_ack_send(message_id=draft.pk) == "missing"
    assert RecordingSender.tried == 0
