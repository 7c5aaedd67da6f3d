"""Which sources the packed path takes, decided before a row is reduced (packed.accepts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit
from viewaudit._read.sources import open_source, with_schema
from viewaudit._scan.loop import wanted_columns
from viewaudit._scan.packed import accepts
from viewaudit._schema import ColumnMap

POLICIES = [viewaudit.get_policy("mrc-display")]
COLUMNS = ColumnMap()
LOG = pa.table({"item_id": [1, 1, 2], "viewer_id": [7, 8, 7], "dwell_ms": [500.0, 2500.0, None]})


def _reason(source: Any, by: tuple[str, ...] = (), *, sampled: bool = False, sketched: bool = False) -> str | None:
    stream = with_schema(open_source(source, columns=COLUMNS, wanted=wanted_columns(POLICIES, COLUMNS, by)))
    return accepts(stream, COLUMNS, by, sampled=sampled, sketched=sketched)


def _write(tmp_path: Path, name: str, table: pa.Table) -> Path:
    path = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(table, path)
    elif name.endswith(".csv"):
        pa_csv.write_csv(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    return path


TEXT = LOG.set_column(1, "viewer_id", pa.array(["a", "b", "a"]))
JSONL_IDS = "JSON Lines ids (their type may change from block to block)"
CSV_AFTER = "text viewer ids (a CSV file) after integer ones"
SAMPLED = "a sampled log (unique viewers of the complete log need per-viewer counts)"


@pytest.mark.parametrize(
    ("make", "by", "sampled", "reason", "sketched_reason"),
    [
        (lambda d: LOG, (), False, None, None),
        (lambda d: LOG.to_batches()[0], (), False, None, None),
        (lambda d: pa.RecordBatchReader.from_batches(LOG.schema, LOG.to_batches()), (), False, None, None),
        (lambda d: LOG.to_pandas(), (), False, None, None),
        (lambda d: _write(d, "log.parquet", LOG), (), False, None, None),
        (lambda d: _write(d, "log.jsonl", LOG), ("item_id",), False, None, JSONL_IDS),
        (lambda d: _write(d, "log.csv", LOG), (), False, None, None),
        (lambda d: [_write(d, "a.parquet", LOG), _write(d, "b.csv", LOG)], (), False, None, CSV_AFTER),
        (lambda d: [_write(d, "b.csv", LOG), _write(d, "a.parquet", LOG)], (), False, None, None),
        (lambda d: _write(d, "empty.jsonl", LOG.slice(0, 0)), (), False, "an empty source", JSONL_IDS),
        (lambda d: LOG, ("item_id", "dwell_ms"), False, "grouping by several columns", "grouping by several columns"),
        (lambda d: TEXT, (), False, None, None),
        (lambda d: _write(d, "text.jsonl", TEXT), (), False, None, JSONL_IDS),
        (
            lambda d: _write(d, "dict.parquet", LOG.set_column(1, "viewer_id", pa.array(["a", "b", "a"]).dictionary_encode())),
            (),
            False,
            None,
            None,
        ),
        (
            lambda d: LOG.set_column(1, "viewer_id", LOG["viewer_id"].cast(pa.uint64())),
            (),
            False,
            None,
            None,
        ),
        (lambda d: LOG, (), True, SAMPLED, SAMPLED),
        (lambda d: _write(d, "w.parquet", LOG.append_column("weight", pa.array([2.0, 2.0, 4.0]))), (), False, SAMPLED, SAMPLED),
    ],
)
def test_accepts_says_why_not(
    tmp_path: Path, make: Any, by: tuple[str, ...], sampled: bool, reason: str | None, sketched_reason: str | None
) -> None:
    """accepts() returns None for a source the packed keys take, else the reason in words; text
    ids are taken, and sketched where no text may come after integer ids."""
    assert _reason(make(tmp_path), by, sampled=sampled) == reason
    assert _reason(make(tmp_path), by, sampled=sampled, sketched=True) == sketched_reason


def test_parquet_schema_is_known_without_reading_rows(tmp_path: Path) -> None:
    """A Parquet stream's schema comes from the footer and equals its first batch's (selected columns)."""
    path = _write(tmp_path, "log.parquet", LOG.append_column("unrelated", pa.array([1, 2, 3])))
    stream = open_source(path, columns=COLUMNS, wanted=wanted_columns(POLICIES, COLUMNS, ()))
    assert stream.schema is not None
    assert with_schema(stream) is stream
    first = next(iter(stream.batches))
    assert stream.schema.names == first.schema.names == ["item_id", "viewer_id", "dwell_ms"]
    assert stream.schema.field("viewer_id").type == first.schema.field("viewer_id").type


def test_with_schema_yields_the_decoded_batch_again(tmp_path: Path) -> None:
    """A JSON Lines stream decodes its first batch for the schema and still yields every row."""
    path = _write(tmp_path, "log.jsonl", LOG)
    stream = open_source(path, columns=COLUMNS)
    assert stream.schema is None
    assert stream.formats == frozenset({"jsonl"})
    known = with_schema(stream)
    assert known.schema is not None
    assert sum(b.num_rows for b in known.batches) == LOG.num_rows


def test_sketches_name_the_reason(tmp_path: Path) -> None:
    """HyperLogLog raises the reason accepts() gives, in the message it always had."""
    files = [str(_write(tmp_path, "a.parquet", LOG)), str(_write(tmp_path, "b.csv", LOG))]
    message = (
        "unique_viewers='hll' does not take text viewer ids (a CSV file) after integer ones; "
        "use engine='auto' or 'summary' with exact unique viewers"
    )
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        viewaudit.audit(files, unique_viewers="hll")


@pytest.mark.parametrize("name", ["log.csv", "log.jsonl", "text.parquet", "text.csv"])
def test_packed_takes_text_ids_as_the_summary_engine_does(tmp_path: Path, name: str) -> None:
    """engine='packed' on text ids (and on a CSV file's integer ids, read as text) gives the
    summary engine's audit."""
    path = _write(tmp_path, name, TEXT if name.startswith("text") else LOG)
    packed = viewaudit.audit(path, by="item_id", engine="packed")
    assert packed.to_dict() == viewaudit.audit(path, by="item_id", engine="summary").to_dict()


@pytest.mark.parametrize("name", ["log.csv", "log.jsonl", "log.parquet"])
def test_auto_gives_the_summary_engines_audit_where_packed_declines(tmp_path: Path, name: str) -> None:
    """engine='auto' on a source the packed path declines (or takes) equals engine='summary'."""
    path = _write(tmp_path, name, LOG)
    auto = viewaudit.audit(path, by=["item_id", "dwell_ms"])
    summary = viewaudit.audit(path, by=["item_id", "dwell_ms"], engine="summary")
    assert auto.to_dict() == summary.to_dict()
