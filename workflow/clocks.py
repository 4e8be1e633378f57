"""The regulated complaint clock (CBIRC Order 2020 No. 3) as pure functions.

Standard library only, no Django imports; every function takes the working-day
calendar (``workflow.calendar.WorkCalendar``) and a ``DayCountPolicy``.

Periods (银行业保险业消费投诉处理管理办法):
* decision: 15 calendar days from receipt; extension level 1 (complex) 30;
  level 2 (especially complex, upper-level approval) 60, i.e. a further 30;
* time spent on external appraisal, testing or assessment (鉴定、检测、评估)
  is excluded: each paused day moves the deadline one calendar day later;
* verification (核实): the customer may ask within 30 days of receiving the
  decision; the upper level decides within 30 days of receiving the request;
* the regulator forwards a complaint within 3 working days.

Day counting (PRC Civil Code arts. 201, 203; the default ``DayCountPolicy``):
the day of receipt is not counted, so an N-day period received on day D ends
on D + N; if that last day is a weekend day or holiday it moves to the next
working day. An adjusted working weekend day (调休上班) is a working day and does
not roll. With ``exclude_receipt_day=False`` the period ends on D + N - 1.

Pauses: a calendar date counts as paused if the case was still paused at the
end of that date. For one pause that is ``(resume.date() - start.date()).days``
(a pause started and ended on the same date counts 0; an open pause counts up
to ``now``); dates covered by several pauses count once. Pauses are clipped to
``now``. In ``clock_status`` a pause that starts after the deadline (as moved by
earlier pauses) has already lapsed does not count: pausing cannot revive an
overdue case. A case paused in time is never overdue while the pause lasts.

Datetimes: naive or aware are both accepted (do not mix them in one call).
Every datetime is read in its own timezone: ``dt.date()`` is the calendar date
and working hours are wall-clock times in ``dt.tzinfo``. Callers pass
Asia/Shanghai local time (e.g. ``timezone.localtime(value)`` in Django).
A ``datetime`` passed where a ``date`` is expected is reduced to its date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .calendar import CalendarNotCovered, WorkCalendar, load_calendar

__all__ = [
    "DECISION_DAYS",
    "VERIFICATION_DAYS",
    "CalendarNotCovered",
    "ClockStatus",
    "Timeliness",
    "DayCountPolicy",
    "WorkCalendar",
    "clock_status",
    "decision_due",
    "decision_timeliness",
    "first_response_due",
    "load_calendar",
    "paused_days_between",
    "period_end",
    "regulator_forward_due",
    "verification_due",
    "verification_request_allowed",
    "verification_window_end",
    "working_hours_between",
]

DECISION_DAYS = {0: 15, 1: 30, 2: 60}
VERIFICATION_DAYS = 30
REGULATOR_FORWARD_WORKING_DAYS = 3
WORK_START = time(9, 0)
WORK_END = time(17, 30)
_ONE_DAY = timedelta(days=1)
Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class DayCountPolicy:
    """How a period of N days is counted; defaults follow the Civil Code."""

    exclude_receipt_day: bool = True  # the period starts the day after receipt
    roll_forward_on_rest_day: bool = True  # a last day on a rest day moves on


DEFAULT_POLICY = DayCountPolicy()


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


def period_end(start: date, days: int, *, calendar: WorkCalendar, policy: DayCountPolicy = DEFAULT_POLICY) -> date:
    """Last day of a period of ``days`` calendar days beginning with receipt on ``start``."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive int, got {days!r}")
    start = _as_date(start)
    last = start + timedelta(days=days if policy.exclude_receipt_day else days - 1)
    if policy.roll_forward_on_rest_day:
        last = calendar.next_working_day(last)
    return last


def decision_due(
    received_on: date,
    *,
    extension_level: int = 0,
    paused_days: int = 0,
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
) -> date:
    """Last day to decide and tell the customer (15/30/60 days plus paused days)."""
    if isinstance(extension_level, bool) or extension_level not in DECISION_DAYS:
        raise ValueError(f"extension_level must be 0, 1 or 2, got {extension_level!r}")
    if isinstance(paused_days, bool) or not isinstance(paused_days, int) or paused_days < 0:
        raise ValueError(f"paused_days must be an int >= 0, got {paused_days!r}")
    days = DECISION_DAYS[extension_level] + paused_days
    return period_end(received_on, days, calendar=calendar, policy=policy)


def _pause_intervals(pauses: Iterable[Pause], now: datetime) -> tuple[list[list[date]], bool]:
    """Merged half-open date intervals [start, stop) in order, and "paused at now".

    Empty intervals (same-day pauses) are kept so that an open pause started
    today is still represented; touching intervals are merged.
    """
    spans: list[tuple[date, date]] = []
    paused_now = False
    for start, end in pauses:
        if end is not None and end < start:
            raise ValueError(f"pause ends before it starts: {start} -> {end}")
        if start > now:
            continue  # not started yet
        if end is None or end > now:
            paused_now = True
            end = now
        spans.append((start.date(), end.date()))
    merged: list[list[date]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged, paused_now


def paused_days_between(pauses: Iterable[Pause], now: datetime) -> int:
    """Whole calendar days excluded by ``(start, resume_or_None)`` pauses, as of ``now``."""
    merged, _ = _pause_intervals(pauses, now)
    return sum((e - s).days for s, e in merged)


@dataclass(frozen=True)
class ClockStatus:
    due_date: date
    paused: bool  # a pause is open at ``now``
    paused_days: int  # days excluded so far (pauses after a lapsed deadline ignored)
    days_left: int  # calendar days from now.date() to due_date; negative when overdue
    overdue: bool
    due_today: bool
    due_soon: bool  # 0 <= days_left <= due_soon_days
    state: str  # "overdue" | "paused" | "due_today" | "due_soon" | "on_track"


def clock_status(
    *,
    received_at: datetime,
    now: datetime,
    extension_level: int = 0,
    pauses: Iterable[Pause] = (),
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
    due_soon_days: int = 3,
) -> ClockStatus:
    """Where the decision clock of one case stands at ``now``.

    ``overdue`` means ``now.date() > due_date`` and the case is not paused in
    time. ``state`` takes the first that applies: overdue, paused, due_today,
    due_soon, on_track.
    """
    if due_soon_days < 0:
        raise ValueError(f"due_soon_days must be >= 0, got {due_soon_days}")
    received_on = _as_date(received_at)
    merged, paused = _pause_intervals(pauses, now)

    def due(paused_days: int) -> date:
        return decision_due(
            received_on,
            extension_level=extension_level,
            paused_days=paused_days,
            calendar=calendar,
            policy=policy,
        )

    counted, lapsed = 0, False
    for s, e in merged:
        if s > due(counted):
            lapsed = True  # this and every later pause began after the deadline passed
            break
        counted += (e - s).days
    due_date = due(counted)
    today = now.date()
    days_left = (due_date - today).days
    overdue = today > due_date and not (paused and not lapsed)
    due_today = days_left == 0
    due_soon = 0 <= days_left <= due_soon_days
    if overdue:
        state = "overdue"
    elif paused:
        state = "paused"
    elif due_today:
        state = "due_today"
    elif due_soon:
        state = "due_soon"
    else:
        state = "on_track"
    return ClockStatus(
        due_date=due_date,
        paused=paused,
        paused_days=counted,
        days_left=days_left,
        overdue=overdue,
        due_today=due_today,
        due_soon=due_soon,
        state=state,
    )


@dataclass(frozen=True)
class Timeliness:
    """Was the decision told to the customer in time? (the decision clock only, never 核实)."""

    due_date: date  # the decision deadline: as it stood when the clock stopped, or at ``now``
    extension_level: int
    paused_days: int
    informed_at: datetime | None  # the decision was first told to the customer
    ended_at: datetime | None  # the case ended without a decision (withdrawn, merged, not accepted)
    on_time: bool | None  # True/False once known; None while the deadline is still ahead
    overdue: bool  # open, not answered, past the deadline at ``now``
    paused: bool  # a pause is open at ``now`` (and the case is neither answered nor ended)


def decision_timeliness(
    *,
    received_at: datetime,
    now: datetime,
    informed_at: datetime | None = None,
    ended_at: datetime | None = None,
    extension_level: int = 0,
    pauses: Iterable[Pause] = (),
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
) -> Timeliness:
    """The decision clock of one case, stopped when the customer was told (or the case ended).

    * told: on time iff the date told is not after the deadline as it stood then
      (pauses after that moment do not count);
    * ended without a decision (withdrawn, merged, not accepted): late if the
      deadline had already passed when it ended (the lateness stays), else unknown;
    * still open: late once the deadline has passed unanswered (and not paused in
      time), else unknown.
    """
    stop = informed_at or ended_at
    at = min(stop, now) if stop is not None else now
    status = clock_status(
        received_at=received_at,
        now=at,
        extension_level=extension_level,
        pauses=pauses,
        calendar=calendar,
        policy=policy,
    )
    if informed_at is not None and informed_at <= now:
        on_time: bool | None = not status.overdue
    else:
        on_time = False if status.overdue else None
    still_open = stop is None or stop > now
    return Timeliness(
        due_date=status.due_date,
        extension_level=extension_level,
        paused_days=status.paused_days,
        informed_at=informed_at,
        ended_at=ended_at,
        on_time=on_time,
        overdue=still_open and status.overdue,
        paused=still_open and status.paused,
    )


def verification_window_end(
    decision_received_on: date,
    *,
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
) -> date:
    """Last day the customer may ask the upper level to verify (核实) a decision."""
    return period_end(decision_received_on, VERIFICATION_DAYS, calendar=calendar, policy=policy)


def verification_request_allowed(
    decision_received_on: date,
    request_on: date,
    *,
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
) -> bool:
    """True if a request made on ``request_on`` is within the verification window."""
    start = _as_date(decision_received_on)
    end = verification_window_end(start, calendar=calendar, policy=policy)
    return start <= _as_date(request_on) <= end


def verification_due(
    request_received_on: date,
    *,
    calendar: WorkCalendar,
    policy: DayCountPolicy = DEFAULT_POLICY,
) -> date:
    """Last day for the upper level to decide a verification request."""
    return period_end(request_received_on, VERIFICATION_DAYS, calendar=calendar, policy=policy)


def regulator_forward_due(
    regulator_received_on: date,
    calendar: WorkCalendar,
    *,
    working_days: int = REGULATOR_FORWARD_WORKING_DAYS,
) -> date:
    """Last day for the regulator to forward a complaint (receipt day not counted)."""
    return calendar.add_working_days(_as_date(regulator_received_on), working_days)


def _bounds(d: date, dt: datetime, work_start: time, work_end: time) -> tuple[datetime, datetime]:
    if work_start >= work_end:
        raise ValueError(f"work_start {work_start} must be before work_end {work_end}")
    tz = dt.tzinfo
    return datetime.combine(d, work_start, tzinfo=tz), datetime.combine(d, work_end, tzinfo=tz)


def first_response_due(
    received_at: datetime,
    *,
    hours: float = 2,
    calendar: WorkCalendar,
    work_start: time = WORK_START,
    work_end: time = WORK_END,
) -> datetime:
    """``received_at`` plus ``hours`` of working time (working days, work_start-work_end).

    Time outside working hours does not count; ``hours=0`` gives the first
    working instant at or after ``received_at``. The result has the same tzinfo.
    """
    if hours < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    remaining = timedelta(hours=hours)
    cursor = received_at
    d = received_at.date()
    while True:
        if calendar.is_working_day(d):
            start, end = _bounds(d, received_at, work_start, work_end)
            if cursor <= end:
                begin = max(cursor, start)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        d += _ONE_DAY
        cursor = datetime.combine(d, time(0), tzinfo=received_at.tzinfo)


def working_hours_between(
    a: datetime,
    b: datetime,
    *,
    calendar: WorkCalendar,
    work_start: time = WORK_START,
    work_end: time = WORK_END,
) -> float:
    """Working hours from ``a`` to ``b`` (negative if ``b`` is before ``a``).

    Days are taken in ``a``'s timezone; an aware ``b`` is converted to it.
    """
    if b.tzinfo is not None and a.tzinfo is not None:
        b = b.astimezone(a.tzinfo)
    if b < a:
        return -working_hours_between(b, a, calendar=calendar, work_start=work_start, work_end=work_end)
    total = timedelta(0)
    d = a.date()
    while d <= b.date():
        if calendar.is_working_day(d):
            start, end = _bounds(d, a, work_start, work_end)
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        d += _ONE_DAY
    return total / timedelta(hours=1)
