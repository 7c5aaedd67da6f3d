"""Hostile but legal logs through every source kind: never a crash, never a lost row, never a
negative or disordered figure, and the same figures from every format (issue 23, item 9)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from helpers.hostile import (
    STRING_TYPES,
    batched,
    check_invariants,
    comparable,
    hostile_logs,
    is_clear_error,
    pandas_frame,
    polars_frame,
    retyped,
    write_csv,
    write_jsonl,
    write_parquet,
    write_parts,
)
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import viewaudit as va
from viewaudit._warnings import DegenerateDataWarning

SOURCES = ("csv", "parquet", "jsonl", "directory", "arrow", "batches", "pandas", "polars")
_FIXTURE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _source(kind: str, table: pa.Table, draw: Any, root: Path, *, categorical: bool = False) -> Any:
    if kind == "csv":
        return write_csv(table, root / "log.csv", bom=draw(st.booleans()), crlf=draw(st.booleans()))
    if kind == "parquet":
        return write_parquet(table, root / "log.parquet")
    if kind == "jsonl":
        return write_jsonl(table, root / "log.jsonl")
    if kind == "directory":
        cuts = draw(st.lists(st.integers(0, table.num_rows), max_size=3))
        formats = draw(st.lists(st.sampled_from(("csv", "jsonl", "parquet")), min_size=1, max_size=3))
        return write_parts(table, root / "parts", cuts, formats)
    kinds = draw(st.lists(st.sampled_from(STRING_TYPES), min_size=1, max_size=3))
    if kind == "arrow":
        return retyped(table, kinds)
    if kind == "batches":
        return batched(retyped(table, kinds), draw(st.integers(1, 4)))
    if kind == "pandas":
        return pandas_frame(table, arrow_strings=draw(st.booleans()))
    if kind == "polars":
        return polars_frame(table, categorical=categorical)
    raise AssertionError(kind)


def _audit(source: Any, names: set[str], **kwargs: Any) -> va.Audit | None:
    """The audit, or None after a clear error; any other exception or warning (other than
    viewaudit's own about degenerate data) fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            return va.audit(source, **kwargs)
    except Exception as err:
        if is_clear_error(err, names):
            return None
        raise


def _known_defect(kind: str, table: pa.Table) -> str | None:
    """The issue item an example of the guard test runs into today, if any (tested below)."""
    ts = table["ts"] if "ts" in table.column_names else None
    if kind in ("jsonl", "directory") and ts is not None and table.num_rows and ts.null_count == table.num_rows:
        return "item 2: an all-null JSON Lines column is typed null"
    return None


def _same_figures(
    kind: str, table: pa.Table, data: st.DataObject, root: Path, *, categorical: bool = False, grouped: bool = False
) -> None:
    assume(_known_defect(kind, table) is None)
    by = "surface" if "surface" in table.column_names and (grouped or data.draw(st.booleans())) else None
    names = set(table.column_names)
    expected = _audit(table, names, by=by)
    result = _audit(_source(kind, table, data.draw, root, categorical=categorical), names, by=by)
    assert (expected is None) == (result is None)
    if expected is None or result is None:
        return
    want = check_invariants(expected, table.num_rows)
    got = check_invariants(result, table.num_rows)
    if table.num_rows == 0 and kind in ("jsonl", "directory"):
        # An empty JSON Lines file has no columns, so rungs needing one are undetermined.
        assert got["rows"] == want["rows"]
    else:
        assert comparable(got) == comparable(want)


@pytest.mark.parametrize("kind", SOURCES)
@settings(suppress_health_check=_FIXTURE)
@given(table=hostile_logs(), data=st.data())
def test_every_source_gives_the_same_figures(tmp_path_factory: pytest.TempPathFactory, kind: str, table: pa.Table, data: st.DataObject) -> None:
    """Each source of the same rows keeps the invariants and gives the in-memory table's figures."""
    _same_figures(kind, table, data, tmp_path_factory.mktemp(kind))


# --- the twists that break the invariants today, one per item of issue 23 -------------------

#: twist -> the issue item that fixes it. Each test fails on its twist today (xfail, strict):
#: when the fix lands it passes, xfail_strict turns that into a failure, and the fix removes
#: the marker, so the twist joins the guard above.
TWISTS = {
    "big_weights": "issue 23 item 1: weights of 1e9 and 1e15 overflow the weight sums",
    "odd_labels": "issue 23 item 2: CSV infers a by column's type, merging labels 01 and 1",
    "bad_row": "issue 23 item 3: a rejected row in a string_view column crashes the reader",
    "categorical": "issue 23 item 3: polars Categorical columns crash the reader",
    "null_words": "issue 23 item 6: CSV null words in id columns become null ids",
    "big_ids": "issue 23 item 6: uint64 ids >= 2^63 are rejected, not read exactly",
}


@pytest.mark.parametrize(
    "twist",
    [pytest.param(t, marks=pytest.mark.xfail(strict=True, reason=reason)) for t, reason in TWISTS.items()],
)
@settings(suppress_health_check=_FIXTURE, max_examples=30, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_hostile_twist_gives_the_same_figures(tmp_path_factory: pytest.TempPathFactory, twist: str, data: st.DataObject) -> None:
    """With the twist on, every source still keeps the invariants and gives the same figures."""
    kinds = {"categorical": ("polars",), "odd_labels": ("csv", "directory")}.get(twist, SOURCES)
    kind = data.draw(st.sampled_from(kinds))
    table = data.draw(hostile_logs(**({} if twist == "categorical" else {twist: True})))
    root = tmp_path_factory.mktemp(kind)
    _same_figures(kind, table, data, root, categorical=twist == "categorical", grouped=twist == "odd_labels")
