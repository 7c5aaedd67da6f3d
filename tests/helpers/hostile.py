"""Hostile but legal impression logs, the sources they are read from, and the invariants every
audit of them keeps: the helpers of ``tests/read/test_hostile_inputs.py``.

The logs start from the project's own valid logs (``viewaudit.strategies.impression_logs``) and
add what a hostile user brings: text ids that are CSV null words, ids at and beyond the ends of
int64 and of a double's exact integers, huge and tiny numbers, numbers as text, every Arrow string
and dictionary type, extra columns in any order, a ``by`` column with mixed content, and CSV
bytes with a BOM, CRLF line ends or a Latin-1 byte.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from hypothesis import strategies as st

import viewaudit as va
from viewaudit.strategies import impression_logs

ID_COLUMNS = ("item_id", "viewer_id", "author_id")
FLOAT_COLUMNS = ("dwell_ms", "in_view_ms", "visible_fraction", "weight")
#: Words pyarrow's CSV reader (and pandas) take for null; in an id column they are ids.
NULL_WORDS = ("NA", "N/A", "null", "nan", "#N/A", "NULL", "None", "-nan", "n/a")
#: Numbers at the ends of what a double holds, and the awkward zero.
HUGE_AND_TINY = (1e308, 1e-300, -0.0, 5e-324, 1e12, 1e15)
#: Arrow's string types and dictionary encodings of them: a reader must take each.
STRING_TYPES = (
    pa.string(),
    pa.large_string(),
    pa.string_view(),
    pa.dictionary(pa.int32(), pa.string()),
    pa.dictionary(pa.int8(), pa.large_string()),
)
#: Group labels that look like other things: numbers, zero-padded numbers, null words, Unicode.
BY_LABELS = ("home", "01", "1", "1.0", "NA", "true", "é", "\uff48\uff4f\uff4d\uff45", " x ", "1e3", "0x1")
#: Parameters a clear error may name instead of a column.
PARAMETERS = ("source", "policy", "columns", "by", "on_invalid", "rejects", "confidence_level")


# --- the invariants ---------------------------------------------------------------------------


def is_clear_error(error: BaseException, names: set[str]) -> bool:
    """Whether ``error`` is one of the documented clear errors: a ValueError or TypeError of
    viewaudit's own (not pyarrow's, whose classes subclass them) whose message quotes a column
    of the log or names a parameter."""
    if not isinstance(error, ValueError | TypeError) or type(error).__module__.startswith("pyarrow"):
        return False
    message = str(error)
    quoted = set(re.findall(r"'([^']*)'", message))
    return bool(quoted & (names | set(ID_COLUMNS))) or any(re.search(rf"\b{p}\b", message) for p in PARAMETERS)


def figures(report: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``{estimate, low, high}`` figure of a ``to_dict()`` report, with its path."""
    if isinstance(report, dict):
        if {"estimate", "low", "high"} <= report.keys():
            yield path, report
        for key, value in report.items():
            yield from figures(value, f"{path}/{key}")
    elif isinstance(report, list):
        for k, value in enumerate(report):
            yield from figures(value, f"{path}/{k}")


def check_invariants(result: va.Audit, read: int | None = None) -> dict[str, Any]:
    """Assert what every audit keeps; returns its ``to_dict()``.

    Rows read = accepted + rejected (and = ``read`` where the caller knows it), the JSON is
    strict, no figure is negative and ``low <= estimate <= high`` wherever they are not null.
    """
    rows = result.rows
    assert rows.read == rows.accepted + sum(rows.rejected.values()), rows
    if read is not None:
        assert rows.read == read, rows
    report = result.to_dict()
    json.dumps(report, allow_nan=False)
    for path, figure in figures(report):
        values = [figure[k] for k in ("low", "estimate", "high") if figure[k] is not None]
        assert all(v >= 0 for v in values), (path, figure)
        assert values == sorted(values), (path, figure)
    return report


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report with group labels as text and groups in label order: CSV reads ids as text
    and Parquet keeps integers, so two sources of the same rows agree on the figures and on
    the labels' text, not on the labels' types."""
    out = dict(report)
    if "groups" in out:
        groups = [{**g, "key": {k: str(v) for k, v in g["key"].items()}} for g in out["groups"]]
        out["groups"] = sorted(groups, key=lambda g: sorted(g["key"].items()))
    return out


# --- writing a table in each format -----------------------------------------------------------


def _plain(table: pa.Table) -> pa.Table:
    """The table with dictionary and view types decoded, for writers that do not take them."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if kind in (pa.string_view(), pa.large_string()):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def write_csv(table: pa.Table, path: Path, *, bom: bool = False, crlf: bool = False) -> Path:
    """The table as CSV (nulls as empty fields), with a BOM and CRLF line ends if asked
    (newlines inside quoted cells stay as they are)."""
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(_plain(table), sink, write_options=pa_csv.WriteOptions(eol="\r\n" if crlf else "\n"))
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + sink.getvalue().to_pybytes())
    return path


def write_jsonl(table: pa.Table, path: Path) -> Path:
    """The table as JSON Lines, one object a row, nulls as null, timestamps as ISO 8601."""
    rows = _plain(table).to_pylist()
    path.write_text("".join(json.dumps({k: _json_value(v) for k, v in r.items()}) + "\n" for r in rows))
    return path


def write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(_plain(table), path)
    return path


WRITERS: dict[str, Callable[[pa.Table, Path], Path]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
    "parquet": write_parquet,
}


def _ids_as_text(table: pa.Table) -> pa.Table:
    fields = [pa.field(f.name, pa.string() if f.name in ID_COLUMNS else f.type) for f in table.schema]
    return table.cast(pa.schema(fields))


def write_parts(
    table: pa.Table, root: Path, cuts: list[int], formats: list[str], *, text_ids: frozenset[int] = frozenset()
) -> Path:
    """The table cut at ``cuts`` into files of the given formats in one directory, parts
    numbered in ``text_ids`` with their ids as text (integers in one file, text in the next)."""
    root.mkdir()
    bounds = [0, *sorted({c for c in cuts if 0 < c < table.num_rows}), table.num_rows]
    for k, (start, stop) in enumerate(itertools.pairwise(bounds)):
        fmt = formats[k % len(formats)]
        part = table.slice(start, stop - start)
        WRITERS[fmt](_ids_as_text(part) if k in text_ids else part, root / f"part-{k:03d}.{fmt}")
    return root


# --- the hostile logs -------------------------------------------------------------------------


def _text_ids(column: pa.ChunkedArray, words: list[str]) -> pa.Array:
    """Ids as non-empty text (an empty field is null in CSV), some of them null words."""
    out = []
    for k, value in enumerate(column.to_pylist()):
        if value is None:
            out.append(None)
        elif words and k % 2 == 0:
            out.append(words[k // 2 % len(words)] + ("" if k % 4 == 0 else str(value)))
        else:
            out.append(f"id{value}")
    return pa.array(out, pa.string())


#: Group labels that read back the same from every format.
SAFE_LABELS = ("home", "search", "é", "\uff48\uff4f\uff4d\uff45", "a,b", 'say "hi"')


@st.composite
def hostile_logs(
    draw: Any,
    *,
    null_words: bool = False,
    big_ids: bool = False,
    big_weights: bool = False,
    odd_labels: bool = False,
    bad_row: bool = False,
    max_size: int = 12,
) -> pa.Table:
    """Valid logs from the project's strategy with hostile twists, in canonical Arrow types
    (string, int64, uint64, float64): the logical rows every source is built from.

    Always: ids as text (some zero-padded: ``07`` beside ``7``) or integers near 2^53, huge and tiny durations and shares (1e308,
    1e-300, -0.0, 5e-324), an extra text column, a source column named ``_row``, a ``surface``
    column to group by, columns in any order. On request, the twists that break a release
    today: ``null_words`` (text ids such as ``NA``), ``big_ids`` (uint64 ids >= 2^63),
    ``big_weights`` (1e9 and 1e15), ``odd_labels`` (group labels such as ``01``, ``1.0``,
    ``NA``) and ``bad_row`` (one row with a negative dwell, rejected).
    """
    table = draw(impression_logs(max_size=max_size))
    columns = dict(zip(table.column_names, table.columns, strict=True))
    words = draw(st.lists(st.sampled_from(NULL_WORDS), min_size=1, max_size=3, unique=True)) if null_words else []
    shapes = ("keep", "text", "padded", "above-2^53", *(("uint64",) if big_ids else ()))
    for name in ID_COLUMNS:
        if name not in columns:
            continue
        how = draw(st.sampled_from(shapes))
        values = columns[name]
        if how == "padded" and pa.types.is_integer(values.type):
            # Text ids 07 and 7 are two ids: a reader that guesses integers makes them one.
            padded = [None if v is None else f"0{abs(v)}" if k % 2 else str(abs(v)) for k, v in enumerate(values.to_pylist())]
            columns[name] = pa.array(padded, pa.string())
        elif how in ("text", "padded") or pa.types.is_string(values.type):
            columns[name] = _text_ids(values, words)
        elif how == "uint64":
            columns[name] = pa.array([None if v is None else 2**63 + abs(v) % 1000 for v in values.to_pylist()], pa.uint64())
        elif how == "above-2^53":
            columns[name] = pa.array([None if v is None else 2**53 + abs(v) % 1000 for v in values.to_pylist()], pa.int64())
    pools = {
        "dwell_ms": HUGE_AND_TINY,
        "in_view_ms": HUGE_AND_TINY,
        "visible_fraction": (1e-300, -0.0, 5e-324, 1.0),
        "weight": (1e9, 1e15) if big_weights else (1.0, 2.0),
    }
    for name, pool in pools.items():
        if name in columns and table.num_rows and draw(st.booleans()):
            values = columns[name].to_pylist()
            values[draw(st.integers(0, table.num_rows - 1))] = draw(st.sampled_from(pool))
            if name == "weight" and big_weights:
                values = [draw(st.sampled_from(pool))] * table.num_rows
            columns[name] = pa.array(values, pa.float64())
    if odd_labels or draw(st.booleans()):
        labels = draw(st.lists(st.sampled_from(BY_LABELS if odd_labels else SAFE_LABELS), min_size=1, max_size=4))
        columns["surface"] = pa.array([labels[k % len(labels)] for k in range(table.num_rows)], pa.string())
    if draw(st.booleans()):
        columns["notes"] = pa.array([f"n{k}" if k % 3 else None for k in range(table.num_rows)], pa.string())
        columns["_row"] = pa.array(range(table.num_rows), pa.int64())
    result = pa.table(columns)
    if bad_row:
        bad = {c: None for c in result.column_names}
        first = result["item_id"][0].as_py() if result.num_rows else None
        bad["item_id"] = first if first is not None else 1 if pa.types.is_integer(result["item_id"].type) else "x"
        bad["dwell_ms"] = -1.0
        rows = result.to_pylist()
        rows.insert(draw(st.integers(0, len(rows))), bad)
        schema = result.schema if "dwell_ms" in result.column_names else result.schema.append(pa.field("dwell_ms", pa.float64()))
        result = pa.Table.from_pylist(rows, schema=schema)
    order = draw(st.permutations(result.column_names))
    return result.select(order)


def retyped(table: pa.Table, kinds: list[pa.DataType]) -> pa.Table:
    """The table with its text columns cast to the given Arrow string or dictionary types."""
    fields = []
    k = 0
    for field in table.schema:
        kind = field.type
        if pa.types.is_string(kind):
            kind, k = kinds[k % len(kinds)], k + 1
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def numbers_as_text(table: pa.Table, names: list[str]) -> pa.Table:
    """The table with the named float columns as text ("1e-300", "-0"), as a spreadsheet
    export or a JSON feed of strings gives them; Arrow writes each double's shortest exact text."""
    fields = [pa.field(f.name, pa.string() if f.name in names and pa.types.is_floating(f.type) else f.type) for f in table.schema]
    return table.cast(pa.schema(fields))


def batched(table: pa.Table, size: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=max(size, 1)))


def pandas_frame(table: pa.Table, *, arrow_strings: bool) -> pd.DataFrame:
    """Object columns (the pandas default) or pyarrow-backed ``string[pyarrow]`` columns.

    pandas stores integers with nulls as floats by default, which rounds ids beyond 2**53: the
    frame itself then holds other ids (viewaudit rejects such float ids, see
    tests/read/test_csv_types.py). Such columns are made nullable ``Int64``, as their owner must."""
    if arrow_strings:
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    frame = table.to_pandas()
    for name in table.column_names:
        column = table[name]
        if pa.types.is_integer(column.type) and column.null_count and (pc.max(pc.abs(column)).as_py() or 0) >= 2**53:
            frame[name] = table.select([name]).to_pandas(types_mapper={column.type: pd.Int64Dtype()}.get)[name]
    return frame


def polars_frame(table: pa.Table, *, categorical: bool) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if categorical:
        text = [name for name, kind in frame.schema.items() if kind == pl.String]
        frame = frame.with_columns([pl.col(name).cast(pl.Categorical) for name in text])
    return frame
