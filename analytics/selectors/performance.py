"""Handling performance per org from the rollup (plus live overdue counts).

Rates are computed in ``analytics.ranking`` (None when there is nothing to divide by).
"Told on time" counts what ``workflow.timeliness`` decided for each case (the same answer
as the case page and the export): a case counts once it is known — told on time, told
late, or past its decision deadline unanswered — so cases still inside their window do
not drag the rate down. "Overdue open" is the same clock: a decision still owed past its
derived deadline (a paused case, an approved extension and a case already told are not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from workflow.timeliness import decision_overdue

from ..models import FIRST_RESPONSE_BOUNDS_H
from ..periods import Period
from ..ranking import median_from_cumulative, rate
from .base import Scope, cached, child_of, complaints_in, org_index, rollups_in

SUM_FIELDS = (
    "total",
    "decided",
    "decided_on_time",
    "decided_late",
    "extended",
    "verification",
    "with_result",
    "upheld",
    "redress_count",
    "redress_sum",
    "fr_count",
    *(f"fr_{h}h" for h in FIRST_RESPONSE_BOUNDS_H),
)


@dataclass(frozen=True)
class PerformanceRow:
    org_code: str
    org_name: str
    total: int
    decided: int
    timely_rate: float | None  # % told on time of those whose timeliness is known (workflow.timeliness)
    median_first_response_h: float | None
    overdue_open: int  # decision owed and past its deadline now (workflow.timeliness.decision_overdue)
    extension_rate: float | None
    verification_rate: float | None  # % of decided cases taken to verification (核实)
    upheld_rate: float | None
    redress_count: int
    redress_sum: Decimal

    @property
    def median_display(self) -> str:
        m = self.median_first_response_h
        if m is None:
            return "—"
        return f">{FIRST_RESPONSE_BOUNDS_H[-1]}" if m == float("inf") else f"{m:g}"


def _row(code: str, name: str, s: dict, overdue: int) -> PerformanceRow:
    timely_base = s["decided_on_time"] + s["decided_late"]
    return PerformanceRow(
        org_code=code,
        org_name=name,
        total=s["total"],
        decided=s["decided"],
        timely_rate=rate(s["decided_on_time"], timely_base),
        median_first_response_h=median_from_cumulative(
            FIRST_RESPONSE_BOUNDS_H, [s[f"fr_{h}h"] for h in FIRST_RESPONSE_BOUNDS_H], s["fr_count"]
        ),
        overdue_open=overdue,
        extension_rate=rate(s["extended"], s["total"]),
        verification_rate=rate(s["verification"], s["decided"]),
        upheld_rate=rate(s["upheld"], s["with_result"]),
        redress_count=s["redress_count"],
        redress_sum=Decimal(s["redress_sum"] or 0),
    )


def performance(
    scope: Scope, period: Period, *, today: date | None = None
) -> tuple[list[PerformanceRow], PerformanceRow]:
    """Per child org of the scope (branches at head office), and the scope total."""
    today = today or timezone.localdate()

    def compute():
        # Annotation names must differ from the column names they sum ("s_" prefix).
        aggregates = {f"s_{f}": Sum(f) for f in SUM_FIELDS}
        rows = [
            {"org_id": r.pop("org_id"), **{k[2:]: v for k, v in r.items()}}
            for r in rollups_in(scope, period).values("org_id").annotate(**aggregates).order_by()
        ]
        overdue = dict(
            complaints_in(scope)
            .filter(decision_overdue(today))
            .values_list("responsible_org_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        index = org_index()
        by_path = {o.path: o for o in index.values()}
        keys = [k[2:] for k in aggregates]
        grouped: dict[str, dict] = {}
        names: dict[str, str] = {}
        overdue_by: dict[str, int] = {}
        for oid in {r["org_id"] for r in rows} | set(overdue):
            target = child_of(scope.org, index[oid], by_path) or index[oid]
            names[target.code] = target.name
        for r in rows:
            target = child_of(scope.org, index[r["org_id"]], by_path) or index[r["org_id"]]
            bucket = grouped.setdefault(target.code, dict.fromkeys(keys, 0))
            for k in keys:
                bucket[k] += r[k] or 0
        for oid, n in overdue.items():
            target = child_of(scope.org, index[oid], by_path) or index[oid]
            overdue_by[target.code] = overdue_by.get(target.code, 0) + n
            grouped.setdefault(target.code, dict.fromkeys(keys, 0))
        total = dict.fromkeys(keys, 0)
        for bucket in grouped.values():
            for k in keys:
                total[k] += bucket[k]
        out = [_row(code, names[code], grouped[code], overdue_by.get(code, 0)) for code in sorted(grouped)]
        return out, _row(scope.code or "ALL", scope.label, total, sum(overdue_by.values()))

    return cached("perf", scope, (period, today), compute)
