"""The dwell mixture in seeded Monte-Carlo runs: coverage of the survival interval (the fast
checks: ``tests/estimators/test_dwell.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit.estimators import DwellHistogram, fit_dwell


@pytest.mark.slow
def test_survival_interval_coverage() -> None:
    """95 % delta intervals for P(dwell >= 2 s) cover the truth in 95 % of seeded runs, within
    three binomial standard errors of the coverage estimate."""
    runs, n = 300, 2000
    sigma, mu = 1.2, np.log(2500.0)
    truth = 0.95 * stats.norm.sf((np.log(2000.0) - mu) / sigma)
    hits = 0
    for seed in range(runs):
        rng = np.random.default_rng(10_000 + seed)
        dwell = np.where(rng.random(n) < 0.05, 0.0, rng.lognormal(mu, sigma, n))
        end = rng.exponential(8000.0, n)
        hist = DwellHistogram.from_arrays(np.minimum(dwell, end), dwell > end)
        ci = fit_dwell(hist).survival(2000.0).confidence_interval
        hits += ci.low <= truth <= ci.high
    se = np.sqrt(0.95 * 0.05 / runs)
    assert hits / runs >= 0.95 - 3 * se
