"""claim with public counters: the draws weighted by how well they predict the counters, with
the effective sample size, the same figures as before without counters, and named errors."""

from __future__ import annotations

import warnings

import pytest

import viewaudit as va
from viewaudit._model._conditioning import OBSERVATION_SD


def _figure(result, level, kind="impressions"):
    return getattr(result.ladder[level], kind)


def test_more_likes_give_a_higher_engaged_estimate():
    """More likes move the engaged estimate and interval up, and attended impressions not down."""
    few = va.claim(1.3e9, platform="x", likes=3e6, samples=256)
    many = va.claim(1.3e9, platform="x", likes=1.2e7, samples=256)
    assert _figure(many, "engaged").estimate > 1.5 * _figure(few, "engaged").estimate
    assert _figure(many, "engaged").low > _figure(few, "engaged").low
    assert _figure(many, "engaged").high > _figure(few, "engaged").high
    assert _figure(many, "attended").estimate >= _figure(few, "attended").estimate


def test_the_estimate_is_the_weighted_median_inside_its_interval():
    """Every conditioned figure has low <= estimate <= high, none negative; the count stays exact."""
    result = va.claim(1.3e9, platform="x", likes=6e6, samples=128)
    for rung in result.ladder:
        for kind in ("impressions", "unique_viewers"):
            figure = getattr(rung, kind)
            assert 0 <= figure.low <= figure.estimate <= figure.high
    assert _figure(result, "rendered").exact
    assert _figure(result, "rendered").estimate == 1.3e9
    assert result.widened == ()
    assert "weighted median" in result.method


def test_the_same_seed_gives_the_same_result():
    """Two runs with the same seed and counters give the same JSON."""
    first = va.claim(5e8, platform="x", likes=2.5e6, samples=256, rng=3).to_dict()
    second = va.claim(5e8, platform="x", likes=2.5e6, samples=256, rng=3).to_dict()
    assert first == second


def test_no_counters_give_the_unconditioned_result():
    """Without counters (or with all None) the result is the one of claim before counters existed."""
    plain = va.claim(1.3e9, platform="x", samples=64).to_dict()
    nones = va.claim(1.3e9, platform="x", likes=None, reposts=None, samples=64).to_dict()
    want = va.expected_ladder_ranges("x-openai-2023", samples=64).to_dict()
    assert plain == nones
    assert plain["ladder"] == want["ladder"]
    assert "conditioning" not in plain
    assert va.claim(1.3e9, platform="x", samples=64).effective_sample_size is None


def test_the_json_reports_counters_observation_model_and_ess():
    """The JSON names the counters, the log-normal observation model and Kish's effective sample size."""
    result = va.claim(1.3e9, platform="x", likes=6e6, samples=128)
    conditioning = result.to_dict()["conditioning"]
    assert conditioning["counters"] == {"likes": 6e6}
    assert conditioning["observation_model"]["family"] == "log-normal"
    assert conditioning["observation_model"]["sd_log"] == OBSERVATION_SD
    assert conditioning["observation_model"]["source"].startswith("Assumption:")
    assert conditioning["estimate"] == "weighted median"
    # Likes near the prior's prediction keep most of the draws.
    assert 64 < conditioning["effective_sample_size"] <= 128
    assert conditioning["effective_sample_size"] == result.effective_sample_size


def test_unlikely_counters_warn_of_few_effective_draws():
    """Likes at the edge of what the ranges predict leave few effective draws (10 to 100), and a
    warning says so."""
    with pytest.warns(va.DegenerateDataWarning, match=r"effective draws of 64 \(< 100\)"):
        result = va.claim(1.3e9, platform="x", likes=2_000_000, samples=64)
    assert 10 <= result.effective_sample_size < 100


def test_implausible_counters_are_an_error_not_a_precise_interval():
    """Likes far below anything the ranges predict fit one draw or two: the weighted quantiles
    would be that draw, an interval of width zero. That is an error naming the counts."""
    with pytest.raises(ValueError, match=r"\(1,000 likes\) fit almost no draw .* below 10; no interval"):
        va.claim(1.3e9, platform="x", likes=1_000, samples=64)


def test_plausible_counters_with_enough_draws_do_not_warn():
    """Likes the ranges predict, over 1,024 draws, give no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = va.claim(1.3e9, platform="x", likes=6e6)
    assert result.effective_sample_size > 500


def test_zero_likes_are_legal_input():
    """A count of zero passes the input checks; on a million views it fits no draw (every draw
    predicts thousands), which is the counters' error, not the input's."""
    with pytest.raises(ValueError, match=r"\(0 likes\) fit almost no draw"):
        va.claim(1e6, platform="x", likes=0, samples=32)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"likes": -1}, ValueError, r"likes must be a finite count >= 0, got -1"),
        ({"likes": float("nan")}, ValueError, r"likes must be a finite count >= 0, got nan"),
        ({"likes": 2e6}, ValueError, r"likes must be at most the views \(1,000,000\): each needs a view, got 2000000.0"),
        ({"likes": "many"}, TypeError, r"likes must be a number, got 'many'"),
        ({"likes": True}, TypeError, r"likes must be a number, got True"),
        ({"reposts": -10}, ValueError, r"reposts must be a finite count >= 0, got -10"),
        ({"replies": float("inf")}, ValueError, r"replies must be a finite count >= 0, got inf"),
        ({"bookmarks": 3e6}, ValueError, r"bookmarks must be at most the views \(1,000,000\)"),
    ],
)
def test_bad_counters_are_named(kwargs, error, message):
    """A negative, non-finite or non-numeric counter, or one above the views, is named."""
    with pytest.raises(error, match=message):
        va.claim(1e6, platform="x", samples=16, **kwargs)


@pytest.mark.parametrize("likes", [1_000_000, 10_000_000])
def test_engaged_impressions_follow_the_like_count(likes: int) -> None:
    """A like is an engaged impression: with a like count, the engaged rung's whole interval lies
    at or below the count (bots' and authors' likes left out) and above four fifths of it. Before,
    1M likes gave 3.67M [2.13M, 6.19M] engaged impressions, an interval excluding every value the
    count allows."""
    engaged = va.claim(1.3e9, platform="x", likes=likes).ladder["engaged"].impressions
    assert engaged.low is not None
    assert engaged.high is not None
    assert 0.8 * likes <= engaged.low <= engaged.high <= likes
