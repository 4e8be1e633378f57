"""The staff side of the mail queue: scoped list, a mail, "register as complaint" through the
normal intake form, "not a complaint" with an audited reason, attachments as downloads."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent
from complaints.models import Complaint
from mailintake.models import InboundMail
from mailintake.services import mail_receive
from tests.mailintake.mail import PDF, multipart_mail, raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def mails(org_tree):
    ho = mail_receive(raw=raw_mail(subject="总行邮箱来信 13812345678"), recipient="complaints@bank.example").mail
    bj = mail_receive(
        raw=raw_mail(message_id="<bj@x>", subject="北京来信"), recipient="bj.complaints@bank.example"
    ).mail
    return ho, bj


def _ids(resp) -> set[int]:
    return {int(n) for n in re.findall(r'data-mail="(\d+)"', resp.content.decode())}


def test_the_queue_lists_the_drafts_in_the_users_scope_only(client, mails, org_tree, make_user, agent):
    ho, bj = mails
    client.force_login(agent)
    assert _ids(client.get(reverse("mailintake:queue"))) == {ho.pk, bj.pk}
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    assert _ids(client.get(reverse("mailintake:queue"))) == {bj.pk}
    assert client.get(reverse("mailintake:detail", args=[ho.pk])).status_code == 404
    client.force_login(make_user(roles.BRANCH_MANAGER, org_tree.sh))
    assert _ids(client.get(reverse("mailintake:queue"))) == set()
    assert client.get(reverse("mailintake:detail", args=[bj.pk])).status_code == 404
    client.force_login(make_user(roles.AUDITOR, org_tree.ho))
    assert client.get(reverse("mailintake:queue")).status_code == 404


def test_a_mail_page_shows_the_masked_text_and_the_two_answers(client, mails, agent):
    client.force_login(agent)
    html = client.get(reverse("mailintake:detail", args=[mails[0].pk])).content.decode()
    assert "总行邮箱来信 138****5678" in html and "13812345678" not in html
    assert f"{reverse('complaints:intake')}?mail={mails[0].pk}" in html
    assert 'name="reason"' in html


def test_register_as_complaint_prefills_the_intake_form_and_files_the_mail_to_the_new_case(client, mails, agent):
    ho = mails[0]
    client.force_login(agent)
    html = client.get(reverse("complaints:intake"), {"mail": ho.pk}).content.decode()
    assert 'id="from-mail"' in html and 'value="总行邮箱来信 138****5678"' in html
    assert 'value="email" selected' in html or 'value="email"  selected' in html
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', html)[1]
    data = {
        "form_token": token,
        "mail": ho.pk,
        "channel": "email",
        "mobile": "13812345678",
        "customer_name": "张伟",
        "customer_title": "mr",
        "card_kind": "credit",
        "code_a": "A0303",
        "code_b": "B030203",
        "code_c": "C03",
        "summary": "总行邮箱来信 138****5678",
        "details": ho.body,
        "demand": "explanation",
        "received_at": re.search(r'name="received_at" value="([^"]+)"', html)[1],
    }
    resp = client.post(reverse("complaints:intake"), data)
    case = Complaint.objects.get()
    assert resp.status_code == 302 and case.channel == "email"
    ho.refresh_from_db()
    assert ho.status == InboundMail.Status.REGISTERED and ho.complaint == case and ho.handled_by == agent
    assert abs((case.received_at - ho.received_at).total_seconds()) < 60  # the clock runs from the mail
    # the same mail sent again (another token, another colleague's tab) registers nothing new
    data["form_token"] = "0" * 32
    client.post(reverse("complaints:intake"), data)
    assert Complaint.objects.count() == 1


def test_not_a_complaint_needs_a_reason_and_is_audited(client, mails, agent):
    ho = mails[0]
    client.force_login(agent)
    url = reverse("mailintake:not_complaint", args=[ho.pk])
    resp = client.post(url, {"reason": "  "})
    assert resp.status_code == 400 and "请填写不属于投诉的原因" in resp.content.decode()
    ho.refresh_from_db()
    assert ho.status == InboundMail.Status.DRAFT
    resp = client.post(url, {"reason": "广告邮件，回拨 13900001111"})
    assert resp.status_code == 302
    ho.refresh_from_db()
    assert ho.status == InboundMail.Status.NOT_COMPLAINT and ho.handled_reason == "广告邮件，回拨 139****1111"
    event = AuditEvent.objects.get(action="mail.not_complaint")
    assert event.actor == agent and event.object_id == str(ho.pk)
    assert event.detail == {"reason": "广告邮件，回拨 139****1111"}
    # handled: out of the queue, and the intake form no longer takes it
    assert ho.pk not in {
        int(n) for n in re.findall(r'data-mail="(\d+)"', client.get(reverse("mailintake:queue")).content.decode())
    }
    assert client.get(reverse("complaints:intake"), {"mail": ho.pk}).status_code == 404


def test_an_attachment_downloads_in_scope_only(client, org_tree, make_user, agent):
    raw = multipart_mail(plain="见附件", html=None, attachments=[('filename="statement.pdf"', "application/pdf", PDF)])
    mail = mail_receive(raw=raw, recipient="complaints@bank.example").mail
    att = mail.attachments.get()
    url = reverse("mailintake:attachment", args=[mail.pk, att.pk])
    client.force_login(agent)
    resp = client.get(url)
    assert resp.status_code == 200 and b"".join(resp.streaming_content) == PDF
    assert resp["Content-Disposition"].startswith("attachment") and resp["Content-Type"] == "application/octet-stream"
    client.force_login(make_user(roles.BRANCH_HANDLER, org_tree.bj))
    assert client.get(url).status_code == 404
