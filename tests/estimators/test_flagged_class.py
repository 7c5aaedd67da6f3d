"""A sampled rung's viewers with the unflagged invalid accounts as a second class, and the
people's shape free to go below the log-series limit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit._estimators.flagged_class import METHOD, _log_seen_pmf, _reach_ratio, viewers_with_flagged_class
from viewaudit.estimators import fit_gamma_poisson, unique_viewers

P = 0.1
#: A rung's table whose one-class Gamma-Poisson fit stops at the log-series limit (most viewers
#: seen once, a long tail), and one whose fit is interior.
AT_THE_LIMIT = np.array([0, 1500, 180, 60, 30, 18, 12, 8, 6, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1])
INTERIOR = np.array([0, 600, 150, 40, 10, 2])


@pytest.mark.parametrize("shape", [-0.9, -0.5, -1e-9, 0.0, 1e-9, 0.3, 2.0, 50.0])
def test_the_seen_law_sums_to_one_at_every_shape(shape: float) -> None:
    """Engen's zero-truncated law is a distribution for every shape above -1 (the log-series
    at 0), continuous across 0."""
    k = np.arange(1, 20_000, dtype=np.float64)
    total = np.exp(_log_seen_pmf(shape, np.log(3.0), k)).sum()
    assert total == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("shape", [0.05, 0.7, 4.0])
def test_the_seen_law_is_the_truncated_negative_binomial_above_zero(shape: float) -> None:
    scale = 2.5
    k = np.arange(1, 40)
    nb = stats.nbinom(shape, 1 / (1 + scale))
    expected = nb.logpmf(k) - np.log(nb.sf(0))
    np.testing.assert_allclose(_log_seen_pmf(shape, np.log(scale), k.astype(np.float64)), expected, rtol=1e-9)


def test_the_reach_ratio_is_continuous_through_the_log_series() -> None:
    """P(X >= 1) / P(Y >= 1): the log-series' ln(1 + s/p) / ln(1 + s) at shape 0, reached from
    either side."""
    s = 0.8
    at_zero = np.log1p(s / P) / np.log1p(s)
    assert _reach_ratio(0.0, s, P) == pytest.approx(at_zero, rel=1e-12)
    assert _reach_ratio(1e-7, s, P) == pytest.approx(at_zero, rel=1e-5)
    assert _reach_ratio(-1e-7, s, P) == pytest.approx(at_zero, rel=1e-5)
    # Below zero more of the people are light, and more go unseen: the ratio grows.
    assert _reach_ratio(-0.5, s, P) > at_zero > _reach_ratio(0.5, s, P)


def test_too_few_flagged_accounts_give_the_default() -> None:
    """No flagged account, or one, tells nothing about the unflagged: the default estimate."""
    default = unique_viewers(AT_THE_LIMIT, sample_rate=P)
    for flagged in ([0, 1], [0, 0, 0], [0]):
        assert viewers_with_flagged_class(AT_THE_LIMIT, flagged, sample_rate=P) == default


def test_light_flagged_accounts_let_the_shape_past_the_log_series_limit() -> None:
    """Caught accounts no heavier than the rung's viewers describe no heavy class: one class,
    its shape free below zero. Where the one-class fit stops at the limit, the estimate rises
    past it; where that fit is interior, the estimate is the one-class one."""
    light = [0, 5]  # five accounts caught, each seen once
    assert fit_gamma_poisson(AT_THE_LIMIT, sample_rate=P).shape < 1.01e-3
    default = unique_viewers(AT_THE_LIMIT, sample_rate=P)
    est = viewers_with_flagged_class(AT_THE_LIMIT, light, sample_rate=P)
    assert est.method == METHOD
    assert est.estimate > default.estimate
    assert est.confidence_interval.high > default.confidence_interval.high

    interior = fit_gamma_poisson(INTERIOR, sample_rate=P)
    assert 1e-2 < interior.shape < 1e3
    est = viewers_with_flagged_class(INTERIOR, light, sample_rate=P)
    assert est.estimate == pytest.approx(unique_viewers(INTERIOR, sample_rate=P).estimate, rel=1e-4)


def test_a_complete_log_is_counted() -> None:
    f = np.array([0, 30, 4])
    est = viewers_with_flagged_class(f, [0, 3, 2], sample_rate=1.0)
    assert est.estimate == est.confidence_interval.low == est.confidence_interval.high == 34


def test_interval_holds_the_estimate_and_the_default() -> None:
    """The interval takes in the default's and never goes below the viewers seen (a rung with
    a heavy tail, and caught accounts seen often)."""
    f = np.array([0, 800, 150, 60, 30, 20, 15, 10, 8, 6, 5, 4, 3, 2])
    flagged = np.array([0, 10, 6, 5, 4, 3, 3, 2, 2, 1])
    est = viewers_with_flagged_class(f, flagged, sample_rate=P)
    default = unique_viewers(f, sample_rate=P)
    assert est.method == METHOD
    ci, dci = est.confidence_interval, default.confidence_interval
    assert ci.low <= est.estimate <= ci.high
    assert ci.low <= dci.low
    assert ci.high >= dci.high
    assert ci.low >= f[1:].sum()


def test_the_reach_ratio_holds_at_extreme_shapes() -> None:
    """A class at the Poisson limit seen often (a L far past exp's range), and one near -1:
    finite ratios, without overflow."""
    assert _reach_ratio(1e5, 1e-2, P) == pytest.approx(1.0)  # mean 1,000: none unseen
    assert _reach_ratio(1e5, 1e-5, P) == pytest.approx(-np.expm1(-1.0 / P) / -np.expm1(-1.0), rel=1e-5)  # nearly Poisson, mean 1
    assert 1 < _reach_ratio(-0.99, 1e6, P) < 1 / P
