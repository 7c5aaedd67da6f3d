"""The Poisson quantile of group draws gives scipy's values, faster."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from viewaudit._ladder.group_draws import poisson_quantile

MEANS = [
    np.array([0.0, 1e-300, 1e-5, 0.3, 1.0, 7.5, 40.0, 1e3, 1e5, 1e7]),
    np.random.default_rng(1).gamma(0.5, 20.0, 5_000),
    np.random.default_rng(2).gamma(0.2, 2_000.0, 2_000),
]


@pytest.mark.parametrize("mean", MEANS)
def test_quantiles_equal_scipy(mean: np.ndarray) -> None:
    """On means from 0 to 1e7, the values are scipy.stats.poisson.ppf's exactly."""
    u = np.maximum(np.random.default_rng(3).random((20, mean.size)), np.finfo(float).tiny)
    np.testing.assert_array_equal(poisson_quantile(u, mean), stats.poisson.ppf(u, mean))


@pytest.mark.parametrize("mean", MEANS)
def test_extreme_uniforms_give_the_least_k_that_reaches_them(mean: np.ndarray) -> None:
    """At u = 2**-1022 and u = 1 - 2**-53 the value is the least k whose distribution function
    reaches u, judged on the lower tail below the median and on the upper tail above (where
    pdtr rounds to 1 and scipy's solver can be off by a few hundred at a mean of 1e7)."""
    for u in (np.finfo(float).tiny, 1 - 2.0**-53):
        k = poisson_quantile(np.full(mean.size, u), mean)
        if u > 0.5:
            assert np.all(special.pdtrc(k, mean) <= 1 - u)
            assert np.all((k == 0) | (special.pdtrc(k - 1, mean) > 1 - u))
        else:
            assert np.all(special.pdtr(k, mean) >= u)
            assert np.all((k == 0) | (special.pdtr(k - 1, mean) < u))
