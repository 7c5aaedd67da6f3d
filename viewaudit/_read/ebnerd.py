"""EB-NeRD's behaviors files as impression rows, so that a real log audits through the front door.

EB-NeRD (Kruse et al., RecSys Challenge 2024) logs one row per front-page impression, with the
articles in view as a list. The audit counts one impression per article in view: a row becomes
one impression per element of ``article_ids_inview``. The mapping is in ``docs/byo-log.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from viewaudit._read.sources import BATCH_ROWS, Stream, arrow_stream, expand_paths, plain_batch, plain_schema
from viewaudit._schema import CANONICAL_COLUMNS

#: The name of the format, as ``format=`` and ``--format`` take it.
FORMAT = "ebnerd"
INVIEW = "article_ids_inview"
CLICKED = "article_ids_clicked"
#: Source columns every split has, and the canonical columns they become.
REQUIRED = {INVIEW: "item_id", "user_id": "viewer_id", "impression_time": "ts"}
#: Columns about the page the row was logged on (its article, read time and scroll) or the next
#: one: they belong to one article, not to every article in view, so they are not repeated.
PAGE_COLUMNS = ("article_id", "read_time", "scroll_percentage", "next_read_time", "next_scroll_percentage")
#: Behaviors rows per batch: a row holds about 10 articles in view, so batches stay near BATCH_ROWS.
ROWS_PER_BATCH = BATCH_ROWS // 16
#: The logger's step: EB-NeRD's read times are whole seconds.
ROUNDING_MS = 1000.0


def _sample_path() -> Path:
    return Path(str(resources.files("viewaudit") / "_data" / "ebnerd" / "behaviors.parquet"))


def impressions(batch: pa.RecordBatch, *, keep: Sequence[str] | None = None) -> pa.RecordBatch:
    """One impression per article in view of a batch of EB-NeRD behaviors rows.

    ``item_id`` is the article, ``viewer_id`` the row's user and ``ts`` its impression time;
    ``clicked`` says whether the article is among the row's clicked ones (absent when the split
    has no clicks); ``dwell_ms`` is the row's read time in milliseconds for the article the row
    was logged on (``article_id``) and null for the others, whose time on screen was not
    measured. Other columns of the row (``device_type``, ``session_id``, ...) are repeated per
    impression, for ``by=``; ``keep`` limits them (None: all).
    """
    _check_columns(batch.schema, where="the source")
    inview = _combined(batch.column(INVIEW))
    parents = pc.list_parent_indices(inview)
    items = pc.list_flatten(inview)
    out: dict[str, pa.Array] = {
        "item_id": items,
        "viewer_id": pc.take(batch.column("user_id"), parents),
        "ts": pc.take(batch.column("impression_time"), parents),
        "dwell_ms": _dwell_ms(batch, parents, items),
    }
    if CLICKED in batch.schema.names:
        out["clicked"] = _clicked(_combined(batch.column(CLICKED)), parents, items)
    for name, kind in zip(batch.schema.names, batch.schema.types, strict=True):
        wanted = keep is None or name in keep
        if wanted and name not in REQUIRED and name not in (CLICKED, *PAGE_COLUMNS, *CANONICAL_COLUMNS) and not _is_list(kind):
            out[name] = pc.take(batch.column(name), parents)
    return pa.RecordBatch.from_pydict(out)


def _combined(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _is_list(kind: pa.DataType) -> bool:
    return bool(pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind))


def _dwell_ms(batch: pa.RecordBatch, parents: pa.Array, items: pa.Array) -> pa.Array:
    """The row's read time (whole seconds) as ms where the article in view is the row's article."""
    names = batch.schema.names
    if "article_id" not in names or "read_time" not in names:
        return pa.nulls(len(items), pa.float64())
    page = pc.take(batch.column("article_id"), parents)
    own = pc.fill_null(pc.equal(items.cast(pa.int64()), page.cast(pa.int64())), False)
    seconds = pc.take(batch.column("read_time"), parents).cast(pa.float64())
    return pc.if_else(own, pc.multiply(seconds, 1000.0), pa.scalar(None, pa.float64()))


def _clicked(clicked: pa.Array, parents: pa.Array, items: pa.Array) -> pa.Array:
    """Whether each (row, article in view) is among the row's clicked (row, article) pairs."""
    shown_ids = pc.fill_null(items.cast(pa.int64()), 0).to_numpy()
    clicked_ids = pc.fill_null(pc.list_flatten(clicked).cast(pa.int64()), 0).to_numpy()
    # Articles numbered densely, so that a (row, article) pair is one int64 whatever the ids.
    _, codes = np.unique(np.concatenate([shown_ids, clicked_ids]), return_inverse=True)
    width = np.int64(codes.max(initial=0) + 1)
    shown = parents.to_numpy().astype(np.int64) * width + codes[: len(shown_ids)]
    hits = pc.list_parent_indices(clicked).to_numpy().astype(np.int64) * width + codes[len(shown_ids) :]
    return pa.array(np.isin(shown, hits))


def _check_columns(schema: pa.Schema, *, where: str) -> None:
    missing = [name for name in REQUIRED if name not in schema.names]
    if missing:
        hint = " (history.parquet is each user's reading history, not impressions: give behaviors.parquet)"
        hint = hint if "article_id_fixed" in schema.names else ""
        raise ValueError(
            f"format='ebnerd' needs column {missing[0]!r}, missing from {where}{hint}; it has columns "
            f"{', '.join(map(repr, schema.names)) or 'none'}"
        )
    kind = schema.field(INVIEW).type
    if not (_is_list(kind) and pa.types.is_integer(kind.value_type)):
        raise TypeError(f"format='ebnerd' needs {INVIEW!r} to be a list of integer article ids, found {kind}")


def ebnerd_files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The behaviors files of ``source``: a file, a glob, a list of them, or a directory (every
    ``behaviors.parquet`` under it, so that a dataset's folder reads all its splits)."""
    sources = [source] if isinstance(source, str | os.PathLike) else list(source)
    files: list[Path] = []
    for each in sources:
        if Path(each).is_dir():
            found = sorted(Path(each).rglob("behaviors.parquet"))
            if not found:
                raise ValueError(f"format='ebnerd': directory {os.fspath(each)!r} holds no behaviors.parquet")
            files += found
        else:
            files += expand_paths(each)
    for path in files:
        if path.suffix.lower() not in (".parquet", ".pq"):
            raise ValueError(f"format='ebnerd' reads EB-NeRD's Parquet files (behaviors.parquet), got {str(path)!r}")
    return files


def _parquet(path: Path) -> pq.ParquetFile:
    """A behaviors file, opened, its EB-NeRD columns checked from the footer."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise ValueError(f"cannot read {str(path)!r} as parquet: {str(err).splitlines()[0]}") from None
    _check_columns(parquet.schema_arrow, where=repr(str(path)))
    return parquet


def _common_schema(files: Sequence[Path]) -> pa.Schema:
    """The first file's schema, once every file is found to have the same columns: a split
    without clicks (the test split) read with one with clicks would count its clicks as none."""
    first = _parquet(files[0]).schema_arrow
    for path in files[1:]:
        differ = sorted(set(_parquet(path).schema_arrow.names) ^ set(first.names))
        if differ:
            hint = " (the test split has no clicks)" if CLICKED in differ else ""
            raise ValueError(
                f"format='ebnerd': {str(files[0])!r} and {str(path)!r} differ in columns {', '.join(map(repr, differ))}"
                f"{hint}; audit them apart"
            )
    return first


def _file_batches(path: Path, wanted: set[str] | None) -> Iterator[pa.RecordBatch]:
    parquet = _parquet(path)
    schema = parquet.schema_arrow
    columns = [n for n in schema.names if wanted is None or n in wanted or n in REQUIRED or n in (CLICKED, *PAGE_COLUMNS)]
    empty = True
    for group in range(parquet.num_row_groups):
        for batch in parquet.iter_batches(batch_size=ROWS_PER_BATCH, row_groups=[group], columns=columns):
            empty = False
            yield impressions(plain_batch(batch), keep=None if wanted is None else sorted(wanted))
    if empty:
        yield impressions(pa.RecordBatch.from_pylist([], schema=pa.schema([schema.field(n) for n in columns])))


def _output_schema(schema: pa.Schema, wanted: set[str] | None) -> pa.Schema:
    _check_columns(schema, where="the source")
    return impressions(pa.RecordBatch.from_pylist([], schema=schema), keep=None if wanted is None else sorted(wanted)).schema


def open_ebnerd(source: Any, *, wanted: set[str] | None = None) -> Stream:
    """EB-NeRD behaviors rows (files, or an Arrow object with their columns) as a stream of
    impressions (see :func:`impressions`); ``wanted`` limits the row columns repeated."""
    if isinstance(source, str | os.PathLike) or (isinstance(source, list | tuple) and source):
        files = ebnerd_files(source)
        first = plain_schema(_common_schema(files))
        batches = (batch for path in files for batch in _file_batches(path, wanted))
        return Stream(batches, None, _output_schema(first, wanted), frozenset({"parquet"}))
    stream = arrow_stream(source)
    keep = None if wanted is None else sorted(wanted)
    schema = None if stream.schema is None else _output_schema(stream.schema, wanted)
    return Stream((impressions(b, keep=keep) for b in stream.batches), None, schema)


def load_ebnerd(path: str | os.PathLike[str] | None = None) -> pa.Table:
    """EB-NeRD impressions as a canonical Arrow table: one row per article in view.

    Parameters
    ----------
    path
        A ``behaviors.parquet`` of any EB-NeRD split (demo, small, large), a directory holding
        such files, or a glob. None (default): the sample shipped with viewaudit (1,046 rows of
        the public ``ebnerd-benchmark`` test data, MIT, (c) 2024 Ekstra Bladet).

    Returns
    -------
    pyarrow.Table
        Columns ``item_id``, ``viewer_id``, ``ts``, ``dwell_ms`` (read times, in whole seconds,
        as ms; null where not measured), ``clicked`` and the row's other columns. Audit it with
        ``rounding_ms=1000``, as ``format="ebnerd"`` does.

    References
    ----------
    Kruse et al., "EB-NeRD: A Large-Scale Dataset for News Recommendation", RecSys Challenge
    2024, https://doi.org/10.1145/3687151.3687152.

    Examples
    --------
    >>> from viewaudit.datasets import load_ebnerd
    >>> log = load_ebnerd()
    >>> log.num_rows
    10848
    """
    stream = open_ebnerd(_sample_path() if path is None else path)
    return pa.Table.from_batches(list(stream.batches), schema=stream.schema)
