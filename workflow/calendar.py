"""Working-day calendar for mainland China (statutory holidays and 调休).

Pure module: standard library only, no Django imports.

Data lives in ``workflow/holidays/cn_YYYY.json``, one file per year, taken
from the State Council General Office's annual notice on holiday arrangements
(国务院办公厅关于YYYY年部分节假日安排的通知)::

    {
      "year": 2026,
      "source": "国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)",
      "holidays": [{"date": "2026-02-15", "name_zh": "春节", "name_en": "Spring Festival"}],
      "workdays": ["2026-02-14"]
    }

``holidays`` lists every date of each rest period (weekend dates inside the
period may be listed too; it makes no difference). ``workdays`` lists the
weekend dates that are working days because of the adjustment (调休上班).
``source`` is optional and only documents provenance.

Adding a year: drop ``cn_YYYY.json`` into ``workflow/holidays/`` (usually in
November, when the notice for the next year is published). ``load_calendar()``
picks up every ``cn_*.json`` file. Files are validated on load; a malformed
date, a date outside the file's year, a date listed as both holiday and
workday, a "workday" that is not a weekend day, a duplicate or an unknown key
raise ``ValueError`` naming the file.

Years without a file are treated as plain Monday-Friday weeks. ``covers(d)``
tells the caller whether ``d`` falls in a year with data, so the application
can warn; with ``strict=True`` the calendar raises ``CalendarNotCovered``
instead, and in the default mode it logs one warning per uncovered year.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

HOLIDAY_DIR = Path(__file__).resolve().parent / "holidays"

_FILE_RE = re.compile(r"^cn_(\d{4})\.json$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE_KEYS = {"year", "source", "holidays", "workdays"}
_HOLIDAY_KEYS = {"date", "name_zh", "name_en"}
_ONE_DAY = timedelta(days=1)


def _day(d: date) -> date:
    """Reduce a datetime to its date (a datetime never equals a date)."""
    return d.date() if isinstance(d, datetime) else d


class CalendarNotCovered(LookupError):
    """Raised by a strict calendar for a date in a year without holiday data."""


class WorkCalendar:
    """Immutable set of statutory holidays and adjusted working weekend days.

    A day is a working day if it is an adjusted workday (调休上班), or it is
    Monday-Friday and not a holiday.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        *,
        years: Iterable[int] | None = None,
        names: Mapping[date, tuple[str, str]] | None = None,
        strict: bool = False,
    ) -> None:
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        both = self._holidays & self._workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {sorted(both)}")
        if years is None:
            years = {d.year for d in self._holidays | self._workdays}
        self._years = frozenset(years)
        self._names = dict(names or {})
        self.strict = strict
        self._warned: set[int] = set()

    # -- construction ------------------------------------------------------
    @classmethod
    def from_years(
        cls, years: Iterable[int], directory: Path | str | None = None, *, strict: bool = False
    ) -> WorkCalendar:
        """Load ``cn_YYYY.json`` for each year; a missing file is FileNotFoundError."""
        base = Path(directory) if directory is not None else HOLIDAY_DIR
        files = [base / f"cn_{year:04d}.json" for year in years]
        for path in files:
            if not path.is_file():
                raise FileNotFoundError(f"no holiday data for {path.stem[3:]}: {path}")
        return cls._from_files(files, strict=strict)

    @classmethod
    def _from_files(cls, files: Iterable[Path], *, strict: bool) -> WorkCalendar:
        holidays: dict[date, tuple[str, str]] = {}
        workdays: set[date] = set()
        years: set[int] = set()
        for path in files:
            year, hols, works = _read_year_file(path)
            years.add(year)
            holidays.update(hols)
            workdays.update(works)
        return cls(holidays, workdays, years=years, names=holidays, strict=strict)

    # -- queries -----------------------------------------------------------
    @property
    def known_years(self) -> frozenset[int]:
        return self._years

    def covers(self, d: date) -> bool:
        """True if holiday data exists for ``d``'s year."""
        d = _day(d)
        return d.year in self._years

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years from ``start`` to ``end`` (inclusive) without holiday data, in order."""
        return [y for y in range(_day(start).year, _day(end).year + 1) if y not in self._years]

    def _check(self, d: date) -> None:
        if d.year in self._years:
            return
        if self.strict:
            raise CalendarNotCovered(f"no holiday data for {d.year}; add holidays/cn_{d.year}.json")
        if d.year not in self._warned:
            self._warned.add(d.year)
            logger.warning("no holiday data for %s; treating it as Monday-Friday", d.year)

    def is_holiday(self, d: date) -> bool:
        d = _day(d)
        self._check(d)
        return d in self._holidays

    def is_adjusted_workday(self, d: date) -> bool:
        d = _day(d)
        self._check(d)
        return d in self._workdays

    def holiday_name(self, d: date) -> tuple[str, str] | None:
        """``(name_zh, name_en)`` of the holiday on ``d``, or None."""
        return self._names.get(_day(d))

    def is_working_day(self, d: date) -> bool:
        d = _day(d)
        self._check(d)
        if d in self._workdays:
            return True
        return d.weekday() < 5 and d not in self._holidays

    def next_working_day(self, d: date) -> date:
        """First working day on or after ``d``."""
        d = _day(d)
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (``d`` itself not counted); n=0 gives d."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = _day(d)
        while n:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def __repr__(self) -> str:
        years = ", ".join(str(y) for y in sorted(self._years)) or "none"
        return f"<WorkCalendar years: {years}>"


def load_calendar(directory: Path | str | None = None, *, strict: bool = False) -> WorkCalendar:
    """Load every ``cn_YYYY.json`` in ``directory`` (default: ``workflow/holidays/``)."""
    base = Path(directory) if directory is not None else HOLIDAY_DIR
    files = sorted(p for p in base.iterdir() if p.is_file() and _FILE_RE.match(p.name))
    return WorkCalendar._from_files(files, strict=strict)


def _read_year_file(path: Path) -> tuple[int, dict[date, tuple[str, str]], set[date]]:
    """Parse and validate one year file; any problem is a ValueError naming it."""

    def fail(msg: str) -> ValueError:
        return ValueError(f"{path.name}: {msg}")

    match = _FILE_RE.match(path.name)
    if not match:
        raise fail("file name must be cn_YYYY.json")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise fail("top level must be an object")
    unknown = set(doc) - _FILE_KEYS
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    year = doc.get("year")
    if not isinstance(year, int) or year != int(match.group(1)):
        raise fail(f"'year' must be {int(match.group(1))}, got {year!r}")

    def parse(value: object, where: str) -> date:
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise fail(f"{where}: bad date {value!r} (want YYYY-MM-DD)")
        try:
            d = date.fromisoformat(value)
        except ValueError as exc:
            raise fail(f"{where}: bad date {value!r}") from exc
        if d.year != year:
            raise fail(f"{where}: {value} is not in {year}")
        return d

    raw_holidays = doc.get("holidays")
    raw_workdays = doc.get("workdays")
    if not isinstance(raw_holidays, list) or not isinstance(raw_workdays, list):
        raise fail("'holidays' and 'workdays' must be lists")
    holidays: dict[date, tuple[str, str]] = {}
    for i, item in enumerate(raw_holidays):
        where = f"holidays[{i}]"
        if not isinstance(item, dict) or set(item) != _HOLIDAY_KEYS:
            raise fail(f"{where}: want keys {sorted(_HOLIDAY_KEYS)}")
        d = parse(item["date"], where)
        if d in holidays:
            raise fail(f"{where}: duplicate date {d}")
        names = (item["name_zh"], item["name_en"])
        if not all(isinstance(n, str) and n.strip() for n in names):
            raise fail(f"{where}: names must be non-empty strings")
        holidays[d] = names
    workdays: set[date] = set()
    for i, value in enumerate(raw_workdays):
        where = f"workdays[{i}]"
        d = parse(value, where)
        if d in workdays:
            raise fail(f"{where}: duplicate date {d}")
        if d in holidays:
            raise fail(f"{where}: {d} is both a holiday and a workday")
        if d.weekday() < 5:
            raise fail(f"{where}: {d} is a weekday; list only weekend days that are worked")
        workdays.add(d)
    return year, holidays, workdays
