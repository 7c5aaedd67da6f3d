"""The viewer-clustered bootstrap in seeded Monte-Carlo runs: coverage of an inflation ratio
(the fast checks: ``tests/estimators/test_bootstrap.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit.estimators import ratio_bootstrap

from helpers.bootstrap import _viewers


@pytest.mark.slow
def test_clustered_coverage_of_an_inflation_ratio() -> None:
    """Resampling viewers, the 95 % BCa interval of rendered impressions per attended viewer
    covers the population ratio at the nominal rate within three binomial standard errors."""
    rng = np.random.default_rng(7)
    population = _viewers(rng, 200_000)
    truth = population[0].sum() / population[1].sum()
    runs, hits = 300, 0
    for _ in range(runs):
        pick = rng.integers(0, 200_000, 400)
        ci = ratio_bootstrap(population[0][pick], population[1][pick], n_resamples=999, rng=rng).confidence_interval
        hits += ci.low <= truth <= ci.high
    assert hits / runs >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / runs)
