"""TOP-issue ranking, period-over-period change, rising-issue (spike) tests and
rate arithmetic. Pure standard library: the selectors feed it aggregated counts.

Conventions
- Ranks are "competition" ranks (1, 2, 2, 4): equal counts share a rank, ties are
  listed by key so the order is stable.
- A change from 0 to n is "new": the percentage is ``None`` (never a division by zero).
- Rates with a zero denominator are ``None`` (shown as "—"), not 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    current: int
    previous: int
    absolute: int
    percent: float | None  # None when previous == 0
    is_new: bool  # 0 -> n (n > 0)


def period_change(current: int, previous: int) -> Change:
    absolute = current - previous
    if previous == 0:
        return Change(current, previous, absolute, None, current > 0)
    return Change(current, previous, absolute, round(100.0 * absolute / previous, 1), False)


def rate(numerator: float, denominator: float, digits: int = 1) -> float | None:
    """Percentage, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, digits)


def competition_ranks(counts: Mapping[str, int]) -> dict[str, int]:
    """1,2,2,4 ranking by count (desc); keys with a zero count get no rank."""
    ordered = sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[str, int] = {}
    last_count = None
    last_rank = 0
    for position, (key, count) in enumerate(ordered, start=1):
        if count != last_count:
            last_rank, last_count = position, count
        ranks[key] = last_rank
    return ranks


@dataclass(frozen=True)
class RankRow:
    key: str
    rank: int
    count: int
    share: float | None  # % of all cases in the period and scope
    previous: int
    change: Change
    previous_rank: int | None
    rank_change: int | None  # positive = moved up; None when unranked before
    repeat: int
    repeat_rate: float | None


def rank_issues(
    current: Mapping[str, int],
    previous: Mapping[str, int],
    repeats: Mapping[str, int] | None = None,
    *,
    total: int | None = None,
    limit: int | None = None,
) -> list[RankRow]:
    """Rank the keys of ``current`` and compare each with ``previous``.

    ``total`` is the share denominator (all cases in scope; defaults to the sum of
    ``current``). Keys only in ``previous`` (dropped to 0) are not listed.
    """
    repeats = repeats or {}
    total = sum(current.values()) if total is None else total
    ranks = competition_ranks(current)
    previous_ranks = competition_ranks(previous)
    rows: list[RankRow] = []
    for key in sorted(ranks, key=lambda k: (ranks[k], k)):
        count = current[key]
        prev = previous.get(key, 0)
        prev_rank = previous_ranks.get(key)
        rows.append(
            RankRow(
                key=key,
                rank=ranks[key],
                count=count,
                share=rate(count, total),
                previous=prev,
                change=period_change(count, prev),
                previous_rank=prev_rank,
                rank_change=None if prev_rank is None else prev_rank - ranks[key],
                repeat=repeats.get(key, 0),
                repeat_rate=rate(repeats.get(key, 0), count),
            )
        )
    return rows[:limit] if limit else rows


# --- Rising issues ---------------------------------------------------------


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), summed in log space (stable for large k)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # 1 - P(X <= k-1); for tails far out, sum the upper terms directly instead.
    log_pmf = -lam  # log P(X=0)
    cdf = math.exp(log_pmf)
    for i in range(1, k):
        log_pmf += math.log(lam) - math.log(i)
        cdf += math.exp(log_pmf)
    if cdf < 0.99:
        return max(0.0, 1.0 - cdf)
    tail = 0.0
    log_pmf_k = -lam + k * math.log(lam) - math.lgamma(k + 1)
    term = log_pmf_k
    i = k
    while True:
        value = math.exp(term)
        tail += value
        i += 1
        term += math.log(lam) - math.log(i)
        if value < 1e-18 * max(tail, 1e-300) or i > k + 10000:
            break
    return min(1.0, tail)


@dataclass(frozen=True)
class Rising:
    key: str
    current: int
    baseline_mean: float
    baseline_std: float
    ratio: float | None  # current / baseline mean; None when the baseline is 0
    z: float
    p_value: float


# Floor for the expected count, so a code never seen before needs a real number of
# cases (not one) to be called "rising".
MIN_EXPECTED = 0.5


def rising_issues(
    baselines: Mapping[str, Sequence[int]],
    current: Mapping[str, int],
    *,
    min_count: int = 10,
    alpha: float = 0.01,
    min_ratio: float = 1.5,
) -> list[Rising]:
    """Keys whose current count is unusually high against their own baseline.

    Test: one-sided Poisson, H0 "current ~ Poisson(mean of the baseline periods)".
    A key is rising when current >= ``min_count`` (tiny codes cannot flood the list),
    p < ``alpha`` and current >= ``min_ratio`` x baseline mean. The z-score (against
    the baseline's own spread, at least sqrt(mean)) is reported as evidence.
    Sorted by p-value, then by how far above the baseline.
    """
    found: list[Rising] = []
    for key, count in current.items():
        if count < min_count:
            continue
        history = list(baselines.get(key, ()))
        n = len(history)
        mean = sum(history) / n if n else 0.0
        var = sum((x - mean) ** 2 for x in history) / (n - 1) if n > 1 else 0.0
        std = math.sqrt(var)
        expected = max(mean, MIN_EXPECTED)
        spread = max(std, math.sqrt(expected))
        p = poisson_sf(count, expected)
        ratio = round(count / mean, 2) if mean > 0 else None
        if p >= alpha or (ratio is not None and ratio < min_ratio):
            continue
        found.append(
            Rising(
                key=key,
                current=count,
                baseline_mean=round(mean, 2),
                baseline_std=round(std, 2),
                ratio=ratio,
                z=round((count - mean) / spread, 2),
                p_value=p,
            )
        )
    found.sort(key=lambda r: (r.p_value, -(r.current - r.baseline_mean), r.key))
    return found


# --- Medians from cumulative bucket counts --------------------------------


def median_from_cumulative(bounds: Sequence[float], within: Sequence[int], total: int) -> float | None:
    """Median of a distribution known only as cumulative counts.

    ``within[i]`` = how many values are <= ``bounds[i]`` (non-decreasing); ``total``
    = all values. Interpolates linearly inside the bucket holding the median (values
    assumed spread evenly from the previous bound, 0 for the first). Returns None for
    no values, and ``inf`` when the median lies beyond the last bound.
    """
    if total <= 0:
        return None
    half = total / 2.0
    lower_bound, lower_count = 0.0, 0
    for bound, count in zip(bounds, within, strict=True):
        if count >= half:
            in_bucket = count - lower_count
            if in_bucket <= 0:
                return float(bound)
            return round(lower_bound + (bound - lower_bound) * (half - lower_count) / in_bucket, 2)
        lower_bound, lower_count = float(bound), count
    return math.inf
