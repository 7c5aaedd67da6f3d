"""Sources of impression rows, read as a stream of Arrow record batches.

Files (Parquet, CSV, JSON Lines), globs and directories are opened one at a time and read in
batches; objects that export an Arrow C stream (``__arrow_c_stream__``: pyarrow tables and
readers, pandas and polars data frames, DuckDB relations) are consumed through that stream.
Nothing here materialises a whole file.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from viewaudit._schema import ID_COLUMNS, ColumnMap

#: Rows per record batch read from files.
BATCH_ROWS = 1 << 18

_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@attrs.frozen
class Stream:
    """Record batches and, where the source knows them, the number of rows to expect and the
    schema of the first batch.

    ``schema`` is known before any row is decoded for Arrow objects and Parquet files (from the
    footer); CSV and JSON Lines readers infer their types from the rows, so it is None for them
    until :func:`with_schema`. ``formats`` names the file formats read (empty for Arrow objects).
    """

    batches: Iterator[pa.RecordBatch]
    total_rows: int | None
    schema: pa.Schema | None = None
    formats: frozenset[str] = frozenset()


def _plain_type(kind: pa.DataType, keep: bool = False) -> pa.DataType:
    if keep and _text_dictionary(kind):
        return kind
    if pa.types.is_dictionary(kind):
        return _plain_type(kind.value_type)
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return pa.string()  # where every value is UTF-8; else the column stays bytes
    return kind


def _text_dictionary(kind: pa.DataType) -> bool:
    return bool(pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type))


def plain_schema(schema: pa.Schema, keep: frozenset[str] = frozenset()) -> pa.Schema:
    """``schema`` with the types :func:`plain_batch` gives its columns."""
    return pa.schema([pa.field(f.name, _plain_type(f.type, f.name in keep)) for f in schema])


def plain_batch(batch: pa.RecordBatch, keep: frozenset[str] = frozenset()) -> pa.RecordBatch:
    """``batch`` with dictionaries decoded, large or view strings as plain strings, and bytes
    as text where they are valid UTF-8.

    Done once here, for every source, so that no kernel downstream meets a type it has no
    kernel for (Arrow cannot ``take`` a ``string_view`` column, which polars exports). A bytes
    column with a cell that is not UTF-8 stays bytes: validation rejects that row (a CSV file is
    read as bytes, see :func:`_csv_options`).

    Columns named in ``keep`` stay dictionary-encoded where their values are plain text (the
    user agents: a handful of long strings, which decoding would copy for every row)."""
    names = batch.schema.names
    if all(_plain_type(t, n in keep) == t for n, t in zip(names, batch.schema.types, strict=True)):
        return batch
    arrays = []
    for name, column in zip(names, batch.columns, strict=True):
        if name in keep and _text_dictionary(column.type):
            arrays.append(column)
            continue
        if pa.types.is_dictionary(column.type):
            # Values first: Arrow cannot decode (take from) a dictionary of string_view values.
            values = column.dictionary.cast(_plain_type(column.type.value_type))
            column = pa.DictionaryArray.from_arrays(column.indices, values).dictionary_decode()
        target = _plain_type(column.type)
        if target != column.type:
            # Over 2 GiB of text in one batch does not fit 32-bit offsets: it stays large.
            # Bytes that are not UTF-8 stay bytes.
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowCapacityError):
                column = column.cast(target)
            if pa.types.is_binary_view(column.type):
                # Bytes that are not UTF-8 stay bytes, but plain ones: Arrow cannot take or
                # filter a binary_view column (polars' Binary), so rejecting the row would fail.
                column = column.cast(pa.large_binary())
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _in_full_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches as batches of about :data:`BATCH_ROWS` rows: a large one in slices of that
    many rows (views, not copies), and consecutive small ones of one schema, with a large one's
    last slice, joined into one of at least that many (at most twice). A change of schema, a
    large batch and the end close a run, so a batch comes out short only there.

    Each batch costs the scan a fixed amount of work beside its rows (histograms merged,
    counts folded): a table of 2M rows in 2,000 chunks took 6.9 s to audit by item, and 0.42 s
    in one chunk. Sources come in such pieces: a table concatenated from many small ones, a
    stream from another engine. And a worker's memory for a batch grows with its rows: a polars
    frame of 5M rows in one chunk peaked at 1,106 MB, and at 811 MB in slices. Joining copies
    the small batches only."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if held and (batch.num_rows >= BATCH_ROWS or batch.schema != held[0].schema):
            yield from _joined(held)
            held, rows = [], 0
        whole = batch.num_rows - batch.num_rows % BATCH_ROWS
        yield from (batch.slice(start, BATCH_ROWS) for start in range(0, whole, BATCH_ROWS))
        if whole == batch.num_rows and whole:
            continue
        held.append(batch.slice(whole) if whole else batch)
        rows += batch.num_rows - whole
        if rows >= BATCH_ROWS:
            yield from _joined(held)
            held, rows = [], 0
    yield from _joined(held)


def _joined(batches: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """The rows of ``batches`` (one schema) as one batch, in order; the batches as they are
    where there are fewer than two, or where Arrow cannot join their columns."""
    if len(batches) < 2:
        return batches
    try:
        joined = pa.Table.from_batches(batches).combine_chunks().to_batches()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return batches
    return joined or batches[:1]  # no rows at all: the first (empty) batch


def _plain_batches(batches: Iterable[pa.RecordBatch], keep: frozenset[str]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield plain_batch(batch, keep)


def _format_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in _SUFFIXES:
            return _SUFFIXES[suffix]
    raise ValueError(f"{str(path)!r}: cannot tell the file format from its name; expected one of {', '.join(sorted(_SUFFIXES))}")


def expand_paths(source: str | os.PathLike[str]) -> list[Path]:
    """A file, a directory (its supported files, sorted) or a glob, as a sorted list of files."""
    text = os.fspath(source)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        if not files:
            raise ValueError(f"directory {text!r} holds no .parquet, .csv or .jsonl files")
        return files
    if path.is_file():
        return [path]
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise ValueError(f"no file matches {text!r}")
        return files
    raise ValueError(f"no such file or directory: {text!r}")


#: Bytes per block read from a CSV file (a module constant, for tests to make blocks small).
#: 4 MB: about 115k rows of a typical log, joined into batches of BATCH_ROWS as any small
#: batches are. 16 MB blocks made batches of 460k rows, twice a Parquet batch, of text twice
#: the size of its numbers: 930-1,060 MB peak on 5M rows, against 760-880 MB now.
CSV_BLOCK_BYTES = 1 << 22

#: Words Arrow's CSV reader takes as null by default. Only an empty field is a missing id or
#: text; validation reads these as missing in number, flag and time columns.
NULL_WORDS = tuple(pa_csv.ConvertOptions().null_values)


def _csv_delimiter(path: Path) -> str:
    return "\t" if ".tsv" in (s.lower() for s in path.suffixes) else ","


def _csv_header(path: Path) -> list[str]:
    """The column names on a CSV file's first line (pa.input_stream decompresses by extension)."""
    # utf-8-sig: Arrow skips a BOM, so the names to declare are those after it (with the BOM, the
    # first column's type was guessed, not declared: ids 007 and 7 became one). Column names are
    # compared as text, so a header that is not UTF-8 cannot name them: refused here, by file,
    # where Arrow would fail later with no file named (UnicodeDecodeError). Bad bytes are escaped
    # (the text wrapper decodes the rows after the header too, where they cost only their row).
    with (
        pa.input_stream(str(path)) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as text,
    ):
        names = next(csv.reader(text, delimiter=_csv_delimiter(path)), [])
    for k, name in enumerate(names):
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"cannot read {str(path)!r} as csv: its header line is not UTF-8 text (column {k + 1}); save the file as UTF-8"
            ) from None
    return names


def _csv_options(path: Path, columns: ColumnMap, wanted: set[str] | None) -> tuple[Any, Any, Any]:
    # Every column is read as bytes, its type declared: a file has no types, and inferring them
    # block by block made a file fail on a value unlike its first block's (``true`` after
    # ``0``s, a word after digits). Bytes, because one cell of Latin-1 must cost one row, not
    # the file (see :func:`plain_batch`); only an empty field is null (see NULL_WORDS).
    header = _csv_header(path)
    as_bytes = {name: pa.binary() for name in header}
    # Only the wanted columns are converted (the others are split off, not read as values), as
    # a Parquet file's are: an export of dozens of columns costs what its needed ones cost.
    kept = _csv_selected(header, columns, wanted)
    return (
        pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        pa_csv.ParseOptions(delimiter=_csv_delimiter(path)),
        pa_csv.ConvertOptions(column_types=as_bytes, strings_can_be_null=True, null_values=[""], include_columns=kept),
    )


def _csv_selected(header: list[str], columns: ColumnMap, wanted: set[str] | None) -> list[str]:
    """The columns of a CSV file to read, as :func:`_selected`; every one (an empty list, for
    pyarrow) where the header repeats a name, for the error to name it."""
    if len(set(header)) < len(header):
        return []
    kept = _selected(header, columns, wanted)
    return [] if kept == header else kept


def _file_batches(path: Path, columns: ColumnMap, wanted: set[str] | None) -> Iterator[pa.RecordBatch]:
    fmt = _format_of(path)
    try:
        if fmt == "parquet":
            pf = pq.ParquetFile(path)
            cols = _selected(pf.schema_arrow.names, columns, wanted)
            # A run of row groups at a time: asked for all of them at once, the reader buffers
            # every column chunk of the file in memory (690 MB for a 20M-row log, measured).
            groups = (
                batch
                for run in _row_group_runs(pf)
                for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=run, columns=cols)
            )
            yield from _or_empty(groups, pf.schema_arrow)
        elif fmt == "csv":
            read, parse, convert = _csv_options(path, columns, wanted)
            with pa_csv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert) as reader:
                yield from _or_empty(reader, reader.schema)
        else:
            yield from _jsonl_batches(path, columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as err:
        raise ValueError(f"cannot read {str(path)!r} as {fmt}: {str(err).splitlines()[0]}") from None


def _row_group_runs(pf: pq.ParquetFile) -> list[list[int]]:
    """A Parquet file's row groups in runs of consecutive ones, each closed once it holds
    :data:`BATCH_ROWS` rows (a larger row group is a run of its own).

    The reader's batches span the row groups of a run, so a file written in small row groups
    (a streaming writer's thousand rows each) is still read in batches of BATCH_ROWS rows: one
    batch per row group cost 8.4 s for 2M rows in 2,000 row groups, against 2 s in a few. A
    run's column chunks are buffered whole, at most about twice BATCH_ROWS rows of them."""
    runs: list[list[int]] = []
    run: list[int] = []
    held = 0
    for i in range(pf.num_row_groups):
        run.append(i)
        held += pf.metadata.row_group(i).num_rows
        if held >= BATCH_ROWS:
            runs.append(run)
            run, held = [], 0
    if run:
        runs.append(run)
    return runs


def parquet_columns(
    path: str | os.PathLike[str], columns: ColumnMap, read: set[str], parts: int = 1
) -> list[Iterator[pa.RecordBatch]] | None:
    """The plain batches of only the ``read`` columns a Parquet file has (for a look at a few
    columns before the scan), in up to ``parts`` iterators over every ``parts``-th run of row
    groups (:func:`_row_group_runs`), each opening the file once itself so that they may be
    read in different threads; None when the file is not Parquet, or its footer cannot be
    read, or it lacks ``item_id``, or it repeats a column name: :func:`open_source` reads such
    a file (or fails on it, naming why).

    The file is opened once per part, not per row group: a file of many small row groups has a
    large footer, read at each opening."""
    path = Path(path)
    if _format_of(path) != "parquet":
        return None
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError):
        return None
    names = pf.schema_arrow.names
    if columns.source_name("item_id") not in names or len(set(names)) < len(names):
        return None
    wanted = [n for n in names if n in read]
    if not wanted:
        return []
    runs = _row_group_runs(pf)
    return [_columns_of(path, runs[first::parts], wanted) for first in range(min(parts, len(runs)))]


def _columns_of(path: Path, runs: list[list[int]], names: list[str]) -> Iterator[pa.RecordBatch]:
    try:
        pf = pq.ParquetFile(path)
        for run in runs:
            for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=run, columns=names):
                yield plain_batch(batch)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as err:
        raise ValueError(f"cannot read {str(path)!r} as parquet: {str(err).splitlines()[0]}") from None


def _jsonl_batches(path: Path, columns: ColumnMap) -> Iterator[pa.RecordBatch]:
    done = 0
    ids = {columns.source_name(c) for c in ID_COLUMNS}
    try:
        with pa_json.open_json(path, read_options=pa_json.ReadOptions(block_size=1 << 24)) as reader:
            for batch in reader:
                # Arrow reads integer ids beyond int64, or beside a fraction, as doubles, which
                # hold integers exactly only up to 2**53: such a file is read by Python's json.
                if any(pa.types.is_floating(f.type) for f in batch.schema if f.name in ids):
                    break
                done += batch.num_rows
                yield batch
            else:
                return
    except pa.ArrowInvalid:
        pass
    # Arrow gives a JSON column one type and fails the whole file on a value of another (a word
    # in a number column). Read the rest here instead, keeping such a column's values as text,
    # so that validation rejects the bad row and keeps the others (and ids beyond int64 exact).
    yield from _jsonl_records(path, skip=done)


def _jsonl_records(path: Path, *, skip: int) -> Iterator[pa.RecordBatch]:
    records: list[dict[str, Any]] = []
    seen = 0
    # pa.input_stream decompresses by extension (log.jsonl.gz), as Arrow's own reader does.
    with pa.input_stream(str(path)) as raw, io.TextIOWrapper(raw, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            seen += 1
            if seen <= skip:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{str(path)!r}: line {number} is not valid JSON ({err.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{str(path)!r}: line {number} is not a JSON object")
            records.append(record)
            if len(records) == BATCH_ROWS:
                yield _records_batch(records)
                records = []
    if records:
        yield _records_batch(records)


def _records_batch(records: list[dict[str, Any]]) -> pa.RecordBatch:
    arrays = {}
    for name in dict.fromkeys(k for r in records for k in r):
        values = [r.get(name) for r in records]
        try:
            try:
                arrays[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                arrays[name] = pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string())
        except UnicodeEncodeError:
            # JSON may escape a lone surrogate ("\ud83d"), which is no UTF-8 text: the column is
            # bytes, so that validation rejects that row as it does a bad byte in a CSV cell.
            arrays[name] = pa.array([_json_bytes(v) for v in values], pa.binary())
    return pa.RecordBatch.from_pydict(arrays)


def _json_bytes(value: Any) -> bytes | None:
    """A JSON value as UTF-8 bytes, lone surrogates kept as the (invalid) bytes they encode to."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def _or_empty(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The batches, or one empty batch when there are none: an empty source still has a
    schema, and the columns it has decide which rungs can be determined."""
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=schema)


def _parquet_schema(path: Path, columns: ColumnMap, wanted: set[str] | None) -> pa.Schema | None:
    """The schema of the batches :func:`_file_batches` reads from a Parquet file (the columns it
    selects, in file order), from the footer alone; None when the footer cannot be read."""
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowInvalid, OSError):
        return None
    return pa.schema([schema.field(n) for n in _selected(schema.names, columns, wanted)])


def _selected(names: list[str], columns: ColumnMap, wanted: set[str] | None) -> list[str]:
    """The columns of a Parquet or CSV file worth reading: the wanted ones; every one when the file
    lacks ``item_id`` or a column the mapping names, for the error to list them all."""
    named = {columns.source_name("item_id"), *columns.mapping.values()}
    if wanted is None or not named <= set(names):
        return names
    return [n for n in names if n in wanted]


def _parquet_rows(path: Path) -> int | None:
    if _format_of(path) != "parquet":
        return None
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowInvalid, OSError):
        return None


def _is_path(source: object) -> bool:
    return isinstance(source, str | os.PathLike)


def open_source(source: Any, *, columns: ColumnMap, wanted: set[str] | None = None, format: str | None = None) -> Stream:
    """Open any supported source as a stream of record batches.

    ``source`` may be a path, a glob, a directory, a list of those, a ``pyarrow.RecordBatch``,
    or any object with ``__arrow_c_stream__``. ``wanted`` lists the source column names worth
    reading (a hint for columnar files; other sources yield every column). ``format`` names a
    dataset whose rows are mapped to impressions on the way (``"ebnerd"``; None: rows are
    impressions already).
    """
    if format is not None:
        # Imported here: the format adapters are built on this module's readers.
        from viewaudit._read.ebnerd import open_ebnerd

        return open_ebnerd(source, wanted=wanted)
    if _is_path(source):
        files = expand_paths(source)
    elif isinstance(source, Sequence) and not isinstance(source, str | bytes) and source and all(_is_path(s) for s in source):
        files = [f for s in source for f in expand_paths(s)]
    else:
        return arrow_stream(source, keep=kept_dictionaries(columns))

    sizes = [_parquet_rows(f) for f in files]
    total = None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)
    formats = frozenset(_format_of(f) for f in files)
    names = _column_names(files, columns, wanted)
    keep = kept_dictionaries(columns)
    required = columns.source_name("item_id")
    schema = _parquet_union(files, columns, wanted) if formats == {"parquet"} else None

    def batches() -> Iterator[pa.RecordBatch]:
        for f in files:
            for batch in _in_full_batches(_file_batches(f, columns, wanted)):
                if required not in batch.schema.names and batch.num_rows:
                    # Optional columns a file lacks are read as nulls (below), but a file without
                    # the ids is not part of this log: an error, not a file of rejected rows.
                    raise ValueError(
                        f"column {required!r} is required but missing from {str(f)!r}; that file has columns "
                        f"{', '.join(map(repr, batch.schema.names)) or 'none'}"
                    )
                yield _with_columns(plain_batch(batch, keep), names)

    return Stream(batches(), total, schema, formats)


def _column_names(files: Sequence[Path], columns: ColumnMap, wanted: set[str] | None) -> list[str] | None:
    """Every column of every file, in order of first appearance, from Parquet footers and CSV
    header lines; None when a JSON Lines file (whose keys are known only once read) is among
    them, or a footer cannot be read (the read then reports it)."""
    names: dict[str, None] = {}
    for f in files:
        fmt = _format_of(f)
        if fmt == "parquet":
            schema = _parquet_schema(f, columns, wanted)
            if schema is None:
                return None
            names.update(dict.fromkeys(schema.names))
        elif fmt == "csv":
            try:
                header = _csv_header(f)
                names.update(dict.fromkeys(_csv_selected(header, columns, wanted) or header))
            except OSError:
                return None
        else:
            return None
    return list(names)


def _with_columns(batch: pa.RecordBatch, names: list[str] | None) -> pa.RecordBatch:
    """``batch`` with a column of nulls for each of ``names`` it lacks: files of one source that
    differ in optional columns are read as one log, whichever file comes first."""
    if names is None:
        return batch
    missing = [n for n in names if n not in batch.schema.names]
    if not missing:
        return batch
    arrays = [*batch.columns, *(pa.nulls(batch.num_rows) for _ in missing)]
    return pa.RecordBatch.from_arrays(arrays, names=[*batch.schema.names, *missing])


def _parquet_union(files: Sequence[Path], columns: ColumnMap, wanted: set[str] | None) -> pa.Schema | None:
    """The plain schema of all the Parquet files' batches; a column whose type differs between
    files is text there (as merging the files' summaries makes it)."""
    schemas = [_parquet_schema(f, columns, wanted) for f in files]
    if any(s is None for s in schemas):
        return None
    fields: dict[str, pa.DataType] = {}
    for schema in schemas:
        assert schema is not None
        for field in plain_schema(schema, kept_dictionaries(columns)):
            seen = fields.setdefault(field.name, field.type)
            if seen != field.type:
                fields[field.name] = pa.string()
    return pa.schema(list(fields.items()))


def with_schema(stream: Stream) -> Stream:
    """``stream`` with its ``schema`` known, for deciding how to reduce it before reading on.

    A JSON Lines reader knows its types only once it has decoded rows: its first batch is
    decoded here and yielded again by the returned stream; so is a CSV file's, whose columns are
    read as bytes (see :func:`_csv_options`). The schema stays None for a source with no batch
    at all (an empty JSON Lines file)."""
    if stream.schema is not None:
        return stream
    batches = iter(stream.batches)
    first = next(batches, None)
    if first is None:
        return attrs.evolve(stream, batches=iter(()))
    return attrs.evolve(stream, batches=itertools.chain([first], batches), schema=first.schema)


def kept_dictionaries(columns: ColumnMap) -> frozenset[str]:
    """The source columns :func:`plain_batch` leaves dictionary-encoded: the user agents."""
    return frozenset({columns.source_name("user_agent")})


def arrow_stream(source: Any, keep: frozenset[str] = frozenset()) -> Stream:
    """An Arrow object (table, batch, reader, ``__arrow_c_stream__``) as a stream of plain
    batches (``keep``: as :func:`plain_batch`)."""
    stream = _raw_arrow_stream(source)
    schema = None if stream.schema is None else plain_schema(stream.schema, keep)
    return attrs.evolve(stream, batches=_plain_batches(_in_full_batches(stream.batches), keep), schema=schema)


def _raw_arrow_stream(source: Any) -> Stream:
    if isinstance(source, pa.RecordBatch):
        return Stream(iter([source]), source.num_rows, source.schema)
    if isinstance(source, pa.Table):
        return Stream(_or_empty(source.to_batches(max_chunksize=BATCH_ROWS), source.schema), source.num_rows, source.schema)
    if isinstance(source, pa.RecordBatchReader):
        return Stream(_or_empty(source, source.schema), None, source.schema)
    if hasattr(source, "__arrow_c_stream__"):
        total = None
        with contextlib.suppress(TypeError):
            total = len(source)
        try:
            reader = pa.RecordBatchReader.from_stream(source)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
            # pandas converts its frame here: an object column of ints and words, complex numbers...
            # A series is no table. Arrow's message names the column; ours says what to do.
            said = "; ".join(str(a).splitlines()[0] for a in err.args[:2] if str(a))
            hint = " (give that column one type, e.g. text)" if "column" in said else ""
            raise TypeError(
                f"source {type(source).__name__} cannot be read as an Arrow table of impressions: {said}{hint}"
            ) from None
        return Stream(_or_empty(reader, reader.schema), total, reader.schema)
    if isinstance(source, Iterable) and not isinstance(source, str | bytes | dict):
        raise TypeError(
            "source must be a path, a glob, a directory, a list of paths or an object with "
            f"__arrow_c_stream__; got an iterable {type(source).__name__}"
        )
    raise TypeError(
        "source must be a path, a glob, a directory, a list of paths or an object with "
        f"__arrow_c_stream__ (pyarrow, pandas, polars, DuckDB); got {type(source).__name__}"
    )
