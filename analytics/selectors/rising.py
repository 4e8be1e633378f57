"""Rising issues: codes whose count in a period is unusually high against their own history,
at the report scope and, for head office, per branch. The statistics are in ``analytics.alerts``
(quasi-Poisson with a weekday exposure, history that exists, Benjamini-Hochberg over every
code x org series of the report at once); this module reads what it needs from the rollups:

- the counts of the period and of the like-for-like periods before it (``alerts.baseline_periods``:
  8, or 26 for a week view), one grouped query per rollup tier (``_counts``: key x org x the range
  each row falls in, one sum; a view of whole weeks reads its 27 weeks from the weekly tier, one row
  per week and series, and a week cut at most three days before its end reads its weeks whole less
  their last days from the daily tier);
  a week view is also judged for a rise that lasts (``alerts.assess_sustained``: the period with the
  1-3 periods before it) from the same counts, no further query;
- the weekday shape of intake in the scope over the 8 weeks before the period (daily table);
- each series' start of data: the later of its org's first case (the branch, or the scope),
  the code's first case in the scope and the code's introduction in the taxonomy
  (``ClassificationCode.valid_from``) where recorded. Baseline periods before it are absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from django.conf import settings
from django.db.models import F, Min, Q, QuerySet, Sum

from complaints.models import ClassificationCode

from .. import alerts
from ..dimensions import PAIR_SEPARATOR, Dimension
from ..models import DailyRollup, MonthlyRollup, WeeklyRollup
from ..periods import Period, preceding_periods
from .base import (
    Scope,
    branch_of,
    cached,
    coarse_ok,
    key_expression,
    key_name,
    monthly_rollups_in,
    org_index,
    range_buckets,
    rollups_in,
    tiers,
    weekly_rollups_in,
)

BASELINE_PERIODS = alerts.BASELINE_PERIODS  # 8; a week view: alerts.WEEK_BASELINE_PERIODS
WEEKDAY_WINDOW_DAYS = 56


def _settings(period: Period) -> dict:
    """Decision options; the false-discovery rate follows the period (``alerts.fdr_q``: week
    views at ``WEEK_FDR_Q``, their sustained-rise test at ``SUSTAINED_FDR_Q``) unless
    ``settings.ANALYTICS_RISING`` sets ``q`` (or ``q_sustained``)."""
    defaults = {
        "min_count": 10,
        "min_ratio": 1.3,
        "q": alerts.fdr_q(period.kind, period.days),
        "q_sustained": alerts.SUSTAINED_FDR_Q,
    }
    return {**defaults, **getattr(settings, "ANALYTICS_RISING", {})}


@dataclass(frozen=True)
class RisingRow:
    """One rising series with the evidence a reader needs to trust (or doubt) it."""

    key: str
    name: str
    org_code: str  # "" = the whole report scope
    org_name: str
    current: int  # the count judged: this period's, or with span > 1 the sum over the window
    expected: float
    lower: int  # the expected count's interval (alerts.INTERVAL)
    upper: int
    ratio: float | None  # current / expected
    p_value: float
    q_value: float  # Benjamini-Hochberg adjusted over every series of the report
    dispersion: float
    since: date | None
    baseline: tuple[int, ...]  # counts of the usable baseline periods, oldest first
    baseline_labels: tuple[str, ...]
    excluded: tuple[str, ...] = ()  # baseline periods left out as earlier outbreaks
    trend: bool = False
    baseline_mean: float = 0.0
    baseline_std: float = 0.0
    z: float = 0.0
    # A rise that lasts (week views, alerts.decide_sustained): judged on this period together with
    # the span-1 periods right before it (``recent``, oldest first); ``current`` is then their sum.
    span: int = 1
    period_count: int = 0  # this period's own count (= current when span is 1)
    recent: tuple[int, ...] = ()
    recent_labels: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.key

    @property
    def spark_values(self) -> tuple[int, ...]:
        """Period by period: the baseline, the earlier periods of the window, this period."""
        return (*self.baseline, *self.recent, self.period_count if self.span > 1 else self.current)

    @property
    def spark_labels(self) -> tuple[str, ...]:
        return (*self.baseline_labels, *self.recent_labels)

    @property
    def spark_points(self) -> str:
        """SVG polyline points (80 x 20 box) of ``spark_values``."""
        values = self.spark_values
        top = max(values) or 1
        step = 80 / max(len(values) - 1, 1)
        return " ".join(f"{i * step:.1f},{20 - 18 * v / top:.1f}" for i, v in enumerate(values))


@dataclass(frozen=True)
class RisingResult:
    rows: list[RisingRow] = field(default_factory=list)
    short_history: frozenset[tuple[str, str]] = frozenset()  # (org_code, key) not judged: 历史不足
    judged: int = 0  # series judged (the Benjamini-Hochberg family)
    series: int = 0  # series seen (judged + not enough history)
    periods: int = alerts.BASELINE_PERIODS  # like-for-like periods judged against
    q: float = alerts.FDR_Q  # the false-discovery rate decided at
    q_sustained: float | None = None  # week views: the rate of the sustained-rise test


def _weekday_weights(daily: QuerySet[DailyRollup], period: Period, since: date | None) -> tuple[float, ...]:
    """Intake per weekday in the scope over the weeks before the period (days before the
    scope's first case are not counted as quiet days)."""
    start = period.start - timedelta(days=WEEKDAY_WINDOW_DAYS)
    if since is not None:
        start = max(start, since)
    end = period.start - timedelta(days=1)
    if end < start:
        return alerts.NEUTRAL_WEEKDAYS
    totals, days = [0.0] * 7, [0] * 7
    for d in range((end - start).days + 1):
        days[(start + timedelta(days=d)).weekday()] += 1
    for r in daily.filter(day__range=(start, end)).values("day").annotate(n=Sum("total")).order_by():
        totals[r["day"].weekday()] += float(r["n"] or 0)
    return alerts.weekday_weights(totals, days)


def _first_days(daily: QuerySet, monthly: QuerySet | None, group: dict) -> dict:
    """{group value: first day with a case}. Whole months come from the monthly tier when
    it can group this way; only the first month's days are then read from the daily table."""
    if monthly is None:
        return {r["g"]: r["first"] for r in daily.values(**group).annotate(first=Min("day")).order_by()}
    first_month = {r["g"]: r["first"] for r in monthly.values(**group).annotate(first=Min("month")).order_by()}
    if not first_month:
        return {}
    months = sorted(set(first_month.values()))
    condition = Q()
    for m in months:
        condition |= Q(day__range=(m, _month_end(m)))
    out: dict = {}
    for r in daily.filter(condition).values(**group).annotate(first=Min("day")).order_by():
        g, first = r["g"], r["first"]
        if g in first_month and first.replace(day=1) == first_month[g]:
            out[g] = first
    for g, m in first_month.items():
        out.setdefault(g, m)  # not expected (the tiers agree); the month start is the safe side
    return out


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _introduced(keys: Sequence[str]) -> dict[str, date]:
    """The latest taxonomy introduction date (valid_from) among a key's codes, where recorded."""
    codes = {part for k in keys for part in k.split(PAIR_SEPARATOR)}
    recorded = dict(
        ClassificationCode.objects.filter(code__in=codes, valid_from__isnull=False).values_list("code", "valid_from")
    )
    out: dict[str, date] = {}
    for k in keys:
        dates = [recorded[p] for p in k.split(PAIR_SEPARATOR) if p in recorded]
        if dates:
            out[k] = max(dates)
    return out


def _later(*days: date | None) -> date | None:
    present = [d for d in days if d is not None]
    return max(present) if present else None


def _std(values: Sequence[int]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5


def _counts(
    daily: QuerySet, monthly: QuerySet | None, weekly: QuerySet | None, periods: Sequence[Period], dim: Dimension
) -> pd.DataFrame:
    """Per key x org (columns key, org_ref, p0..pn): the count of each period, summed over the
    rollup tiers (``tiers``), one grouped query per tier. A key x org without a case in any
    period has no row (the tiers keep no empty buckets)."""
    acc: dict[tuple, list[int]] = {}
    for tier in tiers(daily, monthly, periods, weekly=weekly):
        bucket, index = range_buckets(tier.time_field, tier.ranges)
        rows = tier.qs.values_list(key_expression(dim), "org_id", bucket).annotate(n=Sum("total")).order_by()
        for key, org, b, n in rows:
            i = index.get(b)
            if i is not None:
                acc.setdefault((key, org), [0] * len(periods))[i] += tier.sign * int(n or 0)
    cols = [f"p{i}" for i in range(len(periods))]
    records = []
    for (key, org), counts in acc.items():
        # a week read whole less its last days: never below zero, even if a refresh lands in between
        counts = [max(c, 0) for c in counts]
        if any(counts):
            records.append((key, org, *counts))
    frame = pd.DataFrame.from_records(records, columns=["key", "org_ref", *cols])
    frame[cols] = frame[cols].astype("int64")
    return frame


def _rising(
    daily: QuerySet[DailyRollup],
    monthly: QuerySet[MonthlyRollup] | None,
    period: Period,
    dim: Dimension,
    *,
    by_branch: bool,
    weekly: QuerySet[WeeklyRollup] | None = None,
) -> RisingResult:
    """Judge every key at the scope and (``by_branch``) in each branch, all in one family.
    Counts of whole weeks come from ``weekly`` when given (the tiers agree: the same result as
    reading their days, which the latency bench measures against)."""
    monthly = monthly if coarse_ok(dim) else None
    weekly = weekly if coarse_ok(dim) else None
    base_periods = preceding_periods(period, alerts.baseline_periods(period.kind, period.days))
    periods = [*base_periods, period]
    cols = [f"p{i}" for i in range(len(periods))]
    frame = _counts(daily, monthly, weekly, periods, dim)
    options = _settings(period)
    q_sustained = options.pop("q_sustained")
    if not alerts.is_week_view(period.kind, period.days):
        q_sustained = None  # months and quarters: the one-period test only
    if frame.empty:
        return RisingResult(periods=len(base_periods), q=options["q"], q_sustained=q_sustained)

    # Start of data: per org (go-live: its first case) and per key (first case in the scope,
    # or its introduction in the taxonomy when later).
    org_first = _first_days(daily, monthly, {"g": F("org_id")})
    key_first = _first_days(daily, monthly, {"g": key_expression(dim)})
    introduced = _introduced(list(frame["key"].unique()))
    scope_first = min(org_first.values()) if org_first else None
    weights = _weekday_weights(daily, period, scope_first)
    exposures = [alerts.exposure(p.start, p.end, weights) for p in base_periods]
    current_exposure = alerts.exposure(period.start, period.end, weights)

    groups: list[tuple[str, str, date | None, pd.DataFrame]] = [("", "", scope_first, frame.groupby("key")[cols].sum())]
    if by_branch:
        index = org_index()
        by_path = {o.path: o for o in index.values()}
        branch = {oid: branch_of(index[oid], by_path) for oid in frame["org_ref"].unique()}
        frame["branch"] = frame["org_ref"].map(lambda oid: branch[oid].code)
        names = {b.code: b.name for b in branch.values()}
        branch_first: dict[str, date] = {}
        for oid, first in org_first.items():
            if oid in index:
                code = branch_of(index[oid], by_path).code
                branch_first[code] = min(first, branch_first.get(code, first))
        for code, part in frame.groupby("branch"):
            groups.append((str(code), names[code], branch_first.get(str(code)), part.groupby("key")[cols].sum()))

    series: list[tuple[str, str, str]] = []  # (org_code, org_name, key)
    inputs: list[alerts.Series] = []
    for org_code, org_name, org_start, table in groups:
        # plain lists: indexing a pandas row per series cost more than the model itself
        for key, counts in zip(table.index.tolist(), table[cols].to_numpy().tolist(), strict=True):
            windows = [
                alerts.Window(p.label, p.start, p.end, counts[i], exposures[i]) for i, p in enumerate(base_periods)
            ]
            start = _later(org_start, key_first.get(key), introduced.get(key))
            inputs.append(alerts.Series(counts[-1], current_exposure, windows, start, period.start))
            series.append((org_code, org_name, str(key)))
    assessments = alerts.assess_family(inputs)
    if q_sustained is not None:
        sustained = alerts.assess_sustained(inputs, assessments, min_count=options["min_count"])
        decisions = alerts.decide_sustained(assessments, sustained, q_sustained=q_sustained, **options)
    else:
        decisions = alerts.decide(assessments, **options)
    out: list[RisingRow] = []
    short: set[tuple[str, str]] = set()
    for (org_code, org_name, key), decision, one in zip(series, decisions, assessments, strict=True):
        a = decision.assessment
        if not a.judged:
            short.add((org_code, key))
            continue
        if not decision.rising:
            continue
        baseline = tuple(w.count for w in a.history)
        expected = a.expected or 0.0
        spread = ((a.dispersion or 1.0) * max(expected, alerts.MIN_EXPECTED)) ** 0.5
        out.append(
            RisingRow(
                key=key,
                name=key_name(key),
                org_code=org_code,
                org_name=org_name,
                current=a.current,
                expected=expected,
                lower=a.lower or 0,
                upper=a.upper or 0,
                ratio=a.ratio,
                p_value=a.p_value if a.p_value is not None else 1.0,
                q_value=decision.q_value if decision.q_value is not None else 1.0,
                dispersion=a.dispersion or 1.0,
                since=a.since,
                baseline=baseline,
                baseline_labels=tuple(w.label for w in a.history),
                excluded=a.excluded,
                trend=a.trend,
                baseline_mean=round(sum(baseline) / len(baseline), 2) if baseline else 0.0,
                baseline_std=round(_std(baseline), 2),
                z=round((a.current - expected) / spread, 2),
                span=a.span,
                period_count=one.current,
                recent=tuple(w.count for w in a.window),
                recent_labels=tuple(w.label for w in a.window),
            )
        )
    # Scope-level rows first, then branches; each by strength of evidence.
    out.sort(key=lambda r: (r.org_code != "", r.p_value, -r.current, r.org_code, r.key))
    judged = sum(1 for a in assessments if a.judged)
    return RisingResult(out, frozenset(short), judged, len(assessments), len(base_periods), options["q"], q_sustained)


def rising_result(scope: Scope, period: Period, dim: Dimension, *, by_branch: bool = False) -> RisingResult:
    """Rising issues at the scope (org_code "") and, with ``by_branch``, in each branch of it,
    with the series that have too little history to be judged."""
    return cached(
        "rising",
        scope,
        (period, dim, by_branch),
        lambda: _rising(
            rollups_in(scope),
            monthly_rollups_in(scope),
            period,
            dim,
            by_branch=by_branch,
            weekly=weekly_rollups_in(scope),
        ),
    )


def rising_for(scope: Scope, period: Period, dim: Dimension, *, by_branch: bool = False) -> list[RisingRow]:
    """The rising rows only (see ``rising_result``)."""
    return rising_result(scope, period, dim, by_branch=by_branch).rows


def rising_for_scope(*, period: Period, org_ids: frozenset[int] | None, by_branch: bool, dim: Dimension | None = None):
    """System-side variant (no user) for the weekly head-office job: whole bank plus each branch."""
    from ..dimensions import dimension

    dim = dim or dimension("B", 3)
    daily = DailyRollup.objects.order_by()
    monthly = MonthlyRollup.objects.order_by()
    weekly = WeeklyRollup.objects.order_by()
    if org_ids is not None:
        daily = daily.filter(org_id__in=org_ids)
        monthly = monthly.filter(org_id__in=org_ids)
        weekly = weekly.filter(org_id__in=org_ids)
    return _rising(daily, monthly, period, dim, by_branch=by_branch, weekly=weekly).rows
