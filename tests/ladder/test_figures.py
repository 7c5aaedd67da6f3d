"""The ladder's per-figure steps, each on hand-made numbers."""

from __future__ import annotations

import numpy as np

from viewaudit._ladder.bounded import BoundedCount
from viewaudit._ladder.figures import _enforce_ladder_order, _whole_impressions, _with_sketch_error
from viewaudit._rungs import LEVELS


def test_sketch_error_of_zero_leaves_the_viewers_alone() -> None:
    """Exact viewers (no sketch) come back as they went in, the same arrays."""
    viewers = (np.array([5.0]), np.array([4.0]), np.array([7.0]))
    assert _with_sketch_error(viewers, 0.0, 1.96) is viewers


def test_sketch_error_widens_to_whole_viewers() -> None:
    """A sketch's relative error widens both ends, to whole numbers, never below 0."""
    estimate, low, high = _with_sketch_error((np.array([100.0]), np.array([100.0]), np.array([100.0])), 0.02, 2.0)
    assert estimate[0] == 100.0
    assert low[0] == 96.0
    assert high[0] == 104.0


def test_whole_impressions_stay_within_what_the_rows_allow() -> None:
    """The interval is cut to [counted, counted + undetermined] and widened to whole numbers."""
    bounded = BoundedCount(np.array([12.5]), np.array([12.5]), np.array([12.5]), np.array([10.0]), np.array([10.0]))
    estimate, low, high = _whole_impressions(bounded, np.array([10.0]), np.array([5.0]), 0.95)
    assert estimate[0] == 12.5
    assert low[0] == 10.0
    assert high[0] == 15.0


def test_ladder_order_clips_rungs_figures_and_ends() -> None:
    """No rung above its parent, no viewers above impressions, estimates inside their ends."""
    columns = {}
    for i, level in enumerate(LEVELS):
        for figure, value in (("impressions", 10.0 - i), ("unique_viewers", 20.0)):
            columns[f"{level}_{figure}_estimate"] = np.array([value])
            columns[f"{level}_{figure}_low"] = np.array([value + 1])
            columns[f"{level}_{figure}_high"] = np.array([value + 2])
    columns["viewable_impressions_estimate"] = np.array([np.nan])
    columns["engaged_impressions_high"] = np.array([50.0])
    _enforce_ladder_order(columns)
    assert np.isnan(columns["attended_impressions_estimate"][0])  # NaN propagates down
    assert columns["valid_unique_viewers_estimate"][0] == 9.0  # at most the impressions
    assert columns["rendered_impressions_low"][0] == 10.0  # at most the estimate
    assert columns["engaged_impressions_high"][0] == 11.0  # at most valid's high end
