"""The Chao1-type lower bound under the default interval of a sampled log's unique viewers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from viewaudit import DegenerateDataWarning
from viewaudit._estimators import unseen as _unseen
from viewaudit._ladder.sampled_viewers import _bound_low, complete_log_viewers
from viewaudit.estimators import chao1, frequency_counts, k_plus_reach, model_free_reach, unique_viewers


def _closed(seed: int, p: float) -> np.ndarray:
    """A sample of 5,000 subscribers all reached: 1 + Poisson of a log-normal rate."""
    rng = np.random.default_rng(seed)
    return rng.binomial(1 + rng.poisson(rng.lognormal(np.log(8.0), 1.2, 5_000)), p)


def test_default_low_end_is_the_lower_of_the_models_and_the_bound() -> None:
    """Unique viewers where the one-class fit misfits the singletons and doubletons: the low end is
    the models' low end or the bound's lower limit, the lower; the estimate, the high end and the
    method are the models'; k+ reach (k >= 2) spans the models' interval and the model-free range."""
    f = frequency_counts(_closed(1, 0.2))
    got = unique_viewers(f, sample_rate=0.2)
    models = _unseen._models_reach(f, 0.2, 1, 0.95)
    bound = chao1(f, sample_rate=0.2)
    assert _unseen.low_counts_misfit(f, sample_rate=0.2)
    assert got.confidence_interval.low == min(models.confidence_interval.low, bound.confidence_interval.low)
    assert got.confidence_interval.low < models.confidence_interval.low  # this table: they disagree
    assert (got.estimate, got.confidence_interval.high, got.method) == (
        models.estimate,
        models.confidence_interval.high,
        models.method,
    )
    reach, reach_models = k_plus_reach(f, k=2, sample_rate=0.2), _unseen._models_reach(f, 0.2, 2, 0.95)
    free = model_free_reach(f, sample_rate=0.2, k=2)
    assert reach.estimate == reach_models.estimate
    assert reach.confidence_interval.low == min(reach_models.confidence_interval.low, free.low)
    assert reach.confidence_interval.high == max(reach_models.confidence_interval.high, free.high)


def test_disagreement_is_flagged_where_the_models_lie_above_the_bound() -> None:
    """models_above_bound: true where the models' low end is above the bound's upper limit (a
    closed audience; 20,000 viewers of exactly 5 impressions, where the bound is exact and the
    models, whose rates are continuous, say 22,839 [22,456, 23,231]: the default interval then
    covers 20,000), false where they overlap (300 people of Gamma-Poisson exposure at 30 %) and
    on edge tables."""
    assert _unseen.models_above_bound(frequency_counts(_closed(1, 0.2)), sample_rate=0.2)
    equal = frequency_counts(np.random.default_rng(2).binomial(np.full(20_000, 5), 0.2))
    assert _unseen.models_above_bound(equal, sample_rate=0.2)
    ci = unique_viewers(equal, sample_rate=0.2).confidence_interval
    assert ci.low <= 20_000 <= ci.high
    rng = np.random.default_rng(4)
    small = frequency_counts(rng.binomial(rng.poisson(rng.gamma(0.5, 12.0, 300)), 0.3))
    assert not _unseen.models_above_bound(small, sample_rate=0.3)
    assert not _unseen.models_above_bound([0, 5, 2], sample_rate=1.0)
    assert not _unseen.models_above_bound([0], sample_rate=0.2)


@pytest.mark.parametrize("f", [[0, 40, 10, 5, 2], [0, 3, 0, 1], [0, 0, 4, 2], [0, 1], [0, 7]])
def test_group_bound_is_chao1_sampled(f: list[int]) -> None:
    """The per-group bound's lower limit is chao1(f, sample_rate=p)'s, singletons or not."""
    table = np.array([*f, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        want = chao1(table, sample_rate=0.1).confidence_interval.low
    got = _bound_low(np.array([table.sum()], dtype=float), np.array([table[1]], float), np.array([table[2]], float), 0.1, 0.95)
    assert got[0] == pytest.approx(want, rel=1e-12)


def test_group_low_end_never_above_the_bound() -> None:
    """Per group (complete_log_viewers, many groups), where the pooled table misfits the one
    class's low counts, the low end is at most the group's bound's lower limit."""
    y = _closed(3, 0.1)
    assert _unseen.low_counts_misfit(frequency_counts(y), sample_rate=0.1)
    group = np.arange(y.size) % 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        _, low, _ = complete_log_viewers(y, group, 7, sample_rate=0.1)
        for g in range(7):
            bound = chao1(frequency_counts(y[group == g]), sample_rate=0.1).confidence_interval.low
            assert low[g] <= bound * (1 + 1e-12)


def test_no_bound_where_the_one_class_fits_the_low_counts() -> None:
    """A Gamma-Poisson sample (20,000 people, shape 0.5, at 10 %): the fit's singletons and
    doubletons match, and the default interval is the models' (the bound would widen it
    several-fold); misfit edge cases (complete log, one distinct count) are false."""
    rng = np.random.default_rng(8)
    f = frequency_counts(rng.binomial(rng.poisson(rng.gamma(0.5, 10.0, 20_000)), 0.1))
    assert not _unseen.low_counts_misfit(f, sample_rate=0.1)
    assert unique_viewers(f, sample_rate=0.1) == _unseen._models_reach(f, 0.1, 1, 0.95)
    assert chao1(f, sample_rate=0.1).confidence_interval.low < unique_viewers(f, sample_rate=0.1).confidence_interval.low
    assert not _unseen.low_counts_misfit([0, 5, 2], sample_rate=1.0)
    assert not _unseen.low_counts_misfit([0, 9], sample_rate=0.1)
