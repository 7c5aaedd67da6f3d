"""A sampled log's unique viewers are whole: their interval's ends go out to whole numbers.

Where few viewers are unseen this is what keeps the truth inside. A new user's closed audience
(600 accounts, a 10 % sample seeing 599 of them) had 603 [600.69, 609.78] unique viewers: the
truth, 600, one more than seen, fell below a low end that no count can take.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

import viewaudit as va


def _closed_audience(seed: int) -> tuple[pa.Table, int]:
    """600 accounts of about 50 impressions each, 10 % of the rows kept: the sample and how many
    accounts it saw."""
    rng = np.random.default_rng(seed)
    viewer = np.repeat(np.arange(600), rng.poisson(50, 600))
    kept = viewer[rng.random(viewer.size) < 0.1]
    return pa.table({"item_id": np.zeros(kept.size, dtype=np.int64), "viewer_id": kept}), int(np.unique(kept).size)


def test_a_closed_audience_one_unseen_is_inside() -> None:
    """Seed 29 sees 599 of the 600: the interval's low end is 600 at most, and whole."""
    log, seen = _closed_audience(29)
    assert seen == 599
    viewers = va.audit(log, sample_rate=0.1).ladder["rendered"].unique_viewers
    assert viewers.low <= 600 <= viewers.high
    assert viewers.low == math.floor(viewers.low)
    assert viewers.high == math.ceil(viewers.high)


def test_every_sampled_viewer_figure_has_whole_ends() -> None:
    """Every rung's unique viewers, and the whole log's 2+ reach, of a sampled log."""
    log, _ = _closed_audience(3)
    audit = va.audit(log, sample_rate=0.1, frequency=2)
    for rung in audit.ladder:
        for figure in (rung.unique_viewers, *(r.viewers for r in rung.reach)):
            for end in (figure.low, figure.high):
                assert end is None or not math.isfinite(end) or end == round(end), (rung.level, figure)
