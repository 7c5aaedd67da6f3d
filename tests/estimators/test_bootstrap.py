"""The viewer-clustered bootstrap for ratios such as inflation factors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit import DegenerateDataWarning
from viewaudit.estimators import ratio_bootstrap, viewer_bootstrap

from helpers.bootstrap import _viewers


def test_estimate_is_the_ratio_of_totals() -> None:
    """The statistic of the data is sum(numerator) / sum(denominator)."""
    num, den = np.array([5.0, 1, 3, 8]), np.array([1.0, 2, 1, 1])
    assert ratio_bootstrap(num, den, rng=0).estimate == pytest.approx(17 / 5)


def test_deterministic_per_seed() -> None:
    """The same seed gives the same result; another seed another distribution."""
    num, den = _viewers(np.random.default_rng(0), 500)
    a = ratio_bootstrap(num, den, rng=5, n_resamples=500)
    assert a == ratio_bootstrap(num, den, rng=5, n_resamples=500)
    b = ratio_bootstrap(num, den, rng=6, n_resamples=500)
    assert not np.array_equal(a.bootstrap_distribution, b.bootstrap_distribution)


@pytest.mark.parametrize("method", ["BCa", "percentile"])
def test_matches_scipy_bootstrap(method: str) -> None:
    """Same interval as scipy.stats.bootstrap resampling the viewers (paired), within 0.1
    standard errors: both have Monte Carlo error of about 0.02 SE at 20,000 resamples."""
    # Reference: scipy.stats.bootstrap (SciPy 1.17), paired=True, vectorized ratio statistic.
    num, den = _viewers(np.random.default_rng(1), 400)
    ref = stats.bootstrap(
        (num, den),
        lambda a, b, axis=-1: a.sum(axis=axis) / b.sum(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=20_000,
        method=method,
        rng=np.random.default_rng(2),
    )
    ours = ratio_bootstrap(num, den, n_resamples=20_000, method=method.lower(), rng=3)
    assert ours.method == method.lower()
    se = ours.standard_error
    assert se == pytest.approx(ref.standard_error, rel=0.05)
    assert abs(ours.confidence_interval.low - ref.confidence_interval.low) < 0.1 * se
    assert abs(ours.confidence_interval.high - ref.confidence_interval.high) < 0.1 * se


def test_poisson_weights_give_the_same_spread() -> None:
    """Poisson bootstrap weights estimate the same standard error as multinomial ones."""
    num, den = _viewers(np.random.default_rng(4), 2000)
    a = ratio_bootstrap(num, den, n_resamples=4000, rng=1)
    b = ratio_bootstrap(num, den, n_resamples=4000, weights="poisson", rng=1)
    # Each SE is estimated to about 1.1 % at 4000 resamples; allow 5 %.
    assert b.standard_error == pytest.approx(a.standard_error, rel=0.05)


def test_custom_statistic_of_several_columns() -> None:
    """A vectorised statistic of column totals: attended impressions per attended viewer."""
    rng = np.random.default_rng(5)
    rendered, attended_viewer = _viewers(rng, 300)
    attended_imps = rng.binomial(rendered.astype(int), 0.4) * attended_viewer
    counts = np.column_stack([rendered, attended_imps, attended_viewer])

    def per_viewer(t: np.ndarray) -> np.ndarray:
        return t[..., 1] / t[..., 2]

    res = viewer_bootstrap(counts, statistic=per_viewer, n_resamples=1000, rng=0)
    assert res.estimate == pytest.approx(attended_imps.sum() / attended_viewer.sum())
    assert res.confidence_interval.low < res.estimate < res.confidence_interval.high


def test_no_viewers_warns() -> None:
    """No viewers: a warning and an undefined result."""
    with pytest.warns(DegenerateDataWarning, match="no viewers"):
        res = ratio_bootstrap(np.array([]), np.array([]), rng=0)
    assert np.isnan(res.estimate)


def test_identical_viewers_collapse_the_interval() -> None:
    """Every viewer alike: the interval collapses to the estimate, with a warning."""
    with pytest.warns(DegenerateDataWarning, match="same counts"):
        res = ratio_bootstrap(np.full(10, 3.0), np.ones(10), rng=0)
    assert res.confidence_interval.low == res.confidence_interval.high == 3.0


def test_zero_denominators_are_dropped_with_a_warning() -> None:
    """Resamples with no attended viewer have no ratio; they are left out and counted, and BCa,
    whose jackknife then has no ratio either, falls back to percentile."""
    num = np.array([4.0, 2.0, 7.0, 1.0, 3.0])
    den = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.warns(DegenerateDataWarning) as caught:
        res = ratio_bootstrap(num, den, n_resamples=500, rng=0)
    messages = " ".join(str(w.message) for w in caught)
    assert "not finite in" in messages
    assert "percentile interval used" in messages
    assert res.method == "percentile"
    assert res.bootstrap_distribution.size < 500
    assert np.all(np.isfinite(res.bootstrap_distribution))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "basic"}, "method must be one of"),
        ({"weights": "bayesian"}, "weights must be one of"),
        ({"n_resamples": 0}, "n_resamples must be at least 1"),
        ({"confidence_level": 1.0}, r"confidence_level must be in \(0, 1\)"),
        ({"rng": "seed"}, "rng must be"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    """Bad arguments name the parameter."""
    with pytest.raises((ValueError, TypeError), match=match):
        ratio_bootstrap(np.ones(3), np.ones(3), **kwargs)
