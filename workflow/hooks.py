"""What the workflow does when a case enters the system (called by complaints.services).

The intake service calls ``case_registered`` inside its transaction, so the
regulatory clock starts with the case: the decision due date follows the
day-counting policy and the holiday calendar in ``workflow.clocks``.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils import timezone

from . import clocks


@lru_cache(maxsize=1)
def work_calendar() -> clocks.WorkCalendar:
    return clocks.load_calendar()


def case_registered(complaint, *, actor) -> None:
    """Start the 15-day decision clock for a newly registered case."""
    received_on = timezone.localtime(complaint.received_at).date()
    complaint.due_date = clocks.decision_due(received_on, extension_level=0, paused_days=0, calendar=work_calendar())
    type(complaint).objects.filter(pk=complaint.pk).update(due_date=complaint.due_date)
