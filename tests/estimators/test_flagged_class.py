"""The valid rung's viewers with the unflagged invalid accounts as a second class."""

from __future__ import annotations

import numpy as np

from viewaudit._estimators.flagged_class import METHOD, valid_viewers_with_flagged_class
from viewaudit.estimators import frequency_counts, unique_viewers

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


def test_too_few_flagged_accounts_give_the_default() -> None:
    """One flagged account, or none seen twice, describes no class: the default estimate."""
    f = np.array([0, 300, 40, 9, 2])
    default = unique_viewers(f, sample_rate=P)
    for flagged in ([0, 1], [0, 5], [0, 0, 0]):
        assert valid_viewers_with_flagged_class(f, flagged, sample_rate=P) == default


def test_a_complete_log_is_counted() -> None:
    f = np.array([0, 30, 4])
    est = valid_viewers_with_flagged_class(f, [0, 3, 2], sample_rate=1.0)
    assert est.estimate == est.confidence_interval.low == est.confidence_interval.high == 34


def test_interval_holds_the_estimate_and_the_default() -> None:
    """The interval takes in the default's and never goes below the viewers seen."""
    complete, sampled = _sample(np.random.default_rng(20261207), 5_000, 350, shape=0.3, mean=4.0, activity=5.0)
    f, flagged, _ = _tables(complete, sampled, 175)
    est = valid_viewers_with_flagged_class(f, flagged, sample_rate=P)
    default = unique_viewers(f, sample_rate=P)
    assert est.method == METHOD
    ci, dci = est.confidence_interval, default.confidence_interval
    assert ci.low <= est.estimate <= ci.high
    assert ci.low <= dci.low
    assert ci.high >= dci.high
    assert ci.low >= f[1:].sum()
