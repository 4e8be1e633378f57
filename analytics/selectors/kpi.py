"""Seed KPIs of the handling-performance tab, per branch and month of receipt:

- time from the call being logged (``received_at``) to the branch's first response
  (``first_response_at``): exact median and 90th percentile in hours (linear interpolation
  between order statistics, as numpy/pandas ``quantile``), and the share answered within the
  internal target (``settings.ANALYTICS_FIRST_RESPONSE_TARGET_H``, 4 hours by default);
- the share told their decision on time: the derived timeliness ``workflow.timeliness`` stores
  in ``decision_timely`` (15 days from the day after receipt; an approved extension's 30/60 days,
  paused days and rest-day roll included). Cases still inside their window are not counted.

Read from the cases themselves (two timestamps and a flag per case in the period), not from the
rollup's first-response buckets, so the percentiles are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.conf import settings
from django.db.models import F

from ..periods import Period
from ..ranking import rate
from .base import Scope, cached, child_of, complaints_in, org_index

DEFAULT_TARGET_H = 4


def first_response_target_h() -> float:
    return float(getattr(settings, "ANALYTICS_FIRST_RESPONSE_TARGET_H", DEFAULT_TARGET_H))


@dataclass(frozen=True)
class SeedKpiRow:
    org_code: str
    org_name: str
    month: date  # first day of the month of receipt (local); the scope total over all months has None
    cases: int
    responded: int  # cases with a first response
    median_h: float | None
    p90_h: float | None
    within_target: float | None  # % of responded cases answered within the target
    timely_known: int  # cases whose decision timeliness is known
    timely: int  # of which told on time
    timely_rate: float | None  # % told on time

    @property
    def over_target(self) -> bool:
        return self.p90_h is not None and self.p90_h > first_response_target_h()


def _round(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 2)


def _row(code: str, name: str, month, group: pd.DataFrame, target: float) -> SeedKpiRow:
    hours = group["hours"].dropna()
    known = group["timely"].dropna()
    on_time = int(known.astype(bool).sum())
    return SeedKpiRow(
        org_code=code,
        org_name=name,
        month=month,
        cases=len(group),
        responded=len(hours),
        median_h=_round(hours.quantile(0.5)) if len(hours) else None,
        p90_h=_round(hours.quantile(0.9)) if len(hours) else None,
        within_target=rate(int((hours <= target).sum()), len(hours)),
        timely_known=len(known),
        timely=on_time,
        timely_rate=rate(on_time, len(known)),
    )


def seed_kpis(scope: Scope, period: Period) -> tuple[list[SeedKpiRow], SeedKpiRow]:
    """Rows per child org of the scope (branches at head office) and month, and the scope total."""
    target = first_response_target_h()

    def compute():
        from django.utils import timezone

        values = list(
            complaints_in(scope, period)
            .annotate(_org=F("responsible_org_id"))
            .values_list("_org", "received_at", "first_response_at", "decision_timely")
            .order_by()
        )
        index = org_index()
        by_path = {o.path: o for o in index.values()}
        records = []
        for org_id, received, first, timely in values:
            target_org = child_of(scope.org, index[org_id], by_path) or index[org_id]
            hours = (first - received).total_seconds() / 3600 if first and first >= received else None
            records.append(
                (target_org.code, target_org.name, timezone.localtime(received).date().replace(day=1), hours, timely)
            )
        frame = pd.DataFrame(records, columns=["code", "name", "month", "hours", "timely"])
        frame["hours"] = frame["hours"].astype(float)
        frame["timely"] = frame["timely"].astype(object)
        rows = [
            _row(code, group["name"].iloc[0], month, group, target)
            for (code, month), group in frame.groupby(["code", "month"], sort=True)
        ]
        return rows, _row(scope.code or "ALL", scope.label, None, frame, target)

    return cached("seed_kpi", scope, (period, target), compute)
