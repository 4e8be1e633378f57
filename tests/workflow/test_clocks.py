"""The regulated clock: hand-checked dates plus hypothesis properties (no Django).

Weekdays used below (2026): Mar 2 Mon, Mar 6 Fri, Mar 17 Tue, Mar 21 Sat.
Rest runs: Spring Festival Feb 15-23 (Feb 14, Feb 28 Saturdays worked);
Labour Day May 1-5; Mid-Autumn Sep 25-27; National Day Oct 1-7 (Sep 20 Sun,
Oct 10 Sat worked); New Year Jan 1-3 (Jan 4 Sun worked).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.clocks import (
    DECISION_DAYS,
    DayCountPolicy,
    clock_status,
    decision_due,
    first_response_due,
    load_calendar,
    paused_days_between,
    regulator_forward_due,
    verification_due,
    verification_request_allowed,
    verification_window_end,
    working_hours_between,
)

CAL = load_calendar()
D = date.fromisoformat
DT = datetime.fromisoformat
NO_RECEIPT_DAY = DayCountPolicy(exclude_receipt_day=False)
NO_ROLL = DayCountPolicy(roll_forward_on_rest_day=False)
PROPS = settings(database=None, deadline=None, max_examples=200)


# -- decision deadline -----------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "level", "paused", "policy", "expected"),
    [
        ("2026-03-02", 0, 0, DayCountPolicy(), "2026-03-17"),
        ("2026-03-02", 0, 0, NO_RECEIPT_DAY, "2026-03-16"),
        ("2026-03-06", 0, 0, DayCountPolicy(), "2026-03-23"),  # Sat Mar 21 rolls to Mon
        ("2026-03-06", 0, 0, NO_ROLL, "2026-03-21"),
        ("2026-03-07", 0, 0, NO_RECEIPT_DAY, "2026-03-23"),  # Sat receipt, Sat Mar 21 -> Mon
        ("2026-02-01", 0, 0, DayCountPolicy(), "2026-02-24"),  # Feb 16, Spring Festival
        ("2026-02-01", 0, 0, NO_ROLL, "2026-02-16"),
        ("2026-01-30", 0, 0, DayCountPolicy(), "2026-02-14"),  # adjusted Sat: no roll
        ("2026-02-13", 0, 0, DayCountPolicy(), "2026-02-28"),  # adjusted Sat: no roll
        ("2026-09-05", 0, 0, DayCountPolicy(), "2026-09-20"),  # adjusted Sun: no roll
        ("2026-09-10", 0, 0, DayCountPolicy(), "2026-09-28"),  # Mid-Autumn Sep 25-27
        ("2026-09-17", 0, 0, DayCountPolicy(), "2026-10-08"),  # National Day
        ("2026-09-25", 0, 0, DayCountPolicy(), "2026-10-10"),  # adjusted Sat after it
        ("2025-09-20", 0, 0, DayCountPolicy(), "2025-10-09"),  # 2025: Oct 1-8
        ("2025-12-17", 0, 0, DayCountPolicy(), "2026-01-04"),  # Jan 1 -> adjusted Sun
        ("2026-03-02", 1, 0, DayCountPolicy(), "2026-04-01"),
        ("2026-03-02", 1, 0, NO_RECEIPT_DAY, "2026-03-31"),
        ("2026-03-02", 2, 0, DayCountPolicy(), "2026-05-06"),  # May 1 Labour Day
        ("2026-03-02", 2, 0, NO_ROLL, "2026-05-01"),
        ("2026-03-02", 0, 5, DayCountPolicy(), "2026-03-23"),  # Sun Mar 22 -> Mon
        ("2026-03-02", 0, 4, DayCountPolicy(), "2026-03-23"),  # Sat Mar 21 -> Mon
        ("2026-03-02", 0, 3, DayCountPolicy(), "2026-03-20"),
    ],
)
def test_decision_due(received, level, paused, policy, expected):
    due = decision_due(D(received), extension_level=level, paused_days=paused, calendar=CAL, policy=policy)
    assert due == D(expected)


def test_decision_due_accepts_datetime():
    received = datetime(2026, 3, 2, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert decision_due(received, calendar=CAL) == D("2026-03-17")


@pytest.mark.parametrize(
    "kwargs",
    [{"extension_level": 3}, {"extension_level": -1}, {"extension_level": True}, {"paused_days": -1}],
)
def test_decision_due_validates(kwargs):
    with pytest.raises(ValueError):
        decision_due(D("2026-03-02"), calendar=CAL, **kwargs)


# -- pauses -----------------------------------------------------------------------

NOW = DT("2026-03-20 12:00")


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ([], 0),
        ([("2026-03-05 10:00", "2026-03-08 09:00")], 3),
        ([("2026-03-05 10:00", "2026-03-05 16:00")], 0),  # same day
        ([("2026-03-05 23:00", "2026-03-06 01:00")], 1),  # paused across midnight
        ([("2026-03-05 10:00", "2026-03-10 10:00"), ("2026-03-08 12:00", "2026-03-12 09:00")], 7),
        ([("2026-03-05 10:00", "2026-03-15 10:00"), ("2026-03-07 10:00", "2026-03-09 10:00")], 10),
        ([("2026-03-08 15:00", "2026-03-10 09:00"), ("2026-03-05 10:00", "2026-03-08 10:00")], 5),
        ([("2026-03-05 10:00", "2026-03-06 10:00"), ("2026-03-10 10:00", "2026-03-12 10:00")], 3),
        ([("2026-03-16 10:00", None)], 4),  # open: counts up to now
        ([("2026-03-20 09:00", None)], 0),  # open, started today
        ([("2026-03-18 09:00", "2026-03-25 09:00")], 2),  # clipped to now
        ([("2026-03-21 09:00", None)], 0),  # not started yet
        ([("2026-03-05 10:00", None), ("2026-03-06 10:00", "2026-03-08 10:00")], 15),
    ],
)
def test_paused_days_between(pauses, expected):
    parsed = [(DT(s), DT(e) if e else None) for s, e in pauses]
    assert paused_days_between(parsed, NOW) == expected


def test_pause_ending_before_it_starts_is_rejected():
    with pytest.raises(ValueError):
        paused_days_between([(DT("2026-03-05 10:00"), DT("2026-03-04 10:00"))], NOW)


# -- clock status -------------------------------------------------------------------


def _status(now: str, pauses=(), level=0, **kwargs):
    return clock_status(
        received_at=DT("2026-03-02 09:00"),  # due 2026-03-17
        now=DT(now),
        extension_level=level,
        pauses=[(DT(s), DT(e) if e else None) for s, e in pauses],
        calendar=CAL,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("now", "days_left", "state"),
    [
        ("2026-03-02 09:00", 15, "on_track"),
        ("2026-03-13 18:00", 4, "on_track"),
        ("2026-03-14 08:00", 3, "due_soon"),
        ("2026-03-16 23:59", 1, "due_soon"),
        ("2026-03-17 00:00", 0, "due_today"),
        ("2026-03-17 23:59", 0, "due_today"),
        ("2026-03-18 00:00", -1, "overdue"),
    ],
)
def test_clock_status_states(now, days_left, state):
    s = _status(now)
    assert (s.due_date, s.days_left, s.state) == (D("2026-03-17"), days_left, state)
    assert s.overdue is (state == "overdue")
    assert s.due_today is (state == "due_today")
    assert s.due_soon is (state in ("due_soon", "due_today"))
    assert not s.paused and s.paused_days == 0


def test_due_soon_days_is_configurable():
    assert _status("2026-03-10 09:00", due_soon_days=7).state == "due_soon"
    assert _status("2026-03-14 09:00", due_soon_days=0).state == "on_track"
    with pytest.raises(ValueError):
        _status("2026-03-10 09:00", due_soon_days=-1)


def test_paused_in_time_is_never_overdue():
    # paused on Mar 16; by Mar 30, 14 days excluded: Mar 31 is the due date
    s = _status("2026-03-30 10:00", pauses=[("2026-03-16 10:00", None)])
    assert (s.paused, s.paused_days, s.due_date, s.days_left) == (True, 14, D("2026-03-31"), 1)
    assert (s.overdue, s.state) == (False, "paused")


def test_pause_on_the_due_date_counts():
    s = _status("2026-03-19 10:00", pauses=[("2026-03-17 15:00", None)])
    assert (s.paused_days, s.due_date, s.days_left, s.state) == (2, D("2026-03-19"), 0, "paused")


def test_pause_after_the_deadline_lapsed_does_not_revive_the_case():
    s = _status("2026-03-25 10:00", pauses=[("2026-03-19 10:00", None)])
    assert (s.paused, s.paused_days, s.due_date) == (True, 0, D("2026-03-17"))
    assert (s.overdue, s.days_left, s.state) == (True, -8, "overdue")


def test_resumed_pause_moves_the_deadline():
    pauses = [("2026-03-05 10:00", "2026-03-09 10:00")]  # 4 days: Sat Mar 21 -> Mon Mar 23
    assert _status("2026-03-23 10:00", pauses).state == "due_today"
    s = _status("2026-03-24 10:00", pauses)
    assert (s.paused, s.paused_days, s.due_date, s.state) == (False, 4, D("2026-03-23"), "overdue")


def test_second_pause_counts_when_the_first_kept_the_case_in_time():
    # first pause moves the deadline to Mar 23; the second starts Mar 20, in time
    pauses = [("2026-03-05 10:00", "2026-03-09 10:00"), ("2026-03-20 10:00", "2026-03-23 10:00")]
    s = _status("2026-03-24 10:00", pauses)
    assert (s.paused_days, s.due_date, s.state) == (7, D("2026-03-24"), "due_today")


def test_extension_level_in_status():
    assert _status("2026-03-20 10:00", level=1).due_date == D("2026-04-01")


# -- verification (核实) -------------------------------------------------------------


def test_verification_window_day_30_allowed_day_31_rejected():
    received = D("2026-03-02")
    assert verification_window_end(received, calendar=CAL) == D("2026-04-01")
    assert verification_request_allowed(received, D("2026-04-01"), calendar=CAL)  # day 30
    assert not verification_request_allowed(received, D("2026-04-02"), calendar=CAL)  # day 31
    assert verification_request_allowed(received, received, calendar=CAL)
    assert not verification_request_allowed(received, D("2026-03-01"), calendar=CAL)


def test_verification_window_without_excluding_the_receipt_day():
    received = D("2026-03-02")
    assert verification_window_end(received, calendar=CAL, policy=NO_RECEIPT_DAY) == D("2026-03-31")
    assert not verification_request_allowed(received, D("2026-04-01"), calendar=CAL, policy=NO_RECEIPT_DAY)


def test_verification_window_ending_in_national_day_rolls():
    received = D("2026-09-05")  # day 30 is Oct 5, inside Oct 1-7
    assert verification_window_end(received, calendar=CAL) == D("2026-10-08")
    assert verification_request_allowed(received, D("2026-10-08"), calendar=CAL)
    assert not verification_request_allowed(received, D("2026-10-09"), calendar=CAL)


def test_verification_due():
    assert verification_due(D("2026-04-01"), calendar=CAL) == D("2026-05-06")  # May 1 holiday
    assert verification_due(D("2026-03-02"), calendar=CAL) == D("2026-04-01")


# -- regulator forwarding -------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-03-06", "2026-03-11"),  # Fri -> Mon, Tue, Wed
        ("2026-03-07", "2026-03-11"),  # Sat
        ("2026-02-12", "2026-02-24"),  # Fri 13, adjusted Sat 14, Spring Festival, Tue 24
        ("2025-09-30", "2025-10-11"),  # Oct 9, Oct 10, adjusted Sat Oct 11
    ],
)
def test_regulator_forward_due(received, expected):
    assert regulator_forward_due(D(received), CAL) == D(expected)


# -- first response in working hours ---------------------------------------------------


@pytest.mark.parametrize(
    ("received", "hours", "expected"),
    [
        ("2026-03-06 17:00", 2, "2026-03-09 10:30"),  # Fri evening -> Mon
        ("2026-03-07 11:00", 2, "2026-03-09 11:00"),  # Saturday
        ("2026-10-03 11:00", 2, "2026-10-08 11:00"),  # National Day
        ("2026-02-13 16:30", 2, "2026-02-14 10:00"),  # into the adjusted Saturday
        ("2026-02-14 17:00", 2, "2026-02-24 10:30"),  # over the Spring Festival
        ("2026-03-09 08:00", 2, "2026-03-09 11:00"),  # before opening
        ("2026-03-09 12:00", 2, "2026-03-09 14:00"),
        ("2026-03-09 15:30", 2, "2026-03-09 17:30"),  # exactly at closing
        ("2026-03-09 17:30", 2, "2026-03-10 11:00"),
        ("2026-03-09 09:00", 17, "2026-03-10 17:30"),  # two full days: ends at closing
        ("2026-03-07 11:00", 0, "2026-03-09 09:00"),
    ],
)
def test_first_response_due(received, hours, expected):
    assert first_response_due(DT(received), hours=hours, calendar=CAL) == DT(expected)


def test_first_response_due_keeps_the_timezone():
    tz = ZoneInfo("Asia/Shanghai")
    due = first_response_due(datetime(2026, 3, 6, 17, 0, tzinfo=tz), calendar=CAL)
    assert due == datetime(2026, 3, 9, 10, 30, tzinfo=tz) and due.tzinfo is tz


def test_first_response_due_custom_hours_and_validation():
    due = first_response_due(DT("2026-03-06 17:00"), hours=1, calendar=CAL, work_start=time(8), work_end=time(18))
    assert due == DT("2026-03-06 18:00")
    with pytest.raises(ValueError):
        first_response_due(DT("2026-03-06 17:00"), hours=-1, calendar=CAL)
    with pytest.raises(ValueError):
        first_response_due(DT("2026-03-06 17:00"), calendar=CAL, work_start=time(18))


def test_working_hours_between():
    assert working_hours_between(DT("2026-03-06 17:00"), DT("2026-03-09 10:30"), calendar=CAL) == 2
    # Fri Feb 13 and the adjusted Sat Feb 14 only, across the Spring Festival
    a, b = DT("2026-02-13 09:00"), DT("2026-02-24 09:00")
    assert working_hours_between(a, b, calendar=CAL) == 17
    assert working_hours_between(b, a, calendar=CAL) == -17
    assert working_hours_between(a, a, calendar=CAL) == 0


def test_working_hours_between_converts_b_to_a_timezone():
    sh = ZoneInfo("Asia/Shanghai")
    a = datetime(2026, 3, 9, 9, 0, tzinfo=sh)
    b = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    assert working_hours_between(a, b, calendar=CAL) == 2


# -- properties ---------------------------------------------------------------------------

dates = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))
levels = st.sampled_from(sorted(DECISION_DAYS))
paused_days = st.integers(min_value=0, max_value=90)
policies = st.builds(DayCountPolicy, st.booleans(), st.booleans())
LONGEST_REST_RUN = 10  # shipped data: 9 (2026 Spring Festival), see test_calendar


def _due(d, level, paused, policy):
    return decision_due(d, extension_level=level, paused_days=paused, calendar=CAL, policy=policy)


@PROPS
@given(dates, levels, paused_days, st.booleans())
def test_due_is_a_working_day_when_rolling(d, level, paused, exclude):
    policy = DayCountPolicy(exclude_receipt_day=exclude)
    assert CAL.is_working_day(_due(d, level, paused, policy))


@PROPS
@given(dates, paused_days, policies)
def test_due_is_monotonic_in_extension_level(d, paused, policy):
    dues = [_due(d, level, paused, policy) for level in sorted(DECISION_DAYS)]
    assert dues == sorted(dues)


@PROPS
@given(dates, levels, paused_days, policies)
def test_due_is_monotonic_in_paused_days(d, level, paused, policy):
    assert _due(d, level, paused, policy) <= _due(d, level, paused + 1, policy)


@PROPS
@given(dates, levels, paused_days, policies)
def test_due_bounds(d, level, paused, policy):
    n = DECISION_DAYS[level] + paused - (0 if policy.exclude_receipt_day else 1)
    due = _due(d, level, paused, policy)
    assert d + timedelta(days=n) <= due <= d + timedelta(days=n + LONGEST_REST_RUN)
    if not policy.roll_forward_on_rest_day:
        assert due == d + timedelta(days=n)


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20))
hours = st.floats(min_value=0, max_value=60, allow_nan=False)


@PROPS
@given(moments, hours)
def test_first_response_round_trip(a, h):
    due = first_response_due(a, hours=h, calendar=CAL)
    assert due >= a
    assert working_hours_between(a, due, calendar=CAL) == pytest.approx(h, abs=1e-6)
    if h >= 0.001:
        assert CAL.is_working_day(due) and time(9) < due.time() <= time(17, 30)


pause_lists = st.lists(st.tuples(moments, st.one_of(st.none(), st.integers(0, 20 * 24 * 60))), max_size=6)


@PROPS
@given(pause_lists, moments)
def test_paused_days_count_each_date_once(raw, now):
    pauses = [(s, None if m is None else s + timedelta(minutes=m)) for s, m in raw]
    paused_dates = set()
    for s, e in pauses:
        if s > now:
            continue
        end = now if e is None or e > now else e
        paused_dates |= {s.date() + timedelta(days=i) for i in range((end.date() - s.date()).days)}
    assert paused_days_between(pauses, now) == len(paused_dates)
    assert paused_days_between(list(reversed(pauses)), now) == len(paused_dates)


@PROPS
@given(dates, levels, st.integers(0, 30), st.integers(0, 40))
def test_a_case_paused_in_time_is_not_overdue(d, level, start_offset, length):
    received = datetime.combine(d, time(10))
    start = received + timedelta(days=start_offset, hours=1)
    now = start + timedelta(days=length)
    s = clock_status(received_at=received, now=now, extension_level=level, pauses=[(start, None)], calendar=CAL)
    # a pause starting after the deadline can only start once the case is overdue
    in_time = start.date() <= _due(d, level, 0, DayCountPolicy())
    assert s.paused and s.overdue is (not in_time)
    assert s.state == ("paused" if in_time else "overdue")
    assert s.paused_days == (length if in_time else 0)
