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
#: Where the audit fails its own check: a bug to fix, not a tolerance to loosen. None now. The
#: last three were unique viewers of 10 % samples, biased low by 3 to 6 %: news-site's viewable
#: and attended rungs (-2.7 and -2.8 %) and x-openai-2023's attended rung (-5.8 %). The people's
#: shape may now go below the log-series limit where the caught accounts describe the heavy ones
#: (viewaudit/_estimators/flagged_class.py): -1.8 and -2.1 % (p = 0.09 and 0.05), and -3.5 %
#: (p = 0.13). news-site's four rungs still lean about -2 %, not significant at 0.01 over 40
#: runs; the causes, and the fixes tried and not adopted: docs/methods.md ("The lean of a small
#: sample's estimate") and benchmarks/bench_sampled_bias.py.
KNOWN: dict[str, str] = {}


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
