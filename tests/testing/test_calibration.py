"""Tests of viewaudit.testing.check_calibration: a calibrated estimator passes, a too-narrow,
a biased and a too-wide one are caught, runs replay, bad arguments raise.

Power of these tests (exact binomial and normal figures, computed with scipy):

* The Horvitz-Thompson count of a 10 % sample of about 5,000 impressions has a relative
  standard deviation of about 4.2 % a log. Scaled by 1.05, the mean relative error over 40 runs
  is 5 % with a standard error of about 0.7 %: t near 7, against a critical 2.7 at
  significance 0.01, so the bias test fails it with probability above 0.999.
* An interval shrunk to a tenth of its width covers about 2 * Phi(0.196) - 1 = 15.5 % of the
  time. At 30 runs the coverage test fails when at most 24 runs cover: probability 1 - 1e-16.
* An interval three times as wide covers all but 4e-9 of the time. At 100 runs the test for
  too-wide intervals fires when all 100 cover (0.95 ** 100 = 0.006 < 0.01): probability 0.9999996.
* A calibrated estimator fails each of the two tests with probability at most 0.01; the seeds
  are fixed, so the outcome is the same on every run.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import strategies as st

import viewaudit as va
from viewaudit.strategies import feed_models
from viewaudit.testing import (
    Calibration,
    WideIntervalWarning,
    calibrate,
    calibration_simulation,
    check_calibration,
    draw_feed_models,
    parametrize_calibration,
    run_seeds,
    target_names,
)

SAMPLED: dict[str, Any] = {"scenario": "news-site", "sample_rate": 0.1, "impressions": 5_000, "processes": 1}
Z = 1.959963984540054


def sampled_rows(log: pa.Table, *, scale: float = 1.0, width: float = 1.0) -> tuple[float, float, float]:
    """Rendered impressions of a 10 % sample: Horvitz-Thompson, with its Poisson-sampling
    interval, the estimate scaled by ``scale`` and the interval's width by ``width``."""
    weight = np.asarray(log["weight"])
    estimate = float(weight.sum())
    sd = float(np.sqrt(np.sum(weight * (weight - 1))))
    return scale * estimate, estimate - width * Z * sd, estimate + width * Z * sd


def shrunk_audit(log: pa.Table) -> va.Estimate:
    """The audit's viewable impressions with the interval shrunk to a tenth of its width."""
    figure = va.audit(log).ladder["viewable"].impressions
    assert figure.estimate is not None
    assert figure.low is not None
    assert figure.high is not None
    return va.Estimate(
        figure.estimate,
        figure.estimate - (figure.estimate - figure.low) / 10,
        figure.estimate + (figure.high - figure.estimate) / 10,
    )


def test_the_audit_passes() -> None:
    """viewaudit's own audit, returning the whole Audit, passes on a scenario where its interval has a width."""
    result = check_calibration(va.audit, scenario="x-openai-2023", runs=30, impressions=5_000, processes=1)
    assert isinstance(result, Calibration)
    assert result.determined == 30
    assert result.median_width > 0
    assert result.coverage_low <= result.coverage <= result.coverage_high


def test_an_interval_shrunk_to_a_tenth_fails() -> None:
    """The audit's interval shrunk to a tenth of its width fails with coverage, bias, width and the worst seed."""
    with pytest.raises(AssertionError) as caught:
        check_calibration(shrunk_audit, scenario="x-openai-2023", runs=30, impressions=5_000, processes=1)
    message = str(caught.value)
    assert "viewable.impressions on x-openai-2023: intervals too narrow" in message
    for part in (
        "coverage ",
        "Clopper-Pearson interval",
        "relative bias",
        "standard error",
        "median relative width",
        "worst run: seed",
    ):
        assert part in message
    assert "estimates biased" not in message


def test_a_biased_estimate_fails() -> None:
    """An estimate scaled by 1.05 fails the bias test, with the bias and its standard error."""
    with pytest.raises(AssertionError, match=r"(?s)estimates biased .* relative bias \+[45]\.\d\d% \(standard error 0\.\d\d%\)"):
        check_calibration(functools.partial(sampled_rows, scale=1.05), target="rendered.impressions", runs=40, **SAMPLED)


def test_a_calibrated_estimator_passes_without_warning() -> None:
    """The Horvitz-Thompson count with its own interval passes, and does not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_calibration(sampled_rows, target="rendered.impressions", runs=100, **SAMPLED)
    assert abs(result.bias) < 3 * result.bias_se
    assert not (result.too_narrow)
    assert not (result.too_wide)
    assert not (result.biased)


def test_an_interval_too_wide_warns() -> None:
    """An interval three times too wide passes but warns that it is wider than it need be."""
    with pytest.warns(WideIntervalWarning, match="wider than they need be"):
        result = check_calibration(functools.partial(sampled_rows, width=3.0), target="rendered.impressions", runs=100, **SAMPLED)
    assert result.coverage == 1.0


def test_exact_figures_that_are_right_pass_without_warning() -> None:
    """An exact figure equal to the truth covers; with no width it is not a too-wide interval."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_calibration(va.audit, scenario="news-site", runs=20, impressions=2_000, processes=1)
    assert (result.coverage, result.bias, result.median_width) == (1.0, 0.0, 0.0)


def test_the_worst_run_replays() -> None:
    """The worst run's seed and calibration_simulation give back the log and truth that run saw."""
    estimator = functools.partial(sampled_rows, width=0.1)
    with pytest.raises(AssertionError, match=r"worst run: seed (\d+)") as caught:
        check_calibration(estimator, target="rendered.impressions", runs=20, **SAMPLED)
    found = re.search(r"worst run: seed (\d+)", str(caught.value))
    assert found is not None
    seed = int(found.group(1))
    assert seed in run_seeds(0, 20)
    sim = calibration_simulation(seed, scenario="news-site", impressions=5_000, sample_rate=0.1)
    _estimate, low, high = estimator(sim.log)
    truth = sim.truth.ladder["rendered"].impressions.estimate
    assert truth is not None
    assert not low <= truth <= high


def test_seeds_come_from_spawned_seed_sequences() -> None:
    """Run i's seed is child i of SeedSequence(rng).spawn(runs), made an int as simulate does."""
    children = np.random.SeedSequence(7).spawn(3)
    assert run_seeds(7, 3) == tuple(int(c.generate_state(1, np.uint64)[0]) for c in children)


def test_results_do_not_depend_on_processes() -> None:
    """One process or two give the same figures, bit for bit."""
    options: dict[str, Any] = {**SAMPLED, "targets": ["rendered.impressions"], "runs": 20}
    one = calibrate(sampled_rows, **{**options, "processes": 1})
    two = calibrate(sampled_rows, **{**options, "processes": 2})
    assert one == two


def test_a_lambda_runs_in_this_process() -> None:
    """An estimator that cannot be pickled still runs, with any number of processes."""
    result = check_calibration(
        lambda log: sampled_rows(log), target="rendered.impressions", runs=20, **{**SAMPLED, "processes": 2}
    )
    assert result.runs == 20


def test_several_targets_from_one_audit() -> None:
    """calibrate gives one Calibration per target, reach included, from one audit per log."""
    targets = ["viewable.impressions", "viewable.unique_viewers", "viewable.reach_2"]
    results = calibrate(
        functools.partial(va.audit, frequency=2),
        targets=targets,
        scenario="x-openai-2023",
        runs=20,
        impressions=2_000,
        processes=1,
    )
    assert list(results) == targets
    assert all(r.determined == 20 for r in results.values())
    assert "frequency=2" in results["viewable.reach_2"].replay


def test_target_names_are_rungs_and_figures() -> None:
    """The targets are every rung with impressions, unique viewers and reach_2 .. reach_9."""
    names = target_names()
    assert len(names) == 5 * 10
    assert {"rendered.impressions", "engaged.unique_viewers", "viewable.reach_9"} <= set(names)


def _model() -> va.FeedModel:
    return va.FeedModel(viewers=1_000)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"target": "viewable.views"}, ValueError, r"target must be .*viewable\.unique_viewers.*got 'viewable\.views'"),
        ({"target": "seen.impressions"}, ValueError, r"target must be .*got 'seen\.impressions'"),
        ({"target": "viewable.reach_10"}, ValueError, r"k = 2 \.\. 9; got 'viewable\.reach_10'"),
        ({"runs": 10}, ValueError, r"runs must be at least 20: .*power.*got 10"),
        ({"runs": 2.5}, ValueError, r"runs must be an int >= 1, got 2\.5"),
        ({"scenario": "moon"}, ValueError, r"scenario must be one of .*news-site.*got 'moon'"),
        (
            {"scenario": 3},
            TypeError,
            r"scenario must be a scenario name, a Scenario, a FeedModel or a strategy of FeedModels, got 3",
        ),
        ({"confidence_level": 95}, ValueError, r"confidence_level must be a number in \(0, 1\), got 95"),
        ({"significance": 0.5}, ValueError, r"significance must be a number in \(0, 0\.5\), got 0\.5"),
        ({"sample_rate": 0}, ValueError, r"sample_rate must be a share of rows in \(0, 1\], got 0"),
        ({"rounding_ms": -1}, ValueError, r"rounding_ms must be a finite number of ms >= 0.*got -1"),
        ({"impressions": 0}, ValueError, r"impressions must be a number in \[1, 10\*\*7\].*got 0"),
        ({"processes": 0}, ValueError, r"processes must be an int >= 1, got 0"),
        ({"policy": "no-such-policy"}, ValueError, r"no-such-policy"),
    ],
)
def test_bad_arguments_raise(options: dict[str, Any], error: type[Exception], match: str) -> None:
    """Each bad argument raises, naming the argument, what it must be and the value."""
    with pytest.raises(error, match=match):
        check_calibration(sampled_rows, **{"processes": 1, **options})


def test_an_estimator_must_be_callable() -> None:
    """A non-callable estimator is a TypeError."""
    with pytest.raises(TypeError, match="estimator must be callable"):
        check_calibration(42, processes=1)  # type: ignore[arg-type]


def test_an_estimator_must_return_a_triple() -> None:
    """A bare number is not an interval: TypeError saying what to return, with the seed in a note."""
    with pytest.raises(TypeError, match=r"must return \(estimate, low, high\)") as caught:
        check_calibration(lambda log: 1.0, runs=20, impressions=500, processes=1)
    assert "seed" in "".join(getattr(caught.value, "__notes__", []))


def test_a_feed_model_is_a_scenario() -> None:
    """A FeedModel is simulated as given; the replay names it."""
    result = calibrate(va.audit, targets=["rendered.impressions"], scenario=_model(), runs=20, impressions=500, processes=1)
    assert result["rendered.impressions"].scenario == "FeedModel"
    assert result["rendered.impressions"].coverage == 1.0


@parametrize_calibration(
    sampled_rows,
    scenarios=["news-site", "short-video"],
    targets=["rendered.impressions"],
    runs=20,
    impressions=2_000,
    sample_rate=0.1,
    processes=1,
)
def test_parametrize_calibration(calibration: Any) -> None:
    """The pytest form: one test per scenario and target; each passes."""
    assert isinstance(calibration(), Calibration)


def test_parametrize_calibration_ids_and_expected_failures() -> None:
    """Ids are scenario-target; expected failures are strict xfails; unknown ids are errors."""
    mark = parametrize_calibration(
        sampled_rows,
        scenarios=["news-site", "short-video"],
        targets=["rendered.impressions"],
        expected_failures={"short-video-rendered.impressions": "why"},
    )
    params = mark.args[1]
    assert [p.id for p in params] == ["news-site-rendered.impressions", "short-video-rendered.impressions"]
    assert [m.kwargs["strict"] for m in params[1].marks] == [True]
    with pytest.raises(ValueError, match="expected_failures names 'x'"):
        parametrize_calibration(sampled_rows, expected_failures={"x": "why"})
    with pytest.raises(TypeError, match="unexpected keyword"):
        parametrize_calibration(sampled_rows, target="rendered.impressions")
    with pytest.raises(ValueError, match="target must be"):
        parametrize_calibration(sampled_rows, targets=["nope"])


def test_a_strategy_of_feed_models_draws_one_model_per_run() -> None:
    """A strategy gives each run its own model, the same for the same rng; the replay says how to get it."""
    models = feed_models(measurements=st.just(va.Measurement()))
    assert draw_feed_models(models, 20, rng=1) == draw_feed_models(models, 20, rng=1)
    assert len(set(map(repr, draw_feed_models(models, 20, rng=1)))) > 1
    first = calibrate(va.audit, targets=["rendered.impressions"], scenario=models, runs=20, impressions=300, processes=1)
    again = calibrate(va.audit, targets=["rendered.impressions"], scenario=models, runs=20, impressions=300, processes=1)
    assert first == again
    result = first["rendered.impressions"]
    assert result.scenario == "drawn feed models"
    assert "draw_feed_models(<your strategy>, runs, rng=rng)[" in result.replay
    assert result.coverage == 1.0  # a complete log's rendered impressions are exact


def test_parametrize_calibration_takes_scenario_names() -> None:
    """The pytest form needs names, which are the test ids."""
    with pytest.raises(TypeError, match="scenarios must be scenario names"):
        parametrize_calibration(sampled_rows, scenarios=[va.FeedModel(viewers=10)])
