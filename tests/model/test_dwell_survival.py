"""The dwell components' survival functions: scipy.stats' own values, without importing it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from viewaudit._model._dwell_mixture import LogNormal, Weibull

TIMES = np.concatenate([np.random.default_rng(7).lognormal(0, 3, 5_000), [0.0, -1.0, np.inf, np.nan, 1e-300, 5e-324, 1e300, 2.0]])


@pytest.mark.parametrize("scale", [0.3, 2.5, 1234.5])
@pytest.mark.parametrize("spread", [0.1, 1.0, 3.0])
def test_survival_is_scipy_stats_bit_for_bit(scale: float, spread: float) -> None:
    """LogNormal.sf and Weibull.sf equal scipy.stats' lognorm.sf and weibull_min.sf exactly, edges included."""
    with np.errstate(over="ignore"):  # scipy's own x ** shape overflows for 1e300
        pairs = [
            (LogNormal(median_s=scale, sigma=spread).sf(TIMES), stats.lognorm.sf(TIMES, spread, scale=scale)),
            (Weibull(scale_s=scale, shape=spread).sf(TIMES), stats.weibull_min.sf(TIMES, spread, scale=scale)),
        ]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours, np.asarray(theirs, dtype=float))
