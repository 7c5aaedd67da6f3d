"""Scenarios in seeded runs: the EB-NeRD dwell model selection and the mixture fit recovered from
whole seconds (the fast checks: ``tests/model/test_scenarios.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import viewaudit as va

from helpers.scenarios import _calibration, _ebnerd


@pytest.mark.slow
def test_weibull_glance_with_lognormal_read_is_the_most_likely_pair():
    """Of the four family pairs, the scenario's has the highest likelihood on EB-NeRD."""
    families, _ = _calibration.best_read_time_fit(_calibration.read_times(_ebnerd()))
    assert families == ("weibull", "lognormal")


@pytest.mark.slow
def test_fit_recovers_a_known_mixture_from_whole_seconds():
    """Fitting whole-second floors of draws from a known mixture recovers its parameters."""
    truth = va.DwellMixture(
        zero=0.08, glance_weight=0.35, glance=va.Weibull(scale_s=4.0, shape=1.5), read=va.LogNormal(median_s=30.0, sigma=1.0)
    )
    seconds = np.floor(truth.sample(np.random.default_rng(12), 40_000))
    got = _calibration.fit_read_times(seconds, families=("weibull", "lognormal")).mixture
    np.testing.assert_allclose(
        [got.zero, got.glance_weight, got.glance.scale_s, got.glance.shape, got.read.median_s, got.read.sigma],
        [0.08, 0.35, 4.0, 1.5, 30.0, 1.0],
        rtol=0.12,
    )
