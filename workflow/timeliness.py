"""Decision timeliness: one answer to "was this case decided and told in time?".

The deadline is derived, never taken from a column another clock can write:
from the receipt time, the approved extension level, the pause rows, the
transition log (the first "respond" is when the customer was told) and the
working-day calendar (``workflow.clocks.decision_timeliness``). The
verification (核实) clock is separate and never enters here.

Readers: the case page (``selectors.clock_for``), the inbox and the escalation
job (through ``Complaint.due_date`` in the decision states and
``Complaint.decision_due_date``/``decision_timely``, which only
``timeliness_store`` writes), analytics (counts of ``decision_timely``, and
``decision_overdue`` for the cases open past their deadline) and the case
export (``timeliness_many``, live).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db.models import Min, Q
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import CLOCK_RUNNING_STATES, FINAL_STATES, OPEN_STATES, CaseState

from . import clocks
from .case_records import cached_records, pauses_by_case
from .models import CaseTransition
from .work_calendar import work_calendar

Timeliness = clocks.Timeliness

# States that end a case without a decision being told: the clock stops at closed_at.
ENDED_WITHOUT_DECISION = frozenset({CaseState.WITHDRAWN, CaseState.MERGED, CaseState.NOT_ACCEPTED})
# States in which ``Complaint.due_date`` is the decision deadline (in "verification" it is
# the verification clock's, in "paused" it waits for the resume).
DECISION_CLOCK_STATES = frozenset(CLOCK_RUNNING_STATES - {CaseState.VERIFICATION})
FIELDS = ("id", "status", "received_at", "extension_level", "responded_at", "closed_at")


def _calendar() -> clocks.WorkCalendar:
    return work_calendar()


def informed_times(ids: Sequence[int]) -> dict[int, datetime]:
    """When each case's decision was first told to the customer (the first "respond" in the log)."""
    rows = (
        CaseTransition.objects.filter(complaint_id__in=list(ids), action="respond")
        .values_list("complaint_id")
        .annotate(first=Min("at"))
        .order_by()
    )
    return dict(rows)


def timeliness_many(cases: Iterable, *, now: datetime | None = None) -> dict[int, Timeliness]:
    """Timeliness of many cases in three queries (pauses, the log); ``cases`` need ``FIELDS``.

    ``cases`` may be ``Complaint`` rows or dicts with the same keys.
    """
    now = timezone.localtime(now or timezone.now())
    rows = [c if isinstance(c, dict) else {f: getattr(c, f) for f in FIELDS} for c in cases]
    ids = [r["id"] for r in rows]
    if not ids:
        return {}
    # A case still "registered" has never been paused or told anything: no lookups for it
    # (registration stays a handful of queries).
    later = [r["id"] for r in rows if r["status"] != CaseState.REGISTERED]
    pauses = pauses_by_case(later) if later else {}
    told = informed_times(later) if later else {}
    cal = _calendar()
    return {r["id"]: _timeliness(r, now, told.get(r["id"]), pauses.get(r["id"], []), cal) for r in rows}


def _timeliness(row: dict, now: datetime, told: datetime | None, pauses: list, cal: clocks.WorkCalendar) -> Timeliness:
    informed = told or row["responded_at"]
    ended = row["closed_at"] if row["status"] in ENDED_WITHOUT_DECISION and informed is None else None
    return clocks.decision_timeliness(
        received_at=timezone.localtime(row["received_at"]),
        now=now,
        informed_at=timezone.localtime(informed) if informed else None,
        ended_at=timezone.localtime(ended) if ended else None,
        extension_level=row["extension_level"],
        pauses=pauses,
        calendar=cal,
    )


def timeliness_of(complaint: Complaint, *, now: datetime | None = None) -> Timeliness:
    records = cached_records(complaint)
    if records is None:
        return timeliness_many([complaint], now=now)[complaint.pk]
    # The case page has read the case's log and pauses already (``workflow.case_records``).
    row = {f: getattr(complaint, f) for f in FIELDS}
    return _timeliness(row, timezone.localtime(now or timezone.now()), records.informed_at, records.pauses, _calendar())


def timely_label(t: Timeliness | None) -> str:
    """The export's ``timely`` value: 是 / 否 / "" (not known yet)."""
    if t is None or t.on_time is None:
        return ""
    return "是" if t.on_time else "否"


def timeliness_store(ids: Iterable[int], *, now: datetime | None = None, loaded: Sequence[Complaint] = ()) -> list[int]:
    """Write the decision clock's columns of these cases; returns the ids whose columns changed.

    The only writer of ``decision_due_date`` and ``decision_timely``; in the decision
    states it also sets ``due_date`` (what the inbox and the escalation job sort and
    bucket by), so no other clock can leave a different decision deadline there.
    """
    ids = sorted(set(ids))
    changed: list[int] = []
    if loaded and {c.pk for c in loaded} == set(ids):  # rows just saved by the caller: no re-read
        batches = [list(loaded)]
    else:
        batches = [
            list(
                Complaint.objects.filter(id__in=ids[start : start + 500]).only(
                    *FIELDS, "due_date", "decision_due_date", "decision_timely"
                )
            )
            for start in range(0, len(ids), 500)
        ]
    for batch in batches:
        found = timeliness_many(batch, now=now)
        for c in batch:
            t = found[c.pk]
            values: dict = {}
            if c.decision_due_date != t.due_date:
                values["decision_due_date"] = t.due_date
            if c.decision_timely != t.on_time:
                values["decision_timely"] = t.on_time
            if c.status in DECISION_CLOCK_STATES and c.due_date != t.due_date:
                values["due_date"] = t.due_date
            if values:
                # A plain UPDATE: not a transition, and the page's version stamp must not move.
                Complaint.objects.filter(pk=c.pk).update(**values)
                for key, value in values.items():
                    setattr(c, key, value)
                changed.append(c.pk)
    return changed


def timeliness_pending(today: date) -> Q:
    """Cases whose stored record may be behind: never computed, or unknown, open and past due."""
    return Q(decision_due_date__isnull=True) | (
        Q(decision_timely__isnull=True, decision_due_date__lt=today) & ~Q(status__in=sorted(FINAL_STATES))
    )


def decision_overdue(today: date) -> Q:
    """Open cases whose decision is owed and late as of ``today`` (``Timeliness.overdue``, in SQL).

    Read from the stored record: judged late (``decision_timely`` false) and not yet told; or
    past the stored deadline since the last refresh while the clock runs. A paused case's
    stored deadline is only a lower bound (the pause moves it), so it counts only once it was
    judged late; a case told its decision (even late, even now in verification) is not owed
    one, and the verification clock never enters here.
    """
    owed = Q(status__in=sorted(OPEN_STATES), responded_at__isnull=True)
    passed_since_refresh = Q(decision_timely__isnull=True, decision_due_date__lt=today) & ~Q(status=CaseState.PAUSED)
    return owed & (Q(decision_timely=False) | passed_since_refresh)
