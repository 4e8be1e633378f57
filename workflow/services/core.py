"""Shared machinery of the workflow services: lock, check, move, log, notify analytics.

Every service runs in one transaction: it locks the complaint row
(``select_for_update``), rejects a stale page (the version the page was
rendered with must still be current), checks the permission table, moves the
state through the django-fsm transition method, saves, and appends a
``CaseTransition``. Two people acting at once: the second waits for the lock,
then sees the new version and gets a conflict message; on SQLite writers are
serialised by the IMMEDIATE transaction mode, with the same result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from complaints.models import Complaint
from complaints.pii import mask_text
from complaints.signals import send_changed

from .. import clocks, permissions
from ..errors import CaseNotFound, InvalidInput, StaleCase
from ..models import CaseTransition
from ..work_calendar import work_calendar as cached_work_calendar
from .outcome import CLOSING_FIELDS, closing_record


def work_calendar() -> clocks.WorkCalendar:
    return cached_work_calendar()


def local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def version_of(complaint: Complaint) -> str:
    """What a page embeds (and the API's ETag carries) to detect it is stale: the case's event
    counter, its state and its last save time. The counter moves on every logged event, also
    one that saves nothing on the row (a comment) or two at the same instant; the save time
    catches changes made outside the workflow (an intake correction)."""
    stamp = complaint.updated_at.timestamp() if complaint.updated_at else 0
    return f"{complaint.version}.{complaint.status}@{stamp:.6f}"


def lock_case(complaint_id: int, *, actor, action: str, expected_version: str | None) -> Complaint:
    """Lock the row, then check scope, freshness and permission (in that order)."""
    try:
        complaint = (
            Complaint.objects.select_for_update(of=("self",)).select_related("responsible_org").get(pk=complaint_id)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise CaseNotFound(_("投诉不存在")) from None
    permissions.ensure_visible(actor, complaint)
    if expected_version is not None and expected_version != version_of(complaint):
        raise StaleCase(
            _("投诉已被他人更新（当前状态「%(state)s」），您的操作未执行。请刷新页面后重试。")
            % {"state": _state_label(complaint.status)},
            audit=_refusal_audit(complaint, actor, action, "stale"),
        )
    permissions.check(actor, complaint, action)
    return complaint


def _refusal_audit(complaint: Complaint, actor, action: str, rule: str) -> dict:
    """What ``services.refusals`` writes on the case's log for a refused attempt."""
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    return {
        "complaint_id": complaint.pk,
        "state": complaint.status,
        "action": action,
        "actor_id": actor_id,
        "rule": rule,
    }


def _state_label(value: str) -> str:
    from complaints.states import state_label

    return state_label(value)


def require_text(value: str | None, what: str, *, max_length: int = 2000) -> str:
    """Free text a member of staff must give (reason, comment, decision text), ready to store.

    Every free-text input of the workflow services passes here or through
    :func:`optional_text`, once: the text is stored, shown on the timeline to everyone who
    sees the case and sent in notifications and e-mails, so customer numbers are masked
    with ``complaints.pii.mask_text`` (ordinary text, dates and amounts stay as typed).
    ``max_length`` applies to the text as typed; the masked text is cut to it as well (a
    masked e-mail address can be longer) so it always fits the column.
    """
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("请填写%(what)s") % {"what": what})
    if len(text) > max_length:
        raise InvalidInput(_("%(what)s不能超过 %(n)s 字") % {"what": what, "n": max_length})
    return mask_text(text)[:max_length]


def optional_text(value: str | None, what: str | None = None, *, max_length: int = 2000) -> str:
    """Free text that may be left empty: "" when blank, otherwise as :func:`require_text`."""
    if not (value or "").strip():
        return ""
    return require_text(value, what or _("说明"), max_length=max_length)


def changed(complaint_ids: list[int]) -> None:
    """Status and timestamp changes: complaints' ``complaints_changed`` signal, in this
    transaction (analytics' rollups follow it)."""
    send_changed(complaint_ids)


def save_case(complaint: Complaint, fields: list[str]) -> None:
    try:
        complaint.save(update_fields=sorted({*fields, "updated_at"}))
    except ConcurrentTransition:
        # Only reachable if the row changed although we hold its lock (e.g. a
        # raw UPDATE elsewhere); refuse rather than overwrite.
        raise StaleCase(_("投诉已被他人更新，您的操作未执行。请刷新页面后重试。")) from None


def log(
    complaint: Complaint,
    *,
    action: str,
    actor,
    from_state: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseTransition:
    entry = CaseTransition.objects.create(
        complaint=complaint,
        action=action,
        from_state=from_state,
        to_state=complaint.status,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        data=data or {},
        at=at or timezone.now(),
    )
    if action != "register":  # a new row starts at version 0: no version was handed out before it
        bump_version(complaint)
    refresh_timeliness(complaint, now=entry.at)
    return entry


def bump_version(complaint: Complaint) -> None:
    """Every logged event makes the versions handed out before it stale (the row is locked)."""
    Complaint.objects.filter(pk=complaint.pk).update(version=F("version") + 1)
    complaint.version += 1


def refresh_timeliness(complaint: Complaint, *, now: datetime) -> None:
    """After every logged event: the decision clock's columns follow (``workflow.timeliness``)."""
    from ..timeliness import timeliness_store

    # The caller's row was just saved: computed from it and updated in place (no re-read).
    timeliness_store([complaint.pk], now=max(now, timezone.now()), loaded=[complaint])


def move(
    complaint: Complaint,
    action: str,
    *,
    actor,
    now: datetime,
    fields: tuple[str, ...] = (),
    reason: str = "",
    data: dict[str, Any] | None = None,
    args: tuple = (),
) -> CaseTransition:
    """Run the FSM transition ``action``, save the given columns, log it, tell analytics."""
    from_state = complaint.status
    try:
        getattr(complaint, action)(*args)
    except TransitionNotAllowed:
        raise permissions.ActionDenied(
            _("当前状态「%(state)s」不能执行「%(action)s」")
            % {"state": _state_label(from_state), "action": permissions.label(action)},
            audit=_refusal_audit(complaint, actor, action, "state"),
        ) from None
    if complaint.status == "closed":
        # Every path to "closed" (closing, a verification's conclusion) carries the record.
        closing_record(complaint)
        fields = (*fields, *CLOSING_FIELDS)
    save_case(complaint, ["status", *fields])
    entry = log(complaint, action=action, actor=actor, from_state=from_state, reason=reason, data=data, at=now)
    changed([complaint.pk])
    return entry


def is_branch_actor(user) -> bool:
    return not user.at_head_office


def mark_first_response(complaint: Complaint, *, actor, now: datetime) -> list[str]:
    """The branch's first response (accept or comment) stops the internal 2-hour target."""
    if complaint.first_response_at is None and is_branch_actor(actor):
        complaint.first_response_at = now
        return ["first_response_at"]
    return []


def first_response_hours() -> float:
    return float(getattr(settings, "WORKFLOW_FIRST_RESPONSE_HOURS", 2))
