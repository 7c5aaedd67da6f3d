"""On weighted logs no figure is negative, and none with a weight above 1 behind it is shown as exact."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import viewaudit as va

pytestmark = pytest.mark.filterwarnings("ignore::viewaudit.DegenerateDataWarning")

WEIGHTS = st.one_of(
    st.sampled_from([1.0, 1.5, 2.0, 10.0, 1234.5678, 1e6, 1e9]),
    st.floats(min_value=1.0, max_value=1e9, allow_nan=False),
)
ROWS = st.fixed_dictionaries(
    {
        "item_id": st.integers(0, 3),
        "viewer_id": st.one_of(st.none(), st.integers(0, 5)),
        "dwell_ms": st.one_of(st.none(), st.sampled_from([0.0, 500.0, 1000.0, 2500.0, 9000.0])),
        "visible_fraction": st.one_of(st.none(), st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        "weight": WEIGHTS,
    }
)

EMPTY = {"item_id": 1, "viewer_id": None, "dwell_ms": None, "visible_fraction": None, "weight": 1.0}


def _figures(result: va.Audit) -> list[tuple[str, va.Estimate]]:
    out = []
    for rung in result.ladder:
        out += [(f"{rung.level} impressions", rung.impressions), (f"{rung.level} unique viewers", rung.unique_viewers)]
        out += [(f"{rung.level} {r.k}+ reach", r.viewers) for r in rung.reach]
    return out


def _is_na(figure: va.Estimate) -> bool:
    return figure.estimate is None or math.isnan(figure.estimate)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(ROWS, min_size=1, max_size=30), frequency=st.sampled_from([None, 3]))
@example(rows=[{**EMPTY, "viewer_id": i, "weight": 1e9} for i in range(30)], frequency=3)
def test_weighted_figures_are_never_negative_nor_falsely_exact(rows: list[dict[str, Any]], frequency: int | None) -> None:
    """No figure or interval end is negative; any weight above 1 gives the rendered impressions an
    interval, and where every row weighs more than 1, every figure
    with a positive estimate has low < high (or is n/a); the rendered impressions are the sum of
    the weights (to their resolution)."""
    log = pa.Table.from_pylist(rows)
    result = va.audit(log, frequency=frequency)
    assert result.rows.accepted == len(rows)
    rendered = result.ladder["rendered"].impressions
    # Weights are resolved to 1/65536 (WEIGHT_SCALE).
    assert rendered.estimate == pytest.approx(sum(r["weight"] for r in rows), rel=1e-9, abs=len(rows) / 65536)
    if any(r["weight"] > 1 for r in rows):
        assert rendered.low < rendered.high
    all_sampled = all(r["weight"] > 1 for r in rows)
    for name, figure in _figures(result):
        if _is_na(figure):
            continue
        assert figure.low is not None
        assert figure.high is not None
        assert 0 <= figure.low <= figure.estimate <= figure.high, name
        if all_sampled and figure.estimate > 0:
            assert figure.low < figure.high, f"{name} shown as exact: {figure}"
