"""The worklist and its buckets (the inbox's tiles) as conditions on the case row.

One definition for the inbox (``workflow.selectors.inbox_for`` and its counters) and for the case
list's 待办 filter (``list_selectors.complaint_filter``): each tile's count links to the list filtered
the same way, so the number on the tile is the number of cases the list shows.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .states import CLOCK_RUNNING_STATES, OPEN_STATES, CaseState

RUNNING = sorted(CLOCK_RUNNING_STATES)
# Open cases and answered ones not yet closed: what an inbox lists.
WORKLIST_STATES = sorted(OPEN_STATES | {CaseState.RESPONDED})
BUCKETS = ("overdue", "due_today", "due_soon", "paused", "awaiting_ho", "to_route", "unassigned")
WORKLIST = "worklist"  # the whole worklist (the 全部在办 tile)
BUCKET_LABELS = {
    WORKLIST: _("全部在办"),
    "overdue": _("已超期"),
    "due_today": _("今日到期"),
    "due_soon": _("即将到期"),
    "paused": _("暂停计时"),
    "awaiting_ho": _("待总行审核"),
    "to_route": _("待派发"),
    "unassigned": _("未分派"),
}


def bucket_filters(today: date) -> dict[str, Q]:
    """Each bucket's condition within the worklist, for deadlines as of ``today`` (local)."""
    soon = today + timedelta(days=settings.WORKFLOW_DUE_SOON_DAYS)
    return {
        "overdue": Q(status__in=RUNNING, due_date__lt=today),
        "due_today": Q(status__in=RUNNING, due_date=today),
        "due_soon": Q(status__in=RUNNING, due_date__gt=today, due_date__lte=soon),
        "paused": Q(status=CaseState.PAUSED),
        "awaiting_ho": Q(status=CaseState.HO_REVIEW),
        "to_route": Q(status=CaseState.REGISTERED),
        "unassigned": Q(assigned_to__isnull=True) & ~Q(status=CaseState.REGISTERED),
    }


def worklist_q(bucket: str, today: date) -> Q:
    """The worklist's cases (``WORKLIST``), or one bucket of them; ValueError for another name."""
    base = Q(status__in=WORKLIST_STATES)
    if bucket == WORKLIST:
        return base
    buckets = bucket_filters(today)
    if bucket not in buckets:
        raise ValueError(bucket)
    return base & buckets[bucket]
