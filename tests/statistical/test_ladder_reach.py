"""k+ reach per rung in seeded Monte-Carlo runs: its intervals cover the complete log's reach when
rows are unmeasured at random (the fast checks: ``tests/ladder/test_reach.py``)."""

from __future__ import annotations

import math
from collections import defaultdict

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import viewaudit as va


def _mask(table: pa.Table, share: float, rng: np.random.Generator) -> pa.Table:
    """Unmeasure a random ``share`` of rows (missing completely at random)."""
    keep = rng.random(table.num_rows) >= share
    out = table
    for name in ("dwell_ms", "in_view_ms", "visible_fraction"):
        col = out[name]
        out = out.set_column(
            out.schema.get_field_index(name), name, pc.if_else(pa.array(keep), col, pa.nulls(len(col), col.type))
        )
    return out


@pytest.mark.slow
def test_reach_intervals_cover_with_unmeasured_rows() -> None:
    """30 seeded logs, 40 % of rows unmeasured at random: the 2+ and 3+ reach of viewable and
    attended cover the complete log's in at least 25 of 30 runs each (95 % nominal; 25 is
    28.5 minus 3 binomial standard errors, 3.6)."""
    model = attrs.evolve(va.get_scenario("news-site").model, bots=va.Bots(share=0.0))
    covered: dict[tuple[str, int], int] = defaultdict(int)
    runs = 30
    for seed in range(runs):
        sim = va.simulate(model, impressions=20_000, rng=seed)
        truth = va.audit(sim.log, frequency=3)
        got = va.audit(_mask(sim.log, 0.4, np.random.default_rng(1000 + seed)), frequency=3)
        for level in ("viewable", "attended"):
            for k in (2, 3):
                t = truth.ladder[level].reach[k - 1].viewers.estimate
                e = got.ladder[level].reach[k - 1].viewers
                covered[level, k] += e.low <= t <= e.high
    threshold = math.ceil(runs * 0.95 - 3 * math.sqrt(runs * 0.95 * 0.05))
    assert threshold == 25
    assert all(n >= threshold for n in covered.values()), dict(covered)
