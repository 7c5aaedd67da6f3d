"""Random logs with every feature the ladder reads, shared by the engine and sketch tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def random_log(
    seed: int,
    n: int = 4000,
    *,
    items: int = 40,
    viewers: int = 300,
    viewer_offset: int = 0,
    weights: bool = False,
    nulls: bool = True,
) -> pa.Table:
    """A log with every feature the ladder reads: null viewers, bots, bot agents, self-views,
    unmeasured and censored dwell, missing visibility, likes, and a few invalid rows."""
    rng = np.random.default_rng(seed)
    item = rng.integers(0, items, n)
    viewer = rng.integers(0, viewers, n) + viewer_offset
    dwell = rng.lognormal(7.0, 1.2, n)
    dwell[rng.random(n) < 0.15] = np.nan
    visible = rng.random(n)
    visible[rng.random(n) < 0.05] = np.nan
    visible[rng.random(n) < 0.01] = 1.5  # rejected: outside [0, 1]
    author = rng.integers(0, viewers, n) + viewer_offset
    self_view = rng.random(n) < 0.05
    author[self_view] = viewer[self_view]
    agent = np.where(rng.random(n) < 0.03, "Googlebot/2.1", "Mozilla/5.0")
    columns = {
        "item_id": pa.array(item),
        "viewer_id": pa.array(viewer, mask=(rng.random(n) < 0.1) if nulls else None),
        "dwell_ms": pa.array(dwell, from_pandas=True),
        "dwell_censored": pa.array(rng.random(n) < 0.1),
        "visible_fraction": pa.array(visible, from_pandas=True),
        "is_bot": pa.array(rng.random(n) < 0.05),
        "user_agent": pa.array(agent),
        "author_id": pa.array(author),
        "liked": pa.array(rng.random(n) < 0.1),
        # (No null surfaces: the summary engine cannot group by a column with nulls yet.)
        "surface": pa.array(rng.choice(["home", "search", "profile"], n)),
    }
    if weights:
        columns["weight"] = pa.array(rng.choice([1.0, 2.5, 10.0], n))
    return pa.table(columns)


def measured_log(seed: int, rows: int, *, items: int, viewers: int = 300) -> pa.Table:
    """A plain log: ids, and dwell and visibility measured on every row (no rejects, no bots)."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "item_id": rng.integers(0, items, rows),
            "viewer_id": rng.integers(0, viewers, rows),
            "dwell_ms": rng.lognormal(7.5, 1.0, rows),
            "visible_fraction": rng.random(rows),
        }
    )


def batches(table: pa.Table, size: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=size))
