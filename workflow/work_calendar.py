"""The holiday calendar the running process uses (``work_calendar()``), reloaded when its data changes.

Its own module so that the workflow's services and its intake hook (``workflow.hooks``, which calls
the services) both read it without importing each other (issue 13: ``hooks <-> services.core``).
"""

from __future__ import annotations

import logging
import os
import threading

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
