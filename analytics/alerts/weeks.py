"""Week views of the rising-issue model (see ``analytics.alerts`` for the method as a whole):
half a year of like-for-like weeks, their own false-discovery rate, and a rise that lasts.

- **Week views** (a week, whole or to date, or a custom span of at most ``WEEK_MAX_DAYS``
  days; ``is_week_view``) are judged against ``WEEK_BASELINE_PERIODS`` weeks instead of
  ``BASELINE_PERIODS`` and decided at ``WEEK_FDR_Q`` instead of ``FDR_Q``. A week's count
  carries the week's own noise (busy and quiet weeks): 8 weeks give its dispersion 7 degrees
  of freedom, too few for the far tail BH needs over hundreds of series, so p-values came out
  too small for very noisy series, and only a strict q kept false alerts down, at the price of
  missing most doubled weeks. Half a year of weeks estimates the level and the dispersion
  well enough that a looser q keeps false alerts under 1 per 100 series-weeks even when every
  series is very noisy (tests/analytics/test_alerts.py; bench/results/analytics-alerts-*-week.md).
  Months and quarters are unchanged.
- **A rise that lasts** (week views only, ``SUSTAINED_SPANS``): one week's count cannot show a
  doubling reliably (an oracle knowing each series' weekly distribution finds 62 % of doubled
  weeks at 1 % false alerts per series: bench/results/analytics-alerts-2026-12-07-week.md), but a
  rise that goes on accumulates evidence. Each series is also judged on the current period
  together with the 1, 2 or 3 like-for-like periods right before it (their sum against the same
  model fitted on the periods before that window); the spans' p-values are combined by Simes'
  rule and the combined p-values of all series are adjusted together (Benjamini-Hochberg at
  ``SUSTAINED_FDR_Q``). A series is rising when the one-period test says so (as before) or the
  sustained one does and the current period is itself above its expected count; the union's
  false-discovery rate is at most ``WEEK_FDR_Q + SUSTAINED_FDR_Q``. The alert states what it was
  judged on: the window's first day ("since"), its span and the window's summed count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .model import (
    BASELINE_PERIODS,
    FDR_Q,
    MIN_BASELINE_PERIODS,
    Assessment,
    Decision,
    Series,
    _run,
    decide,
    pooled_alpha,
)

WEEK_FDR_Q = 0.2  # week views (is_week_view)
WEEK_BASELINE_PERIODS = 26
WEEK_MAX_DAYS = 7
SUSTAINED_SPANS = (2, 3, 4)  # week views: also the current period with 1-3 periods before it
SUSTAINED_FDR_Q = 0.1


def is_week_view(kind: str, days: int) -> bool:
    """A week, whole or to date, or a custom span of at most ``WEEK_MAX_DAYS`` days (a month to
    date of 7 days is still a month view: it is compared with months)."""
    return kind == "week" or (kind == "custom" and days <= WEEK_MAX_DAYS)


def baseline_periods(kind: str, days: int) -> int:
    """How many like-for-like periods a report's period is judged against."""
    return WEEK_BASELINE_PERIODS if is_week_view(kind, days) else BASELINE_PERIODS


def fdr_q(kind: str, days: int) -> float:
    """The false-discovery rate a report's period is decided at."""
    return WEEK_FDR_Q if is_week_view(kind, days) else FDR_Q


def simes(p_values: Sequence[float]) -> float:
    """Simes' combination of several tests of one hypothesis (valid for positively dependent
    tests such as overlapping sums): min over i of k p_(i) / i."""
    ordered = sorted(p_values)
    k = len(ordered)
    return min(1.0, min(k * p / (i + 1) for i, p in enumerate(ordered))) if k else 1.0


def assess_sustained(
    series: Sequence[Series],
    assessed: Sequence[Assessment],
    *,
    spans: Sequence[int] = SUSTAINED_SPANS,
    min_periods: int = MIN_BASELINE_PERIODS,
    min_count: int = 10,
    alpha: float | None = None,
) -> list[Assessment]:
    """Each series judged on the current period together with the periods right before it, for
    every span of ``spans``; returned per series: the span with the smallest p-value, its
    ``p_value`` replaced by the spans' Simes combination (not judged when no span could be).
    ``assessed`` (``assess_family`` of the same series) gives the family's dispersion. The
    expected count's interval is worked out only for a best span above its expected count
    (no other can be rising). ``alpha`` (default: ``pooled_alpha(assessed)``) lets a caller judge
    a few more series against a family already assessed (the hot-topic phrases)."""
    alpha = pooled_alpha(assessed) if alpha is None else alpha
    longest = max(spans, default=1)
    # A series whose current period is not above its expected count, or whose longest window
    # holds fewer than min_count cases, cannot be rising by decide_sustained: it keeps its place
    # in the family with p = 1 (a valid p-value; Benjamini-Hochberg only gets stricter) and is
    # not fitted again.
    eligible = [
        i
        for i, (s, one) in enumerate(zip(series, assessed, strict=True))
        if one.judged
        and one.ratio is not None
        and one.ratio > 1.0
        and s.current + sum(w.count for w in s.baseline[max(0, len(s.baseline) - longest + 1) :]) >= min_count
    ]
    subset = [series[i] for i in eligible]
    per_span_subset = [_run(subset, alpha, min_periods, span, interval=False) for span in spans]
    at = {i: j for j, i in enumerate(eligible)}
    out: list[Assessment] = []
    for i, one in enumerate(assessed):
        if i not in at:
            out.append(dataclasses.replace(one, p_value=1.0) if one.judged else one)
            continue
        j = at[i]
        judged = [runs[j] for runs in per_span_subset if runs[j].judged and runs[j].p_value is not None]
        if not judged:
            out.append(per_span_subset[0][j] if per_span_subset else one)
            continue
        best = min(judged, key=lambda a: a.p_value)  # type: ignore[arg-type,return-value]
        combined = simes([a.p_value for a in judged])  # type: ignore[misc]
        if best.ratio is not None and best.ratio >= 1.0:
            best = _run([series[i]], alpha, min_periods, best.span)[0]
        out.append(dataclasses.replace(best, p_value=combined))
    return out


def decide_sustained(
    one: Sequence[Assessment],
    sustained: Sequence[Assessment],
    *,
    q: float = WEEK_FDR_Q,
    q_sustained: float = SUSTAINED_FDR_Q,
    min_count: int = 10,
    min_ratio: float = 1.3,
) -> list[Decision]:
    """Week views: the one-period decision (``decide`` at ``q``), or else the sustained one
    (``decide`` of the ``assess_sustained`` assessments at ``q_sustained``) when the current
    period is itself above its expected count (a rise that is over is not rising). The
    union's false-discovery rate is at most q + q_sustained. A sustained decision carries the
    window's assessment (its count, expected count, interval and first day)."""
    first = decide(one, q=q, min_count=min_count, min_ratio=min_ratio)
    second = decide(sustained, q=q_sustained, min_count=min_count, min_ratio=min_ratio)
    out: list[Decision] = []
    for a, b in zip(first, second, strict=True):
        still = a.assessment.judged and a.assessment.ratio is not None and a.assessment.ratio > 1.0
        out.append(b if not a.rising and b.rising and still else a)
    return out
