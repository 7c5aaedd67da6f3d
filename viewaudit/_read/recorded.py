"""A first look at a source's time columns, before the scan: the step they were logged in.

The scan needs the step before it reads a row (it decides per row whether a floored time
straddles a threshold), so ``rounding_ms="auto"`` reads the time columns first. For files this
reads two columns (a Parquet file only those); an Arrow object is read again; a one-shot
stream (a ``RecordBatchReader``) is looked at in its first :data:`PEEK_ROWS` rows, which are
then handed on to the scan with the rest.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa

from viewaudit._read.granularity import Detection, TimeStats, add_up, decide, unit_evidence
from viewaudit._read.sources import Stream, expand_paths, open_source, parquet_columns
from viewaudit._read.validation import measured_times
from viewaudit._schema import TIME_COLUMNS, ColumnMap

#: Rows of a one-shot stream looked at before the scan (2**20: about a million).
PEEK_ROWS = 1 << 20


def _wanted(columns: ColumnMap) -> set[str]:
    return {columns.source_name(c) for c in ("item_id", *TIME_COLUMNS)}


def stream_stats(batches: Iterator[pa.RecordBatch] | list[pa.RecordBatch], columns: ColumnMap) -> dict[str, TimeStats]:
    """Each time column's :class:`TimeStats` over ``batches``."""
    return add_up(_batch_stats(batch, columns) for batch in batches)


def _batch_stats(batch: pa.RecordBatch, columns: ColumnMap) -> dict[str, TimeStats]:
    return {name: TimeStats.of(values) for name, values in measured_times(batch, columns).items()}


def _stream_stats_in_threads(batches: Iterator[pa.RecordBatch], columns: ColumnMap) -> dict[str, TimeStats]:
    """:func:`stream_stats`, the batches counted in :data:`_LOOK_THREADS` threads while the next
    are read (a CSV file's times are text, parsed here: most of its look), at most two batches
    waiting per thread. The counts add up to the same in any order."""
    parts: list[dict[str, TimeStats]] = []
    with ThreadPoolExecutor(max_workers=_LOOK_THREADS, thread_name_prefix="viewaudit-look") as pool:
        pending: collections.deque[Future[dict[str, TimeStats]]] = collections.deque()
        for batch in batches:
            pending.append(pool.submit(_batch_stats, batch, columns))
            if len(pending) > 2 * _LOOK_THREADS:
                parts.append(pending.popleft().result())
        parts.extend(f.result() for f in pending)
    return add_up(parts)


def _files(source: Any) -> list[str] | None:
    if isinstance(source, str | os.PathLike):
        return [str(f) for f in expand_paths(source)]
    if isinstance(source, list | tuple) and source and all(isinstance(s, str | os.PathLike) for s in source):
        return [str(f) for s in source for f in expand_paths(s)]
    return None


def look(source: Any, columns: ColumnMap) -> tuple[Any, Detection, dict[str, TimeStats]]:
    """The source to scan (the same, or a one-shot stream put back together), its
    :class:`Detection` and its time columns' counts."""
    try:
        return _look(source, columns)
    except ValueError:
        # A source the scan cannot read either: the scan reports why, with its own message.
        return source, Detection(0.0), {}


def _look(source: Any, columns: ColumnMap) -> tuple[Any, Detection, dict[str, TimeStats]]:
    files = _files(source)
    if files is not None:
        per_file = {f: _file_stats(f, columns) for f in files}
        totals = add_up(per_file.values())
        return source, decide(totals, per_file if len(files) > 1 else None), totals
    if isinstance(source, pa.RecordBatchReader):
        seen: list[pa.RecordBatch] = []
        rows = 0
        while rows < PEEK_ROWS:
            batch = _next(source)
            if batch is None:
                break
            seen.append(batch)
            rows += batch.num_rows
        rest = pa.RecordBatchReader.from_batches(source.schema, itertools.chain(seen, source))
        totals = stream_stats(_opened(seen, columns), columns)
        return rest, decide(totals), totals
    opened: Stream = open_source(source, columns=columns)
    totals = stream_stats(opened.batches, columns)
    return source, decide(totals), totals


#: Threads a Parquet file's row groups are looked at in (the scan's two workers are idle then).
_LOOK_THREADS = 2


def _file_stats(path: str, columns: ColumnMap) -> dict[str, TimeStats]:
    # A Parquet file's time columns alone: the ids need not be read to count times (half the
    # look's reading on the benchmark's logs).
    parts = parquet_columns(path, columns, {columns.source_name(c) for c in TIME_COLUMNS}, parts=_LOOK_THREADS)
    if parts is None:
        return _stream_stats_in_threads(iter(open_source(path, columns=columns, wanted=_wanted(columns)).batches), columns)
    if len(parts) < 2:
        return stream_stats(itertools.chain.from_iterable(parts), columns)
    # Row groups in two threads (decoding and counting release the interpreter lock): the counts
    # add up to the same whatever the order. 0.47 s of one core on a 20M-row log.
    with ThreadPoolExecutor(max_workers=_LOOK_THREADS, thread_name_prefix="viewaudit-look") as pool:
        return add_up(pool.map(lambda batches: stream_stats(batches, columns), parts))


def _next(reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


def _opened(batches: list[pa.RecordBatch], columns: ColumnMap) -> Iterator[pa.RecordBatch]:
    if batches:
        yield from open_source(pa.Table.from_batches(batches), columns=columns).batches


def unit_warnings(totals: dict[str, TimeStats], columns: ColumnMap) -> list[tuple[str, str]]:
    """Per time column whose values look like another unit than ms (and whose mapping declares
    none): the warning, and its short form for the assumptions (``dwell_ms (from 'dwell_s') looks
    like seconds, not ms: declare dwell_ms=dwell_s:s``)."""
    out = []
    for name, stats in totals.items():
        found = unit_evidence(stats)
        if found is None or columns.unit(name) is not None:
            continue
        unit, evidence = found
        source = columns.source_name(name)
        warning = (
            f"column {name!r} (read from {source!r}) holds times in ms, but {evidence}; if so, declare the unit: "
            f"columns={{{name!r}: '{source}:{unit}'}} in Python, --columns {name}={source}:{unit} on the command line "
            "(units: s, ms, us)"
        )
        out.append((warning, f"{name} (from {source!r}) looks like {_UNIT_WORDS[unit]}, not ms: declare {name}={source}:{unit}"))
    return out


_UNIT_WORDS = {"s": "seconds", "us": "microseconds"}
