"""Working-day calendar: shipped data, queries, and file validation (no Django)."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date, datetime, timedelta

import pytest

from workflow.calendar import HOLIDAY_DIR, CalendarNotCovered, WorkCalendar, load_calendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


# -- shipped data (State Council notices for 2025 and 2026) -------------------

ADJUSTED_WORKDAYS = [
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
]  # fmt: skip

HOLIDAY_RUNS = [  # (first, last, name_zh)
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]


def test_known_years(cal):
    assert cal.known_years == {2025, 2026}
    assert cal.covers(D("2026-06-01")) and not cal.covers(D("2027-01-04"))


def test_missing_years_between_two_dates(cal):
    assert cal.missing_years(D("2025-03-01"), D("2026-12-31")) == []
    assert cal.missing_years(D("2026-11-25"), D("2027-02-23")) == [2027]
    assert cal.missing_years(D("2024-12-01"), datetime(2028, 1, 1, 9)) == [2024, 2027, 2028]
    assert WorkCalendar().missing_years(D("2026-05-01"), D("2026-05-01")) == [2026]


@pytest.mark.parametrize("day", ADJUSTED_WORKDAYS)
def test_adjusted_weekend_days_are_working_days(cal, day):
    d = D(day)
    assert d.weekday() >= 5
    assert cal.is_working_day(d) and cal.is_adjusted_workday(d)


@pytest.mark.parametrize(("first", "last", "name"), HOLIDAY_RUNS)
def test_holiday_runs(cal, first, last, name):
    d, end = D(first), D(last)
    while d <= end:
        assert cal.is_holiday(d) and not cal.is_working_day(d)
        assert cal.holiday_name(d)[0] == name
        d += timedelta(days=1)
    # the run is exactly as long as the notice says
    assert not cal.is_holiday(D(first) - timedelta(days=1))
    assert not cal.is_holiday(D(last) + timedelta(days=1))


def test_holiday_date_counts(cal):
    per_year = {y: sum(cal.is_holiday(d) for d in _days(y)) for y in (2025, 2026)}
    assert per_year == {2025: 28, 2026: 33}


def test_longest_rest_run_is_nine_days(cal):
    """2026 Spring Festival, Feb 15-23; the clock property tests rely on <= 10."""
    longest = run = 0
    for d in _days(2025) + _days(2026):
        run = 0 if cal.is_working_day(d) else run + 1
        longest = max(longest, run)
    assert longest == 9


def _days(year: int) -> list[date]:
    d, out = date(year, 1, 1), []
    while d.year == year:
        out.append(d)
        d += timedelta(days=1)
    return out


# -- queries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-03-02", True),  # Monday
        ("2026-03-07", False),  # Saturday
        ("2026-03-08", False),  # Sunday
        ("2026-02-16", False),  # Spring Festival, Monday
        ("2026-02-14", True),  # adjusted working Saturday
        ("2026-10-01", False),
        ("2025-10-08", False),  # 2025 National Day + Mid-Autumn, 8 days
        ("2025-10-09", True),
    ],
)
def test_is_working_day(cal, day, working):
    assert cal.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-02", "2026-03-02"),  # already a working day
        ("2026-03-07", "2026-03-09"),  # weekend
        ("2026-02-15", "2026-02-24"),  # Spring Festival
        ("2026-01-01", "2026-01-04"),  # New Year -> adjusted working Sunday
        ("2026-09-25", "2026-09-28"),  # Mid-Autumn
        ("2026-10-01", "2026-10-08"),  # National Day
        ("2025-01-28", "2025-02-05"),
    ],
)
def test_next_working_day(cal, day, expected):
    assert cal.next_working_day(D(day)) == D(expected)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2026-03-06", 0, "2026-03-06"),
        ("2026-03-06", 1, "2026-03-09"),  # Fri -> Mon
        ("2026-03-06", 3, "2026-03-11"),
        ("2026-02-12", 2, "2026-02-14"),  # Fri 13, adjusted Sat 14
        ("2026-02-12", 3, "2026-02-24"),  # then the Spring Festival
        ("2025-09-30", 3, "2025-10-11"),  # Oct 9, Oct 10, adjusted Sat Oct 11
    ],
)
def test_add_working_days(cal, day, n, expected):
    assert cal.add_working_days(D(day), n) == D(expected)


def test_add_working_days_rejects_negative(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-03-06"), -1)


def test_datetime_is_reduced_to_its_date(cal):
    assert cal.is_working_day(datetime(2026, 2, 14, 10, 0)) is True
    assert cal.is_holiday(datetime(2026, 2, 16, 10, 0)) is True
    assert cal.next_working_day(datetime(2026, 3, 7, 10, 0)) == D("2026-03-09")


def test_holiday_name(cal):
    assert cal.holiday_name(D("2026-02-17")) == ("春节", "Spring Festival")
    assert cal.holiday_name(D("2026-03-02")) is None


def test_uncovered_year_is_monday_to_friday_and_warns_once(caplog):
    cal = load_calendar()
    with caplog.at_level(logging.WARNING, logger="workflow.calendar"):
        assert cal.is_working_day(D("2030-01-01"))  # a Tuesday; no holiday data
        assert not cal.is_working_day(D("2030-01-05"))  # Saturday
    warnings = [r for r in caplog.records if "2030" in r.getMessage()]
    assert len(warnings) == 1


def test_strict_calendar_raises_for_uncovered_year():
    cal = load_calendar(strict=True)
    assert cal.is_working_day(D("2026-03-02"))
    with pytest.raises(CalendarNotCovered, match="2030"):
        cal.is_working_day(D("2030-01-01"))


def test_constructed_from_sets():
    cal = WorkCalendar({D("2026-03-03")}, {D("2026-03-07")})
    assert cal.known_years == {2026}
    assert not cal.is_working_day(D("2026-03-03"))
    assert cal.is_working_day(D("2026-03-07"))
    with pytest.raises(ValueError, match="both"):
        WorkCalendar({D("2026-03-07")}, {D("2026-03-07")})


def test_from_years():
    cal = WorkCalendar.from_years([2026])
    assert cal.known_years == {2026}
    with pytest.raises(FileNotFoundError):
        WorkCalendar.from_years([2031])


# -- adding a year and validation --------------------------------------------------


def _write(tmp_path, name: str, doc) -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    (tmp_path / name).write_text(text, encoding="utf-8")


def _doc(**changes):
    doc = {
        "year": 2027,
        "holidays": [{"date": "2027-01-01", "name_zh": "元旦", "name_en": "New Year's Day"}],
        "workdays": ["2027-01-02"],
    }
    doc.update(changes)
    return doc


def test_dropping_a_file_adds_a_year(tmp_path):
    shutil.copy(HOLIDAY_DIR / "cn_2026.json", tmp_path)
    _write(tmp_path, "cn_2027.json", _doc())
    _write(tmp_path, "README.txt", "not a calendar file")
    cal = load_calendar(tmp_path)
    assert cal.known_years == {2026, 2027}
    assert not cal.is_working_day(D("2027-01-01"))
    assert cal.is_working_day(D("2027-01-02"))  # Saturday, adjusted


def _holiday(day: str) -> dict:
    return {"date": day, "name_zh": "假", "name_en": "Holiday"}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{not json", "invalid JSON"),
        ([], "object"),
        (_doc(year=2026), "'year' must be 2027"),
        (_doc(holidays=[_holiday("2027-02-30")]), "bad date"),
        (_doc(holidays=[_holiday("2027/01/01")]), "bad date"),
        (_doc(holidays=[_holiday("2026-12-31")]), "not in 2027"),
        (_doc(workdays=["2028-01-01"]), "not in 2027"),
        (_doc(workdays=["2027-01-01"]), "both a holiday and a workday"),
        (_doc(workdays=["2027-01-04"]), "is a weekday"),
        (_doc(holidays=[_holiday("2027-01-01")] * 2), "duplicate"),
        (_doc(workdays=["2027-01-02", "2027-01-02"]), "duplicate"),
        (_doc(holidays=[{"date": "2027-01-01", "name_zh": "元旦"}]), "want keys"),
        (_doc(holidays=[{"date": "2027-01-01", "name_zh": "", "name_en": "x"}]), "non-empty"),
        (_doc(workday=["2027-01-02"]), "unknown keys"),
        (_doc(holidays={}), "must be lists"),
    ],
)
def test_invalid_files_raise_naming_the_file(tmp_path, doc, message):
    _write(tmp_path, "cn_2027.json", doc)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_calendar(tmp_path)
    assert "cn_2027.json" in str(excinfo.value)


def test_shipped_files_declare_their_source():
    for year in (2025, 2026):
        doc = json.loads((HOLIDAY_DIR / f"cn_{year}.json").read_text(encoding="utf-8"))
        assert doc["year"] == year and "国务院办公厅" in doc["source"]
