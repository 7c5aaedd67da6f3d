"""Totals of sampled logs in seeded Monte-Carlo runs: coverage under Poisson sampling (the fast
checks: ``tests/estimators/test_sampling.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit.estimators import WeightSums, horvitz_thompson_total, total_from_sample_rate


@pytest.mark.slow
def test_coverage_under_poisson_sampling() -> None:
    """Rows kept independently with unequal probabilities: the 95 % Horvitz-Thompson interval
    covers the total at the nominal rate, and the exact sample-rate interval at least at it,
    within three binomial standard errors of the coverage estimate."""
    rng = np.random.default_rng(1)
    y = rng.poisson(3.0, 5000).astype(float)
    pi = np.clip(rng.beta(2, 8, 5000), 0.02, 1.0)
    truth = y.sum()
    runs, ht_hits, exact_hits = 1000, 0, 0
    for _ in range(runs):
        keep = rng.random(5000) < pi
        ci = horvitz_thompson_total(WeightSums.from_arrays(1 / pi[keep], y[keep])).confidence_interval
        ht_hits += ci.low <= truth <= ci.high
        kept = rng.binomial(5000, 0.1)
        ci = total_from_sample_rate(kept, sample_rate=0.1).confidence_interval
        exact_hits += ci.low <= 5000 <= ci.high
    se = np.sqrt(0.95 * 0.05 / runs)
    assert abs(ht_hits / runs - 0.95) <= 3 * se
    assert exact_hits / runs >= 0.95 - 3 * se
