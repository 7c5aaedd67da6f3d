"""Intervals over parameter ranges: seeded, containing the point estimate, wider for a wider
range, and a sensitivity ranking that puts the dominant parameter first."""

from __future__ import annotations

import math

import attrs
import numpy as np
import pytest

import viewaudit as va
from viewaudit._model._ranges import ParameterRange, parameter_value

NAMES = ["x-openai-2023", "news-site", "short-video"]


def _estimates(ranges):
    """Every figure of a result as (name, Estimate)."""
    out = [(f"{r.level}_{kind}", getattr(r, kind)) for r in ranges.ladder for kind in ("impressions", "unique_viewers")]
    out.append(("views", ranges.views))
    out.append(("inflation", ranges.inflation.headline))
    out.extend((f"inflation.{k}", v) for k, v in ranges.inflation.factors.items())
    return out


def _only(scenario, varied):
    """The scenario with every range held at its point value except those given."""
    ranges = {}
    for name, r in scenario.ranges.items():
        if name in varied:
            ranges[name] = varied[name]
        else:
            value = parameter_value(scenario.model, name)
            ranges[name] = ParameterRange(name=name, low=value, high=value, source=r.source)
    return attrs.evolve(scenario, ranges=ranges)


def test_same_seed_same_figures():
    """The same seed gives the same output; another seed other intervals."""
    a = va.expected_ladder_ranges("x-openai-2023", samples=64, rng=3).to_dict()
    b = va.expected_ladder_ranges("x-openai-2023", samples=64, rng=3).to_dict()
    c = va.expected_ladder_ranges("x-openai-2023", samples=64, rng=4).to_dict()
    assert a == b
    assert a["ladder"] != c["ladder"]
    assert a["ladder"][2]["impressions"]["estimate"] == c["ladder"][2]["impressions"]["estimate"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("policy", ["mrc-display", "platform", "trueview"])
def test_intervals_contain_the_point_estimate(name, policy):
    """Every figure's interval holds its estimate, which is the point model's figure, and no end is negative."""
    ranges = va.expected_ladder_ranges(name, policy=policy, samples=32)
    point = va.expected_ladder(va.get_scenario(name).model, policy=policy)
    assert ranges.ladder["attended"].impressions.estimate == point.ladder["attended"].impressions.estimate
    assert ranges.inflation.headline.estimate == point.inflation.headline.estimate
    for figure, e in _estimates(ranges):
        if e.estimate is None:
            continue
        assert 0 <= e.low <= e.estimate <= e.high, figure


def test_the_published_count_is_held():
    """X's 1.3 billion rendered impressions are exact in every draw: the population is re-derived."""
    ranges = va.expected_ladder_ranges("x-openai-2023", policy="platform", samples=32)
    assert ranges.ladder["rendered"].impressions.exact
    assert ranges.views.exact
    assert ranges.views.estimate == pytest.approx(1.3e9, rel=1e-8)
    assert not ranges.ladder["rendered"].unique_viewers.exact
    assert "1,300,000,000 rendered impressions" in ranges.method


def test_a_wider_range_widens_the_interval():
    """Widening the bot share's range widens the interval of valid impressions."""
    scenario = va.get_scenario("x-openai-2023")
    bots = scenario.ranges["bots.share"]
    wider = attrs.evolve(scenario, ranges={**scenario.ranges, "bots.share": attrs.evolve(bots, low=0.01, high=0.6)})
    narrow = va.expected_ladder_ranges(scenario, samples=128).ladder["valid"].impressions
    wide = va.expected_ladder_ranges(wider, samples=128).ladder["valid"].impressions
    assert wide.low < narrow.low
    assert wide.high - wide.low > narrow.high - narrow.low


def test_one_varied_parameter_maps_its_quantiles():
    """With only the bot share varied, valid impressions' interval is the figure at the share's quantiles."""
    scenario = va.get_scenario("news-site")
    share = ParameterRange(name="bots.share", low=0.01, high=0.2, source="Assumption: a test.")
    ranges = va.expected_ladder_ranges(_only(scenario, {"bots.share": share}), samples=1024)
    interval = ranges.ladder["valid"].impressions

    def valid_at(value):
        model = attrs.evolve(scenario.model, bots=attrs.evolve(scenario.model.bots, share=value))
        return va.expected_ladder(model).ladder["valid"].impressions.estimate

    # Scrambled Sobol points are within 1 / 1024 of the uniform quantiles in one dimension.
    assert valid_at(share.value_at(0.975 + 1 / 1024)) <= interval.low <= valid_at(share.value_at(0.975 - 1 / 1024))
    assert valid_at(share.value_at(0.025 + 1 / 1024)) <= interval.high <= valid_at(share.value_at(0.025 - 1 / 1024))


def test_sensitivity_puts_the_dominant_parameter_first():
    """A wide bot-share range moves valid-traffic figures far more than a narrow self-view one."""
    scenario = va.get_scenario("short-video")
    varied = {
        "bots.share": ParameterRange(name="bots.share", low=0.01, high=0.5, source="Assumption: a test."),
        "self_view_share": ParameterRange(name="self_view_share", low=0.0019, high=0.0021, source="Assumption: a test."),
    }
    ranges = va.expected_ladder_ranges(_only(scenario, varied), samples=16)
    for figure in ("viewable_impressions", "attended_unique_viewers"):
        rows = [s for s in ranges.sensitivity if s.figure == figure]
        assert [s.parameter for s in rows] == ["bots.share", "self_view_share"]
        assert rows[0].swing > 10 * rows[1].swing
        assert rows[0].at_low > rows[0].at_high  # more bots, fewer valid figures


def test_sensitivity_rows_are_sorted_and_complete():
    """Each headline figure lists every varied parameter once, largest swing first."""
    scenario = va.get_scenario("x-openai-2023")
    varied = {r.name for r in scenario.ranges.values() if not r.held}
    ranges = va.expected_ladder_ranges(scenario, samples=16)
    for figure in ("viewable_impressions", "attended_unique_viewers", "inflation"):
        rows = [s for s in ranges.sensitivity if s.figure == figure]
        assert {s.parameter for s in rows} == varied
        swings = [s.swing for s in rows]
        assert swings == sorted(swings, reverse=True)
        assert all(math.isfinite(s) for s in swings)


def test_method_is_stated():
    """The result says how its intervals were made."""
    ranges = va.expected_ladder_ranges("short-video", samples=16, rng=5)
    assert "16 scrambled Sobol points" in ranges.method
    assert "seed 5" in ranges.method
    assert ranges.to_dict()["method"] == ranges.method


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"samples": 100}, ValueError, r"samples must be a power of two >= 16 \(Sobol points keep their balance\), got 100"),
        ({"samples": 8}, ValueError, r"samples must be a power of two >= 16"),
        ({"samples": True}, ValueError, r"samples must be a power of two >= 16"),
        ({"confidence_level": 1.5}, ValueError, r"confidence_level must be a number in \(0, 1\), got 1.5"),
        ({"rng": -1}, ValueError, r"rng must be a seed \(an int >= 0\), a numpy Generator or None, got -1"),
        ({"policy": "nope"}, ValueError, r"unknown policy 'nope'"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    """Each bad argument is an error naming it, what was expected and the value."""
    with pytest.raises(error, match=message):
        va.expected_ladder_ranges("news-site", **kwargs)


def test_a_scenario_without_ranges_is_an_error():
    """A scenario built without ranges cannot be given intervals, and says so."""
    bare = attrs.evolve(va.get_scenario("news-site"), ranges={})
    with pytest.raises(ValueError, match=r"scenario 'news-site' has no parameter ranges"):
        va.expected_ladder_ranges(bare)


def test_a_generator_is_accepted():
    """A numpy Generator seeds the scrambling (no seed is then reported)."""
    ranges = va.expected_ladder_ranges("news-site", samples=16, rng=np.random.default_rng(1))
    assert ranges.seed is None
    assert "seeded by the caller's Generator" in ranges.method


def test_an_undetermined_rung_keeps_its_bounds_over_the_ranges():
    """A policy that reads no interaction leaves engaged undetermined: 0 to the top of valid's interval."""
    policy = va.Policy(name="no-interactions", description="reads none", source="a test", interactions=())
    ranges = va.expected_ladder_ranges("news-site", policy=policy, samples=16)
    engaged, valid = ranges.ladder["engaged"], ranges.ladder["valid"]
    assert engaged.impressions.estimate is None
    assert (engaged.impressions.low, engaged.impressions.high) == (0.0, valid.impressions.high)
    assert engaged.unique_viewers.high == valid.unique_viewers.high


def test_scenario_ranges_are_keyed_by_their_names():
    """A Scenario whose ranges map a name to another parameter's range is refused."""
    scenario = va.get_scenario("news-site")
    wrong = {**scenario.ranges, "bots.share": scenario.ranges["bots.activity"]}
    with pytest.raises(
        ValueError, match=r"Scenario.ranges must map each name to a ParameterRange of that name, got 'bots.share'"
    ):
        attrs.evolve(scenario, ranges=wrong)
