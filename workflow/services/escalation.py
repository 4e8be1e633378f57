"""The deadline watch: mark cases due soon / overdue / late for first response, and tell people once.

Run every 15 minutes by Celery beat (``workflow.tasks.escalate_deadlines``).
Idempotent: each event is a ``CaseAlert`` row unique per (case, kind, due
date); candidates are found with an anti-join against those rows, so a
second run finds nothing new and sends nothing, and two overlapping runs
cannot both notify (the unique constraint lets only one insert win, and a run
notifies only for the marks stamped with its own time; the notification's own
dedupe key is a second guard). Writes are batched (bulk inserts), so a first
run over thousands of events costs a few queries per batch, not per event. A new due date (an
extension, a pause) is a new event.

Queries use the (status, due_date) index on complaints and the unique
(complaint, kind, due_date) index on alerts: the cost follows the number of
open cases near their deadline, not the size of the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import Organisation, User
from accounts.services import NotificationItem, notification_send_many
from complaints.models import Complaint
from complaints.states import CLOCK_RUNNING_STATES, CaseState

from .. import clocks
from ..models import CaseAlert, Pause
from ..signals import deadline_alerts_raised
from . import core, notify

CANDIDATE_FIELDS = ("id", "reference", "summary", "due_date", "received_at", "responsible_org_id", "assigned_to_id")


@dataclass
class EscalationResult:
    due_soon: int = 0
    overdue: int = 0
    first_response: int = 0
    pause_overdue: int = 0
    notifications: int = 0
    queries: dict[str, str] = field(default_factory=dict)  # name -> SQL, for EXPLAIN in the benchmark


def _without_alert(qs, kind: str, due_field: str = "due_date"):
    alerted = CaseAlert.objects.filter(complaint_id=OuterRef("pk"), kind=kind, due_date=OuterRef(due_field))
    return qs.filter(~Exists(alerted))


def candidate_querysets(now: datetime, *, due_soon_days: int | None = None) -> dict[str, object]:
    today = core.local(now).date()
    days = settings.WORKFLOW_DUE_SOON_DAYS if due_soon_days is None else due_soon_days
    running = Complaint.objects.filter(status__in=sorted(CLOCK_RUNNING_STATES))
    # Internal first-response target: routed cases nobody at the branch has answered,
    # received at least the target's span ago (the exact working-hours check is in Python).
    routed = Complaint.objects.filter(
        status=CaseState.ROUTED,
        first_response_at__isnull=True,
        received_at__lte=now - timedelta(hours=core.first_response_hours()),
    )
    return {
        CaseAlert.Kind.OVERDUE: _without_alert(running.filter(due_date__lt=today), CaseAlert.Kind.OVERDUE),
        CaseAlert.Kind.DUE_SOON: _without_alert(
            running.filter(due_date__gte=today, due_date__lte=today + timedelta(days=days)), CaseAlert.Kind.DUE_SOON
        ),
        CaseAlert.Kind.FIRST_RESPONSE: routed.filter(
            ~Exists(CaseAlert.objects.filter(complaint_id=OuterRef("pk"), kind=CaseAlert.Kind.FIRST_RESPONSE))
        ),
        # A pause stops the clock only until its expected end: past it, managers and head office
        # are told (once per expected end), so a case cannot sit paused unnoticed.
        CaseAlert.Kind.PAUSE_OVERDUE: _without_alert(
            Complaint.objects.filter(status=CaseState.PAUSED)
            .annotate(pause_end=Subquery(_open_pause.values("expected_end")[:1]))
            .filter(pause_end__lt=today),
            CaseAlert.Kind.PAUSE_OVERDUE,
            due_field="pause_end",
        ),
    }


_open_pause = Pause.objects.filter(complaint_id=OuterRef("pk"), ended_at__isnull=True)


class _Recipients:
    """Caches who to tell per organisation for one run (a few queries, not one per case)."""

    def __init__(self) -> None:
        self._orgs = {o.pk: o for o in Organisation.objects.all()}
        self._managers: dict[int, list[User]] = {}
        self._ho = notify.ho_staff(roles.HO_OFFICER)
        self._handlers: dict[int, User] = {}

    def load_handlers(self, ids: set[int]) -> None:
        missing = ids - set(self._handlers)
        if missing:
            self._handlers.update(User.objects.people().in_bulk(list(missing)))

    def for_case(self, row: dict, *, head_office: bool) -> list[User]:
        org_id = row["responsible_org_id"]
        if org_id not in self._managers:
            self._managers[org_id] = notify.branch_managers(self._orgs[org_id])
        people = [*self._managers[org_id]]
        if row["assigned_to_id"]:
            people.append(self._handlers.get(row["assigned_to_id"]))
        if head_office:
            people += self._ho
        return [p for p in people if p is not None]


TEXT = {
    CaseAlert.Kind.OVERDUE: ("case_overdue", gettext_lazy("投诉已超期：%(ref)s（时限 %(due)s）")),
    CaseAlert.Kind.DUE_SOON: ("case_due_soon", gettext_lazy("投诉即将到期：%(ref)s（时限 %(due)s）")),
    CaseAlert.Kind.FIRST_RESPONSE: ("first_response_late", gettext_lazy("分行尚未首次响应：%(ref)s")),
    CaseAlert.Kind.PAUSE_OVERDUE: (
        "pause_overdue",
        gettext_lazy("暂停计时已超过预计结束日期：%(ref)s（预计 %(due)s 结束）"),
    ),
}


BATCH = 1000  # events per transaction: bounds the IN lists and the time locks are held


def _raise_alerts(
    events: list[tuple[dict, object]], kind: str, now: datetime, recipients: _Recipients, result: EscalationResult
) -> None:
    """Insert the alert marks of one batch and notify only for marks this run created.

    Set-based: one bulk insert (conflicts with another run's marks are skipped by the
    unique index), one select of the marks stamped with this run's time to learn which
    are ours, then one bulk notification write.
    """
    with transaction.atomic(durable=True):
        CaseAlert.objects.bulk_create(
            [CaseAlert(complaint_id=row["id"], kind=kind, due_date=due, created_at=now) for row, due in events],
            ignore_conflicts=True,
        )
        ours = set(
            CaseAlert.objects.filter(
                kind=kind, created_at=now, complaint_id__in=[row["id"] for row, _ in events]
            ).values_list("complaint_id", "due_date")
        )
        deadline_alerts_raised.send(
            sender="workflow", alerts=[(row["id"], kind, due) for row, due in events if (row["id"], due) in ours]
        )
        notification_kind, title = TEXT[kind]
        items = []
        for row, due in events:
            if (row["id"], due) not in ours:
                continue  # another run got there first
            items.append(
                NotificationItem(
                    recipients=tuple(recipients.for_case(row, head_office=kind != CaseAlert.Kind.DUE_SOON)),
                    kind=notification_kind,
                    title=str(title) % {"ref": row["reference"], "due": due.isoformat()},
                    dedupe_key=f"wf:{kind}:{row['id']}:{due.isoformat()}",
                    body=row["summary"],
                    url=notify.case_url(Complaint(pk=row["id"])),
                    target_type=Complaint._meta.label_lower,
                    target_id=row["id"],
                    email=True,
                )
            )
        result.notifications += notification_send_many(items)
    setattr(result, kind, getattr(result, kind) + len(items))


def timeliness_refresh_due(now: datetime) -> int:
    """Cases whose decision deadline has passed unanswered become "late" in the stored record
    (``Complaint.decision_timely``, read by analytics) as the job passes; the answer is
    ``workflow.timeliness``'s, so a case paused in time stays unknown."""
    from ..timeliness import timeliness_pending, timeliness_store

    today = core.local(now).date()
    ids = list(Complaint.objects.filter(timeliness_pending(today)).values_list("id", flat=True))
    changed = timeliness_store(ids, now=now)
    if changed:
        core.changed(changed)
    return len(changed)


def escalation_run(*, now: datetime | None = None, due_soon_days: int | None = None) -> EscalationResult:
    """Mark and notify every new deadline event as of ``now``; safe to run any number of times.

    The number of queries depends on the number of organisations and batches, not cases.
    """
    now = core.now_or(now)
    result = EscalationResult()
    timeliness_refresh_due(now)
    recipients = _Recipients()
    calendar = core.work_calendar()
    for kind, qs in candidate_querysets(now, due_soon_days=due_soon_days).items():
        fields = (*CANDIDATE_FIELDS, "pause_end") if kind == CaseAlert.Kind.PAUSE_OVERDUE else CANDIDATE_FIELDS
        result.queries[str(kind)] = str(qs.values(*fields).query)
        rows = list(qs.order_by("due_date", "id").values(*fields))
        recipients.load_handlers({r["assigned_to_id"] for r in rows if r["assigned_to_id"]})
        events = []
        for row in rows:
            if kind == CaseAlert.Kind.FIRST_RESPONSE:
                received = core.local(row["received_at"])
                target = clocks.first_response_due(received, hours=core.first_response_hours(), calendar=calendar)
                if target > core.local(now):
                    continue
                events.append((row, received.date()))
            elif kind == CaseAlert.Kind.PAUSE_OVERDUE:
                events.append((row, row["pause_end"]))
            else:
                events.append((row, row["due_date"]))
        for start in range(0, len(events), BATCH):
            _raise_alerts(events[start : start + BATCH], kind, now, recipients, result)
    return result
