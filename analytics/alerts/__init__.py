"""Rising-issue alerts that fit complaint counts. Pure standard library (no Django).

Complaint counts are over-dispersed (busy and quiet weeks beyond Poisson noise) and
weekday-shaped (the hotline is quieter at weekends), and a code or a branch may start
part-way. The model, after the Farrington family used in disease surveillance:

- **History that exists.** Each series (code x org) has a start of data; a baseline period
  that begins before it is absent, not zero. Fewer than ``MIN_BASELINE_PERIODS`` usable
  periods: the series is *not judged* ("历史不足"), never flagged.
- **Expected count with a weekday effect.** Each period's *exposure* is the sum of the
  weekday weights of its days (a Monday counts more than a Sunday), so a running period
  cut at today, or a custom range, is compared with its own weekday mix. The rate per unit
  of exposure is estimated from the usable baseline periods: expected = rate x exposure.
- **Over-dispersion (quasi-Poisson).** The dispersion phi (variance / mean) is estimated
  from the baseline periods' Pearson residuals, floored at 1 and shrunk (``PRIOR_DF`` pseudo
  degrees of freedom) towards what the whole report's family of series shows for a series
  of that size (negative binomial: phi = 1 + alpha x mean, alpha pooled over every series by
  ``assess_family``; at least ``PRIOR_DISPERSION``), so that 4-8 periods cannot make one
  series look implausibly steady. Counts are then negative binomial with that mean and
  variance; the prediction variance also carries the uncertainty of the estimated level.
- **Trends.** With ``MIN_TREND_PERIODS`` or more periods a log-linear trend is fitted and
  kept when it rises significantly: a code growing steadily for months is not a new rise.
- **Outbreaks in the baseline do not hide the next one.** A baseline period that is itself
  far above the others (leave-one-out, p < ``OUTLIER_P``) is left out of the fit (while
  enough remain); a run of such periods just before the current one gives "since when".
- **Many series at once.** p-values of every judged series of one report are adjusted
  together (Benjamini-Hochberg, false-discovery rate ``FDR_Q``); a series is rising when
  its adjusted p-value is below q, its count is at least ``min_count`` and at least
  ``min_ratio`` x expected.
- **Week views** (``analytics.alerts.weeks``): half a year of weeks as the baseline, their own
  false-discovery rate, and a rise that lasts (the current week with the 1-3 before it).

The parts: ``tails`` (the negative-binomial tails), ``model`` (one series, the family, the
Benjamini-Hochberg decision) and ``weeks`` (what a week view adds); everything is used from here
(``from analytics import alerts``).
"""

from .model import (
    BASELINE_PERIODS,
    FDR_Q,
    INTERVAL,
    MIN_BASELINE_PERIODS,
    MIN_EXPECTED,
    MIN_TREND_PERIODS,
    NEUTRAL_WEEKDAYS,
    OUTLIER_P,
    PRIOR_DF,
    PRIOR_DISPERSION,
    Assessment,
    Decision,
    Series,
    Window,
    assess,
    assess_family,
    baseline_windows,
    benjamini_hochberg,
    decide,
    exposure,
    pooled_alpha,
    weekday_weights,
)
from .tails import nb_quantile, nb_sf
from .weeks import (
    SUSTAINED_FDR_Q,
    SUSTAINED_SPANS,
    WEEK_BASELINE_PERIODS,
    WEEK_FDR_Q,
    WEEK_MAX_DAYS,
    assess_sustained,
    baseline_periods,
    decide_sustained,
    fdr_q,
    is_week_view,
    simes,
)

__all__ = [
    "BASELINE_PERIODS",
    "FDR_Q",
    "INTERVAL",
    "MIN_BASELINE_PERIODS",
    "MIN_EXPECTED",
    "MIN_TREND_PERIODS",
    "NEUTRAL_WEEKDAYS",
    "OUTLIER_P",
    "PRIOR_DF",
    "PRIOR_DISPERSION",
    "SUSTAINED_FDR_Q",
    "SUSTAINED_SPANS",
    "WEEK_BASELINE_PERIODS",
    "WEEK_FDR_Q",
    "WEEK_MAX_DAYS",
    "Assessment",
    "Decision",
    "Series",
    "Window",
    "assess",
    "assess_family",
    "assess_sustained",
    "baseline_periods",
    "baseline_windows",
    "benjamini_hochberg",
    "decide",
    "decide_sustained",
    "exposure",
    "fdr_q",
    "is_week_view",
    "nb_quantile",
    "nb_sf",
    "pooled_alpha",
    "simes",
    "weekday_weights",
]
