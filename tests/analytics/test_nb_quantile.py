"""The expected count's interval: nb_quantile is the smallest k with P(X <= k) >= prob."""

from __future__ import annotations

import math

import pytest

from analytics.alerts import nb_quantile


def cdf(k: int, mean: float, phi: float) -> float:
    """P(X <= k) summed from 0 (exact enough for the small means used here)."""
    if phi <= 1.0:
        return sum(math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1)) for x in range(k + 1))
    r, q = mean / (phi - 1.0), 1.0 - 1.0 / phi
    return sum(
        math.exp(math.lgamma(x + r) - math.lgamma(r) - math.lgamma(x + 1) + r * math.log(1 / phi) + x * math.log(q))
        for x in range(k + 1)
    )


@pytest.mark.parametrize("mean", [0.3, 1.0, 2.5, 7.0, 10.0, 33.3, 120.0])
@pytest.mark.parametrize("phi", [1.0, 1.2, 2.0, 5.0, 20.0])
@pytest.mark.parametrize("prob", [0.01, 0.05, 0.9, 0.99])
def test_quantile_is_the_smallest_count_reaching_the_probability(mean, phi, prob):
    k = nb_quantile(prob, mean, phi)
    assert cdf(k, mean, phi) >= prob
    assert k == 0 or cdf(k - 1, mean, phi) < prob


def test_large_expected_counts_get_a_real_interval():
    """A whole-bank series expects thousands: the 1 % and 99 % points are about 2.33 standard
    deviations either side (they used to collapse onto the mean once exp(-mean) underflowed)."""
    assert abs(nb_quantile(0.01, 4000.0, 1.0) - (4000 - 2.326 * math.sqrt(4000))) <= 3
    assert abs(nb_quantile(0.99, 4000.0, 1.0) - (4000 + 2.326 * math.sqrt(4000))) <= 3
    sd = math.sqrt(4000.0 * 5.0)  # variance phi x mean
    assert abs(nb_quantile(0.01, 4000.0, 5.0) - (4000 - 2.326 * sd)) <= 0.05 * sd
