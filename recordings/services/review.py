"""Releasing a held-back listening copy after a person has listened to it.

A recording whose de-identification could not be fully trusted (speech without transcript,
low recognition confidence, text without word times) is stored with ``redaction=review``:
its muted copy exists but reaches no listener, flag or feed until a reviewer who may hear
the original has played the muted copy and released it (or rejected it: then it is never
played)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import AuditAction, User
from accounts.services import audit_record, notification_send
from complaints.pii import mask_text

from .. import selectors
from ..models import CallRecording, ListeningEvent

R = CallRecording.Redaction


def _held(actor: User, recording: CallRecording) -> CallRecording:
    if not selectors.can_review_redaction(actor):
        raise ValidationError(_("您没有复核脱敏录音的权限"), code="forbidden")
    rec = CallRecording.objects.select_for_update().get(pk=recording.pk)
    if not selectors.awaiting_redaction_review(rec):
        raise ValidationError(_("该录音不在待复核状态"), code="state")
    return rec


@transaction.atomic(durable=True)
def recording_redaction_release(*, actor: User, recording: CallRecording, note: str = "") -> CallRecording:
    """Release a held-back listening copy. The reviewer must have played that copy (after it
    was made): a release without listening would turn "needs review" back into a quiet ok."""
    rec = _held(actor, recording)
    listened = ListeningEvent.objects.filter(
        recording=rec, user=actor, version=ListeningEvent.Version.REDACTED, at__gte=rec.finished_at
    ).exists()
    if not listened:
        raise ValidationError(_("请先完整收听脱敏录音再放行"), code="not_listened")
    held_for = rec.redaction_note
    rec.redaction = R.OK
    rec.redaction_reviewed_by, rec.redaction_reviewed_at = actor, timezone.now()
    rec.redaction_note = mask_text((note or "").strip())[:2000]
    rec.save(
        update_fields=["redaction", "redaction_reviewed_by", "redaction_reviewed_at", "redaction_note", "updated_at"]
    )
    audit_record(actor=actor, action=AuditAction.RECORDING_REDACTION_RELEASE, obj=rec, held_for=held_for[:500])
    return rec


@transaction.atomic(durable=True)
def recording_redaction_reject(*, actor: User, recording: CallRecording, reason: str) -> CallRecording:
    """The reviewer heard something that must not be played: the copy is never offered."""
    reason = mask_text((reason or "").strip())
    if not reason:
        raise ValidationError({"reason": [_("请说明原因")]})
    rec = _held(actor, recording)
    rec.redaction = R.FAILED
    rec.redaction_reviewed_by, rec.redaction_reviewed_at = actor, timezone.now()
    rec.redaction_note = _("复核未通过：%(reason)s") % {"reason": reason[:1900]}
    rec.save(
        update_fields=["redaction", "redaction_reviewed_by", "redaction_reviewed_at", "redaction_note", "updated_at"]
    )
    audit_record(actor=actor, action=AuditAction.RECORDING_REDACTION_REJECT, obj=rec)
    return rec


def redaction_review_notify() -> int:
    """Tell the reviewers that a listening copy is held for them (called when one is stored with
    ``redaction=review``). Coalesced: one notification per reviewer per day, pointing at the
    review queue (oldest first), however many copies are held that day. Returns how many
    notifications were new."""
    reviewers = User.objects.people().filter(is_active=True, role_grants__role__in=roles.UNMASK_ROLES).distinct()
    day = timezone.localdate()
    return notification_send(
        recipients=reviewers,
        kind="recording_redaction_review",
        title=_("有通话录音等待脱敏复核"),
        body=_("脱敏结果需要人工复核后才能向收听人员开放，请在“脱敏待复核”中收听并放行或驳回。"),
        url=reverse("recordings:list") + "?redaction=review",
        dedupe_key=f"recordings:redaction-review:{day:%Y-%m-%d}",
    )
