"""Every Arrow string, dictionary and categorical type is read as plain text, so that rejecting a
row works whatever the source's types (issue 23, item 3)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import viewaudit as va


def _polars(categorical: bool) -> Any:
    frame = pl.DataFrame({"item_id": ["a", "b"], "viewer_id": ["u", "v"], "dwell_ms": [-1.0, 5.0]})
    return frame.with_columns(pl.col("item_id").cast(pl.Categorical)) if categorical else frame


def _arrow(kind: pa.DataType) -> pa.Table:
    return pa.table(
        {
            "item_id": pa.array(["a", "b"]).cast(kind),
            "viewer_id": pa.array([1, 2]),
            "user_agent": pa.array(["Mozilla", "Mozilla"]).cast(kind),
            "dwell_ms": [-1.0, 5.0],
        }
    )


SOURCES = {
    "polars strings": lambda: _polars(False),
    "polars categorical": lambda: _polars(True),
    "pyarrow string_view": lambda: _arrow(pa.string_view()),
    "pyarrow large_string": lambda: _arrow(pa.large_string()),
    "pyarrow dictionary": lambda: _arrow(pa.dictionary(pa.int32(), pa.string())),
    "pyarrow dictionary of large_string": lambda: _arrow(pa.dictionary(pa.int8(), pa.large_string())),
    "pandas pyarrow strings": lambda: pd.DataFrame(
        {"item_id": pd.array(["a", "b"], dtype="string[pyarrow]"), "dwell_ms": [-1.0, 5.0]}
    ),
    "pandas categorical": lambda: pd.DataFrame({"item_id": pd.Categorical(["a", "b"]), "dwell_ms": [-1.0, 5.0]}),
}


@pytest.mark.parametrize("engine", ["summary", "packed", "auto"])
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_rejected_row_of_any_arrow_type_is_counted(name: str, engine: str) -> None:
    """A row rejected from a source of any string or dictionary type is counted, not a crash."""
    source = SOURCES[name]()
    report = va.audit(source, engine=engine).to_dict()
    assert report["rows"]["read"] == 2
    assert report["rows"]["accepted"] == 1
    assert report["rows"]["rejected"] == {"dwell_ms: negative": 1}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_rejects_of_any_arrow_type_keep_the_text(name: str) -> None:
    """The rejects table holds the rejected row's id as plain text."""
    tables: list[pa.Table] = []
    va.audit(SOURCES[name](), engine="summary", rejects=tables.append)
    rejected = pa.concat_tables(tables)
    assert rejected.column("item_id").to_pylist() == ["a"]


def _agents_log(kind: str) -> pa.Table:
    """A log whose user agents are dictionary-encoded: one bot, a value no row holds, a null
    row, and (``kind="null value"``) a null among the dictionary's values."""
    values = ["Mozilla/5.0 (iPhone)", "python-requests/2.31.0", "unused/1.0", None if kind == "null value" else "curl/8"]
    indices = pa.array([0, 1, 0, None, 3, 0, 1, 0], pa.int32())
    return pa.table(
        {
            "item_id": pa.array([1, 1, 2, 2, 3, 3, 1, 2]),
            "viewer_id": pa.array([1, 2, 3, 4, 5, 6, 7, None]),
            "user_agent": pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string())),
            "dwell_ms": [1500.0, 2500.0, -1.0, 3000.0, 800.0, 1200.0, 5000.0, 2000.0],
        }
    )


@pytest.mark.parametrize("kind", ["plain values", "null value"])
@pytest.mark.parametrize("engine", ["summary", "auto"])
@pytest.mark.parametrize("by", [None, "user_agent", "item_id"])
def test_dictionary_user_agents_audit_as_their_text(kind: str, engine: str, by: str | None, tmp_path: Any) -> None:
    """User agents stay dictionary-encoded through the scan (decoding copies each long string
    for every row): the audit, its groups and its rejected rows are those of the plain text."""
    log = _agents_log(kind)
    plain = log.set_column(2, "user_agent", log["user_agent"].cast(pa.string()))
    results = []
    for i, source in enumerate([log, plain]):
        rejects = tmp_path / f"rejects{i}.csv"
        result = va.audit(source, by=by, engine=engine, on_invalid="reject", rejects=str(rejects))
        results.append((result.to_dict(), rejects.read_text()))
    assert results[0] == results[1]
