"""Unique viewers of a sampled closed audience: the Chao1-type bound keeps the default interval
from excluding the truth where every exposure model overshoots (issue 24, item 4)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from viewaudit import DegenerateDataWarning
from viewaudit._ladder.sampled_viewers import complete_log_viewers
from viewaudit.estimators import frequency_counts, unique_viewers

RUNS = 20
RATE = 0.2


def _subscribers(rng: np.random.Generator) -> np.ndarray:
    """20,000 subscribers, all reached: 1 + Poisson of a log-normal rate (median 8, log sd 1.2),
    the ``subscribers`` shape of ``benchmarks/bench_accuracy.py``."""
    return 1 + rng.poisson(rng.lognormal(np.log(8.0), 1.2, 20_000))


@pytest.mark.slow
def test_closed_audience_is_covered() -> None:
    """A 20 % sample of a closed audience (models +5 % high, their interval covering about 1 run
    in 10 before the bound): the default interval, whole log and per group, covers the complete
    log's viewers at the nominal rate within three binomial standard errors."""
    covered_whole, covered_groups = 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for run in range(RUNS):
            rng = np.random.default_rng([run, 24, 4])
            x = _subscribers(rng)
            y = rng.binomial(x, RATE)
            ci = unique_viewers(frequency_counts(y), sample_rate=RATE).confidence_interval
            covered_whole += ci.low <= x.size <= ci.high
            group = np.arange(x.size) % 2  # two groups of 10,000 subscribers
            _, low, high = complete_log_viewers(y, group, 2, sample_rate=RATE)
            covered_groups += bool(np.all((low <= 10_000) & (high >= 10_000)))
    floor = RUNS * (0.95 - 3 * np.sqrt(0.95 * 0.05 / RUNS))
    assert covered_whole >= floor
    assert covered_groups >= floor
