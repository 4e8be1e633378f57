"""Every write of the mail intake: take a received message, and staff's two answers to a draft."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from complaints import pii
from complaints.models import Complaint
from complaints.services.drafts import (
    AckRefused,
    AckUnavailable,
    draft_acknowledge,
    draft_dismiss,
    draft_register,
)
from workflow.services import case_customer_message

from . import selectors
from .ack_mail import ack_message
from .models import InboundMail, MailAttachment
from .parsing import MailRefused, ParsedMail, attachment_refusal, no_reply_reason, parse_message

logger = logging.getLogger(__name__)

# The Celery task (mailintake/tasks.py) that calls ``mail_ack_send``, sent by its name (no import
# cycle; MailIntakeConfig.ready registers the tasks in every process).
ACK_TASK = "mailintake.send_ack"


@dataclass(frozen=True)
class Received:
    mail: InboundMail
    outcome: str  # "draft", "threaded", "ignored" or "duplicate"


def mail_receive(
    *, raw: bytes, recipient: str, envelope_from: str | None = None, now: dt.datetime | None = None
) -> Received:
    """Take one message received for ``recipient``, exactly once per Message-ID (or bytes).

    Rules: the recipient must be on the allow-list; a message without a From address or with
    text in a charset that does not decode is refused (``MailRefused`` carries the SMTP reply);
    a bounce or auto-reply is kept out of the queue (status ignored, logged); a reply to a case
    (In-Reply-To/References of mail filed to it, or its reference in the subject) is filed to
    that case; anything else becomes a draft in the receiving org's intake queue. Subject,
    body and sender name are stored with card/phone/ID numbers masked; attachments are stored
    when their type and size are accepted, else listed with the reason. The same message
    delivered again (a retry) returns the first one as "duplicate". ``envelope_from`` is the SMTP
    MAIL FROM ("" for a bounce's null sender; None when the message did not come over SMTP)."""
    org = selectors.org_for_recipient(recipient)
    if org is None:
        raise MailRefused("550 5.1.1 Recipient not accepted here")
    parsed = parse_message(raw, envelope_from=envelope_from)
    existing = InboundMail.objects.filter(fingerprint=parsed.fingerprint).first()
    if existing is not None:
        return Received(existing, "duplicate")
    attachments = _attachments_store(parsed)  # outside the transaction: content-addressed names
    try:
        with transaction.atomic():
            received = _mail_save(
                parsed, attachments, org=org, recipient=recipient, envelope_from=envelope_from, now=now
            )
    except IntegrityError:  # the same message committed by a concurrent delivery
        existing = InboundMail.objects.filter(fingerprint=parsed.fingerprint).first()
        if existing is None:
            raise
        return Received(existing, "duplicate")
    if received.outcome == "ignored":
        logger.info("mail %s ignored: %s", received.mail.pk, received.mail.ignored_reason)
    return received


def _attachments_store(parsed: ParsedMail) -> list[MailAttachment]:
    rows = []
    limit = settings.MAIL_INTAKE_MAX_ATTACHMENTS
    for n, att in enumerate(parsed.attachments):
        digest = hashlib.sha256(att.content).hexdigest()
        refused = (
            _("附件过多（最多 %(n)d 个）") % {"n": limit}
            if n >= limit
            else attachment_refusal(att.filename, att.content, max_bytes=settings.MAIL_INTAKE_ATTACHMENT_MAX_BYTES)
        )
        name = ""
        if not refused:
            ext = att.filename.rpartition(".")[2].lower()
            path = f"mail/{digest[:2]}/{digest}.{ext}"
            name = path if default_storage.exists(path) else default_storage.save(path, ContentFile(att.content))
        rows.append(
            MailAttachment(
                filename=att.filename[:200],
                content_type=att.content_type[:100],
                size=len(att.content),
                sha256=digest,
                file=name,
                refused_reason=refused[:100],
            )
        )
    return rows


def _mail_save(parsed, attachments, *, org, recipient, envelope_from, now) -> Received:
    case = None if parsed.auto_reason else selectors.case_for_reply(parsed)
    if parsed.auto_reason:
        status, outcome = InboundMail.Status.IGNORED, "ignored"
    elif case is not None:
        status, outcome = InboundMail.Status.THREADED, "threaded"
    else:
        status, outcome = InboundMail.Status.DRAFT, "draft"
    mail = InboundMail.objects.create(
        fingerprint=parsed.fingerprint,
        message_id=parsed.message_id[:998],
        thread_ids=" ".join(parsed.thread_ids),
        envelope_from=(envelope_from or "")[:320],
        recipient=recipient.strip().lower()[:320],
        sender_name=pii.mask_text(parsed.sender_name)[:200],
        sender_address=parsed.sender_address[:320],
        subject=pii.mask_text(parsed.subject)[:500],
        body=pii.mask_text(parsed.body),
        body_was_html=parsed.body_was_html,
        sent_at=parsed.sent_at,
        received_at=now or timezone.now(),
        owner_org=org if case is None else case.responsible_org,
        status=status,
        ignored_reason=parsed.auto_reason[:200],
        complaint=case,
    )
    for row in attachments:
        row.mail = mail
    MailAttachment.objects.bulk_create(attachments)
    if case is not None:  # the reply shows on the case's timeline from the case's own log (in this transaction)
        case_customer_message.nested(
            complaint_id=case.pk,
            channel="email",
            subject=mail.subject,
            sender=mail.sender_address,
            text=mail.body,
            link=reverse("mailintake:detail", args=[mail.pk]),
            at=mail.received_at,
        )
    return Received(mail, outcome)


def _ack_send(mail: InboundMail) -> None:
    """A mail to the sender with the case reference in the subject (a reply to it threads to the
    case), answering their message (In-Reply-To/References), marked Auto-Submitted so that an
    auto-responder does not answer it. Never to an address that does not read mail."""
    # (bounces and auto-replies are never drafts: mail_receive keeps them aside as ignored)
    refused = no_reply_reason(mail.sender_address)
    if refused:
        raise AckRefused(refused)
    try:
        ack_message(mail, mail.complaint.reference).send()
    except (smtplib.SMTPException, OSError) as exc:
        raise AckUnavailable(f"mail not sent: {type(exc).__name__}") from exc


def mail_ack_send(*, mail_id: int) -> str:
    """Tell the sender the case reference registered from their mail, once (the task's body;
    ``complaints.services.drafts.draft_acknowledge`` says what it returns)."""
    return draft_acknowledge(model=InboundMail, pk=mail_id, send=_ack_send)


def _send(task: str, mail_id: int) -> None:
    """Queue ``task`` for a mail; a broker that is down is logged, never an error for the agent."""
    try:
        current_app.tasks[task].delay(mail_id)
    except Exception:  # the registration must not fail on the queue
        logger.exception("mail %s: could not queue %s", mail_id, task)


def _handling(actor: User) -> dict:
    return {"visible": selectors.mail_visible_to(actor), "may_handle": selectors.can_handle_mail(actor)}


def mail_draft_register(*, actor: User, mail: InboundMail, complaint: Complaint) -> InboundMail:
    """Record that staff registered the complaint ``complaint`` from this draft (the intake
    form registers it, keyed by the mail, so a second submit returns the same case); after the
    commit the sender is mailed the case reference (``ACK_TASK``)."""
    return draft_register(
        actor=actor, draft=mail, complaint=complaint, on_registered=lambda pk: _send(ACK_TASK, pk), **_handling(actor)
    )


def mail_draft_dismiss(*, actor: User, mail: InboundMail, reason: str) -> InboundMail:
    """Staff say a draft is not a complaint, with the reason (required, audited). The mail stays."""
    return draft_dismiss(
        actor=actor, draft=mail, reason=reason, audit_action=AuditAction.MAIL_NOT_COMPLAINT, **_handling(actor)
    )
