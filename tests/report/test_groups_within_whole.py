"""A group's unique viewers are among the whole log's: no group's figure is above the log's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._rungs import LEVELS


def _sampled_closed_audience(seed: int) -> pa.Table:
    """600 accounts of about 50 impressions over 4 items (half on the first), 10 % of rows kept:
    nearly every account sees every item, so each item's viewers are about the whole log's."""
    rng = np.random.default_rng(seed)
    viewer = np.repeat(np.arange(600), rng.poisson(50, 600))
    item = rng.choice(4, viewer.size, p=[0.5, 1 / 6, 1 / 6, 1 / 6])
    kept = rng.random(viewer.size) < 0.1
    return pa.table({"item_id": item[kept], "viewer_id": viewer[kept]})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_group_has_more_viewers_than_the_log(seed: int) -> None:
    """Estimated apart, an item of a 10 % sample came out above the whole log (a new user's: 623
    [559, 702] against 603 [600, 610]); each end is now at most the log's."""
    audit = va.audit(_sampled_closed_audience(seed), sample_rate=0.1, by="item_id")
    for group in audit.groups:
        for level in LEVELS:
            mine, log = group.ladder[level].unique_viewers, audit.ladder[level].unique_viewers
            if mine.estimate is None or log.estimate is None:
                continue
            assert mine.estimate <= log.estimate, (group.key, level)
            assert mine.low <= log.low + 1e-9, (group.key, level)
            assert mine.high <= log.high + 1e-9, (group.key, level)
            assert mine.low <= mine.estimate <= mine.high
