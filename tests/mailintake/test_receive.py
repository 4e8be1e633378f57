"""Taking a received message (mailintake.services.mail_receive): drafts, replies, duplicates,
loops, masking and attachments, on the database."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from mailintake.models import InboundMail
from mailintake.parsing import MailRefused
from mailintake.services import mail_receive
from tests.mailintake.mail import PDF, multipart_mail, raw_mail
from workflow.timeline import timeline_entries

pytestmark = pytest.mark.django_db


def test_a_customers_mail_becomes_a_draft_in_the_receiving_orgs_queue_with_numbers_masked(org_tree):
    raw = raw_mail(subject="投诉 手机13812345678", body="卡号 6222021234567890 被扣年费，身份证11010519491231002X")
    received = mail_receive(raw=raw, recipient="Complaints@Bank.Example", envelope_from="zhang.wei@example.com")
    mail = received.mail
    assert received.outcome == "draft" and mail.status == InboundMail.Status.DRAFT
    assert mail.owner_org == org_tree.ho and mail.recipient == "complaints@bank.example"
    assert mail.sender_address == "zhang.wei@example.com" and mail.sender_name == "张伟"
    assert mail.subject == "投诉 手机138****5678"
    assert "6222021234567890" not in mail.body and "622202******7890" in mail.body
    assert "11010519491231002X" not in mail.body
    bj = mail_receive(raw=raw_mail(message_id="<bj@x>"), recipient="bj.complaints@bank.example").mail
    assert bj.owner_org == org_tree.bj


def test_the_same_message_id_is_kept_once(org_tree):
    first = mail_receive(raw=raw_mail(), recipient="complaints@bank.example")
    again = mail_receive(raw=raw_mail(body="重发时正文不同也是同一封"), recipient="complaints@bank.example")
    assert again.outcome == "duplicate" and again.mail.pk == first.mail.pk
    assert InboundMail.objects.count() == 1


def test_a_recipient_not_on_the_list_is_refused(org_tree):
    with pytest.raises(MailRefused) as refused:
        mail_receive(raw=raw_mail(), recipient="ceo@bank.example")
    assert refused.value.status.startswith("550 5.1.1")
    assert InboundMail.objects.count() == 0


def test_a_reply_naming_a_case_in_the_subject_goes_to_that_cases_timeline(org_tree, case_of):
    case = case_of()
    received = mail_receive(
        raw=raw_mail(subject=f"Re: 关于{case.reference}的处理", body="我不同意，电话13900001111", message_id="<r1@x>"),
        recipient="complaints@bank.example",
    )
    assert received.outcome == "threaded"
    assert received.mail.complaint == case and received.mail.owner_org == case.responsible_org
    entries = [e for e in timeline_entries(case) if e.kind == "customer_message"]
    assert len(entries) == 1
    assert entries[0].title.startswith("客户来信：Re: 关于") and "139****1111" in entries[0].detail
    assert "13900001111" not in entries[0].detail and entries[0].actor == "zhang.wei@example.com"
    assert entries[0].url == reverse("mailintake:detail", args=[received.mail.pk])


def test_a_reply_to_a_registered_mail_is_threaded_by_its_headers(org_tree, case_of):
    case = case_of()
    first = mail_receive(raw=raw_mail(message_id="<orig@example.com>"), recipient="complaints@bank.example").mail
    InboundMail.objects.filter(pk=first.pk).update(status=InboundMail.Status.REGISTERED, complaint=case)
    reply = mail_receive(
        raw=raw_mail(
            subject="Re: 信用卡年费投诉", message_id="<re@example.com>", headers="In-Reply-To: <orig@example.com>"
        ),
        recipient="complaints@bank.example",
    )
    assert reply.outcome == "threaded" and reply.mail.complaint == case
    # a reply to a mail still in the queue is not a case's: it waits as a draft of its own
    lone = mail_receive(raw=raw_mail(message_id="<q@x>"), recipient="complaints@bank.example").mail
    other = mail_receive(
        raw=raw_mail(message_id="<q2@x>", headers="References: <q@x>"), recipient="complaints@bank.example"
    )
    assert lone.status == other.mail.status == InboundMail.Status.DRAFT


def test_a_subject_naming_a_case_that_does_not_exist_is_a_new_draft(org_tree):
    received = mail_receive(raw=raw_mail(subject="Re: VOC-2026-9999999"), recipient="complaints@bank.example")
    assert received.outcome == "draft" and received.mail.complaint is None


def test_bounces_and_auto_replies_are_kept_out_of_the_queue(org_tree, case_of):
    case = case_of()
    received = mail_receive(
        raw=raw_mail(subject=f"自动回复: {case.reference}", headers="Auto-Submitted: auto-replied"),
        recipient="complaints@bank.example",
    )
    assert received.outcome == "ignored" and received.mail.status == InboundMail.Status.IGNORED
    assert received.mail.complaint is None  # not filed to the case either: no loop, no noise
    bounce = mail_receive(raw=raw_mail(message_id="<b@x>"), recipient="complaints@bank.example", envelope_from="")
    assert bounce.outcome == "ignored" and bounce.mail.ignored_reason == "null sender (bounce)"


def test_attachments_are_stored_when_accepted_and_listed_with_a_reason_when_not(org_tree):
    raw = multipart_mail(
        plain="见附件",
        html=None,
        attachments=[
            ('filename="statement.pdf"', "application/pdf", PDF),
            ('filename="tool.exe"', "application/octet-stream", b"MZ\x90\x00"),
            ('filename="fake.pdf"', "application/pdf", b"MZ\x90\x00"),
            ('filename="big.pdf"', "application/pdf", PDF + b"0" * (1024 * 1024)),
        ],
    )
    mail = mail_receive(raw=raw, recipient="complaints@bank.example").mail
    rows = {a.filename: a for a in mail.attachments.all()}
    assert set(rows) == {"statement.pdf", "tool.exe", "fake.pdf", "big.pdf"}
    assert (
        rows["statement.pdf"].refused_reason == ""
        and default_storage.open(rows["statement.pdf"].file.name).read() == PDF
    )
    assert rows["tool.exe"].refused_reason == "type .exe not accepted" and not rows["tool.exe"].file
    assert rows["fake.pdf"].refused_reason == "content is not .pdf" and not rows["fake.pdf"].file
    assert rows["big.pdf"].refused_reason == "over 1 MB" and rows["big.pdf"].size > 1024 * 1024
