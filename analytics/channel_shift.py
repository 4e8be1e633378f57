"""Channel shifts (issue 15): has a channel's share of complaints changed between two periods?
Pure: counts in, verdicts out.

A channel's share in period 1 (x1 of n1 cases) against period 0 (x0 of n0) is compared with a
two-proportion z-test. Complaints are not independent draws: a branch's queue, an outage or a
campaign moves many cases of one channel on the same days, so the daily mix varies more than a
binomial would. That extra variation is measured from the days themselves (quasi-binomial: the
Pearson chi-square of each day's count of the channel around its period's share, over its degrees
of freedom) and the variance of the test is inflated by it (never deflated). The channels of one
panel are judged together with Benjamini-Hochberg at ``FDR_Q``.

A "shift" is flagged only when the change is supported (q <= ``FDR_Q``) *and* at least
``MIN_SHIFT_PP`` share points (at a head office's volumes a 0.3-point change is "significant"
and means nothing to anyone). Where the counts are too small for the normal approximation
(an expected count below ``MIN_EXPECTED`` in any cell of the 2x2 table, or fewer than
``MIN_TOTAL`` cases in either period) nothing is judged and the row says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .alerts import benjamini_hochberg

FDR_Q = 0.05
MIN_SHIFT_PP = 2.0
MIN_EXPECTED = 5.0
MIN_TOTAL = 30

UP, DOWN, STEADY, SMALL = "up", "down", "steady", "small"


@dataclass(frozen=True)
class Shift:
    key: str
    count: int
    previous: int
    share: float | None  # % of the period's cases
    previous_share: float | None
    delta_pp: float | None  # share points, current - previous
    dispersion: float  # >= 1: how much more the daily mix varies than a binomial's
    p_value: float | None  # None: not judged (small counts)
    q_value: float | None
    status: str  # UP | DOWN | STEADY | SMALL


def too_small(x1: int, n1: int, x0: int, n0: int) -> bool:
    """Cochran's rule on the 2x2 table (channel / other channels x this period / the other)."""
    if n1 < MIN_TOTAL or n0 < MIN_TOTAL:
        return True
    n = n1 + n0
    pooled = (x1 + x0) / n
    expected = (n1 * pooled, n1 * (1 - pooled), n0 * pooled, n0 * (1 - pooled))
    return min(expected) < MIN_EXPECTED


def dispersion(days: Sequence[tuple[int, int]], share: float) -> tuple[float, int]:
    """(chi-square, degrees of freedom) of a period's days around its share: ``days`` are
    (cases of the channel, all cases) per day with cases."""
    if not 0 < share < 1:
        return 0.0, 0
    chi2 = 0.0
    used = 0
    for x, n in days:
        if n <= 0:
            continue
        chi2 += (x - n * share) ** 2 / (n * share * (1 - share))
        used += 1
    return chi2, max(used - 1, 0)


def share_test(x1: int, n1: int, x0: int, n0: int, phi: float = 1.0) -> float:
    """Two-sided p-value of equal shares (pooled z-test, variance times ``phi`` >= 1)."""
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n0) * max(phi, 1.0)
    if variance <= 0:
        return 1.0
    z = (p1 - p0) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def _pct(x: int, n: int) -> float | None:
    return round(100.0 * x / n, 1) if n else None


def shifts(
    current: Mapping[str, int],
    previous: Mapping[str, int],
    current_days: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    previous_days: Mapping[str, Sequence[tuple[int, int]]] | None = None,
) -> list[Shift]:
    """One verdict per channel seen in either period, largest current count first.
    ``*_days``: per channel, (its cases, all cases) for each day of the period with cases;
    without them no extra-binomial variation is assumed (phi = 1)."""
    n1, n0 = sum(current.values()), sum(previous.values())
    keys = sorted(set(current) | set(previous), key=lambda k: (-current.get(k, 0), -previous.get(k, 0), k))
    judged: list[int] = []
    p_values: list[float] = []
    rows: list[dict] = []
    for key in keys:
        x1, x0 = current.get(key, 0), previous.get(key, 0)
        row = {
            "key": key,
            "count": x1,
            "previous": x0,
            "share": _pct(x1, n1),
            "previous_share": _pct(x0, n0),
            "delta_pp": round(100.0 * (x1 / n1 - x0 / n0), 1) if n1 and n0 else None,
            "dispersion": 1.0,
            "p_value": None,
        }
        if not too_small(x1, n1, x0, n0):
            chi_a, df_a = dispersion((current_days or {}).get(key, ()), x1 / n1)
            chi_b, df_b = dispersion((previous_days or {}).get(key, ()), x0 / n0)
            df = df_a + df_b
            phi = max(1.0, (chi_a + chi_b) / df) if df > 0 else 1.0
            row["dispersion"] = round(phi, 2)
            row["p_value"] = share_test(x1, n1, x0, n0, phi)
            judged.append(len(rows))
            p_values.append(row["p_value"])
        rows.append(row)
    q_values = dict(zip(judged, benjamini_hochberg(p_values), strict=True)) if judged else {}
    out = []
    for i, row in enumerate(rows):
        q = q_values.get(i)
        if q is None:
            status = SMALL
        elif q <= FDR_Q and abs(row["delta_pp"]) >= MIN_SHIFT_PP:
            status = UP if row["delta_pp"] > 0 else DOWN
        else:
            status = STEADY
        out.append(Shift(**row, q_value=q, status=status))
    return out
