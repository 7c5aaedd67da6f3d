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
    text_viewers = name.startswith("polars")
    if engine == "packed" and text_viewers:
        with pytest.raises(ValueError, match="text viewer ids"):
            va.audit(source, engine=engine)
        return
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
