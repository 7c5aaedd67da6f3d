"""Scenarios: every parameter sourced, the docs in sync, the cited figures reproduced, and the
EB-NeRD calibration refitted from the data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import viewaudit as va
from viewaudit._model._scenarios import EBNERD_CLICK_SHARE, EBNERD_DWELL, EBNERD_REPEATS, PREFIXES, parameter_values

from helpers.scenarios import ROOT, _calibration, _ebnerd


@pytest.mark.parametrize("name", ["x-openai-2023", "news-site", "short-video"])
def test_every_parameter_has_a_source_or_an_assumption(name):
    """Each parameter of a scenario's model is listed with how it was set, and nothing else is."""
    scenario = va.get_scenario(name)
    assert set(scenario.sources) == set(parameter_values(scenario.model))
    for path, text in scenario.sources.items():
        assert text.startswith(PREFIXES), (path, text)


@pytest.mark.parametrize("name", ["x-openai-2023", "news-site", "short-video"])
def test_docs_show_each_scenario_table(name):
    """docs/model.md holds each scenario's parameter table and expected ladder as the code
    produces them."""
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    scenario = va.get_scenario(name)
    assert scenario.to_markdown() in docs
    for rung in va.expected_ladder(scenario.model).ladder:
        assert f"| {rung.level} | {rung.impressions} | {rung.unique_viewers} |" in docs


def test_scenario_lookup():
    """``scenarios()`` lists them; ``get_scenario`` finds one or names the choices."""
    assert list(va.scenarios()) == ["x-openai-2023", "news-site", "short-video"]
    scenario = va.get_scenario("news-site")
    assert va.get_scenario(scenario) is scenario
    with pytest.raises(ValueError, match=r"unknown scenario 'tiktok'; expected one of x-openai-2023, news-site, short-video"):
        va.get_scenario("tiktok")
    with pytest.raises(TypeError, match=r"scenario must be a name \(str\) or a Scenario, got 3"):
        va.get_scenario(3)


def test_x_scenario_reproduces_the_cited_figures():
    """1.3 billion rendered impressions (X, 22 Nov 2023) over five days, counted by the
    platform rule; a person's mean dwell 1.7 s per feed item (Facebook IQ 2016)."""
    scenario = va.get_scenario("x-openai-2023")
    expected = va.expected_ladder(scenario.model, policy=scenario.policy)
    assert expected.views.estimate == pytest.approx(1.3e9, abs=scenario.model.impressions_per_viewer)
    assert scenario.policy.counts_as_view == "rendered"
    assert scenario.model.period_days == 5
    assert scenario.model.dwell.mean_s == pytest.approx(1.7)


def test_news_site_reproduces_the_ebnerd_figures():
    """Clicks on 9.65 % of a person's impressions; 1.5719 impressions per exposed reader; the
    fitted dwell logs 6.13 % zeros when floored to whole seconds."""
    model = va.get_scenario("news-site").model
    (click,) = model.interactions
    attended = float(model.dwell.sf(click.attention_s))
    assert click.attended * attended + click.not_attended * (1 - attended) == pytest.approx(EBNERD_CLICK_SHARE)
    assert pytest.approx(0.0965, abs=5e-5) == EBNERD_CLICK_SHARE
    m, k = model.exposure.mean, model.exposure.shape
    reach = 1 - stats.nbinom.pmf(0, k, k / (k + m))
    assert m / reach == pytest.approx(EBNERD_REPEATS, rel=1e-9)
    zero_reading = EBNERD_DWELL.zero + (1 - EBNERD_DWELL.zero) * (1 - float(EBNERD_DWELL.sf(1.0)) / (1 - EBNERD_DWELL.zero))
    assert zero_reading == pytest.approx(509 / 8303, abs=1e-4)  # 509 zeros among 8,303 readings
    assert model.measurement.rounding_ms == 1000


def test_ebnerd_dwell_refits_to_the_scenario_numbers():
    """Refitting the EB-NeRD read times gives the mixture written into the scenario."""
    seconds = _calibration.read_times(_ebnerd())
    assert seconds.size == 8303
    assert np.mean(seconds == 0) == pytest.approx(0.0613, abs=5e-5)
    fit = _calibration.fit_read_times(seconds, families=("weibull", "lognormal"))
    got, want = fit.mixture, EBNERD_DWELL
    assert type(got.glance) is type(want.glance)
    assert type(got.read) is type(want.read)
    np.testing.assert_allclose(
        [got.zero, got.glance_weight, got.glance.scale_s, got.glance.shape, got.read.median_s, got.read.sigma],
        [want.zero, want.glance_weight, want.glance.scale_s, want.glance.shape, want.read.median_s, want.read.sigma],
        rtol=1e-3,
    )
    assert fit.log_likelihood == pytest.approx(-37793.224, abs=0.01)


def test_ebnerd_repeats_recompute():
    """The mean in-view repeats per (user, article) pair of behaviors.parquet is the scenario's."""
    repeats = _calibration.exposure_repeats(_ebnerd())
    assert repeats.size == 6901
    assert repeats.mean() == pytest.approx(EBNERD_REPEATS, abs=1e-6)


def test_fitting_cdfs_agree_with_scipy_stats():
    """The fitter's special-function CDFs are scipy.stats' log-normal and Weibull."""
    x = np.array([0.5, 1.0, 3.0, 40.0])
    np.testing.assert_allclose(_calibration._cdf("lognormal", 5.0, 1.2, x), stats.lognorm.cdf(x, 1.2, scale=5.0))
    np.testing.assert_allclose(_calibration._cdf("weibull", 5.0, 0.7, x), stats.weibull_min.cdf(x, 0.7, scale=5.0))
    with pytest.raises(ValueError, match="seconds must be whole numbers >= 0"):
        _calibration.fit_read_times([1.5, 2.0])


def test_short_video_carries_the_kuaishou_rules():
    """Valid play > 7 s, long play >= 18 s, not short >= 3 s, as policies of the scenario."""
    rules = {p.name: p for p in va.get_scenario("short-video").policies}
    assert rules["kuaishou-valid-play"].attention_ms == rules["kuaishou-valid-play"].min_in_view_ms == 7000
    assert rules["kuaishou-long-play"].attention_ms == 18000
    assert rules["kuaishou-not-short"].attention_ms == 3000
    model = va.get_scenario("short-video").model
    assert float(model.dwell.glance.sf(3.0)) < 0.15  # swipe-aways are mostly short plays
    assert float(model.dwell.read.sf(7.0)) > 0.7  # plays mostly pass the valid-play mark
