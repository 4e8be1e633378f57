"""Report periods: week, month, quarter or a custom range, and the period before.

Pure standard library (no Django), so the arithmetic is tested exhaustively.
All periods are inclusive date ranges [start, end] in local (Asia/Shanghai) dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext

KINDS = ("week", "month", "quarter", "custom")
# A report over more than this many days is almost certainly a typo (e.g. year 2206).
MAX_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)


class PeriodError(ValueError):
    """Bad period input; the message is bilingual and safe to show."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive
    # A week/month/quarter still running, cut at today: compared like for like with the same
    # elapsed span of earlier periods (1-7 Dec with 1-7 Nov), never with whole ones.
    to_date: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    """First day of the month ``months`` after d's month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(kind: str, day: date) -> Period:
    """The week (Mon-Sun), month or quarter that contains ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    if kind == "month":
        start = _month_start(day)
        return Period("month", start, _add_months(start, 1) - timedelta(days=1))
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", start, _add_months(start, 3) - timedelta(days=1))
    raise PeriodError(gettext("未知的周期类型：%(kind)s") % {"kind": repr(kind)})


def custom_period(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError(gettext("结束日期 %(end)s 早于开始日期 %(start)s") % {"end": end, "start": start})
    if start < EARLIEST:
        raise PeriodError(gettext("开始日期过早：%(start)s") % {"start": start})
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(gettext("日期范围过长（最多 %(n)d 天）") % {"n": MAX_DAYS})
    return Period("custom", start, end)


def period_to_date(period: Period, today: date) -> Period:
    """A calendar period that is still running, cut at ``today`` (marked ``to_date``)."""
    if period.kind != "custom" and period.start <= today < period.end:
        return Period(period.kind, period.start, today, to_date=True)
    return period


def previous_period(period: Period) -> Period:
    """The equal period just before: the previous calendar week/month/quarter (for one still
    running, the same elapsed span of it), or for a custom range the same number of days
    immediately before it."""
    return preceding_periods(period, 1)[0]


def preceding_periods(period: Period, n: int) -> list[Period]:
    """The ``n`` periods before ``period``, oldest first (the baseline for spike tests).
    A period to date is compared with the same elapsed span of each earlier period (clamped
    to its end: 1-31 March to date against 1-28 February), counted from its own start."""
    out: list[Period] = []
    if period.kind == "custom":
        end = period.start - timedelta(days=1)
        for _ in range(n):
            out.append(Period("custom", end - timedelta(days=period.days - 1), end))
            end = out[-1].start - timedelta(days=1)
        return out[::-1]
    current = period_containing(period.kind, period.start)
    for _ in range(n):
        current = period_containing(period.kind, current.start - timedelta(days=1))
        if period.to_date:
            end = min(current.start + timedelta(days=period.days - 1), current.end)
            out.append(Period(period.kind, current.start, end, to_date=True))
        else:
            out.append(current)
    return out[::-1]


def bucket_start(kind: str, day: date) -> date:
    """Start date of the week/month/quarter bucket a day falls in (for trend series)."""
    return period_containing(kind, day).start


def bucket_starts(kind: str, start: date, end: date) -> list[date]:
    """Every bucket start from the bucket containing ``start`` to the one containing ``end``."""
    out: list[date] = []
    current = period_containing(kind, start)
    while current.start <= end:
        out.append(current.start)
        current = period_containing(kind, current.end + timedelta(days=1))
    return out


@dataclass(frozen=True)
class TierSplit:
    """How a date range is read from the two rollup tiers: whole calendar months from the
    monthly table (``months``: first days of the first and last whole month, inclusive)
    and the remaining edge days from the daily table (``days``: inclusive ranges)."""

    months: tuple[date, date] | None
    days: tuple[tuple[date, date], ...]


def split_by_month(start: date, end: date) -> TierSplit:
    """Split [start, end] into whole months and the edge days before/after them."""
    first = start if start.day == 1 else _add_months(start, 1)
    after = _add_months(end, 1)  # first day of the month after end's month
    last_end = end if after - timedelta(days=1) == end else _month_start(end) - timedelta(days=1)
    if first > last_end:  # no whole month inside: all daily
        return TierSplit(None, ((start, end),))
    days = []
    if start < first:
        days.append((start, first - timedelta(days=1)))
    if last_end < end:
        days.append((last_end + timedelta(days=1), end))
    return TierSplit((first, _month_start(last_end)), tuple(days))


def _year_earlier(d: date) -> date:
    """The same calendar day a year before (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def same_period_last_year(period: Period) -> Period:
    """The like-for-like period a year before (同比): the same calendar week/month/quarter of
    last year (for one still running, the same elapsed span of it), or for a custom range the
    same dates a year earlier."""
    if period.kind == "custom":
        return Period("custom", _year_earlier(period.start), _year_earlier(period.end))
    if period.kind == "week":  # the ISO week with the same number (week 53 falls back to 52)
        iso = period.start.isocalendar()
        try:
            start = date.fromisocalendar(iso.year - 1, iso.week, 1)
        except ValueError:
            start = date.fromisocalendar(iso.year - 1, 52, 1)
    else:
        start = _year_earlier(period.start)
    whole = period_containing(period.kind, start)
    if period.to_date:
        end = min(whole.start + timedelta(days=period.days - 1), whole.end)
        return Period(period.kind, whole.start, end, to_date=True)
    return whole


COMPARES = ("previous", "year")


def comparison_period(period: Period, compare: str = "previous") -> Period:
    """The period a report compares with: the one just before (环比) or a year before (同比)."""
    return same_period_last_year(period) if compare == "year" else previous_period(period)


# Presets of the report pages, resolved against today. Each is complete, or marked to date.
PRESETS = ("mtd", "last_month", "qtd", "last_quarter", "last30", "yoy")
# The default: the last 30 days up to today, said so on the page (today is still running).
DEFAULT_PRESET = "last30"


def preset_period(preset: str, today: date) -> tuple[Period, str]:
    """(period, compare) for a preset on ``today``. A preset that ends today is marked to date,
    even on the last day of its month (today is still running)."""
    if preset in ("mtd", "yoy", "qtd"):
        whole = period_containing("quarter" if preset == "qtd" else "month", today)
        period = Period(whole.kind, whole.start, today, to_date=True)
        return period, "year" if preset == "yoy" else "previous"
    if preset == "last_month":
        return period_containing("month", today.replace(day=1) - timedelta(days=1)), "previous"
    if preset == "last_quarter":
        quarter = period_containing("quarter", today)
        return period_containing("quarter", quarter.start - timedelta(days=1)), "previous"
    if preset == "last30":
        return Period("custom", today - timedelta(days=29), today, to_date=True), "previous"
    raise PeriodError(gettext("未知的预设周期：%(preset)s") % {"preset": repr(preset)})
