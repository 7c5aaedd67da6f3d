"""The scan loop: read a source batch by batch, validate, summarize, merge.

Shared by the public entry points and the Dask path, which runs it on each partition (the
Dask path imports this module; this module knows nothing of Dask).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from viewaudit._policy import Policy
from viewaudit._read.rejects import RejectsWriter
from viewaudit._read.sources import Stream, open_source
from viewaudit._read.validation import check_schema, validate_batch
from viewaudit._scan.summary import Summary, interaction_columns, merge, summarize_table
from viewaudit._schema import CANONICAL_COLUMNS, DEFAULT_INTERACTIONS, ColumnMap, OnInvalid, Recording

#: Merge the per-batch summaries once they hold this many (group, viewer) rows in all.
_COMPACT_ROWS = 1 << 22

#: A log recorded in full: times not rounded, rows not sampled.
UNSAMPLED = Recording()


def progress_bar(total: int | None, enabled: bool | None) -> Any:
    """A tqdm bar of rows on stderr (``enabled=None``: only when stderr is a terminal)."""
    from tqdm import tqdm

    # disable=None turns the bar off when stderr is not a terminal.
    return tqdm(total=total, unit=" rows", unit_scale=True, disable=enabled if enabled is None else not enabled, leave=False)


def wanted_columns(policies: Sequence[Policy], columns: ColumnMap, by: tuple[str, ...]) -> set[str]:
    """The source columns worth reading: the canonical ones, the groups and the interactions."""
    wanted = {columns.source_name(c) for c in CANONICAL_COLUMNS} | set(by) | set(DEFAULT_INTERACTIONS)
    for p in policies:
        wanted |= set(p.interactions or ())
    return wanted


def summarize_source(
    source: Any,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress: bool | None,
    recording: Recording = UNSAMPLED,
) -> list[Summary]:
    """Open a source (not a Dask collection) and summarize it under each policy."""
    stream = open_source(source, columns=columns, wanted=wanted_columns(policies, columns, by))
    return summarize_stream(stream, policies, columns, by, on_invalid, rejects, progress, recording)


def summarize_stream(
    stream: Stream,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress: bool | None,
    recording: Recording = UNSAMPLED,
) -> list[Summary]:
    """Summarize an opened stream under each policy: one :class:`Summary` per policy."""
    parts: list[list[Summary]] = [[] for _ in policies]
    pending = 0
    row = 0
    extra: list[str] | None = None
    interactions: list[tuple[str, ...]] = []
    writer = RejectsWriter.open(rejects)
    bar = progress_bar(stream.total_rows, progress)
    try:
        for raw in stream.batches:
            if extra is None:
                check_schema(raw.schema.names, columns)
                if recording.sample_rate is not None and columns.source_name("weight") in raw.schema.names:
                    raise ValueError(
                        f"sample_rate={recording.sample_rate} and a weight column "
                        f"({columns.source_name('weight')!r}) both say how the log was sampled; give one"
                    )
                names = [*raw.schema.names, *CANONICAL_COLUMNS]
                interactions = [interaction_columns(p, names) for p in policies]
                canon = set(CANONICAL_COLUMNS)
                extra = [b for b in by if b not in canon]
                extra += [f"?{c}" for c in dict.fromkeys(c for cols in interactions for c in cols)]
            checked = validate_batch(raw, columns=columns, extra=extra, on_invalid=on_invalid, first_row=row)
            row += raw.num_rows
            accepted = checked.accepted
            if recording.sample_rate is not None:
                accepted = accepted.append_column("weight", pa.array(np.full(accepted.num_rows, 1 / recording.sample_rate)))
            if checked.rejected.num_rows and writer is not None:
                writer.write(checked.rejected)
            for k, p in enumerate(policies):
                parts[k].append(
                    summarize_table(
                        accepted,
                        policy=p,
                        by=by,
                        interactions=interactions[k],
                        rows_read=raw.num_rows,
                        rejected=checked.reasons,
                        nulled=checked.nulled,
                        rounding_ms=recording.step_ms,
                    )
                )
            pending += parts[0][-1].table.num_rows
            if pending > _COMPACT_ROWS:
                parts = [[merge(*ps)] for ps in parts]
                pending = parts[0][0].table.num_rows
            bar.update(raw.num_rows)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if extra is None:  # an empty source: no batch, so no schema was ever seen
        return [_empty_summary(p, by, recording) for p in policies]
    return [merge(*ps) for ps in parts]


def _empty_summary(policy: Policy, by: tuple[str, ...], recording: Recording) -> Summary:
    columns = {"item_id": pa.array([], pa.int64()), **{b: pa.array([], pa.string()) for b in by if b != "item_id"}}
    return summarize_table(pa.table(columns), policy=policy, by=by, rows_read=0, rounding_ms=recording.step_ms)
