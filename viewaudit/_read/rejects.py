"""Where rejected rows go, so that nothing read is lost, and no file is lost either.

A rejects file is written beside its target under a temporary name and renamed into place only
when the audit succeeds: a failed audit leaves an existing file as it was. A rejects path that
is one of the inputs (or inside an input directory) is refused before anything is opened.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

#: The columns the rejects file adds to each rejected row: its index in the source and why.
ADDED = ("_row", "_reason")

Target = str | os.PathLike[str] | Callable[[pa.Table], None] | None


class RejectsWriter:
    """Appends rejected-row tables to a Parquet, CSV or JSON Lines file, or hands them to a callable.

    :meth:`close` puts the file in place; :meth:`discard` (after a failure) drops what was written.
    """

    def __init__(self, sink: Callable[[pa.Table], None], close: Callable[[], None], discard: Callable[[], None]) -> None:
        self._sink = sink
        self._close = close
        self._discard = discard

    @classmethod
    def open(cls, target: Target) -> RejectsWriter | None:
        if target is None:
            return None
        if callable(target):
            return cls(target, lambda: None, lambda: None)
        path = Path(target)
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".csv", ".jsonl"):
            raise ValueError(f"rejects path must end in .parquet, .csv or .jsonl, got {str(path)!r}")
        if not path.parent.exists():
            raise ValueError(f"rejects path {str(path)!r}: directory {str(path.parent)!r} does not exist")
        spool = _Spool(path, suffix)
        return cls(spool.write, spool.close, spool.discard)

    def write(self, table: pa.Table) -> None:
        self._sink(table)

    def close(self) -> None:
        self._close()

    def discard(self) -> None:
        self._discard()


class _Spool:
    """A rejects file under construction: a temporary file beside the target, renamed at close."""

    def __init__(self, path: Path, suffix: str) -> None:
        self.path = path
        self.suffix = suffix
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        self.temp = Path(name)
        self.handle: Any = open(self.temp, "wb")  # noqa: SIM115 - closed in close() or discard()
        self.writer: Any = None
        self.schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if self.suffix == ".jsonl":
            for record in table.to_pylist():
                self.handle.write(json.dumps(record, default=str).encode() + b"\n")
            return
        if self.schema is None:
            self._start(table.schema)
        elif table.schema != self.schema:
            if set(table.column_names) - set(self.schema.names):
                self._grow(table.schema)
            table = _align(table, self.schema)
        self.writer.write_table(table)

    def _start(self, schema: pa.Schema) -> None:
        self.schema = schema
        make = pq.ParquetWriter if self.suffix == ".parquet" else pa_csv.CSVWriter
        self.writer = make(self.handle, schema)

    def _grow(self, schema: pa.Schema) -> None:
        # A later file has columns the first did not: read back what was written and start
        # again with every column (rare, and rejected rows are few).
        assert self.schema is not None
        self.writer.close()
        self.handle.close()
        if self.suffix == ".parquet":
            written = pq.read_table(self.temp)
        else:
            text = {n: self.schema.field(n).type for n in self.schema.names}
            written = pa_csv.read_csv(self.temp, convert_options=pa_csv.ConvertOptions(column_types=text))
        source = [n for n in self.schema.names if n not in ADDED]
        source += [n for n in schema.names if n not in ADDED and n not in source]
        fields = {f.name: f for f in (*schema, *self.schema)}
        self.handle = open(self.temp, "wb")  # noqa: SIM115 - closed in close() or discard()
        self._start(pa.schema([fields[n] for n in (*source, *ADDED)]))
        self.writer.write_table(_align(written, self.schema))

    def close(self) -> None:
        if self.schema is None and self.suffix != ".jsonl":
            # Nothing was rejected: still leave a readable file (a Parquet footer, a CSV header).
            self.write(pa.table({"_row": pa.array([], pa.int64()), "_reason": pa.array([], pa.string())}))
        if self.writer is not None:
            self.writer.close()
        self.handle.close()
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            if self.writer is not None:
                self.writer.close()
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def _align(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = {}
    for field in schema:
        if field.name in table.column_names:
            columns[field.name] = table[field.name].cast(field.type)
        else:
            columns[field.name] = pa.nulls(table.num_rows, field.type)
    return pa.table(columns, schema=schema)


def kept_names(names: Sequence[str]) -> list[str]:
    """The names a rejects table gives the source's columns: a source column named ``_row`` or
    ``_reason`` becomes ``_row_1`` (``_row_2`` if that is taken too), so ours never overwrite it."""
    taken = set(names) | set(ADDED)
    out = []
    for name in names:
        if name in ADDED:
            k = 1
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        out.append(name)
    return out


@contextlib.contextmanager
def rejects_sink(target: Target, source: Any) -> Iterator[Callable[[pa.Table], None] | None]:
    """A callable taking rejected-row tables for ``target``, put in place only if the block succeeds.

    A path ``target`` that is one of the file inputs of ``source`` (or under an input directory)
    raises ``ValueError`` naming it, before anything is written.
    """
    if target is None or callable(target):
        yield target
        return
    refuse_input(target, source, what="rejects")
    writer = RejectsWriter.open(target)
    assert writer is not None
    try:
        yield writer.write
    except BaseException:
        writer.discard()
        raise
    writer.close()


def refuse_input(output: str | os.PathLike[str], source: Any, *, what: str) -> None:
    """Raise ``ValueError`` when the ``what`` file ``output`` is one of the file inputs of
    ``source``, matches an input glob or lies under an input directory: writing it would
    destroy what is being read."""
    if isinstance(source, str | os.PathLike):
        inputs = [source]
    elif isinstance(source, list | tuple) and all(isinstance(s, str | os.PathLike) for s in source):
        inputs = list(source)
    else:
        return
    target = Path(output)
    resolved = target.resolve()
    for given in inputs:
        text = os.fspath(given)
        path = Path(text).resolve()
        if path == resolved or (glob.has_magic(text) and fnmatch.fnmatch(str(resolved), os.path.abspath(text))):
            raise ValueError(f"{what} path {str(target)!r} is one of the inputs ({text!r}); write {what} elsewhere")
        if path.is_dir() and resolved.is_relative_to(path):
            raise ValueError(f"{what} path {str(target)!r} is inside the input directory {text!r}; write {what} elsewhere")
