"""Every supported source gives the same audit of the same log; column mapping; grouping."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import viewaudit as va


def make_log(seed: int = 11, n: int = 300) -> pa.Table:
    """A seeded log with every canonical column, nulls, bots, self-views and interactions."""
    rng = np.random.default_rng(seed)

    def holes(values: np.ndarray, share: float) -> list[Any]:
        return [None if h else v.item() for v, h in zip(values, rng.random(n) < share, strict=True)]

    agents = np.array(["Mozilla/5.0 Chrome/120", "Mozilla/5.0 Safari/604", "Googlebot/2.1", "curl/8.0"])
    return pa.table(
        {
            "item_id": pa.array(rng.integers(100, 106, n)),
            "viewer_id": pa.array(holes(rng.integers(0, 50, n), 0.1), pa.int64()),
            "author_id": pa.array(rng.integers(0, 50, n)),
            "ts": pa.array(1_704_067_200_000 + rng.integers(0, 86_400_000, n)),
            "dwell_ms": pa.array(holes(np.round(rng.lognormal(7, 1.2, n)), 0.1), pa.float64()),
            "dwell_censored": pa.array(rng.random(n) < 0.1),
            "in_view_ms": pa.array(holes(np.round(rng.lognormal(6.8, 1.0, n)), 0.5), pa.float64()),
            "visible_fraction": pa.array(holes(np.round(rng.random(n), 3), 0.1), pa.float64()),
            "is_bot": pa.array(rng.random(n) < 0.05),
            "user_agent": pa.array(rng.choice(agents, n, p=[0.6, 0.3, 0.05, 0.05]).tolist()),
            "surface": pa.array(rng.choice(["home", "search", "profile"], n).tolist()),
            "liked": pa.array(rng.random(n) < 0.2),
            "clicked": pa.array(rng.random(n) < 0.1),
        }
    )


LOG = make_log()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log written as Parquet, CSV and JSON Lines, and split into a directory of parts."""
    root = tmp_path_factory.mktemp("sources")
    pq.write_table(LOG, root / "log.parquet")
    pa_csv.write_csv(LOG, root / "log.csv")
    (root / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in LOG.to_pylist()))
    pa_csv.write_csv(LOG, root / "log.tsv", write_options=pa_csv.WriteOptions(delimiter="\t"))
    for name in ("log.csv", "log.jsonl"):
        (root / f"{name}.gz").write_bytes(gzip.compress((root / name).read_bytes()))
    (root / "parts").mkdir()
    (root / "mixed").mkdir()
    for k, start in enumerate(range(0, LOG.num_rows, 100)):
        part = LOG.slice(start, 100)
        pq.write_table(part, root / "parts" / f"part-{k}.parquet")
        if k == 1:
            pa_csv.write_csv(part, root / "mixed" / f"part-{k}.csv")
        else:
            pq.write_table(part, root / "mixed" / f"part-{k}.parquet")
    return root


def ladder_values(result: va.Audit | va.GroupAudit) -> list[tuple[Any, ...]]:
    return [
        (r.level, r.undetermined, *(x for f in (r.impressions, r.unique_viewers) for x in (f.estimate, f.low, f.high)))
        for r in result.ladder
    ]


FILE_SOURCES: dict[str, Callable[[Path], Any]] = {
    "parquet": lambda root: root / "log.parquet",
    "parquet-str-path": lambda root: str(root / "log.parquet"),
    "csv": lambda root: root / "log.csv",
    "jsonl": lambda root: root / "log.jsonl",
    "tsv": lambda root: root / "log.tsv",
    "csv-gzip": lambda root: root / "log.csv.gz",
    "jsonl-gzip": lambda root: root / "log.jsonl.gz",
    "directory": lambda root: root / "parts",
    "glob": lambda root: str(root / "parts" / "part-*.parquet"),
    "list-of-paths": lambda root: sorted((root / "parts").iterdir()),
    "mixed-directory": lambda root: root / "mixed",
}

ARROW_SOURCES: dict[str, Callable[[], Any]] = {
    "pyarrow-table": lambda: LOG,
    "pyarrow-record-batch": lambda: LOG.combine_chunks().to_batches()[0],
    "record-batch-reader": lambda: pa.RecordBatchReader.from_batches(LOG.schema, LOG.to_batches(max_chunksize=37)),
    "pandas": lambda: LOG.to_pandas(),
    "polars": lambda: pl.from_arrow(LOG),
}


@pytest.mark.parametrize("name", sorted(FILE_SOURCES))
def test_files_give_the_same_audit(files: Path, name: str) -> None:
    """Parquet, CSV, JSON Lines, directories, globs and path lists give the in-memory log's ladder."""
    expected = va.audit(LOG)
    result = va.audit(FILE_SOURCES[name](files))
    assert result.rows == expected.rows
    assert ladder_values(result) == ladder_values(expected)
    assert result.excluded == expected.excluded


@pytest.mark.parametrize("name", sorted(ARROW_SOURCES))
def test_arrow_stream_objects_give_the_same_audit(name: str) -> None:
    """pyarrow tables, batches and readers, pandas and polars frames give the same ladder."""
    expected = va.audit(LOG)
    result = va.audit(ARROW_SOURCES[name]())
    assert result.rows == expected.rows
    assert ladder_values(result) == ladder_values(expected)


def test_duckdb_relation_gives_the_same_audit() -> None:
    """A DuckDB relation is read through its Arrow stream."""
    with duckdb.connect() as con:
        relation = con.from_arrow(LOG)
        result = va.audit(relation)
    expected = va.audit(LOG)
    assert result.rows == expected.rows
    assert ladder_values(result) == ladder_values(expected)


@pytest.mark.parametrize("name", ["parquet", "csv", "jsonl", "mixed-directory"])
def test_grouped_files_give_the_same_groups(files: Path, name: str) -> None:
    """Grouped by item_id, every file format gives the same groups (CSV ids are text)."""
    expected = {str(g.key["item_id"]): ladder_values(g) for g in va.audit(LOG, by="item_id").groups}
    result = va.audit(FILE_SOURCES[name](files), by="item_id")
    assert {str(g.key["item_id"]): ladder_values(g) for g in result.groups} == expected


def test_group_by_item_id() -> None:
    """by="item_id" gives one group per item, in key order, adding up to the whole log; a
    group is its rows audited alone, except that censored times are resolved with the whole
    log's life table (groups share the time distribution) and rows measured in part take the
    whole log's correction (docs/methods.md, "Unmeasured rows"): here, rows that measured both
    the visible share and a time, or neither."""
    result = va.audit(LOG, by="item_id")
    items = sorted(set(LOG["item_id"].to_pylist()))
    assert [g.key for g in result.groups] == [{"item_id": i} for i in items]
    uncensored = LOG.drop_columns(["dwell_censored"])
    fraction, dwell = pa.compute.is_valid(uncensored["visible_fraction"]), pa.compute.is_valid(uncensored["dwell_ms"])
    uncensored = uncensored.filter(pa.compute.equal(fraction, dwell))
    by_item = va.audit(uncensored, by="item_id")
    for g in by_item.groups:
        alone = va.audit(uncensored.filter(pa.compute.equal(uncensored["item_id"], g.key["item_id"])))
        assert ladder_values(g) == ladder_values(alone)
    assert sum(g.ladder["rendered"].impressions.estimate for g in result.groups) == LOG.num_rows
    assert ladder_values(result) == ladder_values(va.audit(LOG))
    report = result.to_dict()
    assert report["by"] == ["item_id"]
    assert [g["key"] for g in report["groups"]] == [{"item_id": i} for i in items]
    assert report["groups"][0]["ladder"] == result.groups[0].ladder.to_list()


def test_group_by_two_columns() -> None:
    """Grouping by a non-canonical column and item_id gives one group per pair present."""
    result = va.audit(LOG, by=["surface", "item_id"])
    pairs = sorted(set(zip(LOG["surface"].to_pylist(), LOG["item_id"].to_pylist(), strict=True)))
    assert [(g.key["surface"], g.key["item_id"]) for g in result.groups] == pairs
    arrow = result.to_arrow()
    assert arrow.num_rows == 5 * len(pairs)
    assert set(arrow.column_names) >= {"surface", "item_id", "level", "impressions", "impressions_low"}


RENAMES = {
    "item_id": "post_id",
    "viewer_id": "user",
    "dwell_ms": "time_on_screen",
    "visible_fraction": "share_visible",
    "is_bot": "flagged",
}


def _renamed(table: pa.Table) -> pa.Table:
    return table.rename_columns([RENAMES.get(c, c) for c in table.column_names])


@pytest.mark.parametrize(
    "columns",
    [RENAMES, va.ColumnMap(RENAMES), ",".join(f"{k}={v}" for k, v in RENAMES.items())],
    ids=["dict", "ColumnMap", "cli-string"],
)
def test_column_mapping_reads_renamed_columns(columns: Any) -> None:
    """columns= maps canonical names to the source's own; the audit is the same."""
    expected = va.audit(LOG, by="item_id")
    result = va.audit(_renamed(LOG), columns=columns, by="item_id")
    assert ladder_values(result) == ladder_values(expected)
    assert [g.key for g in result.groups] == [g.key for g in expected.groups]


def test_column_mapping_in_a_csv_file(tmp_path: Path) -> None:
    """A mapped numeric column of a CSV file is validated like the canonical one."""
    path = tmp_path / "renamed.csv"
    pa_csv.write_csv(_renamed(LOG), path)
    result = va.audit(path, columns=RENAMES)
    assert ladder_values(result) == ladder_values(va.audit(LOG))


def test_mapped_column_takes_precedence_over_a_canonical_name() -> None:
    """With dwell_ms mapped to another column, a column called dwell_ms is ignored."""
    table = pa.table({"item_id": [1, 2], "dwell_ms": [0.0, 0.0], "dwell": [5000.0, 5000.0], "visible_fraction": [1.0, 1.0]})
    result = va.audit(table, columns={"dwell_ms": "dwell"})
    assert result.ladder["attended"].impressions.estimate == 2


def test_empty_log_with_columns_is_an_exact_zero() -> None:
    """An empty log with the policy's columns has exact zero rungs, not undeterminable ones."""
    result = va.audit(LOG.slice(0, 0))
    assert result.rows == va.Rows(read=0, accepted=0, rejected={})
    for rung in result.ladder:
        assert rung.impressions == va.Estimate(0, 0, 0)
        assert rung.unique_viewers == va.Estimate(0, 0, 0)


def test_pandas_frame_with_renamed_columns_and_groups() -> None:
    """A pandas frame with the user's own names, grouped by a text column."""
    frame = _renamed(LOG).to_pandas()
    assert isinstance(frame, pd.DataFrame)
    result = va.audit(frame, columns=RENAMES, by="surface")
    expected = va.audit(LOG, by="surface")
    assert [g.key for g in result.groups] == [{"surface": s} for s in ("home", "profile", "search")]
    for g, h in zip(result.groups, expected.groups, strict=True):
        assert ladder_values(g) == ladder_values(h)


def test_parts_with_text_and_integer_ids_merge(files: Path) -> None:
    """Summaries of parts with text (CSV) and integer (Parquet) ids merge, ids taken as text."""
    csv_part, parquet_part = files / "mixed" / "part-1.csv", files / "mixed" / "part-0.parquet"
    rest = [files / "mixed" / "part-2.parquet"]
    merged = va.merge(va.summarize(csv_part), va.summarize(parquet_part), va.summarize(rest))
    assert ladder_values(va.estimate(merged)) == ladder_values(va.audit(LOG))
    grouped = va.merge(*(va.summarize(p, by="item_id") for p in (csv_part, parquet_part, *rest)))
    expected = {str(g.key["item_id"]): ladder_values(g) for g in va.audit(LOG, by="item_id").groups}
    assert {g.key["item_id"]: ladder_values(g) for g in va.estimate(grouped).groups} == expected


@given(
    sizes=st.lists(st.tuples(st.integers(0, 70), st.booleans()), max_size=25),
    full=st.integers(1, 20),
)
def test_small_batches_are_joined_in_order(sizes: list[tuple[int, bool]], full: int) -> None:
    """Large batches are cut in slices of BATCH_ROWS rows, and consecutive small batches of one
    schema (a large one's last slice among them) joined into batches of at least BATCH_ROWS and
    at most twice; a large batch, a change of schema and the end close a run. Every row comes
    out once, in order, and with its schema; a batch comes out short only where a run closed."""
    from viewaudit._read import sources

    batches, start = [], 0
    for n, wide in sizes:
        values = np.arange(start, start + n)
        columns = {"item_id": values, "viewer_id": values} if wide else {"item_id": values}
        batches.append(pa.record_batch(columns))
        start += n
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "BATCH_ROWS", full)
        out = list(sources._in_full_batches(iter(batches)))
    assert [v for b in out for v in b.column("item_id").to_pylist()] == list(range(start))
    assert len(out) <= len(batches) + start // full
    for before, after in itertools.pairwise(out):
        # A short batch is followed by a large one or one of another schema (the run closed).
        assert before.num_rows >= full or after.num_rows >= full or before.schema != after.schema
    for batch in out:
        assert batch.schema in {b.schema for b in batches}
        assert batch.num_rows < 2 * full
