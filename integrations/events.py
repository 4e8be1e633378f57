"""The outbox writer: case events recorded in the transaction of the change they report.

Two sources, both inside the writer's transaction (so an event exists if and only if its change
committed, whether or not the broker is up):

* the workflow's transition log — every ``CaseTransition`` row written (``post_save``): the
  ``register`` entry is ``case.created``; a move to another state ``case.state_changed``, or
  ``case.closed`` when the new state is final (closed, withdrawn, merged, not accepted);
  entries that leave the state as it was (comments, reassignments) are not events;
* the escalation job's new deadline marks (``workflow.signals.deadline_alerts_raised``):
  due soon is ``case.deadline_near``, overdue ``case.overdue``.

Each event gets the next sequence number of its case and one delivery row per active endpoint
that takes it; with no such endpoint nothing is written (one query per change). Payloads carry
no personal data: reference, channel, classification codes, state, org code and dates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.transaction import on_commit
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import FINAL_STATES

from .models import CaseEventSequence, Delivery, EventType, OutboundEvent, WebhookEndpoint

log = logging.getLogger(__name__)

KICK_KEY = "integrations:webhook-send-queued"
ALERT_TYPES = {"due_soon": EventType.DEADLINE_NEAR, "overdue": EventType.OVERDUE}


@dataclass
class PendingEvent:
    complaint_id: int
    type: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    status: str | None = None  # the state the event leaves the case in, when it knows it


def event_type_for(action: str, from_state: str, to_state: str) -> str | None:
    """Which event a transition-log entry is, or None (pure)."""
    if action == "register":
        return EventType.CASE_CREATED
    if from_state == to_state:
        return None
    return EventType.CLOSED if to_state in FINAL_STATES else EventType.STATE_CHANGED


def on_transition_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """``post_save`` receiver for ``workflow.CaseTransition`` (connected in IntegrationsConfig.ready)."""
    if not created or raw:
        return
    kind = event_type_for(instance.action, instance.from_state, instance.to_state)
    if kind is None:
        return
    data = {"action": instance.action, "from_state": instance.from_state, "to_state": instance.to_state}
    events_record([PendingEvent(instance.complaint_id, kind, instance.at, data, status=instance.to_state)])


def on_deadline_alerts(sender, alerts, **kwargs) -> None:
    """Receiver of ``workflow.signals.deadline_alerts_raised``."""
    now = timezone.now()
    events_record(
        [
            PendingEvent(cid, ALERT_TYPES[kind], now, {"due_date": due.isoformat()})
            for cid, kind, due in alerts
            if kind in ALERT_TYPES
        ]
    )


def events_record(pending: list[PendingEvent]) -> list[OutboundEvent]:
    """Write events and their deliveries in the caller's transaction; the caller's change and its
    events commit together. Returns the events written (none when no endpoint takes them)."""
    if not pending:
        return []
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).values("id", "event_types", "org__path"))
    wanted = {t for e in endpoints for t in e["event_types"]}
    pending = [p for p in pending if p.type in wanted]
    if not pending:
        return []
    cases = {
        row["id"]: row
        for row in Complaint.objects.filter(pk__in={p.complaint_id for p in pending}).values(
            "id",
            "reference",
            "status",
            "channel",
            "code_a__code",
            "code_b__code",
            "code_c__code",
            "responsible_org__code",
            "responsible_org__path",
            "received_at",
            "due_date",
        )
    }
    routed: list[tuple[PendingEvent, dict, list[int]]] = []
    for p in pending:
        case = cases.get(p.complaint_id)
        if case is None:
            continue
        path = case["responsible_org__path"] or ""
        targets = [
            e["id"]
            for e in endpoints
            if p.type in e["event_types"] and (e["org__path"] is None or path.startswith(e["org__path"]))
        ]
        if targets:
            routed.append((p, case, targets))
    if not routed:
        return []
    with transaction.atomic():  # the caller's transaction (a savepoint); its own in autocommit
        return _write(routed)


def _write(routed: list[tuple[PendingEvent, dict, list[int]]]) -> list[OutboundEvent]:
    sequences = _next_sequences([p.complaint_id for p, _case, _t in routed])
    events = []
    for p, case, _targets in routed:
        seq = sequences[p.complaint_id].pop(0)
        event = OutboundEvent(type=p.type, complaint_id=p.complaint_id, sequence=seq, occurred_at=p.occurred_at)
        event.payload = payload_for(event, case, p)
        events.append(event)
    OutboundEvent.objects.bulk_create(events)
    Delivery.objects.bulk_create(
        [
            Delivery(event=event, endpoint_id=endpoint_id, complaint_id=event.complaint_id, sequence=event.sequence)
            for event, (_p, _case, targets) in zip(events, routed, strict=True)
            for endpoint_id in targets
        ]
    )
    on_commit(request_send)
    return events


def _next_sequences(complaint_ids: list[int]) -> dict[int, list[int]]:
    """The next numbers of each case, as many as it occurs in ``complaint_ids``. The counter rows
    are locked (in id order: no deadlock between two writers) until the caller commits, so a
    case's numbers follow the order its events commit in."""
    counts: dict[int, int] = {}
    for cid in complaint_ids:
        counts[cid] = counts.get(cid, 0) + 1
    CaseEventSequence.objects.bulk_create(
        [CaseEventSequence(complaint_id=cid, last=0) for cid in sorted(counts)], ignore_conflicts=True
    )
    rows = list(CaseEventSequence.objects.select_for_update().filter(pk__in=counts).order_by("pk"))
    numbers = {r.pk: list(range(r.last + 1, r.last + 1 + counts[r.pk])) for r in rows}
    for r in rows:
        r.last += counts[r.pk]
    CaseEventSequence.objects.bulk_update(rows, ["last"])
    return numbers


def payload_for(event: OutboundEvent, case: dict, pending: PendingEvent) -> dict[str, Any]:
    """The JSON body of an event: no names, numbers or free text of the customer."""
    return {
        "id": str(event.event_id),
        "type": event.type,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "case": {
            "reference": case["reference"],
            "status": pending.status or case["status"],
            "channel": case["channel"],
            "codes": {"A": case["code_a__code"], "B": case["code_b__code"], "C": case["code_c__code"]},
            "org": case["responsible_org__code"],
            "received_at": case["received_at"].isoformat() if case["received_at"] else None,
            "due_date": case["due_date"].isoformat() if case["due_date"] else None,
        },
        "data": pending.data,
    }


def request_send() -> None:
    """Queue one send run unless one was queued in the last few seconds; the beat job sends
    whatever is left if the broker is down (its failure never reaches the caller's request)."""
    from .tasks import send_webhooks

    debounce = settings.INTEGRATIONS_SEND_DEBOUNCE_S
    try:
        if debounce and not cache.add(KICK_KEY, 1, timeout=debounce):
            return
        send_webhooks.apply_async(countdown=debounce or None)
    except Exception:
        cache.delete(KICK_KEY)
        log.exception("could not queue the webhook send (the beat job will pick it up)")
