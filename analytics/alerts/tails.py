"""Distribution tails of the rising-issue model: the negative binomial (Poisson when not
over-dispersed) by its mean and dispersion. Pure standard library, no knowledge of series."""

from __future__ import annotations

import math
from collections.abc import Callable


def nb_sf(k: int, mean: float, phi: float) -> float:
    """P(X >= k) for X negative binomial with the given mean and variance phi x mean
    (Poisson when phi <= 1). Sums in log space; exact enough for p-values down to 1e-300."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_pmf, ratio = _nb_terms(mean, phi)
    if k <= mean:  # the lower part is small: 1 - P(X <= k-1), summed down from k-1
        log_term = log_pmf(k - 1)
        if log_term < -745:  # below double precision (k far under the mean)
            return 1.0
        term = math.exp(log_term)
        cdf = 0.0
        x = k - 1
        while x >= 0 and (term > 1e-17 * cdf or cdf == 0.0):
            cdf += term
            if x == 0:
                break
            term /= ratio(x - 1)  # pmf(x-1) = pmf(x) / (pmf(x) / pmf(x-1))
            x -= 1
        return max(0.0, min(1.0, 1.0 - cdf))
    # upper tail beyond the mean: terms decrease, sum them directly
    log_term = log_pmf(k)
    if log_term < -745:  # exp underflows: the tail is below double precision
        return 0.0
    term = math.exp(log_term)
    tail = 0.0
    x = k
    while term > 1e-17 * tail or tail == 0.0:
        tail += term
        term *= ratio(x)
        x += 1
        if x > k + 1_000_000 or term == 0.0:
            break
    return min(1.0, tail)


def nb_quantile(prob: float, mean: float, phi: float) -> int:
    """Smallest k with P(X <= k) >= prob (same distribution as ``nb_sf``).

    One tail sum at the mean, then a walk term by term (pmf(k±1) from pmf(k)), so the cost is
    the distance from the mean, not that distance times a tail sum per step."""
    if mean <= 0:
        return 0
    log_pmf, ratio = _nb_terms(mean, phi)
    k = max(0, int(mean))
    cdf = 1.0 - nb_sf(k + 1, mean, phi)  # P(X <= k)
    pmf = math.exp(log_pmf(k))
    if cdf >= prob:
        while k > 0 and cdf - pmf >= prob:  # P(X <= k-1) >= prob: go down
            cdf -= pmf
            pmf /= ratio(k - 1)
            k -= 1
        return k
    limit = 10 * mean + 1000
    while cdf < prob and k <= limit:  # P(X <= k) < prob: go up
        pmf *= ratio(k)
        k += 1
        cdf += pmf
    return k


def _nb_terms(mean: float, phi: float) -> tuple[Callable[[int], float], Callable[[int], float]]:
    """(log pmf(x), pmf(x+1) / pmf(x)) of the distribution ``nb_sf`` describes."""
    if phi <= 1.0 + 1e-9:  # Poisson
        log_mean = math.log(mean)
        return (lambda x: -mean + x * log_mean - math.lgamma(x + 1)), (lambda x: mean / (x + 1))
    r = mean / (phi - 1.0)  # size
    q = 1.0 - 1.0 / phi  # "failure" probability; success p = 1/phi
    log_p, log_q, lg_r = math.log(1.0 / phi), math.log(q), math.lgamma(r)

    def log_pmf(x: int) -> float:
        return math.lgamma(x + r) - lg_r - math.lgamma(x + 1) + r * log_p + x * log_q

    def ratio(x: int) -> float:
        return (x + r) / (x + 1) * q

    return log_pmf, ratio
