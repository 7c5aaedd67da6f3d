"""Writing a simulated log to Parquet, CSV or JSON Lines, one chunk at a time."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

SUFFIXES = (".parquet", ".csv", ".jsonl")


class LogWriter:
    """Append tables of one schema to a ``.parquet``, ``.csv`` or ``.jsonl`` file.

    JSON Lines carries ``ts`` as ISO 8601 text in UTC (``2023-11-17T08:00:00.125Z``), which
    the audit reads back to the millisecond.
    """

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema, *, dictionary: Sequence[str] | None = None) -> None:
        """``dictionary``: the columns a Parquet file dictionary-encodes (``None``: every one,
        Parquet's default). Only the encoding changes: the file reads back the same."""
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in SUFFIXES:
            raise ValueError(f"--out must end in {', '.join(SUFFIXES)}, got {str(self.path)!r}")
        if not self.path.parent.exists():
            raise ValueError(f"--out {str(self.path)!r}: directory {str(self.path.parent)!r} does not exist")
        self.rows = 0
        self._handle: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._writer: Any = None
        if self.suffix == ".parquet":
            self._writer = pq.ParquetWriter(self._handle, schema, use_dictionary=True if dictionary is None else list(dictionary))
        elif self.suffix == ".csv":
            self._writer = pa_csv.CSVWriter(self._handle, schema)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self._writer is not None:
            self._writer.write_table(table)
            return
        if "ts" in table.column_names:
            iso = pc.strftime(table["ts"], format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(table.column_names.index("ts"), "ts", iso)
        lines = (json.dumps(record) for record in table.to_pylist())
        self._handle.write("".join(line + "\n" for line in lines).encode())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._handle.close()

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
