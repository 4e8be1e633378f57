"""What the workflow does when a case enters the system (called by complaints.services).

The intake service calls ``case_registered`` inside its transaction, so the
regulatory clock starts with the case: the decision due date follows the
day-counting policy and the holiday calendar in ``workflow.clocks``, and the
case's timeline opens with a "registered" transition.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta

from django.utils import timezone

from . import clocks
from .calendar import HOLIDAY_DIR

logger = logging.getLogger(__name__)


def work_calendar() -> clocks.WorkCalendar:
    """The holiday calendar, reloaded when a ``cn_YYYY.json`` file is added or changed, so a new
    year's data reaches running web and worker processes without a restart. A file that does not
    validate is logged and the calendar loaded before stays in use (at start-up it is an error)."""
    global _loaded
    files = _holiday_files()
    loaded = _loaded
    if loaded is not None and loaded[0] == files:
        return loaded[1]
    with _load_lock:
        try:
            calendar = clocks.load_calendar(HOLIDAY_DIR)
        except ValueError:
            if _loaded is None:
                raise
            logger.exception("invalid holiday data in %s; keeping the calendar loaded before", HOLIDAY_DIR)
            calendar = _loaded[1]
        _loaded = (files, calendar)
        return calendar


_loaded: tuple[tuple, clocks.WorkCalendar] | None = None
_load_lock = threading.Lock()


def _holiday_files() -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of each data file: changes when a year is added or edited."""
    with os.scandir(HOLIDAY_DIR) as entries:
        return tuple(
            sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.name.endswith(".json"))
        )


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
