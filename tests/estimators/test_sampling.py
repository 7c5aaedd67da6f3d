"""Totals of sampled logs: Horvitz-Thompson from weight sums, and from a known sampling rate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit._scan.summary import WEIGHT2_SCALE, WEIGHT_SCALE
from viewaudit.estimators import WeightSums, horvitz_thompson_total, total_from_sample_rate


def test_horvitz_thompson_sums() -> None:
    """Estimate sum w y; variance sum w (w - 1) y^2; observed floor sum y."""
    w = np.array([1.0, 2.0, 10.0, 4.0])
    y = np.array([3.0, 0.0, 1.0, 2.0])
    est = horvitz_thompson_total(WeightSums.from_arrays(w, y))
    assert est.estimate == pytest.approx(np.sum(w * y))
    assert est.standard_error == pytest.approx(np.sqrt(np.sum(w * (w - 1) * y * y)))
    assert est.observed == pytest.approx(y.sum())
    assert est.confidence_interval.low >= y.sum()


def test_weight_sums_merge_law() -> None:
    """Sums of a union are the merged sums of its parts."""
    rng = np.random.default_rng(0)
    w, y = 1 + rng.exponential(5, 100), rng.poisson(2, 100).astype(float)
    whole = WeightSums.from_arrays(w, y)
    merged = WeightSums.from_arrays(w[:30], y[:30]).merge(WeightSums.from_arrays(w[30:], y[30:]))
    for name in ("count", "weighted", "weighted_sq", "weighted_y2"):
        assert getattr(merged, name) == pytest.approx(getattr(whole, name))


def test_indicator_sums_from_the_core_summary_columns() -> None:
    """The core summary's fixed-point weight columns give the row-level sums of indicators."""
    w = np.array([2.0, 2.0, 5.0, 1.25])
    wq = np.rint(w * WEIGHT_SCALE).sum()
    w2q = np.rint(w * w * WEIGHT2_SCALE).sum()
    from_summary = WeightSums.from_indicator_sums(w.size, wq / WEIGHT_SCALE, w2q / WEIGHT2_SCALE)
    from_rows = WeightSums.from_arrays(w)
    assert horvitz_thompson_total(from_summary) == horvitz_thompson_total(from_rows)


def test_vectorised_over_groups() -> None:
    """Array sums give one estimate per group."""
    sums = WeightSums.from_indicator_sums([3, 0], [30.0, 0.0], [300.0, 0.0])
    est = horvitz_thompson_total(sums)
    np.testing.assert_allclose(est.estimate, [30.0, 0.0])
    np.testing.assert_allclose(est.confidence_interval.low, [max(3.0, 30 - 1.959963984540054 * np.sqrt(270)), 0.0])


@pytest.mark.parametrize("count", [0, 1, 3, 10, 57])
@pytest.mark.parametrize("p", [0.1, 0.37])
def test_exact_interval_is_the_binomial_confidence_set(count: int, p: float) -> None:
    """The exact interval is {N : P(Bin(N, p) >= c) >= a/2 and P(Bin(N, p) <= c) >= a/2}."""
    est = total_from_sample_rate(count, sample_rate=p)
    grid = np.arange(count, int(count / p * 4) + 100)
    keep = (stats.binom.sf(count - 1, grid, p) >= 0.025) & (stats.binom.cdf(count, grid, p) >= 0.025)
    assert (est.confidence_interval.low, est.confidence_interval.high) == (grid[keep].min(), grid[keep].max())
    assert est.estimate == pytest.approx(count / p)


def test_complete_log_is_exact() -> None:
    """sample_rate = 1: the count, exactly."""
    est = total_from_sample_rate(42, sample_rate=1.0)
    assert est.estimate == est.confidence_interval.low == est.confidence_interval.high == 42


def test_normal_interval_is_horvitz_thompson_with_equal_weights() -> None:
    """With weight 1/p on every row the two routes agree."""
    a = total_from_sample_rate(120, sample_rate=0.2, method="normal")
    b = horvitz_thompson_total(WeightSums.from_arrays(np.full(120, 5.0)))
    assert a.estimate == pytest.approx(b.estimate)
    assert a.standard_error == pytest.approx(b.standard_error)
    assert a.confidence_interval.high == pytest.approx(b.confidence_interval.high)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: WeightSums.from_arrays([0.5]), r"weights must be finite and >= 1.*row 0"),
        (lambda: WeightSums.from_arrays([1.0, 2.0], [1.0, -1.0]), r"values must be finite and >= 0; row 1"),
        (lambda: WeightSums.from_arrays([1.0, 2.0], [1.0]), "values must have the shape"),
        (lambda: total_from_sample_rate(-1, sample_rate=0.1), "whole numbers >= 0"),
        (lambda: total_from_sample_rate(2.5, sample_rate=0.1), "whole numbers >= 0"),
        (lambda: total_from_sample_rate(2, sample_rate=0), r"sample_rate must be in \(0, 1\]"),
        (lambda: total_from_sample_rate(2, sample_rate=0.1, method="wald"), "method must be one of"),
        (lambda: horvitz_thompson_total((1, 2)), "sums must be WeightSums"),
    ],
)
def test_bad_inputs(call, match: str) -> None:  # type: ignore[no-untyped-def]
    """Bad inputs raise with the parameter named."""
    with pytest.raises((ValueError, TypeError), match=match):
        call()
