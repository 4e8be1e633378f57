"""Reads and access rules for recordings. Every page and API goes through here.

Who sees what (one place):
- A recording belongs to its case's responsible org, or, while unlinked, to the
  uploader's org; users see recordings of the orgs ``accounts.selectors`` lets them see.
- The original audio and unredacted transcript: only ``can_hear_original`` roles
  (head-office officer/approver, the unmask roles), each view audit-logged.
- Everyone else who may see the recording gets the redacted text, and the redacted audio
  only when redaction succeeded (fail closed).
- A flagged (典型) recording is also open — redacted only — to its audience (roles at orgs,
  orgs including their sub-branches), even outside their usual scope.
Objects outside a user's reach are 404, never 403.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from accounts import audit_trail, roles
from accounts.models import Organisation, User
from accounts.selectors import can_read_audit_trail, can_unmask, can_write, org_ids_visible_to, org_visible_to

from .models import CallRecording, ListeningEvent, RecordingFlag, TranscriptSegment

UPLOAD_ROLES = frozenset(
    {roles.AGENT, roles.BRANCH_HANDLER, roles.BRANCH_MANAGER, roles.HO_OFFICER, roles.HO_APPROVER, roles.ADMIN}
)
FLAG_ROLES = frozenset({roles.HO_OFFICER, roles.HO_APPROVER})
SUSPECT_ROLES = frozenset({roles.AGENT, roles.HO_OFFICER, roles.HO_APPROVER, roles.BRANCH_MANAGER, roles.ADMIN})
DEFAULT_AUDIENCE_ROLES = (roles.LISTENING_MANAGER, roles.BRANCH_MANAGER)
AUDIENCE_ROLE_CHOICES = (roles.LISTENING_MANAGER, roles.BRANCH_MANAGER, roles.BRANCH_HANDLER, roles.HO_OFFICER)


# --- abilities -----------------------------------------------------------------------


def can_hear_original(user: User) -> bool:
    """Original audio and unredacted transcript: the unmask roles only (audit-logged)."""
    return can_unmask(user)


def can_upload(user: User) -> bool:
    return can_write(user) and (user.is_superuser or user.has_role(*UPLOAD_ROLES))


def can_flag(user: User) -> bool:
    return can_write(user) and user.has_role(*FLAG_ROLES)


def can_see_suspects(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*SUSPECT_ROLES))


def can_audit_plays(user: User) -> bool:
    """The play log is part of the audit trail: the same people read it."""
    return can_read_audit_trail(user)


# --- scoping -------------------------------------------------------------------------


def _scope_q(user: User) -> Q | None:
    ids = org_ids_visible_to(user)
    if ids is None:
        return None
    return Q(complaint__responsible_org_id__in=ids) | Q(complaint__isnull=True, owner_org_id__in=ids)


def recordings_visible_to(user: User) -> QuerySet[CallRecording]:
    """Recordings in the user's organisational scope (not counting flag audiences)."""
    if not user.is_authenticated or not user.is_active:
        return CallRecording.objects.none()
    qs = CallRecording.objects.select_related("complaint", "owner_org", "uploaded_by")
    q = _scope_q(user)
    return qs if q is None else qs.filter(q)


def _user_org_chain_ids(user: User) -> list[int]:
    """The user's org and its ancestors: an audience org covers its sub-branches."""
    if user.org is None:
        return []
    codes = [c for c in user.org.path.split("/") if c]
    return list(Organisation.objects.filter(code__in=codes).values_list("id", flat=True))


def flags_for_audience(user: User) -> QuerySet[RecordingFlag]:
    """Active flags whose audience includes this user (role match, org within an audience org)."""
    wanted = [r for r in user.role_set if r]
    if not user.is_authenticated or not wanted:
        return RecordingFlag.objects.none()
    role_q = Q()
    for role in wanted:
        # JSON "contains" is not portable to SQLite; the role list is short, so match the text.
        role_q |= Q(audience_roles__icontains=f'"{role}"')
    chain = _user_org_chain_ids(user)
    no_orgs = ~Exists(RecordingFlag.audience_orgs.through.objects.filter(recordingflag_id=OuterRef("pk")))
    in_orgs = Exists(
        RecordingFlag.audience_orgs.through.objects.filter(recordingflag_id=OuterRef("pk"), organisation_id__in=chain)
    )
    visible_ids = recordings_visible_to(user).values("id")
    return RecordingFlag.objects.filter(role_q, is_active=True).filter(
        in_orgs | (no_orgs & Q(recording_id__in=visible_ids))
    )


def recordings_reachable_by(user: User) -> QuerySet[CallRecording]:
    """Every recording ``recording_for`` would open for the user: in scope, or in the audience of
    its flag (a queryset, for filtering other rows by it)."""
    return CallRecording.objects.filter(
        Q(pk__in=recordings_visible_to(user).values("pk")) | Q(pk__in=flags_for_audience(user).values("recording_id"))
    )


def recording_for(user: User, pk: int) -> CallRecording:
    """A recording the user may see in scope or as a flag audience member, else 404."""
    rec = recordings_visible_to(user).filter(pk=pk).first()
    if rec is None:
        if flags_for_audience(user).filter(recording_id=pk).exists():
            rec = CallRecording.objects.select_related("complaint", "owner_org").get(pk=pk)
            rec.via_flag_only = True
            return rec
        raise Http404
    rec.via_flag_only = False
    return rec


def recording_in_scope(user: User, pk: int) -> CallRecording:
    """In organisational scope only (for writes such as linking); else 404."""
    rec = recordings_visible_to(user).filter(pk=pk).first()
    if rec is None:
        raise Http404
    return rec


# --- what a user may play or read ----------------------------------------------------


def redacted_playable(rec: CallRecording) -> bool:
    """The listening copy may reach listeners: de-identified with every layer, or released
    by a reviewer. (Flagging and the front-line feed require this.)"""
    return (
        rec.status == CallRecording.Status.DONE
        and rec.redaction == CallRecording.Redaction.OK
        and bool(rec.redacted_file)
    )


def can_review_redaction(user: User) -> bool:
    """Who may listen to a held-back listening copy and release it: those who may hear the
    original anyway (they compare the two)."""
    return can_hear_original(user)


def awaiting_redaction_review(rec: CallRecording) -> bool:
    return (
        rec.status == CallRecording.Status.DONE
        and rec.redaction == CallRecording.Redaction.REVIEW
        and bool(rec.redacted_file)
    )


def playable_versions(user: User, rec: CallRecording) -> list[str]:
    versions = []
    if redacted_playable(rec) or (
        awaiting_redaction_review(rec) and can_review_redaction(user) and not getattr(rec, "via_flag_only", False)
    ):
        versions.append(ListeningEvent.Version.REDACTED)
    if can_hear_original(user) and not getattr(rec, "via_flag_only", False) and rec.file:
        versions.append(ListeningEvent.Version.ORIGINAL)
    return versions


def unplayable_reason(user: User, rec: CallRecording) -> str:
    from django.utils.translation import gettext as _

    if rec.is_active_job:
        return _("转写完成后可播放脱敏录音。")
    if rec.status == CallRecording.Status.FAILED:
        return _("转写失败：%(reason)s") % {"reason": rec.failure_reason}
    if rec.status == CallRecording.Status.NO_SPEECH:
        return _("录音中未检测到语音，无需脱敏。")
    if rec.redaction == CallRecording.Redaction.REVIEW:
        return _("脱敏录音待总行复核，复核放行后可播放：%(note)s") % {"note": rec.redaction_note}
    if rec.redaction == CallRecording.Redaction.FAILED:
        return _("无法可靠脱敏，脱敏录音不可播放：%(note)s") % {"note": rec.redaction_note}
    return ""


def segments_for(rec: CallRecording) -> QuerySet[TranscriptSegment] | list[TranscriptSegment]:
    """The recording's segments in order: the ones read with the case's recordings
    (``case_recordings``) when there are, else a query."""
    prefetched = getattr(rec, "segments_in_order", None)
    return prefetched if prefetched is not None else rec.segments.order_by("index")


def queue_position(rec: CallRecording) -> int | None:
    """1 = next to be picked up. None when the recording is not waiting."""
    return queue_positions([rec]).get(rec.pk)


def queue_positions(recs) -> dict[int, int]:
    """Queue positions of the waiting recordings among ``recs`` in one query (a list page):
    for each, how many queued recordings are ahead of it (by queued_at, then id), plus one."""
    waiting = [r for r in recs if r.status == CallRecording.Status.QUEUED and r.queued_at is not None]
    if not waiting:
        return {}
    ahead = CallRecording.objects.filter(status=CallRecording.Status.QUEUED).aggregate(
        **{
            f"r{r.pk}": Count("pk", filter=Q(queued_at__lt=r.queued_at) | Q(queued_at=r.queued_at, pk__lt=r.pk))
            for r in waiting
        }
    )
    return {r.pk: ahead[f"r{r.pk}"] + 1 for r in waiting}


def recordings_for_complaint(user: User, complaint) -> list[CallRecording]:
    if not org_visible_to(user, complaint.responsible_org):
        return []
    return case_recordings(complaint)


def case_recordings(complaint) -> list[CallRecording]:
    """The case's recordings, newest first, with uploader, flag and segments: two queries, read
    once per case object (the case page's panel and its timeline entries share them)."""
    cached = getattr(complaint, "_case_recordings", None)
    if cached is None:
        segments = TranscriptSegment.objects.order_by("index")
        cached = list(
            CallRecording.objects.filter(complaint=complaint)
            .select_related("uploaded_by", "flag", "flag__flagged_by")
            .prefetch_related(Prefetch("segments", queryset=segments, to_attr="segments_in_order"))
            .order_by("-created_at")
        )
        complaint._case_recordings = cached
    return cached


# --- inboxes and queues --------------------------------------------------------------


def listening_inbox(user: User, *, include_listened: bool = False) -> QuerySet[RecordingFlag]:
    from .models import ListenReceipt

    qs = flags_for_audience(user).select_related("recording", "recording__complaint", "flagged_by")
    listened = ListenReceipt.objects.filter(flag_id=OuterRef("pk"), user=user)
    qs = qs.annotate(listened=Exists(listened))
    if not include_listened:
        qs = qs.filter(listened=False)
    return qs.order_by("-flagged_at", "-id")


def suspected_queue(user: User) -> QuerySet[CallRecording]:
    if not can_see_suspects(user):
        return CallRecording.objects.none()
    return recordings_visible_to(user).filter(suspect=CallRecording.Suspect.OPEN, complaint__isnull=True)


def listening_events_for(
    user: User,
    *,
    recording_id: int | None = None,
    actor_id: int | None = None,
    reference: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[ListeningEvent]:
    """Auditors and admins list every play, newest first, narrowed by recording, person, case
    (its reference) and local days; nobody else gets the list. Each filter reads from an index
    (recording, user with ``at``, the case's recordings, ``at``)."""
    if not can_audit_plays(user):
        raise Http404
    qs = ListeningEvent.objects.select_related("user", "recording__complaint").filter(
        audit_trail.at_range(date_from, date_to)
    )
    if recording_id:
        qs = qs.filter(recording_id=recording_id)
    if actor_id:
        qs = qs.filter(user_id=actor_id)
    if reference:
        qs = qs.filter(
            recording_id__in=list(
                CallRecording.objects.filter(complaint__reference=reference).values_list("pk", flat=True)
            )
        )
    return qs


def play_log_page(
    user: User, *, cursor: str | None = None, limit: int = 50, **filters
) -> tuple[list[ListeningEvent], str]:
    """One page of the play log by keyset on (at, id) and the cursor of the next ("" if last)."""
    qs = listening_events_for(user, **filters).filter(audit_trail.before_cursor(audit_trail.cursor_decode(cursor)))
    events = list(qs[: limit + 1])
    more = len(events) > limit
    events = events[:limit]
    return events, audit_trail.cursor_encode(events[-1].at, events[-1].pk) if more else ""


# --- for other apps ------------------------------------------------------------------


def complaint_ids_matching_transcript(text: str, user: User) -> QuerySet:
    """Ids of complaints (in the user's scope) with a recording whose REDACTED transcript
    contains ``text``. For the intake search: ``Complaint.objects.filter(id__in=...)``.
    Searching the redacted text means a number cannot be found by guessing it."""
    text = (text or "").strip()
    if not text:
        return CallRecording.objects.none().values("complaint_id")
    from complaints.search import text_contains  # ILIKE on PostgreSQL: served by rec_segment_redacted_trgm

    qs = recordings_visible_to(user).filter(
        text_contains(text[:100], ("segments__text_redacted",)), complaint__isnull=False
    )
    return qs.values("complaint_id").distinct()


def code_suggestions(rec: CallRecording, *, limit: int = 3) -> dict[str, list[dict]]:
    """A/B/C code suggestions for a transcript, each with the words that led to it."""
    from complaints.taxonomy_selectors import taxonomy_rows

    from .code_hints import suggest

    text = " ".join(rec.segments.order_by("index").values_list("text_redacted", flat=True))
    return suggest(text, taxonomy_rows(), limit=limit)
