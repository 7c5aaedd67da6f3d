"""A rung the log cannot inform is n/a with its reason, exactly as if its column were absent
(issue 24, item 3): a measurement column of nulls measured nothing."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._warnings import DegenerateDataWarning

ROWS = 4_000


def _log(*, dwell: bool = True, visible: bool = True, in_view: bool = False, seed: int = 0) -> pa.Table:
    """Visibility measured (random) and dwell present, each either measured or a column of nulls."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {"item_id": rng.integers(0, 50, ROWS), "viewer_id": rng.integers(0, 300, ROWS)}
    columns["visible_fraction"] = rng.random(ROWS) if visible else pa.nulls(ROWS, pa.float64())
    columns["dwell_ms"] = rng.lognormal(7.5, 1.0, ROWS) if dwell else pa.nulls(ROWS, pa.float64())
    if in_view:
        columns["in_view_ms"] = pa.nulls(ROWS, pa.float64())
    return pa.table(columns)


def _audit(source: Any, **options: Any) -> va.Audit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return va.audit(source, **options)


CASES = {
    "dwell all null": (_log(dwell=False), ["viewable", "attended"], "dwell_ms and in_view_ms hold no value"),
    "dwell and in-view all null": (
        _log(dwell=False, in_view=True),
        ["viewable", "attended"],
        "dwell_ms and in_view_ms hold no value",
    ),
    "visibility all null": (_log(visible=False), ["viewable", "attended"], "visible_fraction holds no value"),
}


@pytest.mark.parametrize("engine", ["summary", "packed"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_column_of_nulls_leaves_its_rungs_undetermined(case: str, engine: str) -> None:
    """Every value of a needed column null: the rungs are n/a from 0 to the rung above, with the reason."""
    log, levels, reason = CASES[case]
    result = _audit(log, engine=engine)
    valid = result.ladder["valid"].impressions.high
    for level in levels:
        rung = result.ladder[level]
        assert rung.impressions.estimate is None, (level, rung)
        assert (rung.impressions.low, rung.impressions.high) == (0, valid)
    assert any(a.startswith(f"{levels[0]}: cannot be determined from this log ({reason})") for a in result.assumptions)


def test_same_as_a_missing_column() -> None:
    """A dwell column of nulls gives the figures of a log without the column."""
    log = _log(dwell=False)
    without = log.drop_columns(["dwell_ms"])
    assert _audit(log).ladder == _audit(without).ladder


@pytest.mark.parametrize("engine", ["summary", "packed"])
def test_a_batch_of_nulls_does_not_hide_the_others(engine: str) -> None:
    """Nulls in one batch only: the column is measured, and the figures do not depend on batching."""
    log = _log()
    dwell = log["dwell_ms"].to_numpy().copy()
    first = pa.table(
        {**{n: log[n] for n in log.column_names}, "dwell_ms": pa.array(np.where(np.arange(ROWS) < 1000, np.nan, dwell))}
    )
    whole = _audit(first, engine=engine)
    batches = pa.RecordBatchReader.from_batches(first.schema, first.to_batches(max_chunksize=1000))
    assert _audit(batches, engine=engine).to_dict() == whole.to_dict()
    assert whole.ladder["viewable"].impressions.estimate is not None


def test_no_share_from_rows_another_criterion_settled() -> None:
    """Dwell never measured: the rows that fail visibility do not make the rest 0 (before: viewable 0 [0, 3])."""
    result = _audit(_log(dwell=False))
    viewable = result.ladder["viewable"].impressions
    undetermined = result.ladder["viewable"].undetermined
    assert undetermined > 1_000
    assert viewable.high >= undetermined


@pytest.mark.parametrize("engine", ["summary", "packed"])
def test_rows_settled_without_the_column_stay_exact(engine: str) -> None:
    """Dwell all null but every row below the visibility rule: viewable is an exact 0, not n/a."""
    log = pa.table({"item_id": [1, 2, 3], "visible_fraction": [0.1, 0.2, 0.3], "dwell_ms": pa.nulls(3, pa.float64())})
    viewable = _audit(log, engine=engine).ladder["viewable"].impressions
    assert (viewable.estimate, viewable.low, viewable.high) == (0, 0, 0)


@pytest.mark.parametrize("engine", ["summary", "packed"])
def test_an_empty_log_is_an_exact_zero(engine: str) -> None:
    """No rows at all: nothing is undetermined, so every rung is an exact 0."""
    log = _log().slice(0, 0)
    ladder = _audit(log, engine=engine).ladder
    assert all((r.impressions.estimate, r.impressions.high) == (0, 0) for r in ladder if r.level != "engaged")


def test_no_model_is_fitted_on_a_rung_the_log_cannot_determine() -> None:
    """A sampled log without dwell or visibility: viewable and attended are n/a, and no exposure
    model is fitted there to warn that it saw no viewer."""
    log = pa.table({"item_id": [1] * 200, "viewer_id": list(range(100)) * 2})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = va.audit(log, sample_rate=0.5)
    assert [str(w.message) for w in caught] == []
    assert result.ladder["viewable"].unique_viewers.estimate is None
