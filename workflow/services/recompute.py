"""Bring stored due dates in line after the holiday calendar changed (a new ``cn_YYYY.json``).

Inbox buckets and the escalation job read ``Complaint.due_date``; the case page computes the
clock live. A deadline that fell in a year without holiday data was counted Monday-Friday; when
that year's file arrives, this recomputes the stored date of every case whose clock is running
(paused cases get theirs when they resume; open verifications from their request date) and
writes one timeline entry for each case whose deadline moved. Idempotent: a second run moves
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AuditAction
from accounts.services import audit_record
from complaints.models import Complaint
from complaints.states import CLOCK_RUNNING_STATES, CaseState

from .. import clocks
from ..case_records import pauses_by_case
from ..models import CaseTransition, VerificationRequest
from ..selectors import clock_now
from . import core

RECOMPUTE_ACTION = "due_date_recomputed"
DECISION_STATES = sorted(CLOCK_RUNNING_STATES - {CaseState.VERIFICATION})


@dataclass(frozen=True)
class RecomputeResult:
    checked: int
    moved: int


def due_dates_recompute(*, now: datetime | None = None, batch_size: int = 500) -> RecomputeResult:
    """Recompute the due date of every running case with the current calendar; see the module."""
    now = core.now_or(now)
    calendar = core.work_calendar()
    checked = moved = 0
    last_id = 0
    fields = ("id", "status", "received_at", "extension_level", "due_date")
    decision_cases = Complaint.objects.filter(status__in=DECISION_STATES).only(*fields).order_by("id")
    while batch := list(decision_cases.filter(id__gt=last_id)[:batch_size]):
        last_id = batch[-1].id
        pauses = pauses_by_case([c.id for c in batch])
        changes = [(c, clock_now(c, now, pauses=pauses[c.id]).due_date) for c in batch]
        moved += len(_apply(changes, now=now))
        checked += len(batch)
    open_requests = (
        VerificationRequest.objects.filter(complaint__status=CaseState.VERIFICATION, outcome="")
        .select_related("complaint")
        .order_by("complaint_id", "-recorded_at", "-id")
    )
    latest: dict[int, VerificationRequest] = {}
    for req in open_requests:
        latest.setdefault(req.complaint_id, req)
    with transaction.atomic():
        changes = [(r.complaint, clocks.verification_due(r.requested_on, calendar=calendar)) for r in latest.values()]
        moved_ids = _apply(changes, now=now)
        for req in latest.values():
            if req.complaint_id in moved_ids:
                VerificationRequest.objects.filter(pk=req.pk).update(due_date=req.complaint.due_date)
    moved += len(moved_ids)
    checked += len(latest)
    audit_record(
        actor=None,
        action=AuditAction.WORKFLOW_DUE_DATES_RECOMPUTED,
        object_type="workflow.calendar",
        years=sorted(calendar.known_years),
        checked=checked,
        moved=moved,
    )
    return RecomputeResult(checked=checked, moved=moved)


@transaction.atomic
def _apply(changes: list[tuple[Complaint, date]], *, now: datetime) -> set[int]:
    """Store each new date unless the case moved on meanwhile (its own transition then set a
    fresh date with the current calendar); log the move on the case's timeline. Returns the ids
    of the cases moved; their ``due_date`` attribute holds the new date."""
    logged = []
    for complaint, due in changes:
        if complaint.due_date == due:
            continue
        updated = Complaint.objects.filter(pk=complaint.pk, status=complaint.status, due_date=complaint.due_date)
        if not updated.update(due_date=due):
            continue
        logged.append(
            CaseTransition(
                complaint_id=complaint.pk,
                action=RECOMPUTE_ACTION,
                from_state=complaint.status,
                to_state=complaint.status,
                reason=_("节假日安排更新后重算时限"),
                data={
                    "due_date": due.isoformat(),
                    "previous_due_date": complaint.due_date.isoformat() if complaint.due_date else "",
                },
                at=now,
            )
        )
        complaint.due_date = due
    CaseTransition.objects.bulk_create(logged)
    return {t.complaint_id for t in logged}
