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
from datetime import timedelta

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


def _registered_at(complaint):
    """When the case was logged: its creation, unless that is long after the call
    (a back-filled or imported case), when the receipt time reads truer."""
    created = complaint.created_at or timezone.now()
    if created < complaint.received_at or created - complaint.received_at > timedelta(days=1):
        return complaint.received_at
    return created


def case_registered(complaint, *, actor, involved_staff=()) -> None:
    """Start the 15-day decision clock and write the first timeline entry of a new case;
    record the staff to recuse (回避): those intake picked and those the text names."""
    from .services.core import changed, log

    received_on = timezone.localtime(complaint.received_at).date()
    complaint.due_date = clocks.decision_due(received_on, extension_level=0, paused_days=0, calendar=work_calendar())
    type(complaint).objects.filter(pk=complaint.pk).update(due_date=complaint.due_date)
    log(complaint, action="register", actor=actor, from_state="", at=_registered_at(complaint))
    from .services.team import involved_staff_at_intake

    involved_staff_at_intake(complaint, actor=actor, users=involved_staff)
    changed([complaint.pk])
