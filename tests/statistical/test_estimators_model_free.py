"""The model-free range covers the complete log's viewers where the exposure models do not:
closed audiences, heavy tails and Gamma populations, unique viewers and 3+ reach."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit.estimators import frequency_counts, k_plus_reach, model_free_reach

RUNS = 15


def _regulars(rng: np.random.Generator) -> np.ndarray:
    """The ``regulars`` closed audience of ``benchmarks/bench_accuracy.py`` (the models run 3-7 %
    low on it at 10 %, their interval covering 1 run in 5)."""
    x = 1 + rng.negative_binomial(0.5, 0.5 / 12.5, 20_000)
    return np.where(rng.random(20_000) < 0.85, x, 0)


def _pareto(rng: np.random.Generator) -> np.ndarray:
    """Pareto rates of tail index 1.5, mean 5 (the models' 3+ reach runs 18 % low at 10 %)."""
    return rng.poisson((rng.pareto(1.5, 50_000) + 1) * 5.0 / 3.0)


def _gamma(rng: np.random.Generator) -> np.ndarray:
    return rng.poisson(rng.gamma(0.5, 10.0, 50_000))


@pytest.mark.slow
def test_model_free_range_covers() -> None:
    """Over 3 populations x 2 rates x 2 values of k x 15 seeded runs (180 ranges), the share that
    covers the truth is not significantly below 95 % (one-sided binomial test at 0.1 %)."""
    covered = total = 0
    for population in (_regulars, _pareto, _gamma):
        for p in (0.1, 0.3):
            for run in range(RUNS):
                rng = np.random.default_rng([run, int(100 * p), len(population.__name__)])
                x = population(rng)
                f = frequency_counts(rng.binomial(x, p))
                for k in (1, 3):
                    found = model_free_reach(f, sample_rate=p, k=k)
                    covered += found.low <= np.count_nonzero(x >= k) <= found.high
                    total += 1
    assert stats.binomtest(covered, total, 0.95, alternative="less").pvalue > 0.001


@pytest.mark.slow
def test_k_plus_reach_covers_where_the_models_misfit() -> None:
    """Pareto exposures at 10 %: every model's 3+ reach runs about 18 % low (covered in no run
    before); where the one-class fit misfits the low counts the default interval takes in the
    model-free range and covers at the nominal rate (one-sided binomial test at 0.1 %)."""
    covered = 0
    for run in range(RUNS):
        rng = np.random.default_rng([run, 24, 3])
        x = _pareto(rng)
        ci = k_plus_reach(frequency_counts(rng.binomial(x, 0.1)), k=3, sample_rate=0.1).confidence_interval
        covered += ci.low <= np.count_nonzero(x >= 3) <= ci.high
    assert stats.binomtest(covered, RUNS, 0.95, alternative="less").pvalue > 0.001
