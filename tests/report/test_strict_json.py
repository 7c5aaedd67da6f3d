"""The JSON report is strict JSON: no NaN or Infinity, whatever the log, however it is audited."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._report.results import _json_values
from viewaudit._report.values import Estimate


def _log(n: int, seed: int, *, viewers: int | None = None) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "item_id": rng.integers(0, 5, n),
            "viewer_id": rng.integers(0, viewers or n, n),
            "dwell_ms": rng.exponential(2000.0, n),
            "visible_fraction": rng.random(n),
        }
    )


CASES: list[tuple[str, pa.Table, dict[str, Any]]] = [
    ("one row", _log(1, 1), {}),
    ("no viewable", _log(5, 2).set_column(3, "visible_fraction", pa.array([0.0] * 5)), {}),
    ("no dwell", pa.table({"item_id": [1, 2, 3]}), {}),
    ("empty", pa.table({"item_id": pa.array([], pa.int64())}), {}),
    ("grouped", _log(200, 3), {"by": "item_id"}),
    ("hll", _log(500, 4), {"unique_viewers": "hll"}),
    ("hll grouped", _log(500, 5), {"unique_viewers": "hll", "by": "item_id"}),
    ("sampled", _log(300, 6), {"sample_rate": 0.01}),
    ("sampled grouped", _log(300, 7), {"sample_rate": 1e-6, "by": "item_id"}),
    ("frequency", _log(300, 8, viewers=20), {"frequency": 5}),
    ("frequency sampled", _log(300, 9, viewers=20), {"frequency": 5, "sample_rate": 0.001}),
    ("frequency grouped", _log(300, 10, viewers=20), {"frequency": 3, "by": "item_id", "population": 50.0}),
    ("strata", _log(300, 11).append_column("s", pa.array(["a", "b"] * 150)), {"strata": "s"}),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # degenerate logs warn, and still report
@pytest.mark.parametrize(("log", "kwargs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_report_is_strict_json(log: pa.Table, kwargs: dict[str, Any]) -> None:
    """json.dumps(allow_nan=False) accepts every report."""
    report = va.audit(log, **kwargs).to_dict()
    json.loads(json.dumps(report, allow_nan=False))


def test_non_finite_figures_are_null() -> None:
    """An infinite or NaN bound is null in JSON; finite ones are kept."""
    assert Estimate(3.0, 1.0, math.inf).to_dict() == {"estimate": 3, "low": 1, "high": None}
    assert Estimate(math.nan, -math.inf, 2.5).to_dict() == {"estimate": None, "low": None, "high": 2.5}
    assert _json_values(np.array([1.0, math.inf, -math.inf, math.nan, 2.5])) == [1, None, None, None, 2.5]
