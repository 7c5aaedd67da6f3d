"""The audit's figures as a long table (a row per group and rung), built and written column-wise.

A grouped audit can have a million groups. Building one Python dict per row would take minutes
and gigabytes; here every column is gathered with Arrow ``take`` from the audit's wide table,
and files are written a chunk of groups at a time.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._report.json_groups import json_lines
from viewaudit._rungs import LEVELS

if TYPE_CHECKING:
    import pandas

#: Groups turned into JSON or a long table at a time: bounds memory, costs nothing in speed.
GROUPS_PER_CHUNK = 10_000

_FIGURES = ("impressions", "unique_viewers")
_PARTS = ("estimate", "low", "high")
FORMATS = (".parquet", ".csv", ".jsonl")


def long_table(wide: pa.Table, by: Sequence[str]) -> pa.Table:
    """One row per (row of ``wide``, rung), rungs in ladder order: the keys, ``level``, each
    figure's estimate and interval (``impressions``, ``impressions_low``, ...) and
    ``undetermined_impressions``."""
    n, rungs = wide.num_rows, len(LEVELS)
    group = np.repeat(np.arange(n), rungs)
    # Row (group g, rung r) of the output is element r * n + g of the rungs' columns end to end.
    interleave = pa.array((np.arange(rungs)[None, :] * n + np.arange(n)[:, None]).ravel())
    columns: dict[str, pa.Array | pa.ChunkedArray] = {k: wide[k].take(pa.array(group)) for k in by}
    columns["level"] = pa.array(np.tile(np.array(LEVELS, dtype=object), n), pa.string())
    for figure in _FIGURES:
        for part in _PARTS:
            name = figure if part == "estimate" else f"{figure}_{part}"
            columns[name] = _stacked(wide, [f"{level}_{figure}_{part}" for level in LEVELS], interleave)
    undetermined = _stacked(wide, [f"{level}_undetermined" for level in LEVELS], interleave)
    columns["undetermined_impressions"] = undetermined.cast(pa.int64())
    return pa.table(columns)


def wide_table(wide: pa.Table, by: Sequence[str]) -> pa.Table:
    """One row per row of ``wide`` (the audit's table): the keys, then per rung each figure's
    estimate and interval (``rendered_impressions``, ``rendered_impressions_low``, ...,
    ``rendered_unique_viewers_high``), ``<rung>_undetermined_impressions`` and, with
    ``frequency=K``, ``<rung>_reach_<k>`` for k = 2 .. K; then the inflation factor
    (``inflation``, ``inflation_low``, ``inflation_high``) and its steps (``invalid_traffic``, ...).

    Columns are renamed or selected, never computed row by row."""
    ks = 1
    while f"{LEVELS[0]}_reach_{ks + 1}_estimate" in wide.column_names:
        ks += 1
    columns: dict[str, pa.ChunkedArray] = {k: wide[k] for k in by}
    for level in LEVELS:
        for figure in (*_FIGURES, *(f"reach_{k}" for k in range(2, ks + 1))):
            for part in _PARTS:
                columns[_name(f"{level}_{figure}", part)] = wide[f"{level}_{figure}_{part}"]
            if figure == "unique_viewers":
                columns[f"{level}_undetermined_impressions"] = wide[f"{level}_undetermined"].cast(pa.int64())
    for factor in (HEADLINE[0], *(f[0] for f in FACTORS)):
        for part in _PARTS:
            columns[_name("inflation" if factor == HEADLINE[0] else factor, part)] = wide[f"{factor}_{part}"]
    return pa.table(columns)


def _name(figure: str, part: str) -> str:
    return figure if part == "estimate" else f"{figure}_{part}"


def _stacked(wide: pa.Table, names: list[str], interleave: pa.Array) -> pa.Array:
    chunks = [c for name in names for c in wide[name].chunks]
    kind = pa.float64() if any(pa.types.is_floating(c.type) for c in chunks) else chunks[0].type if chunks else pa.float64()
    return pa.chunked_array([c.cast(kind) for c in chunks], kind).combine_chunks().take(interleave)


def write_table_chunks(path: str | os.PathLike[str], tables: Iterable[pa.Table]) -> None:
    """Write ``tables`` one after another to ``path`` (``.parquet``, ``.csv`` or ``.jsonl``),
    under a temporary name beside it, renamed into place only when all are written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"groups path must end in .parquet, .csv or .jsonl, got {str(target)!r}")
    if not target.parent.exists():
        raise ValueError(f"groups path {str(target)!r}: directory {str(target.parent)!r} does not exist")
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            writer: Any = None
            for table in tables:
                if suffix == ".jsonl":
                    out.write(json_lines(table))
                    continue
                if writer is None:
                    writer = (pq.ParquetWriter if suffix == ".parquet" else pa_csv.CSVWriter)(out, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def to_pandas(table: pa.Table) -> pandas.DataFrame:
    """``table`` as a pandas DataFrame; an ``ImportError`` that says how to install pandas."""
    try:
        import pandas  # noqa: F401  (pyarrow imports it itself; this says what is missing)
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install 'viewaudit[pandas]' (or use to_arrow())") from None
    return table.to_pandas()
