"""The rejects file: never an input, replaced only when the audit succeeds, every source column kept."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli.main import main

CSV = "item_id,viewer_id,dwell_ms,note\n1,1,5,first\n2,2,-1,bad dwell\n3,3,7,third\n"


def _read(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(strings_can_be_null=True))
    return pa.Table.from_pylist([json.loads(line) for line in path.read_text().splitlines()])


def test_rejects_path_that_is_the_input_is_refused(tmp_path: Path) -> None:
    """`audit log.csv --rejects log.csv` is refused before anything is written; the log is intact."""
    log = tmp_path / "log.csv"
    log.write_text(CSV)
    with pytest.raises(ValueError, match=r"rejects path .*log\.csv.* is one of the inputs"):
        va.audit(str(log), rejects=str(log))
    with pytest.raises(ValueError, match=r"is one of the inputs"):
        va.audit([str(tmp_path / "other.csv"), str(log)], rejects=tmp_path / "." / "log.csv")
    assert log.read_text() == CSV


def test_rejects_path_inside_an_input_directory_is_refused(tmp_path: Path) -> None:
    """A rejects path under a directory input is refused, naming the directory."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.csv").write_text(CSV)
    with pytest.raises(ValueError, match=r"is inside the input directory .*logs"):
        va.audit(str(tmp_path / "logs"), rejects=tmp_path / "logs" / "bad.csv")
    assert not (tmp_path / "logs" / "bad.csv").exists()


def test_cli_refuses_rejects_over_its_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The CLI says so in one line, exit 2, and the log is unchanged."""
    log = tmp_path / "log.csv"
    log.write_text(CSV)
    code = main(["audit", str(log), "--rejects", str(log)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "is one of the inputs" in err
    assert log.read_text() == CSV


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_existing_rejects_file_survives_a_failed_audit(tmp_path: Path, suffix: str) -> None:
    """An audit that fails leaves an existing rejects file as it was, and no temporary file."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text(CSV)
    (tmp_path / "in" / "b.csv").write_text("post,viewer_id\n1,2\n")  # no item_id: fails
    rejects = tmp_path / f"rejects{suffix}"
    rejects.write_bytes(b"precious")
    with pytest.raises(ValueError, match="item_id"):
        va.audit(str(tmp_path / "in"), rejects=rejects)
    assert rejects.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", f"rejects{suffix}"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_rejects_file_is_replaced_on_success(tmp_path: Path, suffix: str) -> None:
    """A successful audit replaces the rejects file whole and leaves no temporary file."""
    log = tmp_path / "log.csv"
    log.write_text(CSV)
    rejects = tmp_path / f"rejects{suffix}"
    rejects.write_bytes(b"old")
    va.audit(str(log), rejects=rejects)
    table = _read(rejects)
    assert table.column("_row").to_pylist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", f"rejects{suffix}"]


@pytest.mark.parametrize("out", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("source", ["csv", "parquet", "jsonl"])
def test_rejected_rows_keep_every_source_column(tmp_path: Path, source: str, out: str) -> None:
    """Rejected rows keep the columns no count reads (`note`), from every format."""
    table = pa_csv.read_csv(pa.BufferReader(CSV.encode()))
    log = tmp_path / f"log.{source}"
    if source == "csv":
        log.write_text(CSV)
    elif source == "parquet":
        pq.write_table(table, log)
    else:
        log.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    rejects = tmp_path / f"rejects{out}"
    va.audit(str(log), rejects=rejects)
    got = _read(rejects)
    assert got.column("note").to_pylist() == ["bad dwell"]
    assert {"item_id", "viewer_id", "dwell_ms", "note", "_row", "_reason"} <= set(got.column_names)


def test_source_columns_named_row_and_reason_are_kept(tmp_path: Path) -> None:
    """A source's own `_row` and `_reason` are kept as `_row_1` and `_reason_1`, ours keep their names."""
    log = pa.table({"item_id": [1, 2], "dwell_ms": [1.0, -1.0], "_row": ["a", "b"], "_reason": ["x", "y"]})
    got: list[pa.Table] = []
    va.audit(log, rejects=got.append)
    row = pa.concat_tables(got).to_pylist()[0]
    assert row["_row"] == 1
    assert row["_reason"] == "dwell_ms: negative"
    assert row["_row_1"] == "b"
    assert row["_reason_1"] == "y"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_files_with_different_columns_share_one_rejects_file(tmp_path: Path, suffix: str) -> None:
    """Rejected rows of files with different extra columns all land in one file, with every column."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("item_id,dwell_ms\n1,-1\n")
    (tmp_path / "in" / "b.csv").write_text("item_id,dwell_ms,extra\n2,-2,hello\n")
    rejects = tmp_path / f"rejects{suffix}"
    va.audit(str(tmp_path / "in"), rejects=rejects)
    got = _read(rejects)
    assert got.column("_row").to_pylist() == [0, 1]
    assert got.column("extra").to_pylist() == [None, "hello"]
