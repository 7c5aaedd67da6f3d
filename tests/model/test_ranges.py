"""Parameter ranges: every scenario parameter has one with a source, the point inside it, and
setting values by path (or by a derived figure) gives the intended model."""

from __future__ import annotations

import pytest

import viewaudit as va
from viewaudit._model._ranges import (
    PREFIXES,
    ParameterRange,
    numeric_parameters,
    parameter_value,
    sets,
    with_values,
)

from helpers.scenarios import ROOT

NAMES = ["x-openai-2023", "news-site", "short-video"]


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_has_a_range_with_a_source(name):
    """Each numeric parameter of a shipped scenario is ranged, directly or through the figure it
    is derived from, exactly once, and each range says how it was set."""
    scenario = va.get_scenario(name)
    targets = [sets(r) for r in scenario.ranges]
    assert sorted(targets) == sorted(numeric_parameters(scenario.model))
    for path, r in scenario.ranges.items():
        assert r.name == path
        assert r.source.startswith(PREFIXES), (path, r.source)


@pytest.mark.parametrize("name", NAMES)
def test_every_range_contains_its_point_value(name):
    """The scenario's value of each parameter (or derived figure) lies within its range."""
    scenario = va.get_scenario(name)
    for path, r in scenario.ranges.items():
        assert r.low <= parameter_value(scenario.model, path) <= r.high, path


@pytest.mark.parametrize("name", NAMES)
def test_point_values_rebuild_the_model(name):
    """Setting every ranged parameter to its point value gives the scenario's expected ladder."""
    scenario = va.get_scenario(name)
    model = with_values(scenario.model, {p: parameter_value(scenario.model, p) for p in scenario.ranges})
    want = va.expected_ladder(scenario.model).ladder
    got = va.expected_ladder(model).ladder
    for a, b in zip(got, want, strict=True):
        assert a.impressions.estimate == pytest.approx(b.impressions.estimate, rel=1e-9)
        assert a.unique_viewers.estimate == pytest.approx(b.unique_viewers.estimate, rel=1e-9)


def test_derived_figures_are_reproduced():
    """A derived figure set on a model reads back: mean dwell, repeats, an interaction's share and ratio."""
    model = va.get_scenario("news-site").model
    values = {
        "dwell.mean_s": 20.0,
        "exposure.repeats": 1.8,
        "interactions.clicked.ratio": 3.0,
        "interactions.clicked.share": 0.12,
    }
    changed = with_values(model, values)
    for path, value in values.items():
        assert parameter_value(changed, path) == pytest.approx(value, rel=1e-9), path


def test_log_ranges_draw_on_the_log_scale():
    """A log-uniform range puts its middle quantile at the geometric mean, a uniform one at the mean."""
    log = ParameterRange(name="exposure.mean", low=1.0, high=16.0, source="Assumption: x.", scale="log")
    linear = ParameterRange(name="exposure.mean", low=1.0, high=16.0, source="Assumption: x.")
    assert log.value_at(0.5) == pytest.approx(4.0)
    assert linear.value_at(0.5) == pytest.approx(8.5)
    assert (log.value_at(0.0), log.value_at(1.0)) == (1.0, 16.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"low": 2.0, "high": 1.0}, r"ParameterRange 'bots.share' needs low <= high, got 2.0 and 1.0"),
        ({"low": 0.0, "high": 1.0, "scale": "log"}, r"on a log scale needs low > 0, got 0.0"),
        ({"low": float("nan"), "high": 1.0}, r"ParameterRange.low must be a finite number, got nan"),
        ({"low": 0.0, "high": 1.0, "source": "because"}, r"ParameterRange.source must start with one of Source:"),
        ({"low": 0.0, "high": 1.0, "scale": "cubic"}, r"'scale' must be in"),
    ],
)
def test_bad_ranges_are_rejected(kwargs, message):
    """A range with its ends crossed, a log range through zero, a non-number or no source is an error naming it."""
    arguments = {"name": "bots.share", "source": "Assumption: a test.", **kwargs}
    with pytest.raises(ValueError, match=message):
        ParameterRange(**arguments)


def test_unknown_parameter_is_named():
    """Asking for a parameter the model does not have names it and the choices."""
    with pytest.raises(ValueError, match=r"unknown parameter 'exposure.meen'; expected one of viewers"):
        parameter_value(va.get_scenario("news-site").model, "exposure.meen")


def test_docs_show_each_scenario_ranges():
    """docs/model.md holds each scenario's range table as the code produces it."""
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for scenario in va.scenarios().values():
        assert scenario.ranges_markdown() in docs, scenario.name


def test_docs_show_the_x_figures_with_intervals():
    """docs/model.md holds the x-openai-2023 ladder with its intervals and tornado tables as computed."""
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    ranges = va.expected_ladder_ranges("x-openai-2023", samples=1024, rng=0)
    assert ranges.to_markdown() in docs
    assert "36 and 147 million" in docs
    attended = ranges.ladder["attended"].unique_viewers
    assert (round(attended.low / 1e6), round(attended.high / 1e6)) == (36, 147)
    assert "about 9 to 36 of the 1.3 billion views" in docs
    assert (round(ranges.inflation.headline.low), round(ranges.inflation.headline.high)) == (9, 36)
