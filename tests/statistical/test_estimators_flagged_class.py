"""The flagged-class estimate of a sampled valid rung is unbiased where unflagged heavy
accounts made the one-class estimate lean high (seeded Monte Carlo)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from viewaudit import DegenerateDataWarning
from viewaudit._estimators.flagged_class import valid_viewers_with_flagged_class
from viewaudit.estimators import frequency_counts

pytestmark = pytest.mark.slow

P = 0.1


def _sample(rng: np.random.Generator, people: int, bots: int, *, shape: float, mean: float, activity: float) -> tuple:
    """Complete-log and sampled counts of ``people + bots`` accounts, the bots last and
    ``activity`` times as exposed."""
    rates = rng.gamma(shape, mean / shape, people + bots)
    rates[people:] *= activity
    complete = rng.poisson(rates)
    return complete, rng.binomial(complete, P)


def _tables(complete: np.ndarray, sampled: np.ndarray, flagged: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The valid rung's table (all but the last ``flagged`` accounts), the flagged accounts'
    table, and the complete log's valid viewers."""
    valid, caught = sampled[:-flagged], sampled[-flagged:]
    return frequency_counts(valid[valid > 0]), frequency_counts(caught[caught > 0]), int(np.count_nonzero(complete[:-flagged]))


def test_unflagged_heavy_accounts_do_not_bias_the_estimate() -> None:
    """x-openai-2023's valid rung: people with Gamma(shape 0.3, mean 4) rates and 3.5 % of
    accounts bots five times as exposed, as many again flagged; 10 % samples of about 1,100
    viewers. The mean relative error of 40 seeded runs is within three of its standard errors
    of zero (the one-class default leaned +1.6 %, standard error 0.8 %, on 100 such runs)."""
    rng = np.random.default_rng(20261207)
    errors = []
    for _ in range(40):
        complete, sampled = _sample(rng, 5_000, 350, shape=0.3, mean=4.0, activity=5.0)
        f, flagged, truth = _tables(complete, sampled, 175)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            errors.append(valid_viewers_with_flagged_class(f, flagged, sample_rate=P).estimate / truth - 1)
    mean, se = float(np.mean(errors)), float(np.std(errors, ddof=1) / np.sqrt(len(errors)))
    assert abs(mean) < 3 * se, (mean, se)
