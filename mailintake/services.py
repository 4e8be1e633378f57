"""Every write of the mail intake: take a received message, and staff's two answers to a draft."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.selectors import can_write
from accounts.services import audit_record
from complaints import pii
from complaints.models import Complaint
from workflow.services import case_customer_message

from . import selectors
from .models import InboundMail, MailAttachment
from .parsing import MailRefused, ParsedMail, attachment_refusal, parse_message

logger = logging.getLogger(__name__)

NOT_COMPLAINT_REASON_MAX = 500


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


def _draft_for_update(actor: User, mail: InboundMail) -> InboundMail:
    if not selectors.can_handle_mail(actor) or not can_write(actor):
        raise PermissionDenied
    locked = selectors.mail_visible_to(actor).select_for_update(of=("self",)).filter(pk=mail.pk).first()
    if locked is None:
        raise PermissionDenied
    if locked.status != InboundMail.Status.DRAFT:
        raise ValidationError(_("这封来信已处理：%(s)s") % {"s": locked.get_status_display()}, code="handled")
    return locked


@transaction.atomic
def mail_draft_register(*, actor: User, mail: InboundMail, complaint: Complaint) -> InboundMail:
    """Record that staff registered the complaint ``complaint`` from this draft (the intake
    form registers it, keyed by the mail, so a second submit returns the same case)."""
    locked = _draft_for_update(actor, mail)
    locked.status = InboundMail.Status.REGISTERED
    locked.complaint = complaint
    locked.handled_by, locked.handled_at = actor, timezone.now()
    locked.save(update_fields=["status", "complaint", "handled_by", "handled_at"])
    return locked


@transaction.atomic
def mail_draft_dismiss(*, actor: User, mail: InboundMail, reason: str) -> InboundMail:
    """Staff say a draft is not a complaint, with the reason (required, audited). The mail stays."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("请填写不属于投诉的原因")})
    if len(reason) > NOT_COMPLAINT_REASON_MAX:
        raise ValidationError({"reason": _("原因最多 %(n)d 字") % {"n": NOT_COMPLAINT_REASON_MAX}})
    locked = _draft_for_update(actor, mail)
    reason = pii.mask_text(reason)
    locked.status = InboundMail.Status.NOT_COMPLAINT
    locked.handled_by, locked.handled_at, locked.handled_reason = actor, timezone.now(), reason
    locked.save(update_fields=["status", "handled_by", "handled_at", "handled_reason"])
    audit_record(actor=actor, action=AuditAction.MAIL_NOT_COMPLAINT, obj=locked, reason=reason)
    return locked
