"""What the workflow does when a case enters the system (called by complaints.services).

The intake service calls ``case_registered`` inside its transaction, so the
regulatory clock starts with the case: the decision due date follows the
day-counting policy and the holiday calendar in ``workflow.clocks``, and the
case's timeline opens with a "registered" transition.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.utils import timezone

from . import clocks


@lru_cache(maxsize=1)
def work_calendar() -> clocks.WorkCalendar:
    return clocks.load_calendar()


def _registered_at(complaint):
    """When the case was logged: its creation, unless that is long after the call
    (a back-filled or imported case), when the receipt time reads truer."""
    created = complaint.created_at or timezone.now()
    if created < complaint.received_at or created - complaint.received_at > timedelta(days=1):
        return complaint.received_at
    return created


def case_registered(complaint, *, actor) -> None:
    """Start the 15-day decision clock and write the first timeline entry of a new case."""
    from .services.core import changed, log

    received_on = timezone.localtime(complaint.received_at).date()
    complaint.due_date = clocks.decision_due(received_on, extension_level=0, paused_days=0, calendar=work_calendar())
    type(complaint).objects.filter(pk=complaint.pk).update(due_date=complaint.due_date)
    log(complaint, action="register", actor=actor, from_state="", at=_registered_at(complaint))
    changed([complaint.pk])
