"""The sender is told the case reference when an agent registers it from their mail: a mail
through Django's mail backend, after the commit, once, threaded by the reference in its subject
(a reply to it is filed to the case), never to an address that does not read mail, tried again
while the mail server refuses."""

from __future__ import annotations

import logging
import re
import smtplib
from email import message_from_bytes

import pytest
from django.core import mail as outbox
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from complaints.models import Complaint
from mailintake.models import InboundMail
from mailintake.parsing import no_reply_reason
from mailintake.services import mail_ack_send, mail_receive
from mailintake.tasks import ACK_RETRIES
from tests.mailintake.mail import raw_mail

pytestmark = pytest.mark.django_db


class DownBackend(BaseEmailBackend):
    """A mail server that does not answer (the backend raises as smtplib does)."""

    tried = 0

    def send_messages(self, messages):
        DownBackend.tried += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def _receive(sender="张伟 <zhang.wei@example.com>", message_id="<m1@example.com>") -> InboundMail:
    raw = raw_mail(sender=sender, message_id=message_id, headers="References: <older@example.com>")
    return mail_receive(raw=raw, recipient="complaints@bank.example").mail


def _register(client, agent, mail) -> Complaint:
    client.force_login(agent)
    html = client.get(reverse("complaints:intake"), {"mail": mail.pk}).content.decode()
    data = {
        "form_token": re.search(r'name="form_token" value="([0-9a-f]+)"', html)[1],
        "mail": mail.pk,
        "channel": "email",
        "mobile": "13812345678",
        "customer_name": "张伟",
        "customer_title": "mr",
        "card_kind": "credit",
        "code_a": "A0303",
        "code_b": "B030203",
        "code_c": "C03",
        "summary": "信用卡年费投诉",
        "details": mail.body,
        "demand": "explanation",
        "received_at": re.search(r'name="received_at" value="([^"]+)"', html)[1],
    }
    assert client.post(reverse("complaints:intake"), data).status_code == 302
    return Complaint.objects.get()


def test_registering_a_mail_sends_the_reference_threaded_to_the_customers_mail(
    client, agent, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    mail = _receive()
    with django_capture_on_commit_callbacks() as queued:
        case = _register(client, agent, mail)
        assert outbox.outbox == []  # nothing leaves before the commit
    for callback in queued:
        callback()
    [ack] = outbox.outbox
    assert ack.to == ["zhang.wei@example.com"] and ack.from_email == "complaints@bank.example"
    assert case.reference in ack.subject and case.reference in ack.body
    assert ack.extra_headers["In-Reply-To"] == "<m1@example.com>"
    assert ack.extra_headers["References"] == "<older@example.com> <m1@example.com>"
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"  # RFC 3834: auto-responders stay quiet
    mail.refresh_from_db()
    assert mail.ack_sent_at is not None and mail.ack_error == ""
    assert mail_ack_send(mail_id=mail.pk) == "already" and len(outbox.outbox) == 1

    # the customer answers the acknowledgement: the reply is filed to the case, not a new draft
    sent = message_from_bytes(ack.message().as_bytes())
    reply = raw_mail(
        subject="Re: " + ack.subject,
        message_id="<reply-1@example.com>",
        headers=f"In-Reply-To: {sent['Message-ID']}",
        body="补充：年费是 2026-11-02 扣的。",
    )
    received = mail_receive(raw=reply, recipient="complaints@bank.example")
    assert (received.outcome, received.mail.complaint_id) == ("threaded", case.pk)


@pytest.mark.parametrize(
    "sender", ["noreply@shop.example", "no-reply@shop.example", "Do_Not_Reply@x.example", "bounces@x.example"]
)
def test_no_acknowledgement_to_an_address_that_does_not_read_mail(client, agent, sender):
    mail = _receive(sender=sender)
    assert mail.status == InboundMail.Status.DRAFT  # a person may forward from such a box
    _register(client, agent, mail)
    assert mail_ack_send(mail_id=mail.pk) == "refused"
    assert outbox.outbox == []
    mail.refresh_from_db()
    assert mail.ack_sent_at is None and mail.ack_error


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("zhang.wei@example.com", False),
        ("replyto.wang@example.com", False),
        ("MAILER-DAEMON@mx.example", True),
        ("bounces+abc@lists.example", True),
        ("notifications@bank.example", True),
        ("no address", True),
    ],
)
def test_no_reply_reason(address, refused):
    assert bool(no_reply_reason(address)) is refused


def test_a_mail_server_that_refuses_is_tried_again_and_the_reason_is_kept_and_logged(
    client, agent, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # retries run at once, in order
    settings.EMAIL_BACKEND = "tests.mailintake.test_ack.DownBackend"
    DownBackend.tried = 0
    mail = _receive()
    drafts_log = caplog.at_level(logging.WARNING, logger="complaints.services.drafts")
    with drafts_log, django_capture_on_commit_callbacks(execute=True):
        _register(client, agent, mail)
    assert DownBackend.tried == 1 + ACK_RETRIES
    mail.refresh_from_db()
    assert mail.ack_sent_at is None and "SMTPServerDisconnected" in mail.ack_error
    assert f"mailintake.InboundMail {mail.pk}: case reference not sent" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_ack_send(mail_id=mail.pk) == "sent" and len(outbox.outbox) == 1


def test_a_dismissed_or_threaded_mail_gets_no_acknowledgement(client, agent, case_of):
    case = case_of()
    reply = mail_receive(
        raw=raw_mail(subject=f"关于 {case.reference} 的补充", message_id="<r@x>"), recipient="complaints@bank.example"
    )
    assert reply.outcome == "threaded"
    assert mail_ack_send(mail_id=reply.mail.pk) == "missing" and outbox.outbox == []


def test_the_name_the_service_sends_is_the_registered_task():
    from celery import current_app

    from mailintake.services import ACK_TASK
    from mailintake.tasks import send_ack

    # @shared_task hands out a proxy of the app's task object: compare the object behind it.
    assert current_app.tasks[ACK_TASK] is send_ack._get_current_object()
