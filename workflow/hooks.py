"""What the workflow does when a case enters the system.

The intake service sends ``complaints.signals.complaint_registered`` inside its transaction
(complaints never imports the workflow, issue 13); ``on_complaint_registered`` receives it
(connected in ``WorkflowConfig.ready``) and calls ``case_registered``, so the
regulatory clock starts with the case: the decision due date follows the
day-counting policy and the holiday calendar in ``workflow.clocks``, and the
case's timeline opens with a "registered" transition.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from . import clocks
from .work_calendar import work_calendar

__all__ = ["case_registered", "work_calendar"]  # work_calendar: where demo, selectors and tests take it


# Logged later than this after the customer's complaint arrived, a case is a late entry:
# its registration says so (receipt time, delay) and intake asks why.
LATE_ENTRY = timedelta(days=1)  # complaints.services.intake asks for a reason beyond it


def _registration(complaint) -> tuple[datetime, dict]:
    """When the case was logged (always the real time: a back-filled case must not hide its
    delay behind the receipt time) and, for a late entry, the receipt time and the delay."""
    registered = max(complaint.created_at or timezone.now(), complaint.received_at)
    late = registered - complaint.received_at
    if late <= LATE_ENTRY:
        return registered, {}
    received = timezone.localtime(complaint.received_at)
    return registered, {"received_at": received.strftime("%Y-%m-%d %H:%M"), "late_days": late.days}


def case_registered(complaint, *, actor, involved_staff=(), late_reason: str = "") -> None:
    """Start the 15-day decision clock and write the first timeline entry of a new case;
    record the staff to recuse (回避): those intake picked and those the text names."""
    from .services.core import log

    received_on = timezone.localtime(complaint.received_at).date()
    complaint.due_date = clocks.decision_due(received_on, extension_level=0, paused_days=0, calendar=work_calendar())
    type(complaint).objects.filter(pk=complaint.pk).update(due_date=complaint.due_date)
    registered_at, late = _registration(complaint)
    log(complaint, action="register", actor=actor, from_state="", at=registered_at, reason=late_reason, data=late)
    from .services.team import involved_staff_at_intake

    involved_staff_at_intake(complaint, actor=actor, users=involved_staff)
    # no complaints_changed here: intake sends it once the whole registration is written


def on_complaint_registered(sender, *, complaint, actor, involved_staff=(), late_reason: str = "", **kwargs) -> None:
    """Receiver of ``complaints.signals.complaint_registered`` (in intake's transaction)."""
    case_registered(complaint, actor=actor, involved_staff=involved_staff, late_reason=late_reason)
