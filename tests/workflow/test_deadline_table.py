"""The held-out deadline table (issue 17): 30 cases whose decision deadline was derived by hand.

Each row was worked out on paper from the rule, a printed calendar and the State Council notices as
they stand in workflow/holidays/cn_2025.json and cn_2026.json — not by running the code — and the
derivation is written next to it. The code under test is workflow.clocks.decision_timeliness with the
calendar the application loads (strict: a year without holiday data is an error, not a guess).

Rule (CBIRC Order 2020 No. 3; Civil Code arts. 201, 203): the day of receipt is not counted, so a
15-day period received on day D ends on D + 15 (30 after a level-1 extension, 60 after level 2);
each calendar day paused for an appraisal adds one day; a last day on a weekend or public holiday
moves to the next working day; an adjusted working weekend day (调休上班) is a working day.

Holidays used. 2025: 1 Jan; 28 Jan-4 Feb; 4-6 Apr; 1-5 May; 31 May-2 Jun; 1-8 Oct; working
weekend days 26 Jan, 8 Feb, 27 Apr, 28 Sep, 11 Oct. 2026: 1-3 Jan; 15-23 Feb; 4-6 Apr; 1-5 May;
19-21 Jun; 25-27 Sep; 1-7 Oct; working weekend days 4 Jan, 14 Feb, 28 Feb, 9 May, 20 Sep, 10 Oct.
There is no 2027 file yet: a deadline falling in 2027 cannot be computed (last row).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workflow import clocks
from workflow.calendar import CalendarNotCovered, load_calendar

SH = ZoneInfo("Asia/Shanghai")
CAL = load_calendar(strict=True)
D = date.fromisoformat


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(D(day), time(hour), tzinfo=SH)


# (id, received, extension level, pauses [(start, resume)], told on, expected deadline, expected on_time)
# told on None: the case is judged at a "now" well after the deadline, unanswered (on_time False).
TABLE = [
    # Plain 15 days, working-day ends.
    ("01", "2026-03-02", 0, [], "2026-03-17", "2026-03-17", True),  # Mon 2 Mar + 15 = Tue 17 Mar, working
    ("02", "2026-12-16", 0, [], "2026-12-31", "2026-12-31", True),  # Wed 16 Dec + 15 = Thu 31 Dec, working
    ("03", "2026-01-20", 0, [], "2026-02-05", "2026-02-04", False),  # Tue 20 Jan + 15 = Wed 4 Feb; told 5 Feb: late
    # Weekend ends roll to Monday.
    ("04", "2026-03-06", 0, [], "2026-03-23", "2026-03-23", True),  # Fri 6 Mar + 15 = Sat 21 -> Sun 22 -> Mon 23
    ("05", "2026-03-07", 0, [], "2026-03-24", "2026-03-23", False),  # Sat 7 + 15 = Sun 22 -> Mon 23; told Tue 24: late
    ("06", "2026-12-05", 0, [], None, "2026-12-21", False),  # Sat 5 Dec + 15 = Sun 20 Dec -> Mon 21 Dec
    # Public holidays roll past the whole holiday.
    (
        "07",
        "2026-01-31",
        0,
        [],
        "2026-02-24",
        "2026-02-24",
        True,
    ),  # Sat 31 Jan + 15 = Sun 15 Feb (春节 15-23) -> Tue 24
    ("08", "2026-02-05", 0, [], "2026-02-25", "2026-02-24", False),  # Thu 5 Feb + 15 = Fri 20 Feb (春节) -> Tue 24
    ("09", "2026-03-20", 0, [], "2026-04-07", "2026-04-07", True),  # Fri 20 Mar + 15 = Sat 4 Apr (清明 4-6) -> Tue 7
    ("10", "2026-04-16", 0, [], None, "2026-05-06", False),  # Thu 16 Apr + 15 = Fri 1 May (劳动节 1-5) -> Wed 6 May
    ("11", "2026-06-04", 0, [], "2026-06-22", "2026-06-22", True),  # Thu 4 Jun + 15 = Fri 19 Jun (端午 19-21) -> Mon 22
    (
        "12",
        "2026-09-10",
        0,
        [],
        "2026-09-28",
        "2026-09-28",
        True,
    ),  # Thu 10 Sep + 15 = Fri 25 Sep (中秋 25-27) -> Mon 28
    (
        "13",
        "2026-09-16",
        0,
        [],
        "2026-10-09",
        "2026-10-08",
        False,
    ),  # Wed 16 Sep + 15 = Thu 1 Oct (国庆 1-7) -> Thu 8 Oct
    # An adjusted working weekend day (调休上班) is the last day: no roll.
    (
        "14",
        "2026-01-30",
        0,
        [],
        "2026-02-16",
        "2026-02-14",
        False,
    ),  # Fri 30 Jan + 15 = Sat 14 Feb, working; told 16: late
    ("15", "2026-02-13", 0, [], "2026-02-28", "2026-02-28", True),  # Fri 13 Feb + 15 = Sat 28 Feb, working
    ("16", "2026-04-24", 0, [], None, "2026-05-09", False),  # Fri 24 Apr + 15 = Sat 9 May, working
    ("17", "2026-09-05", 0, [], "2026-09-20", "2026-09-20", True),  # Sat 5 Sep + 15 = Sun 20 Sep, working
    (
        "18",
        "2026-09-25",
        0,
        [],
        "2026-10-10",
        "2026-10-10",
        True,
    ),  # received on a holiday: Fri 25 Sep + 15 = Sat 10 Oct, working
    # Extensions: 30 days (level 1), 60 days (level 2).
    ("19", "2026-09-01", 1, [], "2026-10-08", "2026-10-08", True),  # Tue 1 Sep + 30 = Thu 1 Oct (国庆) -> Thu 8 Oct
    ("20", "2026-01-16", 1, [], None, "2026-02-24", False),  # Fri 16 Jan + 30 = Sun 15 Feb (春节 to 23) -> Tue 24 Feb
    (
        "21",
        "2026-08-04",
        2,
        [],
        "2026-10-08",
        "2026-10-08",
        True,
    ),  # Tue 4 Aug + 60: 27 to 31 Aug, 30 Sep, 3 Oct (国庆) -> 8 Oct
    (
        "22",
        "2026-10-20",
        2,
        [],
        "2026-12-22",
        "2026-12-21",
        False,
    ),  # Tue 20 Oct + 60: 11 to 31 Oct, 30 Nov, Sat 19 Dec -> Mon 21
    # Pauses for an appraisal: whole calendar days paused are added.
    (
        "23",
        "2026-03-02",
        0,
        [("2026-03-05", "2026-03-10")],
        "2026-03-23",
        "2026-03-23",
        True,
    ),  # 15+5 = 20: Sun 22 -> Mon 23
    ("24", "2026-03-02", 0, [("2026-03-05", "2026-03-10"), ("2026-03-08", "2026-03-12")], None, "2026-03-24", False),
    # ^ overlapping pauses counted once: 5-12 Mar = 7 days; 15+7 = 22: Tue 24 Mar, working
    ("25", "2026-03-02", 0, [("2026-03-20", "2026-03-25")], None, "2026-03-17", False),
    # ^ the pause began after the deadline (17 Mar) had lapsed: it does not count, stays 17 Mar
    (
        "26",
        "2026-03-02",
        0,
        [("2026-03-09", "2026-03-09")],
        "2026-03-17",
        "2026-03-17",
        True,
    ),  # paused and resumed same day: 0
    ("27", "2026-09-01", 1, [("2026-09-14", "2026-09-24")], "2026-10-12", "2026-10-12", True),
    # ^ level 1 and 10 paused days: 1 Sep + 40 = Sun 11 Oct (not a working Sunday; Sat 10 Oct is) -> Mon 12 Oct
    # 2025 and the turn of the year.
    (
        "28",
        "2025-01-13",
        0,
        [],
        "2025-02-05",
        "2025-02-05",
        True,
    ),  # Mon 13 Jan + 15 = Tue 28 Jan (春节 28 Jan-4 Feb) -> Wed 5 Feb
    (
        "29",
        "2025-09-16",
        0,
        [],
        "2025-10-10",
        "2025-10-09",
        False,
    ),  # Tue 16 Sep + 15 = Wed 1 Oct (国庆 1-8) -> Thu 9 Oct
    (
        "30",
        "2025-12-17",
        0,
        [],
        "2026-01-04",
        "2026-01-04",
        True,
    ),  # Wed 17 Dec + 15 = Thu 1 Jan (元旦 1-3) -> Sun 4 Jan, working
]


@pytest.mark.parametrize(
    ("row", "received", "level", "pauses", "told", "due", "on_time"), TABLE, ids=[r[0] for r in TABLE]
)
def test_the_decision_deadline_and_verdict_agree_with_the_hand_derived_table(
    row, received, level, pauses, told, due, on_time
):
    result = clocks.decision_timeliness(
        received_at=at(received),
        now=at("2026-12-31", 18),
        informed_at=at(told, 16) if told else None,
        extension_level=level,
        pauses=[(at(s), at(e)) for s, e in pauses],
        calendar=CAL,
    )
    assert (result.due_date, result.on_time) == (D(due), on_time)


def test_the_table_covers_every_kind_of_day_it_claims():
    """The table holds 30 cases: weekend rolls, each 2026 holiday, adjusted working days, both extension
    levels, pauses (counted, overlapping, lapsed, same-day) and the turn of the year."""
    assert len(TABLE) == 30 and len({r[0] for r in TABLE}) == 30
    dues = {D(r[5]) for r in TABLE}
    assert {CAL.is_adjusted_workday(d) for d in dues} == {True, False}
    assert {r[2] for r in TABLE} == {0, 1, 2} and any(len(r[3]) == 2 for r in TABLE)


def test_a_deadline_in_a_year_without_holiday_data_is_refused_not_guessed():
    """Wed 16 Dec 2026 + 15 = Thu 31 Dec (row 02); one day later the deadline, 1 Jan 2027, needs the 2027 notice."""
    with pytest.raises(CalendarNotCovered):
        clocks.decision_due(D("2026-12-17"), calendar=CAL)
