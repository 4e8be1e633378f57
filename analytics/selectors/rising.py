"""Rising issues: codes whose count in a period is unusually high against their own
baseline (the 8 periods before), at the report scope and, for head office, per branch.

The database sums the 9 periods in one grouped query per rollup tier; pandas reshapes the aggregated
frame (branch roll-up); ``analytics.ranking.rising_issues`` does the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.db.models import F, QuerySet, Sum

from ..dimensions import Dimension
from ..models import DailyRollup, MonthlyRollup
from ..periods import Period, preceding_periods
from ..ranking import rising_issues
from .base import (
    Scope,
    branch_of,
    cached,
    coarse_ok,
    key_expression,
    key_name,
    monthly_rollups_in,
    org_index,
    rollups_in,
    tiers,
)

BASELINE_PERIODS = 8


def _settings() -> dict:
    defaults = {"min_count": 10, "alpha": 0.01, "min_ratio": 1.5}
    return {**defaults, **getattr(settings, "ANALYTICS_RISING", {})}


@dataclass(frozen=True)
class RisingRow:
    key: str
    name: str
    org_code: str  # "" = the whole report scope
    org_name: str
    current: int
    baseline_mean: float
    baseline_std: float
    ratio: float | None
    z: float
    p_value: float
    baseline: tuple[int, ...]

    @property
    def code(self) -> str:
        return self.key


def _rising(
    daily: QuerySet[DailyRollup],
    monthly: QuerySet[MonthlyRollup] | None,
    period: Period,
    dim: Dimension,
    *,
    by_branch: bool,
) -> list[RisingRow]:
    """One grouped query per rollup tier (key x org, 9 conditional sums); the scope total and
    the per-branch tables are both rolled up from that aggregated frame."""
    periods = [*preceding_periods(period, BASELINE_PERIODS), period]
    cols = [f"p{i}" for i in range(len(periods))]
    rows: list[dict] = []
    for tier in tiers(daily, monthly if coarse_ok(dim) else None, periods):
        sums = {col: Sum("total", filter=q) for col, q in zip(cols, tier.conditions, strict=True) if q is not None}
        rows += list(tier.qs.values(key=key_expression(dim), org_ref=F("org_id")).annotate(**sums).order_by())
    if not rows:
        return []
    frame = pd.DataFrame(rows).reindex(columns=["key", "org_ref", *cols]).fillna(0)
    frame[cols] = frame[cols].astype("int64")
    options = _settings()
    out: list[RisingRow] = []
    groups: list[tuple[str, str, pd.DataFrame]] = [("", "", frame.groupby("key")[cols].sum())]
    if by_branch:
        index = org_index()
        by_path = {o.path: o for o in index.values()}
        branch = {oid: branch_of(index[oid], by_path) for oid in frame["org_ref"].unique()}
        frame["branch"] = frame["org_ref"].map(lambda oid: branch[oid].code)
        names = {b.code: b.name for b in branch.values()}
        for code, part in frame.groupby("branch"):
            groups.append((str(code), names[code], part.groupby("key")[cols].sum()))
    for org_code, org_name, table in groups:
        baselines = {k: [int(v) for v in row[cols[:-1]]] for k, row in table.iterrows()}
        current = {k: int(row[cols[-1]]) for k, row in table.iterrows()}
        for r in rising_issues(baselines, current, **options):
            out.append(
                RisingRow(
                    key=r.key,
                    name=key_name(r.key),
                    org_code=org_code,
                    org_name=org_name,
                    current=r.current,
                    baseline_mean=r.baseline_mean,
                    baseline_std=r.baseline_std,
                    ratio=r.ratio,
                    z=r.z,
                    p_value=r.p_value,
                    baseline=tuple(baselines[r.key]),
                )
            )
    # Scope-level rows first, then branches; each by strength of evidence.
    out.sort(key=lambda r: (r.org_code != "", r.p_value, -r.current, r.org_code, r.key))
    return out


def rising_for(scope: Scope, period: Period, dim: Dimension, *, by_branch: bool = False) -> list[RisingRow]:
    """Rising issues at the scope (org_code "") and, with ``by_branch``, in each branch of it."""
    return cached(
        "rising",
        scope,
        (period, dim, by_branch),
        lambda: _rising(rollups_in(scope), monthly_rollups_in(scope), period, dim, by_branch=by_branch),
    )


def rising_for_scope(*, period: Period, org_ids: frozenset[int] | None, by_branch: bool, dim: Dimension | None = None):
    """System-side variant (no user) for the weekly head-office job: whole bank plus each branch."""
    from ..dimensions import dimension

    dim = dim or dimension("B", 3)
    daily = DailyRollup.objects.order_by()
    monthly = MonthlyRollup.objects.order_by()
    if org_ids is not None:
        daily = daily.filter(org_id__in=org_ids)
        monthly = monthly.filter(org_id__in=org_ids)
    return _rising(daily, monthly, period, dim, by_branch=by_branch)
