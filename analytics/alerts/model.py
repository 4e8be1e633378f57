"""The one-period rising-issue model (see ``analytics.alerts`` for the method): weekday shape,
one series judged against its own usable history, a report's family of series and the
Benjamini-Hochberg decision. Pure standard library (no Django)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from .tails import nb_quantile, nb_sf

# Fewer than 4 usable periods: the level would rest on 2-3 numbers (its own variance at least a
# third of a period's), the dispersion on at most 2 degrees of freedom; the bench measured
# (bench/results/analytics-alerts-*.md) that 2, 3 or 4 give the same false-alert rate, so the
# stricter rule costs ~1 % of series and leaves a history a reader can check by eye.
MIN_BASELINE_PERIODS = 4
FDR_Q = 0.1
BASELINE_PERIODS = 8  # like-for-like periods before the current one
INTERVAL = 0.99  # the expected count's interval: central 98 % (1 % .. 99 %)
PRIOR_DISPERSION = 1.2
PRIOR_DF = 3.0
OUTLIER_P = 0.001
MIN_TREND_PERIODS = 6
MIN_EXPECTED = 0.5  # floor for the expected count (a code unseen in its history)

NEUTRAL_WEEKDAYS = (1.0,) * 7


# --- Weekday shape ------------------------------------------------------------------


def weekday_weights(totals: Sequence[float], days: Sequence[int], *, prior_days: float = 2.0) -> tuple[float, ...]:
    """Relative intake per weekday (Monday first), mean 1 over the week.

    ``totals[i]`` = cases received on weekday i over ``days[i]`` such days. Each weekday's
    mean is shrunk towards the overall mean with ``prior_days`` pseudo-days, so a thin
    sample gives a flat shape rather than noise. No data: flat (every day counts 1).
    """
    if len(totals) != 7 or len(days) != 7:
        raise ValueError("seven weekdays expected")
    n_days = sum(days)
    if n_days <= 0 or sum(totals) <= 0:
        return NEUTRAL_WEEKDAYS
    overall = sum(totals) / n_days
    means = [(t + prior_days * overall) / (d + prior_days) for t, d in zip(totals, days, strict=True)]
    scale = sum(means) / 7
    return tuple(m / scale for m in means)


def exposure(start: date, end: date, weights: Sequence[float] = NEUTRAL_WEEKDAYS) -> float:
    """Sum of the weekday weights of the days in [start, end] (inclusive)."""
    days = (end - start).days + 1
    if days <= 0:
        return 0.0
    full, rest = divmod(days, 7)
    total = full * sum(weights)
    first = start.weekday()
    total += sum(weights[(first + i) % 7] for i in range(rest))
    return total


# --- One series -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One baseline period of a series: its span, count and weekday exposure."""

    label: str
    start: date
    end: date
    count: int
    exposure: float


@dataclass(frozen=True)
class Assessment:
    current: int
    judged: bool  # False: not enough history ("历史不足"), no p-value, never rising
    usable_periods: int
    expected: float | None = None
    lower: int | None = None  # the expected count's interval (INTERVAL)
    upper: int | None = None
    dispersion: float | None = None
    p_value: float | None = None
    ratio: float | None = None  # current / expected
    history: tuple[Window, ...] = ()  # usable baseline periods, oldest first
    excluded: tuple[str, ...] = ()  # labels of baseline periods left out as outbreaks
    since: date | None = None  # start of the rise (current period, or an earlier excluded run)
    trend: bool = False  # the expected count follows a rising trend of the history
    span: int = 1  # periods judged together: the current one and span-1 right before it
    window: tuple[Window, ...] = ()  # those span-1 earlier periods (oldest first)


@dataclass(frozen=True)
class _Fit:
    """A fitted baseline: predicts the count of a period at ``position`` with ``exposure``."""

    intercept: float  # log rate per unit exposure at position 0
    slope: float  # log change per period (0 without a trend)
    dispersion: float
    info: tuple[float, float, float]  # Fisher information (aa, ab, bb) of (intercept, slope)

    def predict(self, position: float, weight: float) -> tuple[float, float]:
        """(expected count, effective dispersion): the count's variance phi*mu plus the
        estimate's own, phi*mu^2*x'I^-1x (x = (1, position)), written as one dispersion."""
        mu = max(math.exp(self.intercept + self.slope * position) * weight, MIN_EXPECTED)
        aa, ab, bb = self.info
        if self.slope == 0.0:
            c = 1.0 / aa if aa > 0 else 1.0
        else:
            det = aa * bb - ab * ab
            c = (bb - 2 * position * ab + position * position * aa) / det if det > 0 else 1.0
        return mu, max(self.dispersion * (1.0 + mu * c), 1.0)


def _shrunk(pearson: float, df: int, prior: float) -> float:
    """Quasi-Poisson dispersion, floored at 1, shrunk towards the prior (few periods)."""
    raw = pearson / df if df > 0 else 1.0
    return max(1.0, (df * max(raw, 1.0) + PRIOR_DF * prior) / (df + PRIOR_DF))


def _prior(windows: Sequence[tuple[float, Window]], alpha: float) -> float:
    """The dispersion the family expects of a series this size: negative binomial,
    variance mu + alpha mu^2, i.e. phi = 1 + alpha x the mean period count."""
    n = len(windows)
    mean = sum(w.count for _, w in windows) / n if n else 0.0
    return max(PRIOR_DISPERSION, 1.0 + alpha * mean)


def _fit(windows: Sequence[tuple[float, Window]], *, trend: bool = True, alpha: float = 0.0) -> _Fit:
    """Quasi-Poisson fit of baseline windows given as (position, window).

    Constant rate; with ``MIN_TREND_PERIODS`` or more windows a log-linear trend is tried
    (Newton on the Poisson likelihood, offset = exposure) and kept only when it rises
    significantly (slope > 2 se): a rising history is not a new rise, while a falling one
    is not extrapolated (a level stretch after a fall would then look like a rise)."""
    total_exposure = sum(w.exposure for _, w in windows)
    total = sum(w.count for _, w in windows)
    n = len(windows)
    if total <= 0 or total_exposure <= 0:  # nothing seen: judged against MIN_EXPECTED
        return _Fit(math.log(MIN_EXPECTED / max(total_exposure, 1.0)), 0.0, 1.0, (MIN_EXPECTED, 0.0, 0.0))
    rate_ = total / total_exposure
    pearson = sum((w.count - rate_ * w.exposure) ** 2 / (rate_ * w.exposure) for _, w in windows)
    prior = _prior(windows, alpha)
    flat = _Fit(math.log(rate_), 0.0, _shrunk(pearson, n - 1, prior), (float(total), 0.0, 0.0))
    if not trend or n < MIN_TREND_PERIODS:
        return flat
    a, b = math.log(rate_), 0.0
    for _ in range(30):
        mus = [(t, w.count, math.exp(a + b * t) * w.exposure) for t, w in windows]
        ua = sum(y - mu for _, y, mu in mus)
        ub = sum(t * (y - mu) for t, y, mu in mus)
        iaa = sum(mu for *_, mu in mus)
        iab = sum(t * mu for t, _, mu in mus)
        ibb = sum(t * t * mu for t, _, mu in mus)
        det = iaa * ibb - iab * iab
        if det <= 0:
            return flat
        da, db = (ibb * ua - iab * ub) / det, (iaa * ub - iab * ua) / det
        a, b = a + da, b + db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    mus = [(t, w.count, math.exp(a + b * t) * w.exposure) for t, w in windows]
    phi = _shrunk(sum((y - mu) ** 2 / mu for _, y, mu in mus if mu > 0), n - 2, prior)
    info = (sum(mu for *_, mu in mus), sum(t * mu for t, _, mu in mus), sum(t * t * mu for t, _, mu in mus))
    det = info[0] * info[2] - info[1] ** 2
    if det <= 0 or b <= 0 or b / math.sqrt(phi * info[0] / det) < 2.0:
        return flat
    return _Fit(a, b, phi, info)


def _outliers(windows: Sequence[Window], alpha: float) -> list[Window]:
    """The windows far above the others (leave-one-out, p < ``OUTLIER_P``): each judged against
    the flat fit of the rest (``_fit(trend=False)``), computed from running sums in O(n)
    instead of refitting n times. A window within one standard deviation above its prediction
    (dispersion at most 100) cannot be that far out (its tail probability is above 0.001 for
    every mean and dispersion in that range), so its tail is not summed."""
    n = len(windows)
    total = sum(w.count for w in windows)
    total_exposure = sum(w.exposure for w in windows)
    squares = sum(w.count * w.count / w.exposure for w in windows)
    out: list[Window] = []
    for w in windows:
        y, e = total - w.count, total_exposure - w.exposure
        if y <= 0 or e <= 0:  # the rest saw nothing: as _fit, judged against MIN_EXPECTED
            mu = max(MIN_EXPECTED / max(e, 1.0) * w.exposure, MIN_EXPECTED)
            eff = max(1.0 + mu / MIN_EXPECTED, 1.0)
        else:
            rate_ = y / e
            pearson = (squares - w.count * w.count / w.exposure) / rate_ - 2 * y + rate_ * e
            prior = max(PRIOR_DISPERSION, 1.0 + alpha * y / (n - 1))
            phi = _shrunk(pearson, n - 2, prior)
            mu = max(rate_ * w.exposure, MIN_EXPECTED)
            eff = max(phi * (1.0 + mu / y), 1.0)
        if w.count <= mu + math.sqrt(eff * mu) and eff <= 100.0:
            continue
        if nb_sf(w.count, mu, eff) < OUTLIER_P:
            out.append(w)
    return out


def assess(
    current: int,
    current_exposure: float,
    baseline: Sequence[Window],
    *,
    series_start: date | None = None,
    period_start: date | None = None,
    min_periods: int = MIN_BASELINE_PERIODS,
    alpha: float = 0.0,
    span: int = 1,
    history_only: bool = False,
    interval: bool = True,
) -> Assessment:
    """Judge one series' current count against its own usable history.

    Baseline windows starting before ``series_start`` (the series' start of data) are
    absent. A series that starts inside the current period, or with fewer than
    ``min_periods`` usable windows, is not judged. With ``span`` > 1 the last span-1 baseline
    windows join the current period: their sum is judged against the windows before them
    (``Assessment.current`` is then the sum and ``since`` at the latest the first window's start).
    """
    window: tuple[Window, ...] = ()
    if span > 1:
        if len(baseline) < span - 1:
            return Assessment(current, False, 0)
        window = tuple(baseline[len(baseline) - span + 1 :])
        baseline = baseline[: len(baseline) - span + 1]
        current += sum(w.count for w in window)
        current_exposure += sum(w.exposure for w in window)
        period_start = window[0].start
    positions = {id(w): float(i) for i, w in enumerate(baseline)}
    usable = [w for w in baseline if w.exposure > 0 and (series_start is None or w.start >= series_start)]
    if (
        len(usable) < min_periods
        or current_exposure <= 0
        or (series_start is not None and period_start is not None and series_start > period_start)
    ):
        return Assessment(current, False, len(usable), history=tuple(usable), span=span, window=window)
    placed = [(positions[id(w)], w) for w in usable]
    # Leave-one-out: a window far above the rest is an outbreak, not the normal level.
    excluded = _outliers([w for _, w in placed], alpha)
    if len(usable) - len(excluded) < min_periods:
        excluded = []
    if history_only:  # what pooled_alpha reads: the kept history, no fit or p-value
        return Assessment(current, True, len(usable), history=tuple(usable), excluded=tuple(w.label for w in excluded))
    fit = _fit([(t, w) for t, w in placed if w not in excluded], alpha=alpha)
    mu, eff = fit.predict(len(baseline) + (span - 1) / 2, current_exposure)
    phi = fit.dispersion
    p = nb_sf(current, mu, eff)
    lower = nb_quantile(1.0 - INTERVAL, mu, eff) if interval else None
    upper = nb_quantile(INTERVAL, mu, eff) if interval else None
    # Since when: the run of excluded (outbreak) windows right before the current period.
    since = period_start
    for w in reversed(usable):
        if w in excluded:
            since = w.start
        else:
            break
    return Assessment(
        current=current,
        judged=True,
        usable_periods=len(usable),
        expected=round(mu, 2),
        lower=lower,
        upper=upper,
        dispersion=round(phi, 2),
        p_value=p,
        ratio=round(current / mu, 2) if mu > 0 else None,
        history=tuple(usable),
        excluded=tuple(w.label for w in excluded),
        since=since,
        trend=fit.slope != 0.0,
        span=span,
        window=window,
    )


# --- Many series -------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One series' input to ``assess_family`` (the arguments of ``assess``)."""

    current: int
    current_exposure: float
    baseline: Sequence[Window]
    series_start: date | None = None
    period_start: date | None = None


def pooled_alpha(assessments: Sequence[Assessment]) -> float:
    """The family's negative-binomial over-dispersion alpha (variance = mu + alpha mu^2),
    by moments over every judged series' kept baseline periods (ratio of sums, so large
    series weigh most and one series' noise cannot set it)."""
    num = den = 0.0
    for a in assessments:
        kept = [w for w in a.history if w.label not in a.excluded]
        n = len(kept)
        total_exposure = sum(w.exposure for w in kept)
        if not a.judged or n < 2 or total_exposure <= 0:
            continue
        rate_ = sum(w.count for w in kept) / total_exposure
        mus = [(w.count, rate_ * w.exposure) for w in kept]
        num += n / (n - 1) * sum((y - mu) ** 2 - mu for y, mu in mus)
        den += sum(mu * mu for _, mu in mus)
    return max(0.0, num / den) if den > 0 else 0.0


def _run(
    series: Sequence[Series],
    alpha: float,
    min_periods: int,
    span: int = 1,
    *,
    history_only: bool = False,
    interval: bool = True,
) -> list[Assessment]:
    return [
        assess(
            s.current,
            s.current_exposure,
            s.baseline,
            series_start=s.series_start,
            period_start=s.period_start,
            min_periods=min_periods,
            alpha=alpha,
            span=span,
            history_only=history_only,
            interval=interval,
        )
        for s in series
    ]


def assess_family(series: Sequence[Series], *, min_periods: int = MIN_BASELINE_PERIODS) -> list[Assessment]:
    """``assess`` every series of one report, each series' dispersion shrunk towards what the
    whole family shows for a series of its size (``pooled_alpha``): 4-8 periods alone say
    little about how noisy a series is, hundreds of series together say a lot."""
    alpha = pooled_alpha(_run(series, 0.0, min_periods, history_only=True))
    return _run(series, alpha, min_periods)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH-adjusted p-values (q-values), in the input order: reject H_i at FDR q iff adjusted_i <= q."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


@dataclass(frozen=True)
class Decision:
    assessment: Assessment
    q_value: float | None = None
    rising: bool = False
    notes: tuple[str, ...] = field(default=())


def decide(
    assessments: Sequence[Assessment],
    *,
    q: float = FDR_Q,
    min_count: int = 10,
    min_ratio: float = 1.3,
) -> list[Decision]:
    """Flag rising series among all judged ones at once (BH at false-discovery rate ``q``).

    Series not judged take no part in the adjustment and are never rising. The family is
    every judged series of the report, including those below ``min_count`` (a filter that
    depends on the outcome must not shrink the family)."""
    judged = [i for i, a in enumerate(assessments) if a.judged and a.p_value is not None]
    adjusted = benjamini_hochberg([assessments[i].p_value for i in judged])  # type: ignore[misc]
    q_of = dict(zip(judged, adjusted, strict=True))
    out: list[Decision] = []
    for i, a in enumerate(assessments):
        if i not in q_of:
            out.append(Decision(a))
            continue
        qv = q_of[i]
        rising = qv <= q and a.current >= min_count and a.ratio is not None and a.ratio >= min_ratio
        out.append(Decision(a, qv, rising))
    return out


def baseline_windows(
    counts: Sequence[int], spans: Sequence[tuple[date, date]], labels: Sequence[str], weights: Sequence[float]
) -> list[Window]:
    """Windows from parallel lists (oldest first)."""
    return [
        Window(label, start, end, int(count), exposure(start, end, weights))
        for count, (start, end), label in zip(counts, spans, labels, strict=True)
    ]
