"""Channel mix on the TOP page (issue 15): the share of the period's complaints by channel (the A
axis at its first level: counter, self-service, electronic, third party, ...) in the report scope,
against the period the TOP table compares with (like for like: 1-7 Dec with 1-7 Nov), and a
shift flag where ``analytics.channel_shift`` finds the change supported.

Read from the daily tier (the coarse tiers keep no A axis), one grouped query per period, by day
and channel, so the test can see how much the daily mix varies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Sum
from django.db.models.functions import Substr

from ..channel_shift import FDR_Q, MIN_EXPECTED, MIN_SHIFT_PP, MIN_TOTAL, Shift, shifts
from ..periods import Period, comparison_period
from .base import Scope, cached, key_name, rollups_in

LEVEL = 1
PREFIX = 1 + 2 * LEVEL  # "A03"


@dataclass(frozen=True)
class ChannelRow:
    shift: Shift
    name: str


@dataclass(frozen=True)
class ChannelMix:
    period: Period
    previous: Period
    total: int
    previous_total: int
    rows: list[ChannelRow] = field(default_factory=list)
    compare: str = "previous"
    fdr_q: float = FDR_Q
    min_shift_pp: float = MIN_SHIFT_PP
    min_total: int = MIN_TOTAL
    min_expected: float = MIN_EXPECTED

    @property
    def too_few(self) -> bool:
        """Either period has too few cases for any channel to be judged."""
        return self.total < self.min_total or self.previous_total < self.min_total

    @property
    def shifted(self) -> list[ChannelRow]:
        return [r for r in self.rows if r.shift.status in ("up", "down")]


def _daily_counts(scope: Scope, periods: tuple[Period, Period]) -> list[dict[str, dict]]:
    """Per period: {channel: {day: cases}}, one grouped read of the daily tier per period (a
    single day range: PostgreSQL reads it from the covering (day, org, ...) index alone)."""
    out: list[dict[str, dict]] = []
    for p in periods:
        rows = (
            rollups_in(scope, p).values_list("day", Substr(F("code_a"), 1, PREFIX)).annotate(n=Sum("total")).order_by()
        )
        by_channel: dict[str, dict] = defaultdict(dict)
        for day, channel, n in rows:
            by_channel[channel][day] = int(n or 0)
        out.append(by_channel)
    return out


def _per_day(by_channel: dict[str, dict]) -> tuple[dict[str, int], dict[str, list[tuple[int, int]]]]:
    """Totals per channel and, per channel, (its cases, all cases) for each day with cases."""
    day_totals: dict = defaultdict(int)
    for days in by_channel.values():
        for day, n in days.items():
            day_totals[day] += n
    totals = {ch: sum(days.values()) for ch, days in by_channel.items()}
    per_day = {ch: [(days.get(d, 0), n) for d, n in sorted(day_totals.items())] for ch, days in by_channel.items()}
    return totals, per_day


def channel_mix(scope: Scope, period: Period, *, compare: str = "previous") -> ChannelMix:
    """The channel mix of ``period`` in ``scope`` and its shifts against the comparison period."""

    def compute() -> ChannelMix:
        previous = comparison_period(period, compare)
        current_days, previous_days = _daily_counts(scope, (period, previous))
        current, cur_per_day = _per_day(current_days)
        before, prev_per_day = _per_day(previous_days)
        found = shifts(current, before, cur_per_day, prev_per_day)
        rows = [ChannelRow(s, key_name(s.key)) for s in found]
        return ChannelMix(period, previous, sum(current.values()), sum(before.values()), rows, compare)

    return cached("channel_mix", scope, (period, compare), compute)
