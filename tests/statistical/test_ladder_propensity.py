"""The propensity estimate of viewers seen only in undetermined rows, in seeded Monte-Carlo runs:
its interval covers the truth at its nominal rate (the fast checks: ``tests/ladder/test_propensity.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.propensity import estimate, population


@pytest.mark.slow
def test_interval_covers_the_truth_at_its_nominal_rate():
    """Seeded replicates of a smaller two-kind population: coverage of the 95 % interval within
    three binomial standard errors of 95 %."""
    runs = 40
    covered = 0
    for seed in range(runs):
        pop = population(100 + seed, viewers=6_000)
        _, low, high = estimate(pop)
        covered += low <= pop["truth"] <= high
    se = np.sqrt(0.95 * 0.05 / runs)
    assert covered / runs >= 0.95 - 3 * se, covered
