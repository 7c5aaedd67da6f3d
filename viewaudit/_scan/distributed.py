"""Audits on a distributed engine: summarize each partition where it lives, merge summaries.

Summaries merge exactly (they keep one row per (group, viewer)), so the distributed ladder equals
the single-machine one whatever the partitioning, unique viewers included, without a shuffle.
The per-partition function is :func:`viewaudit.summarize` on an Arrow table, so any engine that
hands partitions out as Arrow (Spark's ``mapInArrow``, Ray's ``map_batches``) can call it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from viewaudit._policy import Policy
from viewaudit._read.granularity import TimeStats, add_up
from viewaudit._read.recorded import stream_stats
from viewaudit._read.rejects import RejectsWriter
from viewaudit._read.sources import open_source
from viewaudit._scan.loop import summarize_source
from viewaudit._scan.summary import Summary, aligned, merge
from viewaudit._schema import ColumnMap, OnInvalid, Recording

#: Summaries merged per task in the reduction tree.
_FAN_IN = 8


def is_dask_collection(source: object) -> bool:
    """A Dask DataFrame (checked without importing Dask)."""
    module = type(source).__module__ or ""
    return module.startswith("dask") and hasattr(source, "to_delayed") and hasattr(source, "npartitions")


def _summarize_partition(
    frame: Any,
    index: int,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    recording: Recording,
) -> tuple[list[Summary], pa.Table | None]:
    table = aligned(frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False))
    rejected: list[pa.Table] = []
    try:
        summaries = summarize_source(table, policies, columns, by, on_invalid, rejected.append, False, recording)
    except ValueError as err:
        raise ValueError(f"partition {index}: {err}") from None
    if not rejected:
        return summaries, None
    # Row numbers are partition-local: say which partition each rejected row came from.
    table = pa.concat_tables(rejected, promote_options="permissive")
    return summaries, table.append_column("_partition", pa.array([index] * table.num_rows, pa.int64()))


def _partition_times(frame: Any, columns: ColumnMap) -> dict[str, TimeStats]:
    table = aligned(frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False))
    return stream_stats(open_source(table, columns=columns).batches, columns)


def dask_time_stats(frame: Any, columns: ColumnMap) -> dict[str, TimeStats]:
    """Each time column's counts over a Dask DataFrame, partition by partition (for
    ``rounding_ms="auto"``, before the scan)."""
    from dask.base import compute
    from dask.delayed import delayed

    tasks = [delayed(_partition_times)(p, columns) for p in frame.to_delayed()]
    (totals,) = compute(delayed(add_up)(tasks))  # type: ignore[no-untyped-call]  # dask.base.compute is not annotated
    return dict(totals)


def _merge_many(parts: Sequence[tuple[list[Summary], pa.Table | None]]) -> tuple[list[Summary], pa.Table | None]:
    merged = [merge(*column) for column in zip(*(p[0] for p in parts), strict=True)]
    rejected = [p[1] for p in parts if p[1] is not None]
    return merged, (pa.concat_tables(rejected, promote_options="permissive") if rejected else None)


def summarize_dask(
    frame: Any,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    recording: Recording,
) -> list[Summary]:
    """Summarize a Dask DataFrame under each policy, its rejected rows sent to ``rejects``."""
    summaries, rejected = scan_dask(frame, policies, columns, by, on_invalid, recording)
    writer = RejectsWriter.open(rejects)
    if writer is not None:
        if rejected is not None:
            writer.write(rejected)
        writer.close()
    return summaries


def scan_dask(
    frame: Any, policies: list[Policy], columns: ColumnMap, by: tuple[str, ...], on_invalid: OnInvalid, recording: Recording
) -> tuple[list[Summary], pa.Table | None]:
    """Summarize every partition of a Dask DataFrame and merge the results in a tree."""
    from dask.base import compute
    from dask.delayed import delayed

    partitions = frame.to_delayed()
    tasks = [delayed(_summarize_partition)(p, i, policies, columns, by, on_invalid, recording) for i, p in enumerate(partitions)]
    if not tasks:
        raise ValueError("the Dask DataFrame has no partitions")
    while len(tasks) > 1:
        tasks = [delayed(_merge_many)(tasks[i : i + _FAN_IN]) for i in range(0, len(tasks), _FAN_IN)]
    (result,) = compute(tasks[0])  # type: ignore[no-untyped-call]  # dask.base.compute is not annotated
    summaries, rejected = result
    return list(summaries), rejected
