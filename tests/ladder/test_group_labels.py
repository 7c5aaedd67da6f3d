"""Relabelling the groups permutes the rows of a grouped audit and changes nothing else
(issue 23, item 6): no draw of an interval is handed from one group to another."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import viewaudit as va
from viewaudit._schema import CANONICAL_COLUMNS, DEFAULT_INTERACTIONS
from viewaudit.strategies import column_sets, impression_logs


def _by_group(log: pa.Table, names: dict[Any, Any], **options: Any) -> dict[Any, Any]:
    """Each group's ladder, keyed by its original label (``names``: new label -> original)."""
    report = va.audit(log, by="item_id", **{"rounding_ms": 0, **options}).to_dict()  # drawn times are exact
    return {names[g["key"]["item_id"]]: g["ladder"] for g in report["groups"]}


def _relabelled(log: pa.Table, order: list[int]) -> tuple[pa.Table, dict[Any, Any], dict[Any, Any]]:
    items = sorted(set(log["item_id"].to_pylist()))
    new = {old: 1000 + order[k] for k, old in enumerate(items)}
    column = pa.array([new[i] for i in log["item_id"].to_pylist()], pa.int64())
    relabelled = log.set_column(log.schema.get_field_index("item_id"), "item_id", column)
    return relabelled, {i: i for i in items}, {v: k for k, v in new.items()}


def _feed_log(seed: int, rows: int = 20_000, items: int = 12) -> pa.Table:
    """Many rows per (item, viewer) pair, so that the viewers' propensity is fitted."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "item_id": rng.integers(0, items, rows),
            "viewer_id": rng.integers(0, 300, rows),
            "dwell_ms": np.where(rng.random(rows) < 0.3, np.nan, np.floor(rng.lognormal(7, 1.2, rows) / 1000) * 1000),
            "dwell_censored": rng.random(rows) < 0.1,
            "visible_fraction": np.where(rng.random(rows) < 0.3, np.nan, rng.random(rows)),
            "in_view_ms": np.where(rng.random(rows) < 0.5, np.nan, np.floor(rng.lognormal(7, 1, rows) / 1000) * 1000),
        }
    )


@pytest.mark.parametrize("engine", ["summary", "packed"])
@pytest.mark.parametrize("seed", [0, 1])
def test_relabelling_items_moves_no_bound(seed: int, engine: str) -> None:
    """A permutation of the item ids leaves every item's figures as they were, to the bit."""
    log = _feed_log(seed)
    order = [int(k) for k in np.random.default_rng(seed + 100).permutation(12)]
    relabelled, names, renamed = _relabelled(log, order)
    assert _by_group(relabelled, renamed, engine=engine) == _by_group(log, names, engine=engine)


def _differences(left: dict[Any, Any], right: dict[Any, Any]) -> list[tuple[Any, Any, Any]]:
    return [(group, a, b) for group in left for a, b in zip(left[group], right[group], strict=True) if a != b]


#: Every column but ``weight``: there figures are equal to the bit. A sampled log's pooled fits
#: sum over groups in label order, which moves its figures in the last bits (tested below).
UNWEIGHTED = column_sets(optional=[c for c in (*CANONICAL_COLUMNS, *DEFAULT_INTERACTIONS) if c not in ("item_id", "weight")])


def _close(left: Any, right: Any) -> bool:
    """Equal, numbers to 1e-9 relative (a sum over groups in another order moves the last bits)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) or isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9, abs=1e-9)
    return bool(left == right)


def _equal(left: Any, right: Any) -> bool:
    return not _differences(left, right)


WEIGHTED = column_sets(optional=[c for c in (*CANONICAL_COLUMNS, *DEFAULT_INTERACTIONS) if c != "item_id"])


@pytest.mark.filterwarnings("ignore::viewaudit.DegenerateDataWarning")
@pytest.mark.parametrize(("columns", "same"), [(UNWEIGHTED, _equal), (WEIGHTED, _close)], ids=["to the bit", "weighted"])
@given(data=st.data())
def test_relabelling_groups_permutes_the_rows(columns: Any, same: Any, data: st.DataObject) -> None:
    """Any log: relabelling the item ids by a permutation permutes the per-group figures only
    (to the bit without weights; weighted, beyond floating-point rounding)."""
    log = data.draw(impression_logs(columns=columns, id_types=int, min_size=1, max_size=300))
    order = list(range(log.num_rows))
    data.draw(st.randoms(use_true_random=False)).shuffle(order)
    relabelled, names, renamed = _relabelled(log, order)
    assert same(_by_group(relabelled, renamed), _by_group(log, names))
