"""Retention (issue 12) of the mail desk's rows: the mails of a case past retention (the mail it was
registered from, replies filed to it) lose the sender, subject, body and attachments when the case
is anonymised and go when it is purged; the dry run counts them and changes nothing; a mail of a
case under an open regulator inquiry, and a draft never registered, stay as they are."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage

from accounts.models import AuditEvent
from complaints.models import Complaint
from complaints.services.retention import REMOVED, regulator_inquiry_open, retention_run
from complaints.states import CaseState
from mailintake.models import InboundMail, MailAttachment
from mailintake.services import mail_receive
from tests.conftest import PINNED_TODAY
from tests.mailintake.mail import PDF, multipart_mail, raw_mail
from workflow.models import CaseTransition

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CLOSED_ON = PINNED_TODAY.replace(year=PINNED_TODAY.year - 3) - timedelta(days=1)  # past 3 years
RECENT = PINNED_TODAY - timedelta(days=30)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=SH)


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.VOC_RETENTION = {"min_years": 3, "action": "anonymise", "batch_size": 2, "scheduled_apply": False}


@pytest.fixture
def case_with_mails(case_of):
    """A case registered from a mail (with a PDF attachment) and a reply filed to it, closed on ``closed_on``."""
    n = iter(range(1000))

    def make(closed_on: date) -> Complaint:
        k = next(n)
        with time_machine.travel(at(closed_on - timedelta(days=20)), tick=False):
            case = case_of()
            first = mail_receive(
                raw=multipart_mail(
                    html=None, plain="卡号6222021234567890被扣年费", message_id=f"<first{k}@example.com>",
                    attachments=[('filename="statement.pdf"', "application/pdf", PDF)],
                ),
                recipient="complaints@bank.example",
            ).mail  # fmt: skip
            InboundMail.objects.filter(pk=first.pk).update(status=InboundMail.Status.REGISTERED, complaint=case)
            reply = mail_receive(
                raw=raw_mail(subject=f"Re: {case.reference}", body="电话13900001111", message_id=f"<re{k}@x>"),
                recipient="complaints@bank.example",
            ).mail
            assert reply.complaint_id == case.pk
        Complaint.objects.filter(pk=case.pk).update(status=CaseState.CLOSED, closed_at=at(closed_on))
        return case

    return make


def mails_of(case) -> list[dict]:
    return list(InboundMail.objects.filter(complaint=case).order_by("pk").values())


def test_anonymising_a_case_clears_its_mails_and_their_attachments(case_with_mails, pin_clock):
    case = case_with_mails(CLOSED_ON)
    files = list(MailAttachment.objects.filter(mail__complaint=case).values_list("file", flat=True))
    assert len(files) == 1 and default_storage.exists(files[0])
    pin_clock(PINNED_TODAY)

    dry = retention_run()
    assert (dry.counts["mails"], dry.counts["mail_attachments"], dry.files) == (2, 1, 1)
    assert InboundMail.objects.filter(complaint=case, sender_address=REMOVED).count() == 0  # the dry run wrote nothing
    report = retention_run(apply=True)

    assert (report.counts["mails"], report.counts["mail_attachments"], report.files) == (2, 1, 1)
    assert AuditEvent.objects.get(action="retention_apply").detail["mails"] == 2
    rows = mails_of(case)
    assert len(rows) == 2  # still linked: the reports count the case's channel
    for row in rows:
        assert (row["sender_address"], row["subject"], row["body"]) == (REMOVED, REMOVED, REMOVED)
        assert (row["sender_name"], row["envelope_from"], row["message_id"], row["thread_ids"]) == ("", "", "", "")
        assert row["fingerprint"] == f"retention-removed-{row['id']}"
    assert not MailAttachment.objects.filter(mail__complaint=case).exists()
    assert not default_storage.exists(files[0])
    # the reply's entry on the case's timeline no longer names the sender or the subject
    entry = CaseTransition.objects.get(complaint=case, action="customer_message")
    assert entry.reason == "" and entry.data["sender"] == "" and entry.data["subject"] == REMOVED
    dump = str(rows) + str(entry.data)
    for fragment in ("zhang.wei", "li.na", "张伟", "13900001111", "6222021234567890", "年费"):
        assert fragment not in dump


def test_purging_a_case_deletes_its_mails_but_not_a_file_another_mail_still_has(case_with_mails, pin_clock, settings):
    settings.VOC_RETENTION = {**settings.VOC_RETENTION, "action": "purge"}
    old, recent = case_with_mails(CLOSED_ON), case_with_mails(RECENT)
    shared = MailAttachment.objects.get(mail__complaint=recent).file.name
    assert MailAttachment.objects.get(mail__complaint=old).file.name == shared  # content-addressed: one file
    old_mails = list(InboundMail.objects.filter(complaint=old).values_list("pk", flat=True))
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert (report.purged, report.counts["mails"], report.counts["mail_attachments"], report.files) == (1, 2, 1, 0)
    assert not InboundMail.objects.filter(pk__in=old_mails).exists()  # not left behind without their case
    assert not MailAttachment.objects.filter(mail_id__in=old_mails).exists()
    assert default_storage.exists(shared) and len(mails_of(recent)) == 2


def test_a_case_under_an_open_inquiry_and_a_draft_never_registered_keep_their_mails(
    case_with_mails, pin_clock, make_user, org_tree
):
    from accounts import roles

    held = case_with_mails(CLOSED_ON)
    officer = make_user(roles.HO_OFFICER, org_tree.ho)
    regulator_inquiry_open(actor=officer, complaint=held, reference="银保监投诉〔2026〕1号", opened_on=RECENT)
    with time_machine.travel(at(CLOSED_ON - timedelta(days=20)), tick=False):
        draft = mail_receive(raw=raw_mail(message_id="<old-draft@x>"), recipient="complaints@bank.example").mail
    before = mails_of(held), list(InboundMail.objects.filter(pk=draft.pk).values())
    pin_clock(PINNED_TODAY)

    report = retention_run(apply=True)

    assert report.cases == 0 and report.held == {"regulator_inquiry": 1} and report.counts["mails"] == 0
    assert (mails_of(held), list(InboundMail.objects.filter(pk=draft.pk).values())) == before
