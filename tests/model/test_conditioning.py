"""The pieces of conditioning: weighted quantiles, Kish's effective sample size, the log-normal
observation density and the predicted counters."""

from __future__ import annotations

import math

import numpy as np
import pytest

import viewaudit as va
from viewaudit._model._conditioning import (
    effective_sample_size,
    log_likelihood,
    normalised_weights,
    predicted_counts,
    weighted_quantiles,
)


def test_equal_weights_give_the_plain_inverse_distribution_function():
    """With equal weights the quantiles are the order statistics np.quantile's 'inverted_cdf' gives."""
    values = np.random.default_rng(1).normal(size=101)
    weights = np.ones(101)
    probabilities = [0.025, 0.5, 0.975]
    want = np.quantile(values, probabilities, method="inverted_cdf")
    assert weighted_quantiles(values, weights, probabilities) == pytest.approx(list(want))


def test_integer_weights_are_repeats():
    """A weight of 3 counts like three copies of the value."""
    got = weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 1.0]), [0.1, 0.5, 0.9])
    want = np.quantile([1.0, 2.0, 2.0, 2.0, 3.0], [0.1, 0.5, 0.9], method="inverted_cdf")
    assert got == list(want)


def test_kish_effective_sample_size():
    """Equal weights give n; one non-zero weight gives 1; (1, 1, 2, 0) gives 16 / 6."""
    assert effective_sample_size(np.full(50, 0.02)) == pytest.approx(50)
    assert effective_sample_size(np.array([0.0, 1.0, 0.0])) == 1
    assert effective_sample_size(np.array([1.0, 1.0, 2.0, 0.0])) == pytest.approx(16 / 6)


def test_weights_from_logs_do_not_overflow():
    """Logs far below zero still give weights that sum to 1 in the right ratio."""
    weights = normalised_weights([-1000.0, -1000.0 + math.log(3)])
    assert weights == pytest.approx([0.25, 0.75])


def test_the_observation_density_is_log_normal():
    """A prediction off by a factor e**0.5 (one sd of the log) costs half a unit of log density per counter."""
    observed = {"likes": math.e**0.5 * 1e9 - 1}
    assert log_likelihood(observed, {"likes": 1e9 - 1}) == pytest.approx(-0.5)
    assert log_likelihood({"likes": 5.0}, {"likes": 5.0}) == 0


def test_predicted_likes_add_up_over_every_render():
    """The predicted likes are the expected liked impressions over all renders: people, bots and authors."""
    model = va.FeedModel(viewers=1_000_000, exposure=va.Exposure(mean=3.0, shape=0.5))
    interaction = model.interactions[0]
    predicted = predicted_counts(model, ["likes"])["likes"]
    # Every render gets a like with its dwell-dependent chance; between the two rates by construction.
    assert 3e6 * interaction.not_attended < predicted < 3e6 * interaction.attended
    liked = va.expected_ladder(
        model,
        policy=va.Policy(
            name="all",
            use_bot_flag=False,
            bot_user_agents=(),
            exclude_self_views=False,
            min_visible_fraction=0.0,
            min_in_view_ms=0.0,
            interactions=("liked",),
        ),
    )
    assert predicted == pytest.approx(liked.ladder["engaged"].impressions.estimate)
