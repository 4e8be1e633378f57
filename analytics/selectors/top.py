"""TOP issues: ranking for a period and scope, with the previous period and rising flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from ..dimensions import Dimension
from ..periods import Period, comparison_period
from ..ranking import RankRow, rank_issues
from .base import Scope, cached, complaints_in, key_expression, key_name, scope_tiers


@dataclass(frozen=True)
class TopRow:
    row: RankRow
    name: str
    rising_here: bool = False  # rising at the report scope
    rising_in: tuple[str, ...] = ()  # org codes where it rises (branches, at head-office scope)
    history_short: bool = False  # too little history at the report scope to judge a rise (历史不足)


@dataclass(frozen=True)
class TopResult:
    period: Period
    previous: Period
    total: int
    previous_total: int
    rows: list[TopRow] = field(default_factory=list)
    compare: str = "previous"  # "previous" (环比) or "year" (同比: the same period a year before)


def counts_by_key(scope: Scope, period: Period, dim: Dimension, *, raw: bool = False) -> tuple[dict, dict]:
    """{key: count}, {key: repeat count} for one period, aggregated in the database."""
    if raw:
        qs = (
            complaints_in(scope, period)
            .values(key=key_expression(dim, raw=True))
            .annotate(n=Count("id"), rep=Count("id", filter=Q(is_repeat=True)))
        )
        parts = [qs]
    else:  # whole months from the monthly tier, edge days from the daily one
        parts = [
            t.qs.values(key=key_expression(dim)).annotate(n=Sum("total"), rep=Sum("repeat"))
            for t in scope_tiers(scope, [period], dim)
        ]
    counts: dict[str, int] = {}
    repeats: dict[str, int] = {}
    for qs in parts:
        for r in qs.order_by():
            counts[r["key"]] = counts.get(r["key"], 0) + int(r["n"] or 0)
            repeats[r["key"]] = repeats.get(r["key"], 0) + int(r["rep"] or 0)
    return counts, repeats


def top_issues(
    scope: Scope,
    period: Period,
    dim: Dimension,
    *,
    limit: int | None = 20,
    raw: bool = False,
    with_rising: bool = True,
    compare: str = "previous",
) -> TopResult:
    """Rank codes at ``dim`` for ``period`` in ``scope`` and compare with the previous equal period
    (or, ``compare="year"``, the same period a year before), like for like."""

    def compute() -> TopResult:
        previous = comparison_period(period, compare)
        current, repeats = counts_by_key(scope, period, dim, raw=raw)
        before, _ = counts_by_key(scope, previous, dim, raw=raw)
        ranked = rank_issues(current, before, repeats, limit=limit)
        rising_here: set[str] = set()
        rising_in: dict[str, list[str]] = {}
        short: set[str] = set()
        if with_rising and ranked:
            from .rising import rising_result

            found = rising_result(scope, period, dim, by_branch=scope.org is None or scope.org.kind == "head_office")
            for r in found.rows:
                if r.org_code:
                    rising_in.setdefault(r.key, []).append(r.org_code)
                else:
                    rising_here.add(r.key)
            short = {key for org_code, key in found.short_history if org_code == ""}
        rows = [
            TopRow(
                r,
                key_name(r.key),
                r.key in rising_here,
                tuple(sorted(rising_in.get(r.key, ()))),
                history_short=r.key in short,
            )
            for r in ranked
        ]
        return TopResult(period, previous, sum(current.values()), sum(before.values()), rows, compare)

    return cached("top", scope, (period, dim, limit, raw, with_rising, compare), compute)
