"""Trends (weekly/monthly series per code, branch or channel) and the branch x code heat map.

The database groups rollups by bucket (Trunc) and key; pandas pivots the small
aggregated frame into series with zero-filled gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext

from complaints.models import Complaint

from ..dimensions import Dimension
from ..periods import Period, bucket_starts
from .base import Scope, branch_of, cached, child_of, key_expression, key_name, org_index, scope_tiers

GRANULARITIES = {"week": TruncWeek, "month": TruncMonth}
BY_CHOICES = ("code", "org", "channel")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class TrendResult:
    granularity: str
    by: str
    buckets: tuple[str, ...]  # ISO dates of bucket starts
    series: tuple[Series, ...]


def trend(scope: Scope, period: Period, dim: Dimension, *, granularity: str, by: str, top: int = 8) -> TrendResult:
    """Counts per bucket for the ``top`` largest keys (codes at ``dim``, child orgs, or channels)."""
    if granularity not in GRANULARITIES:
        raise ValueError(gettext("未知的粒度：%(g)s（week 或 month）") % {"g": repr(granularity)})
    if by not in BY_CHOICES:
        raise ValueError(gettext("未知的分组：%(by)s") % {"by": repr(by)})

    def compute() -> TrendResult:
        group = {"code": {"k": key_expression(dim)}, "org": {"k": F("org_id")}, "channel": {"k": F("channel")}}[by]
        # Monthly buckets can come from the monthly tier (it has no channel / A axis);
        # weekly buckets cut across months, so they read the daily table only.
        coarse = granularity == "month" and by != "channel"
        rows = []
        for t in scope_tiers(scope, [period], dim if by == "code" else None, coarse=coarse):
            trunc = F("month") if t.time_field == "month" else GRANULARITIES[granularity](t.time_field)
            rows += list(t.qs.values(bucket=trunc, **group).annotate(n=Sum("total")).order_by())
        starts = bucket_starts(granularity, period.start, period.end)
        labels = tuple(s.isoformat() for s in starts)
        if not rows:
            return TrendResult(granularity, by, labels, ())
        frame = pd.DataFrame(rows)
        frame["bucket"] = pd.to_datetime(frame["bucket"]).dt.date.map(lambda d: d.isoformat())
        if by == "org":
            index = org_index()
            by_path = {o.path: o for o in index.values()}
            target = {oid: child_of(scope.org, index[oid], by_path) for oid in frame["k"].unique()}
            frame["k"] = frame["k"].map(lambda oid: target[oid].code if target[oid] else index[oid].code)
            names = {t.code: t.name for t in target.values() if t}
        elif by == "channel":
            names = dict(Complaint.Channel.choices)
        else:
            names = {}
        table = frame.pivot_table(index="k", columns="bucket", values="n", aggfunc="sum", fill_value=0)
        table = table.reindex(columns=list(labels), fill_value=0)
        order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index[:top]
        series = tuple(
            Series(
                str(k),
                str(names.get(k, key_name(str(k)) if by == "code" else k)),
                tuple(int(v) for v in table.loc[k]),
            )
            for k in order
        )
        return TrendResult(granularity, by, labels, series)

    return cached("trend", scope, (period, dim, granularity, by, top), compute)


@dataclass(frozen=True)
class HeatMap:
    orgs: tuple[tuple[str, str], ...]  # (code, name)
    keys: tuple[tuple[str, str], ...]  # (key, name)
    cells: tuple[tuple[int, ...], ...]  # rows = orgs, columns = keys
    max_value: int


def heat_map(scope: Scope, period: Period, dim: Dimension, *, top: int = 10) -> HeatMap:
    """Branch (or, inside a branch, sub-branch) x code counts for the ``top`` codes of the scope."""

    def compute() -> HeatMap:
        rows = []
        for t in scope_tiers(scope, [period], dim):
            rows += list(t.qs.values("org_id", k=key_expression(dim)).annotate(n=Sum("total")).order_by())
        if not rows:
            return HeatMap((), (), (), 0)
        frame = pd.DataFrame(rows)
        index = org_index()
        by_path = {o.path: o for o in index.values()}
        if scope.org is None or scope.org.kind == "head_office":
            target = {oid: branch_of(index[oid], by_path) for oid in frame["org_id"].unique()}
        else:
            target = {oid: child_of(scope.org, index[oid], by_path) or index[oid] for oid in frame["org_id"].unique()}
        frame["org"] = frame["org_id"].map(lambda oid: target[oid].code)
        names = {t.code: t.name for t in target.values()}
        table = frame.pivot_table(index="org", columns="k", values="n", aggfunc="sum", fill_value=0)
        keys = table.sum(axis=0).sort_values(ascending=False, kind="stable").index[:top]
        table = table[keys].sort_index()
        return HeatMap(
            orgs=tuple((str(o), names[o]) for o in table.index),
            keys=tuple((str(k), key_name(str(k))) for k in keys),
            cells=tuple(tuple(int(v) for v in table.loc[o]) for o in table.index),
            max_value=int(table.values.max()) if table.size else 0,
        )

    return cached("heat", scope, (period, dim, top), compute)
