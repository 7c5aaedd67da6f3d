"""The model-free range of a sampled log's viewers: exact cases, bounds and bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from viewaudit.estimators import frequency_counts, model_free_reach


def test_complete_log_is_exact() -> None:
    """At p = 1 both ends are the viewers seen k or more times."""
    f = frequency_counts([1, 1, 2, 3, 5])
    found = model_free_reach(f, sample_rate=1.0, k=2)
    assert (found.low, found.high) == (3.0, 3.0)


def test_nothing_seen_has_no_upper_end() -> None:
    """With no viewer seen the sample bounds nothing above: 0 to infinity."""
    found = model_free_reach([0], sample_rate=0.1)
    assert found.low == 0.0
    assert math.isinf(found.high)


def test_singletons_cap_the_audience() -> None:
    """Every viewer seen once: at most the singletons' upper Poisson limit over p people had one
    impression, plus the few with many impressions that the empty 'seen twice or more' bin allows."""
    n, p, level = 500, 0.1, 0.95
    found = model_free_reach([0, n], sample_rate=p, confidence_level=level)
    alpha = (1 - level) / 2  # two bins: seen once, seen more than once
    singletons_high = stats.chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2
    empty_high = stats.chi2.ppf(1 - alpha / 2, 2) / 2
    assert singletons_high / p <= found.high <= singletons_high / p + empty_high + 1e-6
    assert found.low >= n


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_range_holds_the_seen_and_narrows_with_k(p: float) -> None:
    """The low end is never below the viewers seen k times; the range of 3+ viewers lies at or
    below that of all viewers."""
    rng = np.random.default_rng(7)
    y = rng.binomial(rng.poisson(rng.gamma(0.8, 6.0, 20_000)), p)
    f = frequency_counts(y[y > 0])
    one, three = model_free_reach(f, sample_rate=p), model_free_reach(f, sample_rate=p, k=3)
    assert one.low >= np.count_nonzero(y)
    assert three.low >= np.count_nonzero(y >= 3)
    assert three.low <= one.low
    assert three.high <= one.high
    assert one.confidence_interval.low == one.low


def test_a_smaller_sample_gives_a_wider_range() -> None:
    """The same audience sampled at 30 % and at 10 %: the 10 % range is wider relative to the truth."""
    rng = np.random.default_rng(3)
    x = rng.poisson(rng.gamma(0.5, 10.0, 30_000))
    widths = []
    for p in (0.3, 0.1):
        found = model_free_reach(frequency_counts(rng.binomial(x, p)), sample_rate=p)
        widths.append((found.high - found.low) / np.count_nonzero(x))
    assert widths[1] > widths[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sample_rate": 0.0}, ValueError, "sample_rate"),
        ({"sample_rate": 0.1, "k": 0}, ValueError, "k"),
        ({"sample_rate": 0.1, "confidence_level": 1.0}, ValueError, "confidence_level"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, float], error: type[Exception], match: str) -> None:
    """Bad parameters raise an error naming the parameter."""
    with pytest.raises(error, match=match):
        model_free_reach([0, 3, 1], **kwargs)  # type: ignore[arg-type]
