"""The Poisson quantile of group draws gives scipy's values, faster."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from viewaudit._ladder.group_draws import _table_fits, poisson_quantile, poisson_quantile_by_mean

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


@st.composite
def repeated_means(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Means that repeat (viewer counts of cells: small integers, some fractions, some 0), and
    uniforms for a few draws of each, with the extremes 2**-1022 and 1 - 2**-53 among them."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = np.r_[0.0, 1e-12, 0.5, np.arange(1.0, draw(st.integers(2, 400)))]
    mean = rng.choice(values, draw(st.integers(1, 300)))
    u = np.maximum(rng.random((draw(st.integers(1, 30)), mean.size)), np.finfo(float).tiny)
    extremes = rng.random(u.shape) < draw(st.sampled_from([0.0, 0.05]))
    u[extremes] = rng.choice([np.finfo(float).tiny, 1 - 2.0**-53, 0.5, 0.5 + 2.0**-53], np.count_nonzero(extremes))
    return u, mean


@given(case=repeated_means())
def test_tables_of_repeated_means_give_the_searchs_values(case: tuple[np.ndarray, np.ndarray]) -> None:
    """Draws at means that repeat take their value from a table per distinct mean: the same
    values as the search, to the last draw, extremes included."""
    u, mean = case
    np.testing.assert_array_equal(poisson_quantile_by_mean(u, mean), poisson_quantile(u, mean))


def test_group_draws_use_tables_only_where_they_cost_less() -> None:
    """Small repeated means use tables; means all distinct, or huge, do not."""
    u = np.random.default_rng(0).random((30, 1_000))
    assert _table_fits(u, np.random.default_rng(1).integers(1, 50, 1_000).astype(float))
    assert not _table_fits(u, np.random.default_rng(2).gamma(0.5, 2_000.0, 1_000))
    assert not _table_fits(u, np.full(1_000, 1e7))
