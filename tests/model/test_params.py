"""Feed model parameters: validation messages, round trips, scaling, and the dwell components'
sampling against their survival functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import viewaudit as va
from viewaudit._model._simulate import alias_table, draw_alias

GOOD_DWELL = va.DwellMixture(glance_weight=0.5, glance=va.Weibull(scale_s=1, shape=0.7), read=va.LogNormal(median_s=8, sigma=1))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: va.Exposure(mean=0, shape=1), ValueError, r"Exposure\.mean must be a finite number > 0, got 0\.0"),
        (lambda: va.Exposure(mean=-1, shape=1), ValueError, r"Exposure\.mean must be a finite number > 0, got -1\.0"),
        (lambda: va.Exposure(mean=math.nan, shape=1), ValueError, r"Exposure\.mean must be a finite number > 0, got nan"),
        (lambda: va.Exposure(mean=1, shape=math.inf), ValueError, r"Exposure\.shape must be a finite number > 0, got inf"),
        (lambda: va.Exposure(mean="3", shape=1), TypeError, r"Exposure\.mean must be a real number, got '3'"),
        (lambda: va.Exposure(mean=True, shape=1), TypeError, r"Exposure\.mean must be a real number, got True"),
        (lambda: va.LogNormal(median_s=0, sigma=1), ValueError, r"LogNormal\.median_s must be a finite number > 0"),
        (lambda: va.LogNormal(median_s=1, sigma=-0.1), ValueError, r"LogNormal\.sigma must be a finite number > 0, got -0\.1"),
        (lambda: va.Weibull(scale_s=1, shape=0), ValueError, r"Weibull\.shape must be a finite number > 0, got 0\.0"),
        (
            lambda: va.DwellMixture(zero=1.5, glance_weight=0.5, glance=GOOD_DWELL.glance, read=GOOD_DWELL.read),
            ValueError,
            r"DwellMixture\.zero must be a finite number in \[0, 1\], got 1\.5",
        ),
        (
            lambda: va.DwellMixture(glance_weight=-0.1, glance=GOOD_DWELL.glance, read=GOOD_DWELL.read),
            ValueError,
            r"DwellMixture\.glance_weight must be a finite number in \[0, 1\]",
        ),
        (
            lambda: va.DwellMixture(glance_weight=0.5, glance=1.0, read=GOOD_DWELL.read),
            TypeError,
            r"DwellMixture\.glance must be a LogNormal or Weibull, got 1\.0",
        ),
        (lambda: va.Visibility(alpha=0), ValueError, r"Visibility\.alpha must be a finite number > 0, got 0\.0"),
        (
            lambda: va.Visibility(in_view_share=0),
            ValueError,
            r"Visibility\.in_view_share must be a finite number in \(0, 1\], got 0\.0",
        ),
        (
            lambda: va.Visibility(in_view_share=1.01),
            ValueError,
            r"Visibility\.in_view_share must be a finite number in \(0, 1\], got 1\.01",
        ),
        (
            lambda: va.Interaction(column="liked", attended=1.2, not_attended=0),
            ValueError,
            r"Interaction\.attended must be a finite number in \[0, 1\], got 1\.2",
        ),
        (
            lambda: va.Interaction(column="liked", attended=0.1, not_attended=0, attention_s=-1),
            ValueError,
            r"Interaction\.attention_s must be a finite number >= 0, got -1\.0",
        ),
        (
            lambda: va.Interaction(column="dwell_ms", attended=0.1, not_attended=0),
            ValueError,
            r"Interaction\.column must be an identifier that is not a canonical column .*got 'dwell_ms'",
        ),
        (
            lambda: va.Interaction(column="two words", attended=0.1, not_attended=0),
            ValueError,
            r"Interaction\.column must be an identifier .*got 'two words'",
        ),
        (
            lambda: va.Interaction(column=3, attended=0.1, not_attended=0),
            TypeError,
            r"Interaction\.column must be a column name \(str\), got 3",
        ),
        (lambda: va.Bots(share=1.1), ValueError, r"Bots\.share must be a finite number in \[0, 1\], got 1\.1"),
        (lambda: va.Bots(activity=0), ValueError, r"Bots\.activity must be a finite number > 0, got 0\.0"),
        (lambda: va.Bots(user_agents=()), ValueError, r"Bots\.user_agents must hold at least 1 string\(s\), got \(\)"),
        (lambda: va.Bots(user_agents="curl/8"), TypeError, r"Bots\.user_agents must be a tuple of strings, got 'curl/8'"),
        (lambda: va.Bots(dwell=0.1), TypeError, r"Bots\.dwell must be a LogNormal or Weibull, got 0\.1"),
        (
            lambda: va.Measurement(measurable=-0.1),
            ValueError,
            r"Measurement\.measurable must be a finite number in \[0, 1\], got -0\.1",
        ),
        (
            lambda: va.Measurement(censoring_mean_s=0),
            ValueError,
            r"Measurement\.censoring_mean_s must be a finite number > 0, got 0\.0",
        ),
        (lambda: va.Measurement(rounding_ms=-1), ValueError, r"Measurement\.rounding_ms must be a finite number >= 0, got -1\.0"),
        (
            lambda: va.Measurement(sampling_rate=0),
            ValueError,
            r"Measurement\.sampling_rate must be a finite number in \(0, 1\], got 0\.0",
        ),
        (lambda: va.FeedModel(viewers=0), ValueError, r"FeedModel\.viewers must be an integer >= 1, got 0"),
        (lambda: va.FeedModel(viewers=2.5), TypeError, r"FeedModel\.viewers must be an integer, got 2\.5"),
        (lambda: va.FeedModel(viewers="10"), TypeError, r"FeedModel\.viewers must be an integer, got '10'"),
        (lambda: va.FeedModel(viewers=10, items=0), ValueError, r"FeedModel\.items must be an integer >= 1, got 0"),
        (
            lambda: va.FeedModel(viewers=10, self_view_share=1.0),
            ValueError,
            r"FeedModel\.self_view_share must be a finite number in \[0, 1\), got 1\.0",
        ),
        (
            lambda: va.FeedModel(viewers=10, item_popularity=-1),
            ValueError,
            r"FeedModel\.item_popularity must be a finite number >= 0, got -1\.0",
        ),
        (
            lambda: va.FeedModel(viewers=10, period_days=0),
            ValueError,
            r"FeedModel\.period_days must be a finite number > 0, got 0\.0",
        ),
        (lambda: va.FeedModel(viewers=10, exposure=(3, 1)), TypeError, r"FeedModel\.exposure must be an Exposure, got \(3, 1\)"),
        (
            lambda: va.FeedModel(viewers=10, user_agents=("ok", "")),
            TypeError,
            r"FeedModel\.user_agents must hold non-empty strings, got ''",
        ),
        (
            lambda: va.FeedModel(viewers=10, interactions=(va.Interaction(column="liked", attended=0.1, not_attended=0),) * 2),
            ValueError,
            r"FeedModel\.interactions must name distinct columns, got 'liked' twice",
        ),
        (
            lambda: va.FeedModel(viewers=10, interactions=("liked",)),
            TypeError,
            r"FeedModel\.interactions must hold Interaction objects, got 'liked'",
        ),
        (lambda: va.FeedModel(viewers=10).scaled(), ValueError, r"scaled needs exactly one of impressions or viewers"),
        (lambda: va.FeedModel(viewers=10).scaled(impressions=-5), ValueError, r"impressions must be a finite number > 0, got -5"),
    ],
)
def test_invalid_parameters_raise_naming_the_field(build, error, match):
    """A bad parameter raises ValueError (bad value) or TypeError (bad type) naming the field,
    the requirement and the value."""
    with pytest.raises(error, match=match):
        build()


def test_numbers_are_normalised():
    """Integers and numpy numbers become floats; a whole float count becomes an int."""
    model = va.FeedModel(viewers=1e6, exposure=va.Exposure(mean=np.int64(3), shape=np.float32(0.5)))
    assert model.viewers == 1_000_000
    assert isinstance(model.viewers, int)
    assert isinstance(model.exposure.mean, float)
    assert model.exposure.mean == 3.0


def test_to_dict_round_trips():
    """``FeedModel.from_dict(model.to_dict())`` gives the model back, every scenario included."""
    for scenario in va.scenarios().values():
        model = scenario.model
        assert va.FeedModel.from_dict(model.to_dict()) == model
    with pytest.raises(ValueError, match=r"unknown FeedModel key\(s\) colour"):
        va.FeedModel.from_dict({"viewers": 3, "colour": "red"})


def test_scaled_sizes_the_population_for_the_impressions():
    """``scaled(impressions=n)`` picks the population whose expected rendered impressions are n."""
    model = va.FeedModel(
        viewers=1, exposure=va.Exposure(mean=2.5, shape=0.4), bots=va.Bots(share=0.2, activity=4), self_view_share=0.05
    )
    scaled = model.scaled(impressions=1e7)
    expected = va.expected_ladder(scaled, policy="platform").ladder["rendered"].impressions.estimate
    assert abs(expected - 1e7) <= model.impressions_per_viewer  # rounding to whole accounts
    assert model.scaled(viewers=7).viewers == 7


def test_bot_account_share_gives_the_impression_share():
    """Bot accounts, weighted by their activity, make up ``Bots.share`` of the impressions."""
    bots = va.Bots(share=0.3, activity=6.0)
    b = bots.account_share
    assert b * bots.activity / (b * bots.activity + 1 - b) == pytest.approx(0.3)
    assert va.Bots(share=0.0).account_share == 0.0
    assert va.Bots(share=1.0).account_share == 1.0


@pytest.mark.parametrize(
    "component",
    [va.LogNormal(median_s=2.0, sigma=0.8), va.Weibull(scale_s=1.5, shape=0.6), va.Weibull(scale_s=0.1, shape=1.0)],
)
def test_component_sampling_matches_its_survival_function(component):
    """numpy draws of a component follow the scipy distribution the closed form uses (KS test)."""
    draws = component.sample(np.random.default_rng(7), 20_000)
    assert stats.kstest(draws, component.distribution().cdf).pvalue > 1e-3
    t = np.array([0.3, 1.0, 4.0])
    np.testing.assert_allclose(component.sf(t), component.distribution().sf(t))
    assert np.mean(draws) == pytest.approx(component.mean_s, rel=0.05)


def test_mixture_sampling_matches_its_survival_function():
    """The mixture's draws have its zero mass and survival function."""
    mixture = va.DwellMixture(
        zero=0.1, glance_weight=0.6, glance=va.Weibull(scale_s=0.8, shape=0.7), read=va.LogNormal(median_s=9, sigma=1.1)
    )
    n = 50_000
    draws = mixture.sample(np.random.default_rng(3), n)
    for t in (0.5, 2.0, 10.0):
        p = float(mixture.sf(t))
        assert abs(np.mean(draws >= t) - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert abs(np.mean(draws == 0) - 0.1) < 4 * math.sqrt(0.09 / n)
    assert float(mixture.sf(0.0)) == 1.0
    assert mixture.mean_s == pytest.approx(0.9 * (0.6 * mixture.glance.mean_s + 0.4 * mixture.read.mean_s))


def test_alias_table_reproduces_the_shares_exactly():
    """Walker's alias table implies exactly the shares it was built from, and draws follow them."""
    shares = np.arange(1, 301, dtype=float) ** -1.1
    shares /= shares.sum()
    keep, alias = alias_table(shares)
    implied = keep / shares.size + np.bincount(alias, weights=(1 - keep) / shares.size, minlength=shares.size)
    np.testing.assert_allclose(implied, shares, atol=1e-15)
    n = 200_000
    counts = np.bincount(draw_alias(np.random.default_rng(5), keep, alias, n), minlength=shares.size)
    assert stats.chisquare(counts, shares * n).pvalue > 1e-3
