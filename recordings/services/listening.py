"""Flagging typical recordings, listening to them, and the append-only play log."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Organisation, User
from accounts.selectors import can_write, subtree_of
from accounts.services import audit_record, notification_send
from complaints.pii import mask_text

from .. import selectors
from ..models import CallRecording, ListeningEvent, ListenReceipt, RecordingComment, RecordingFlag


def listening_event_record(
    *, user: User, recording: CallRecording, version: str, via: str = ListeningEvent.Via.PAGE, play_id: str = ""
) -> ListeningEvent | None:
    """Append one play. The byte-range requests of one play share ``play_id`` and make one
    row. Plays of the original audio are also written to the audit trail."""
    play_id = (play_id or "")[:40]
    if (
        play_id
        and ListeningEvent.objects.filter(recording=recording, user=user, version=version, play_id=play_id).exists()
    ):
        return None
    event = ListeningEvent.objects.create(recording=recording, user=user, version=version, via=via, play_id=play_id)
    if version == ListeningEvent.Version.ORIGINAL:
        audit_record(actor=user, action=AuditAction.RECORDING_PLAY_ORIGINAL, obj=recording, via=via)
    return event


def audience_users(flag: RecordingFlag) -> list[User]:
    """Who the flag reaches: holders of an audience role at an audience org or below; with no
    orgs chosen, holders at the case's org or any org above it (voice to the front line:
    the case's own branch managers and listeners, and head office)."""
    orgs = list(flag.audience_orgs.all())
    if orgs:
        org_q = Q()
        for org in orgs:
            org_q |= Q(org__in=subtree_of(org))  # the one subtree rule (BJ never reaches BJS)
    else:
        scope_org = flag.recording.org_for_scope
        codes = [c for c in scope_org.path.split("/") if c]
        org_q = Q(org__in=Organisation.objects.filter(code__in=codes))
    return list(
        User.objects.people()
        .filter(org_q, is_active=True, role_grants__role__in=flag.audience_roles)
        .exclude(pk=flag.flagged_by_id)
        .distinct()
    )


@transaction.atomic(durable=True)
def recording_flag(
    *,
    actor: User,
    recording: CallRecording,
    note: str,
    audience_roles: Iterable[str],
    audience_orgs: Iterable[Organisation] = (),
) -> RecordingFlag:
    """Flag a recording as typical (典型录音) for an audience and push it to them.

    Only flag roles; only a recording whose redacted audio is playable (listeners never
    get the original)."""
    if not selectors.can_flag(actor):
        raise ValidationError(_("您没有标记典型录音的权限"), code="forbidden")
    recording = CallRecording.objects.select_for_update().get(pk=recording.pk)  # judge the current state
    if not selectors.redacted_playable(recording):
        raise ValidationError(
            _("该录音没有可播放的脱敏版本，不能推送收听"),
            code="not_playable",
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("请填写推荐理由")]})
    # The audience (listeners of other branches too) gets de-identified material only;
    # the note is also the body of the notification they receive.
    note = mask_text(note)
    wanted = [r for r in dict.fromkeys(audience_roles) if r in selectors.AUDIENCE_ROLE_CHOICES]
    if not wanted:
        raise ValidationError({"audience_roles": [_("请选择收听角色")]})
    flag, created = RecordingFlag.objects.update_or_create(
        recording=recording,
        defaults={"flagged_by": actor, "note": note[:1000], "audience_roles": wanted, "is_active": True},
    )
    flag.audience_orgs.set(list(audience_orgs))
    audit_record(actor=actor, action=AuditAction.RECORDING_FLAG, obj=recording, roles=wanted, created=created)
    flag_id = flag.pk
    transaction.on_commit(lambda: _push(flag_id))
    return flag


def _push(flag_id: int) -> int:
    flag = RecordingFlag.objects.select_related("recording", "recording__complaint", "recording__owner_org").get(
        pk=flag_id
    )
    rec = flag.recording
    where = rec.complaint.reference if rec.complaint_id else rec.owner_org.name_zh
    return notification_send(
        recipients=audience_users(flag),
        kind="typical_recording",
        title=_("典型录音待收听：%(where)s") % {"where": where},
        body=flag.note[:300],
        url=reverse("recordings:detail", args=[rec.pk]),
        target=rec,
        dedupe_key=f"recording-flag:{flag.pk}",
    )


@transaction.atomic(durable=True)
def recording_unflag(*, actor: User, recording: CallRecording) -> None:
    if not selectors.can_flag(actor):
        raise ValidationError(_("您没有标记典型录音的权限"), code="forbidden")
    RecordingFlag.objects.filter(recording=recording).update(is_active=False)
    audit_record(actor=actor, action=AuditAction.RECORDING_UNFLAG, obj=recording)


@transaction.atomic(durable=True)
def listen_mark(*, user: User, flag: RecordingFlag) -> ListenReceipt:
    """The listener confirms having listened (idempotent)."""
    receipt, _created = ListenReceipt.objects.get_or_create(flag=flag, user=user)
    return receipt


@transaction.atomic(durable=True)
def recording_comment_add(*, user: User, recording: CallRecording, body: str) -> RecordingComment:
    if not can_write(user):
        raise ValidationError(_("只读角色不能评论"), code="forbidden")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("评论不能为空")]})
    if len(body) > 1000:
        raise ValidationError({"body": [_("评论不能超过1000字")]})
    # Comments are shown to every listener: no customer numbers in them.
    return RecordingComment.objects.create(recording=recording, author=user, body=mask_text(body))


@transaction.atomic(durable=True)
def suspect_dismiss(*, actor: User, recording: CallRecording, reason: str = "") -> CallRecording:
    if not selectors.can_see_suspects(actor) or not can_write(actor):
        raise ValidationError(_("您没有处理疑似投诉的权限"), code="forbidden")
    rec = CallRecording.objects.select_for_update().get(pk=recording.pk)
    if rec.suspect == CallRecording.Suspect.OPEN:
        rec.suspect = CallRecording.Suspect.DISMISSED
        rec.save(update_fields=["suspect", "updated_at"])
        audit_record(actor=actor, action=AuditAction.RECORDING_SUSPECT_DISMISS, obj=rec, reason=reason[:200])
    return rec


@transaction.atomic
def suspect_raise(*, recording_id: int, hits: list[dict]) -> bool:
    """Put an unlinked call on the suspected-complaint queue on another check's evidence (call
    QA's customer-emotion score: words and audio cues). ``hits`` are shaped as
    ``complaint_cues.hits_as_json`` (rule, phrase, segment, start_s, weight, reason_zh, reason_en).
    A linked call, or one a person already dismissed, is left as it is. Returns whether the call
    is on the queue now."""
    rec = CallRecording.objects.select_for_update().get(pk=recording_id)
    if rec.complaint_id is not None or rec.suspect not in ("", CallRecording.Suspect.OPEN):
        return False
    kept = list(rec.suspect_hits or [])
    known = {(h.get("rule"), h.get("phrase")) for h in kept}
    rec.suspect_hits = kept + [h for h in hits if (h.get("rule"), h.get("phrase")) not in known]
    rec.suspect = CallRecording.Suspect.OPEN
    rec.save(update_fields=["suspect", "suspect_hits", "updated_at"])
    return True


__all__ = [
    "audience_users",
    "listen_mark",
    "listening_event_record",
    "recording_comment_add",
    "recording_flag",
    "recording_unflag",
    "suspect_dismiss",
    "suspect_raise",
]
