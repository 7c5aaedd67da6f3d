"""Where rejected rows go, so that nothing read is lost."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq


class RejectsWriter:
    """Appends rejected-row tables to a Parquet, CSV or JSON Lines file, or hands them to a callable."""

    def __init__(self, sink: Callable[[pa.Table], None], close: Callable[[], None]) -> None:
        self._sink = sink
        self._close = close

    @classmethod
    def open(cls, target: str | os.PathLike[str] | Callable[[pa.Table], None] | None) -> RejectsWriter | None:
        if target is None:
            return None
        if callable(target):
            return cls(target, lambda: None)
        path = Path(target)
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".csv", ".jsonl"):
            raise ValueError(f"rejects path must end in .parquet, .csv or .jsonl, got {str(path)!r}")
        if not path.parent.exists():
            raise ValueError(f"rejects path {str(path)!r}: directory {str(path.parent)!r} does not exist")
        state: dict[str, Any] = {"writer": None, "schema": None}
        # Create the file at once, so an audit without rejects still leaves an (empty) file.
        handle = open(path, "wb")  # noqa: SIM115 - closed in close()

        def write(table: pa.Table) -> None:
            if state["schema"] is None:
                state["schema"] = table.schema
                if suffix == ".parquet":
                    state["writer"] = pq.ParquetWriter(handle, table.schema)
                elif suffix == ".csv":
                    state["writer"] = pa_csv.CSVWriter(handle, table.schema)
            elif suffix != ".jsonl" and table.schema != state["schema"]:
                table = _align(table, state["schema"])
            if suffix == ".jsonl":
                import json

                for record in table.to_pylist():
                    handle.write(json.dumps(record, default=str).encode() + b"\n")
            else:
                state["writer"].write_table(table)

        def close() -> None:
            if state["schema"] is None and suffix != ".jsonl":
                # Nothing was rejected: still leave a readable file (a Parquet footer, a CSV header).
                write(pa.table({"_row": pa.array([], pa.int64()), "_reason": pa.array([], pa.string())}))
            if state["writer"] is not None:
                state["writer"].close()
            handle.close()

        return cls(write, close)

    def write(self, table: pa.Table) -> None:
        self._sink(table)

    def close(self) -> None:
        self._close()


def _align(table: pa.Table, schema: pa.Schema) -> pa.Table:
    extra = [n for n in table.column_names if n not in schema.names]
    if extra:
        raise ValueError(
            f"rejected rows of a later file have column(s) {', '.join(extra)} that the first did not; "
            "write rejects as .jsonl to keep rows of differing schemas"
        )
    return pa.table(
        {n: table[n] if n in table.column_names else pa.nulls(table.num_rows, schema.field(n).type) for n in schema.names}
    )
