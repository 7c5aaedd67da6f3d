"""viewaudit's audit passes its own calibration check on every scenario, rung and figure.

For each shipped scenario under its own policy, and for its sampled (10 % of rows, with a weight
column) and whole-second variants, ``calibrate`` runs the audit as the estimator on simulated
logs of 20,000 expected impressions and checks the coverage of the 95 % intervals and the
relative bias of impressions and unique viewers on every rung, at significance 0.01 each.

Power (docs/property-testing.md): 100 runs catch 85 % coverage with probability 0.84 and 90 %
with 0.30; 40 runs of the sampled variants (an audit of a sample fits a model and costs about
a second) catch 80 % coverage with probability 0.71. The bias test catches a bias of about three
standard errors, which are printed in the failure message.

Intervals wider than needed warn (WideIntervalWarning); this suite ignores that warning and
fails only intervals too narrow or estimates biased.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import pytest

import viewaudit as va
from viewaudit.testing import Calibration, WideIntervalWarning, calibrate

pytestmark = pytest.mark.slow

SCENARIOS = ("news-site", "short-video", "x-openai-2023")
TARGETS = tuple(f"{level}.{figure}" for level in va.LEVELS for figure in ("impressions", "unique_viewers"))
#: variant -> (runs, options of calibrate)
VARIANTS: dict[str, tuple[int, dict[str, Any]]] = {
    "own": (100, {}),
    "sampled": (40, {"sample_rate": 0.1}),
    "whole-seconds": (100, {"rounding_ms": 1000.0}),
}
#: Where the audit fails its own check: a bug to fix, not a tolerance to loosen. All three are
#: unique viewers of 10 % samples, biased low by 3 to 6 % (relative bias, standard error and
#: t-test p-value at these seeds): the shape's lower bound, with exposure very unequal or a
#: rung of few viewers. Coverage stays near 95 % because the intervals are wide (24 to 72 % of
#: the truth), but the estimate should be unbiased. news-site's rendered and valid rungs lean
#: the same way (-2.7 and -2.6 %, p = 0.015 and 0.020): not significant at 0.01, not fixed. The
#: heavy unflagged accounts that made short-video's rendered rung lean +4.2 % are now a class of
#: their own (viewaudit/_estimators/flagged_class.py). The causes, how the lean shrinks with the
#: sample, and the fixes tried and not adopted: docs/methods.md ("The lean of a small sample's
#: estimate") and benchmarks/bench_sampled_bias.py.
_BIASED_SAMPLED_VIEWERS = {
    "news-site-sampled-viewable.unique_viewers": "-2.7 %, 0.9 %, p = 0.003",
    "news-site-sampled-attended.unique_viewers": "-2.8 %, 0.9 %, p = 0.004",
    "x-openai-2023-sampled-attended.unique_viewers": "-5.8 %, 1.8 %, p = 0.003",
}
KNOWN = {
    key: f"bug: unique viewers of a 10 % sample are biased (relative bias, standard error, t-test: {figures})"
    for key, figures in _BIASED_SAMPLED_VIEWERS.items()
}


@functools.cache
def calibrations(scenario: str, variant: str) -> dict[str, Calibration]:
    """The audit's figures on one scenario and variant, every target from one set of runs."""
    policy = va.get_scenario(scenario).policy
    runs, options = VARIANTS[variant]
    estimator = functools.partial(va.audit, policy=policy)
    return calibrate(
        estimator, targets=TARGETS, scenario=scenario, policy=policy, runs=runs, impressions=20_000, rng=20_261_207, **options
    )


def _params() -> list[Any]:
    params = []
    for scenario in SCENARIOS:
        for variant in VARIANTS:
            for target in TARGETS:
                key = f"{scenario}-{variant}-{target}"
                marks = [pytest.mark.xfail(reason=KNOWN[key], strict=True, raises=AssertionError)] if key in KNOWN else []
                params.append(pytest.param(scenario, variant, target, id=key, marks=marks))
    return params


@pytest.mark.parametrize(("scenario", "variant", "target"), _params())
def test_the_audit_is_calibrated(scenario: str, variant: str, target: str) -> None:
    """Coverage not significantly below 95 % and no significant relative bias (significance 0.01 each)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WideIntervalWarning)
        calibrations(scenario, variant)[target].check()
