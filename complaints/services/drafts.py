"""The two answers staff give a draft in an intake queue (``complaints.intake_drafts``: a mail, a
WeChat message), and telling the customer the case reference once it is registered. The queues'
apps call these with their own rules (who may handle, which drafts a user sees, the audit action,
how the acknowledgement is sent)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import can_write
from accounts.services import audit_record

from .. import pii
from ..intake_drafts import DRAFT, NOT_COMPLAINT, REGISTERED, IntakeDraft
from ..models import Complaint

logger = logging.getLogger(__name__)

NOT_COMPLAINT_REASON_MAX = 500


class AckUnavailable(Exception):
    """The acknowledgement could not be sent now (a network or platform failure): worth another try.
    The message says why (no secrets, no content)."""


class AckRefused(Exception):
    """The acknowledgement must not be sent (an address that never answers, a loop): not tried again."""


def _draft_for_update(actor: User, draft: IntakeDraft, visible: models.QuerySet, may_handle: bool) -> IntakeDraft:
    if not may_handle or not can_write(actor):
        raise PermissionDenied
    locked = visible.select_for_update(of=("self",)).filter(pk=draft.pk).first()
    if locked is None:
        raise PermissionDenied
    if locked.status != DRAFT:
        raise ValidationError(locked.already_handled % {"s": locked.get_status_display()}, code="handled")
    return locked


@transaction.atomic
def draft_register(
    *,
    actor: User,
    draft: IntakeDraft,
    complaint: Complaint,
    visible: models.QuerySet,
    may_handle: bool,
    on_registered: Callable[[int], None] | None = None,
) -> IntakeDraft:
    """Record that staff registered ``complaint`` from this draft (``visible``: the drafts the
    actor sees). ``on_registered(pk)`` runs after the commit (the acknowledgement is queued then)."""
    locked = _draft_for_update(actor, draft, visible, may_handle)
    locked.status = REGISTERED
    locked.complaint = complaint
    locked.handled_by, locked.handled_at = actor, timezone.now()
    locked.save(update_fields=["status", "complaint", "handled_by", "handled_at"])
    if on_registered is not None:
        transaction.on_commit(lambda: on_registered(locked.pk))
    return locked


@transaction.atomic
def draft_dismiss(
    *, actor: User, draft: IntakeDraft, reason: str, visible: models.QuerySet, may_handle: bool, audit_action: str
) -> IntakeDraft:
    """Staff say a draft is not a complaint, with the reason (required, masked, audited). The draft stays."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("请填写不属于投诉的原因")})
    if len(reason) > NOT_COMPLAINT_REASON_MAX:
        raise ValidationError({"reason": _("原因最多 %(n)d 字") % {"n": NOT_COMPLAINT_REASON_MAX}})
    locked = _draft_for_update(actor, draft, visible, may_handle)
    reason = pii.mask_text(reason)
    locked.status = NOT_COMPLAINT
    locked.handled_by, locked.handled_at, locked.handled_reason = actor, timezone.now(), reason
    locked.save(update_fields=["status", "handled_by", "handled_at", "handled_reason"])
    audit_record(actor=actor, action=audit_action, obj=locked, reason=reason)
    return locked


def draft_acknowledge(*, model: type[IntakeDraft], pk: int, send: Callable[[IntakeDraft], None]) -> str:
    """Tell the customer of a registered draft its case reference, once: ``send(draft)`` does it
    (raising AckUnavailable or AckRefused). Returns "sent", "already", "missing" (no registered
    draft), or - the reason kept on the draft - "unavailable" (try again) or "refused" (never)."""
    draft = model.objects.select_related("complaint").filter(pk=pk, status=REGISTERED).first()
    if draft is None or draft.complaint is None:
        return "missing"
    if draft.ack_sent_at:
        return "already"
    label = f"{model._meta.label} {pk}"
    try:
        send(draft)
    except (AckUnavailable, AckRefused) as exc:
        model.objects.filter(pk=pk).update(ack_error=str(exc)[:200])
        logger.warning("%s: case reference not sent to the customer: %s", label, exc)
        return "unavailable" if isinstance(exc, AckUnavailable) else "refused"
    model.objects.filter(pk=pk).update(ack_sent_at=timezone.now(), ack_error="")
    logger.info("%s: case reference %s sent to the customer", label, draft.complaint.reference)
    return "sent"
