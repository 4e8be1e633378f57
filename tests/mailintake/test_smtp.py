"""A real SMTP conversation with the intake server (aiosmtpd on a free local port): what a sending
mail server sees for each kind of message, and what is stored."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest

from mailintake.models import InboundMail
from mailintake.smtp import controller
from tests.mailintake.mail import PDF, raw_mail

pytestmark = pytest.mark.django_db(transaction=True)
SIZE_LIMIT = 64 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(org_tree):
    server = controller(host="127.0.0.1", port=_free_port(), size_limit=SIZE_LIMIT)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client(server) -> smtplib.SMTP:
    return smtplib.SMTP(server.hostname, server.port, timeout=10)


def _message(**headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "王芳 <wang.fang@example.com>")
    msg["To"] = "complaints@bank.example"
    msg["Subject"] = headers.pop("Subject", "理财产品销售误导投诉")
    msg["Message-ID"] = headers.pop("Message_ID", "<smtp-1@example.com>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("客经理推荐的理财产品亏损，当时说保本。我的手机 13812345678。")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="合同.pdf")
    return msg


def test_a_mail_sent_over_smtp_becomes_a_draft_once(smtp, org_tree):
    with _client(smtp) as client:
        refused = client.send_message(_message())
        assert refused == {}
        assert client.send_message(_message()) == {}  # the sender's retry: 250 again, kept once
    mail = InboundMail.objects.get()
    assert mail.status == InboundMail.Status.DRAFT and mail.owner_org == org_tree.ho
    assert (mail.sender_name, mail.sender_address, mail.subject) == (
        "王芳",
        "wang.fang@example.com",
        "理财产品销售误导投诉",
    )
    assert "138****5678" in mail.body and "13812345678" not in mail.body
    assert [(a.filename, a.refused_reason) for a in mail.attachments.all()] == [("合同.pdf", "")]


def test_a_reply_over_smtp_is_filed_to_its_case(smtp, case_of):
    case = case_of()
    with _client(smtp) as client:
        client.send_message(_message(Subject=f"回复：{case.reference} 补充材料", Message_ID="<smtp-2@example.com>"))
    mail = InboundMail.objects.get()
    assert mail.status == InboundMail.Status.THREADED and mail.complaint_id == case.pk


def test_a_recipient_not_on_the_list_is_refused_at_rcpt(smtp):
    with _client(smtp) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("a@example.com", ["ceo@bank.example"], raw_mail())
    assert refused.value.recipients["ceo@bank.example"][0] == 550
    assert InboundMail.objects.count() == 0


def test_a_message_over_the_size_cap_is_refused_with_552(smtp):
    big = raw_mail(body="很长的正文" * 10000)
    assert len(big) > SIZE_LIMIT
    with _client(smtp) as client:
        # smtplib announces the size at MAIL FROM (SIZE=...): refused before the data is sent
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["complaints@bank.example"], big)
        assert refused.value.smtp_code == 552
        # a sender that does not announce it is refused after the data
        client.rset()
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("complaints@bank.example")[0] == 250
        assert client.data(big)[0] == 552
    assert InboundMail.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (raw_mail(sender=""), 550),  # no From
        (
            b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe\xfd\r\n",
            554,
        ),  # a body that does not decode
    ],
    ids=["no-from", "undecodable"],
)
def test_unreadable_mail_gets_a_clear_status_and_nothing_half_stored(smtp, raw, code):
    with _client(smtp) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("a@example.com", ["complaints@bank.example"], raw)
    assert refused.value.smtp_code == code
    assert InboundMail.objects.count() == 0
    with _client(smtp) as client:  # the server goes on taking good mail
        assert client.sendmail("a@example.com", ["complaints@bank.example"], raw_mail()) == {}
    assert InboundMail.objects.count() == 1
