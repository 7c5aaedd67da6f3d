"""The first look at a source's time columns: a Parquet file's time columns alone give the
counts and the detection that reading the file's rows gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from viewaudit._read import sources
from viewaudit._read.granularity import Detection, add_up, decide
from viewaudit._read.recorded import look, stream_stats
from viewaudit._read.sources import open_source, parquet_columns
from viewaudit._schema import ColumnMap


def _rows_read(path: Path | list[Path], columns: ColumnMap) -> Detection:
    """The detection from every row of every file, read as the scan reads them."""
    files = path if isinstance(path, list) else [path]
    per_file = {str(f): stream_stats(open_source(f, columns=columns).batches, columns) for f in files}
    return decide(add_up(per_file.values()), per_file if len(files) > 1 else None)


def _log(path: Path, n: int, seed: int, *, dwell: pa.Array | None = None, **extra: pa.Array) -> Path:
    rng = np.random.default_rng(seed)
    seconds = np.floor(rng.exponential(15_000.0, n) / 1000) * 1000
    values = np.where(rng.random(n) < 0.1, np.nan, seconds)
    values[:3] = [-1000.0, np.inf, 2.0**63][:n]
    table = {
        "item_id": pa.array(rng.integers(0, 50, n)),
        "viewer_id": pa.array(rng.integers(0, 500, n)),
        "dwell_ms": dwell if dwell is not None else pa.array(values, from_pandas=True),
        "in_view_ms": pa.array(np.round(rng.exponential(20_000.0, n)).astype(np.int64), mask=rng.random(n) < 0.2),
        **extra,
    }
    pq.write_table(pa.table(table), path, row_group_size=max(1, n // 3))
    return path


@pytest.mark.parametrize("n", [0, 10, 5_000])
def test_parquet_time_columns_alone_give_the_rows_detection(tmp_path: Path, n: int) -> None:
    """Whole seconds with nulls, a negative, an infinite and a huge value; ms in integers."""
    path = _log(tmp_path / "log.parquet", n, 0)
    _, found, _ = look(path, ColumnMap())
    assert found == _rows_read(path, ColumnMap())
    assert found.step_ms == (1000.0 if n == 5_000 else 0.0)


def test_time_columns_as_text_and_in_seconds(tmp_path: Path) -> None:
    """A time column written as text, and one mapped with a unit, are read as the scan would."""
    text = pa.array([None if k % 7 == 0 else f"{1000 * (k % 30)}" for k in range(3_000)])
    path = _log(tmp_path / "log.parquet", 3_000, 1, dwell=text, read_s=pa.array(np.arange(3_000) % 50 + 0.5))
    for columns in (ColumnMap(), ColumnMap({"in_view_ms": "read_s:s"})):
        assert look(path, columns)[1] == _rows_read(path, columns)


def test_files_in_different_steps(tmp_path: Path) -> None:
    """Per file as on the whole: a file of whole seconds beside one of ms is listed."""
    a = _log(tmp_path / "a.parquet", 2_000, 2)
    b = _log(tmp_path / "b.parquet", 2_000, 3, dwell=pa.array(np.random.default_rng(3).exponential(9_000.0, 2_000)))
    _, found, _ = look(str(tmp_path / "*.parquet"), ColumnMap())
    assert found == _rows_read([a, b], ColumnMap())
    assert found.files == ((str(a), 1000.0), (str(b), 0.0))


def test_a_file_the_scan_refuses_is_left_to_the_scan(tmp_path: Path) -> None:
    """Without ids, or with a time column twice, the file is read as before (and fails there)."""
    no_ids = tmp_path / "no_ids.parquet"
    pq.write_table(pa.table({"viewer_id": [1, 2], "dwell_ms": [1000.0, 2000.0]}), no_ids)
    twice = tmp_path / "twice.parquet"
    pq.write_table(
        pa.Table.from_arrays([pa.array([1, 2]), pa.array([1.0, 2.0]), pa.array([3.0, 4.0])], ["item_id", "dwell_ms", "dwell_ms"]),
        twice,
    )
    for path in (no_ids, twice):
        assert parquet_columns(path, ColumnMap(), {"dwell_ms"}) is None
    assert look(no_ids, ColumnMap())[1:] == (Detection(0.0), {})


def test_row_groups_looked_at_in_threads_count_as_the_rows(tmp_path: Path) -> None:
    """Row groups counted in two threads add up to the counts of every row read in order."""
    path = _log(tmp_path / "log.parquet", 9_000, 4)
    assert pq.ParquetFile(path).num_row_groups > 2
    _, found, totals = look(path, ColumnMap())
    assert totals == stream_stats(open_source(path, columns=ColumnMap()).batches, ColumnMap())
    assert found == _rows_read(path, ColumnMap())


def test_csv_blocks_looked_at_in_threads_count_as_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSV file's blocks (its times are text) counted in threads, more blocks than the threads
    hold at once: the counts of every row read in order."""
    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 4096)
    monkeypatch.setattr(sources, "BATCH_ROWS", 500)
    table = pq.read_table(_log(tmp_path / "log.parquet", 9_000, 5))
    path = tmp_path / "log.csv"
    pa_csv.write_csv(table, path)
    assert sum(1 for _ in open_source(path, columns=ColumnMap()).batches) > 10
    _, found, totals = look(path, ColumnMap())
    assert totals == stream_stats(open_source(path, columns=ColumnMap()).batches, ColumnMap())
    assert found == _rows_read(path, ColumnMap())
    assert sum(s.measured for s in totals.values()) > 0


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_a_file_is_read_in_parts_of_every_other_run_of_row_groups(
    tmp_path: Path, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of many small row groups (each opening reads its footer, which lists them all) is
    read in ``parts`` iterators, each over every ``parts``-th run of row groups of at least
    BATCH_ROWS rows: together they hold every row once, each run's rows in order, in batches
    that span the row groups of a run."""
    monkeypatch.setattr(sources, "BATCH_ROWS", 20)
    path = tmp_path / "log.parquet"
    dwell = np.arange(1_000, dtype=np.float64)
    pq.write_table(pa.table({"item_id": np.zeros(1_000, dtype=np.int64), "dwell_ms": dwell}), path, row_group_size=7)
    found = parquet_columns(path, ColumnMap(), {"dwell_ms"}, parts=parts)
    assert found is not None
    assert len(found) == parts
    runs = [dwell[i : i + 21] for i in range(0, 1_000, 21)]  # three row groups of 7 reach 20 rows
    for first, part in enumerate(found):
        batches = list(part)
        assert max(b.num_rows for b in batches) == 20
        values = np.concatenate([b.column("dwell_ms").to_numpy() for b in batches])
        np.testing.assert_array_equal(values, np.concatenate(runs[first::parts]))


def test_the_scan_reads_small_row_groups_in_full_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan's batches span small row groups: a file of 1,000 rows in row groups of 7 comes
    in batches of BATCH_ROWS (the last of a run shorter), every row once and in order."""
    monkeypatch.setattr(sources, "BATCH_ROWS", 100)
    path = tmp_path / "log.parquet"
    dwell = np.arange(1_000, dtype=np.float64)
    pq.write_table(pa.table({"item_id": np.zeros(1_000, dtype=np.int64), "dwell_ms": dwell}), path, row_group_size=7)
    batches = list(open_source(path, columns=ColumnMap()).batches)
    assert len(batches) <= 2 * 1_000 // 100
    np.testing.assert_array_equal(np.concatenate([b.column("dwell_ms").to_numpy() for b in batches]), dwell)
