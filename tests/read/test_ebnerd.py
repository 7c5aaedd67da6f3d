"""EB-NeRD through the front door: format="ebnerd", --format ebnerd and load_ebnerd()."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._checks import check_audit
from viewaudit._cli.main import main
from viewaudit._read import ebnerd
from viewaudit.datasets import load_ebnerd

ROOT = Path(__file__).resolve().parents[2]
BEHAVIORS = ROOT / "viewaudit" / "_data" / "ebnerd" / "behaviors.parquet"
HISTORY = ROOT / "data" / "ebnerd" / "history.parquet"
RAW = pq.read_table(BEHAVIORS)


def reference_impressions(raw: pa.Table) -> list[dict[str, Any]]:
    """The plain reference path: one dict per (row, article in view), by Python loops."""
    out = []
    for row in raw.to_pylist():
        for article in row["article_ids_inview"] or []:
            own = row["article_id"] is not None and row["article_id"] == article
            out.append(
                {
                    "item_id": article,
                    "viewer_id": row["user_id"],
                    "ts": row["impression_time"],
                    "dwell_ms": row["read_time"] * 1000.0 if own and row["read_time"] is not None else None,
                    "clicked": article in (row["article_ids_clicked"] or []),
                    "device_type": row["device_type"],
                    "session_id": row["session_id"],
                }
            )
    return out


def test_the_raw_sample_has_the_issues_figures() -> None:
    """Counted from the raw file with numpy alone: 10,848 in-view impressions, 38 viewers,
    1,403 articles and 1,047 clicked impressions (issue 24)."""
    inview = RAW["article_ids_inview"].combine_chunks()
    lengths = pc.list_value_length(inview).to_numpy()
    assert lengths.sum() == 10_848
    assert np.unique(RAW["user_id"].to_numpy()).size == 38
    assert np.unique(pc.list_flatten(inview).to_numpy()).size == 1_403
    # Clicked impressions: in-view (row, article) pairs among the clicked pairs of the row.
    clicked = RAW["article_ids_clicked"].combine_chunks()
    shown = set(zip(np.repeat(np.arange(RAW.num_rows), lengths), pc.list_flatten(inview).to_numpy(), strict=True))
    click_lengths = pc.list_value_length(clicked).to_numpy()
    hits = set(zip(np.repeat(np.arange(RAW.num_rows), click_lengths), pc.list_flatten(clicked).to_numpy(), strict=True))
    assert len(shown) == 10_848  # no article twice in one row's list
    assert len(shown & hits) == 1_047


def test_the_sample_ships_with_its_license() -> None:
    """The packaged sample is the repository's file, beside its MIT license and attribution."""
    packaged = resources.files("viewaudit") / "_data" / "ebnerd"
    assert packaged.joinpath("behaviors.parquet").read_bytes() == (ROOT / "data" / "ebnerd" / "behaviors.parquet").read_bytes()
    assert "MIT License" in packaged.joinpath("LICENSE").read_text()
    assert "Ekstra Bladet" in packaged.joinpath("LICENSE").read_text()
    assert "Kruse et al." in packaged.joinpath("README.md").read_text()


def test_the_vectorised_mapping_equals_the_reference_loop() -> None:
    """The adapter's table equals the reference path's rows, column by column."""
    table = load_ebnerd()
    expected = reference_impressions(RAW)
    got = table.select(["item_id", "viewer_id", "ts", "dwell_ms", "clicked", "device_type", "session_id"]).to_pylist()
    assert got == expected


def test_load_ebnerd_gives_the_canonical_table() -> None:
    """load_ebnerd() has the canonical columns, one row per article in view, 147 measured read times."""
    table = load_ebnerd()
    assert table.column_names[:5] == ["item_id", "viewer_id", "ts", "dwell_ms", "clicked"]
    assert table.num_rows == 10_848
    assert pc.sum(table["clicked"]).as_py() == 1_047
    assert table["dwell_ms"].null_count == 10_848 - 147
    seconds = pc.divide(pc.drop_null(table["dwell_ms"]), 1000.0)
    assert pc.all(pc.equal(seconds, pc.floor(seconds))).as_py()
    for page_column in ("article_id", "read_time", "scroll_percentage", "article_ids_inview", "article_ids_clicked"):
        assert page_column not in table.column_names
    assert load_ebnerd(BEHAVIORS).equals(table)


def test_small_batches_and_sliced_tables_give_the_same_impressions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading 7 rows per batch, or from slices of an Arrow table, maps to the same rows."""
    whole = load_ebnerd()
    monkeypatch.setattr(ebnerd, "ROWS_PER_BATCH", 7)
    assert load_ebnerd().equals(whole)
    sliced = pa.Table.from_batches([*RAW.slice(0, 500).to_batches(max_chunksize=33), *RAW.slice(500).to_batches()])
    stream = ebnerd.open_ebnerd(sliced)
    mapped = pa.Table.from_batches(list(stream.batches)).select(whole.column_names)
    assert mapped.equals(whole)


@pytest.mark.parametrize("engine", ["packed", "summary"])
def test_audit_with_format_ebnerd_gives_the_issues_figures(engine: str) -> None:
    """audit(behaviors, format="ebnerd"): 10,848 impressions, 38 viewers, 1,047 engaged (clicked), on either engine."""
    result = va.audit(BEHAVIORS, format="ebnerd", policy="platform", engine=engine)
    assert result.rows.read == result.rows.accepted == 10_848
    rendered, engaged = result.ladder["rendered"], result.ladder["engaged"]
    assert (rendered.impressions.estimate, rendered.unique_viewers.estimate) == (10_848, 38)
    assert engaged.impressions.estimate == 1_047


def test_audit_by_article_has_1403_groups() -> None:
    """Grouped by item_id, the sample has 1,403 articles."""
    assert va.audit(BEHAVIORS, format="ebnerd", by="item_id").table.num_rows == 1_403


def test_format_ebnerd_is_load_ebnerd_audited_in_whole_seconds() -> None:
    """format="ebnerd" gives the audit of load_ebnerd() with rounding_ms=1000, for audit, compare and summarize."""
    table = load_ebnerd()
    policy = va.Policy(name="attention-2.5s", attention_ms=2500)
    assert (
        va.audit(BEHAVIORS, format="ebnerd", policy=policy).to_dict()
        == va.audit(table, rounding_ms=1000, policy=policy).to_dict()
    )
    compared = va.compare(BEHAVIORS, format="ebnerd", policies=["platform", "meta-3s"])
    assert compared.to_dict() == va.compare(table, rounding_ms=1000, policies=["platform", "meta-3s"]).to_dict()
    summary = va.summarize(RAW, format="ebnerd")
    assert isinstance(summary, va.Summary)
    assert va.estimate(summary).to_dict() == va.audit(table, rounding_ms=1000, engine="summary").to_dict()


def test_format_ebnerd_records_whole_seconds() -> None:
    """The audit is told EB-NeRD's read times are whole seconds (rounding_ms 1000)."""
    options = check_audit(
        policy="platform", columns=None, by=None, on_invalid="reject", rejects=None, confidence_level=0.95, progress=False,
        engine="auto", unique_viewers="exact", hll_precision=10, rounding_ms=0.0, sample_rate=None, strata=None,
        frequency=None, population=None, format="ebnerd",
    )  # fmt: skip
    assert options.recording.rounding_ms == 1000.0
    assert options.format == "ebnerd"


def test_by_a_row_column_groups_the_impressions() -> None:
    """The row's own columns (device_type) are repeated per impression, for by=."""
    result = va.audit(BEHAVIORS, format="ebnerd", by="device_type")
    counts = pc.value_counts(load_ebnerd()["device_type"]).to_pylist()
    assert result.table.num_rows == len(counts)


def test_a_directory_reads_every_split_and_not_the_history(tmp_path: Path) -> None:
    """A dataset folder: every behaviors.parquet under it is read, history.parquet is not."""
    for split in ("train", "validation"):
        (tmp_path / split).mkdir()
        shutil.copy(BEHAVIORS, tmp_path / split / "behaviors.parquet")
        shutil.copy(HISTORY, tmp_path / split / "history.parquet")
    result = va.audit(tmp_path, format="ebnerd", policy="platform")
    assert result.rows.read == 2 * 10_848
    assert load_ebnerd(tmp_path).num_rows == 2 * 10_848


def test_a_split_without_clicks_has_no_engaged_rung(tmp_path: Path) -> None:
    """The test split has no article_ids_clicked: no clicked column, engaged cannot be determined."""
    path = tmp_path / "behaviors.parquet"
    pq.write_table(RAW.drop_columns(["article_ids_clicked"]), path)
    assert "clicked" not in load_ebnerd(path).column_names
    result = va.audit(path, format="ebnerd", policy="platform")
    assert result.ladder["engaged"].impressions.estimate is None
    assert result.rows.read == 10_848


def test_a_null_article_in_a_list_is_rejected_and_counted() -> None:
    """A null element of article_ids_inview is an impression without an item: rejected, counted."""
    raw = pa.table(
        {
            "impression_time": pa.array([0, 1_000_000], pa.timestamp("us")),
            "user_id": pa.array([1, 2], pa.uint32()),
            "article_ids_inview": pa.array([[10, None, 11], [12]], pa.large_list(pa.int32())),
            "article_ids_clicked": pa.array([[11], []], pa.large_list(pa.int32())),
            "article_id": pa.array([11, None], pa.int32()),
            "read_time": pa.array([3.0, 5.0], pa.float32()),
        }
    )
    result = va.audit(raw, format="ebnerd", policy="platform")
    assert (result.rows.read, result.rows.accepted, result.rows.rejected) == (4, 3, {"item_id: null": 1})
    assert load_ebnerd_of(raw)["dwell_ms"].to_pylist() == [None, None, 3000.0, None]


def load_ebnerd_of(raw: pa.Table) -> pa.Table:
    stream = ebnerd.open_ebnerd(raw)
    return pa.Table.from_batches(list(stream.batches))


def test_an_empty_file_audits_to_zero(tmp_path: Path) -> None:
    """A behaviors file with no rows gives an audit of no rows, not an error."""
    path = tmp_path / "behaviors.parquet"
    pq.write_table(RAW.slice(0, 0), path)
    result = va.audit(path, format="ebnerd", policy="platform")
    assert result.rows.read == 0


def _bad_inview() -> pa.Table:
    return RAW.set_column(RAW.column_names.index("article_ids_inview"), "article_ids_inview", pc.cast(RAW["user_id"], pa.int64()))


@pytest.mark.parametrize(
    ("source", "kwargs", "error", "match"),
    [
        (BEHAVIORS, {"format": "mind"}, ValueError, r"format must be one of 'ebnerd' or None, got 'mind'"),
        (BEHAVIORS, {"columns": {"item_id": "article_id"}}, ValueError, r"format='ebnerd' names the columns itself"),
        (BEHAVIORS, {"rounding_ms": 500}, ValueError, r"whole seconds: leave rounding_ms out \(or 'auto', or 1000\), got 500"),
        (HISTORY, {}, ValueError, r"needs column 'article_ids_inview'.*history.parquet is each user's reading history"),
        (RAW.drop_columns(["user_id"]), {}, ValueError, r"needs column 'user_id', missing from the source"),
        (_bad_inview(), {}, TypeError, r"'article_ids_inview' to be a list of integer article ids, found int64"),
        (ROOT / "data" / "ebnerd" / "README.md", {}, ValueError, r"reads EB-NeRD's Parquet files"),
        (ROOT / "docs", {}, ValueError, r"directory '.*docs' holds no behaviors.parquet"),
    ],
)
def test_bad_ebnerd_inputs_are_named(source: Any, kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    """Each bad input names the argument or column, what was expected and what was got."""
    with pytest.raises(error, match=match):
        va.audit(source, **{"format": "ebnerd", **kwargs})


def test_splits_with_and_without_clicks_are_not_mixed(tmp_path: Path) -> None:
    """A folder holding a split with clicks and one without is refused, naming both files."""
    (tmp_path / "test").mkdir()
    (tmp_path / "train").mkdir()
    pq.write_table(RAW.drop_columns(["article_ids_clicked"]), tmp_path / "test" / "behaviors.parquet")
    shutil.copy(BEHAVIORS, tmp_path / "train" / "behaviors.parquet")
    with pytest.raises(
        ValueError, match=r"differ in columns 'article_ids_clicked' \(the test split has no clicks\); audit them apart"
    ):
        va.audit(tmp_path, format="ebnerd")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    """A behaviors.parquet that is not Parquet raises ValueError naming it."""
    path = tmp_path / "behaviors.parquet"
    path.write_text("not parquet")
    with pytest.raises(ValueError, match=r"cannot read '.*behaviors.parquet' as parquet"):
        va.audit(path, format="ebnerd")


def test_rejected_impressions_go_to_the_rejects_file(tmp_path: Path) -> None:
    """With rejects=, a rejected impression is written with its columns and reason; rows add up."""
    raw = RAW.slice(0, 3)
    inview = pa.array([[1, None], [2], [None, None, 3]], pa.large_list(pa.int32()))
    raw = raw.set_column(raw.column_names.index("article_ids_inview"), "article_ids_inview", inview)
    result = va.audit(raw, format="ebnerd", rejects=tmp_path / "bad.parquet")
    rejected = pq.read_table(tmp_path / "bad.parquet")
    assert (result.rows.read, result.rows.accepted) == (6, 3)
    assert rejected["_reason"].to_pylist() == ["item_id: null"] * 3
    assert rejected["_row"].to_pylist() == [1, 3, 4]
    assert "device_type" in rejected.column_names


def test_a_dask_collection_is_refused() -> None:
    """format="ebnerd" reads files and Arrow objects; a Dask collection is refused, named."""
    dd = pytest.importorskip("dask.dataframe")
    frame = dd.from_pandas(pd_frame(), npartitions=1)
    with pytest.raises(ValueError, match=r"format='ebnerd' reads files or Arrow objects, not a Dask collection"):
        va.audit(frame, format="ebnerd", engine="summary")


def pd_frame() -> Any:
    return RAW.select(["user_id", "impression_time"]).to_pandas()


def test_the_cli_audits_ebnerd_in_one_command(capsys: pytest.CaptureFixture[str]) -> None:
    """viewaudit audit behaviors.parquet --format ebnerd: 10,848 rows read, 38 viewers, exit 0."""
    assert main(["audit", str(BEHAVIORS), "--format", "ebnerd", "--policy", "platform"]) == 0
    out = capsys.readouterr().out
    assert "rows read 10,848, accepted 10,848, rejected 0" in out
    assert "rendered  10,848                   38" in out
    assert "engaged   1,047" in out


def test_the_cli_names_a_history_file_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Given history.parquet, the CLI says it is not impressions, on one line, exit 2."""
    assert main(["compare", str(HISTORY), "--format", "ebnerd"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "give behaviors.parquet" in err
