"""The grouped report streamed (issue 23, item 7): the same JSON and tables, a chunk of groups at a time."""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit as va
import viewaudit._report.results as results
from viewaudit._cli.main import main
from viewaudit._rungs import LEVELS
from viewaudit._warnings import DegenerateDataWarning


def _log(rows: int = 3_000, items: int = 40, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "item_id": rng.integers(0, items, rows),
            "viewer_id": rng.integers(0, 400, rows),
            "dwell_ms": np.where(rng.random(rows) < 0.2, np.nan, rng.lognormal(7, 1.2, rows)),
            "visible_fraction": rng.random(rows),
        }
    )


AUDITS = {
    "whole log": {},
    "by item": {"by": "item_id"},
    "reach and population": {"by": "item_id", "frequency": 3, "population": 10_000},
    "sampled": {"by": "item_id", "sample_rate": 0.2},
}


@pytest.fixture(scope="module", params=list(AUDITS))
def audited(request: pytest.FixtureRequest) -> va.Audit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # a sampled group may see no viewer
        return va.audit(_log(), **AUDITS[request.param])


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_write_json_is_json_dumps_of_to_dict(audited: va.Audit, chunk: int) -> None:
    """Streamed in chunks of any size, the JSON is exactly json.dumps(to_dict()), and strict."""
    out = io.StringIO()
    audited.write_json(out, chunk=chunk)
    assert out.getvalue() == json.dumps(audited.to_dict())
    json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_to_json_streams_and_keeps_dumps_options(audited: va.Audit) -> None:
    """to_json() is the streamed text; with json.dumps options it formats as json.dumps does."""
    assert audited.to_json() == json.dumps(audited.to_dict())
    assert audited.to_json(indent=2) == json.dumps(audited.to_dict(), indent=2)


def test_empty_grouped_audit_streams_no_group() -> None:
    """A grouped audit of an empty log writes "groups": [] and a header-only table."""
    audited = va.audit(_log().slice(0, 0), by="item_id")
    assert json.loads(audited.to_json())["groups"] == []
    assert audited.to_arrow().num_rows == 0


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def test_to_arrow_holds_the_reports_figures(audited: va.Audit) -> None:
    """Each (group, rung) row of to_arrow() holds the JSON report's figures for that group and rung."""
    table = audited.to_arrow().to_pylist()
    report = audited.to_dict()
    groups = report["groups"] or [{"key": {}, "ladder": report["ladder"]}]
    assert len(table) == len(groups) * len(LEVELS)
    for row, (group, rung) in zip(table, [(g, r) for g in groups for r in g["ladder"]], strict=True):
        assert {k: row[k] for k in audited.by} == group["key"]
        assert row["level"] == rung["level"]
        for figure in ("impressions", "unique_viewers"):
            for part, suffix in (("estimate", ""), ("low", "_low"), ("high", "_high")):
                want = rung[figure][part]
                got = row[figure + suffix]
                assert _same(got, float("nan") if want is None else float(want)) or (want is None and got is None)
        assert row["undetermined_impressions"] == rung["undetermined_impressions"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_write_groups_writes_to_arrow(audited: va.Audit, tmp_path: Path, suffix: str) -> None:
    """write_groups, chunk by chunk, gives the file to_arrow() would, and leaves no temporary file."""
    path = tmp_path / f"groups{suffix}"
    audited.write_groups(path, chunk=7)
    want = audited.to_arrow()
    if suffix == ".parquet":
        got = pq.read_table(path)
    elif suffix == ".csv":
        got = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=want.schema))
    else:
        got = pa.Table.from_pylist([json.loads(line) for line in path.read_text().splitlines()], schema=want.schema)
    assert got.schema == want.schema
    # Parquet keeps NaN; CSV and JSON Lines write it as an empty field or null.
    missing = (lambda v: v is None) if suffix == ".parquet" else (lambda v: v is None or v != v)
    for row, expected in zip(got.to_pylist(), want.to_pylist(), strict=True):
        assert all(_same(row[k], v) or (missing(row[k]) and missing(v)) for k, v in expected.items()), (row, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_write_groups_failure_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing leaves an existing file as it was and no temporary file."""
    audited = va.audit(_log(), by="item_id")
    path = tmp_path / "groups.parquet"
    path.write_bytes(b"precious")

    def broken(*_: Any) -> pa.Table:
        raise RuntimeError("disk full")

    monkeypatch.setattr(results, "long_table", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        audited.write_groups(path)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["groups.parquet"]


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("groups.txt", r"groups path must end in \.parquet, \.csv or \.jsonl, got '.*groups\.txt'"),
        ("no/such/g.csv", "does not exist"),
    ],
)
def test_write_groups_bad_paths(tmp_path: Path, path: str, match: str) -> None:
    """A groups path of another format, or in a missing directory, is refused naming it."""
    with pytest.raises(ValueError, match=match):
        va.audit(_log(), by="item_id").write_groups(tmp_path / path)


@pytest.fixture
def log_csv(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    pa_csv.write_csv(_log(300, 5), path)
    return path


def test_cli_groups_file(log_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--groups PATH writes a row per group and rung, and the text report says where."""
    out = tmp_path / "groups.parquet"
    assert main(["audit", str(log_csv), "--by", "item_id", "--groups", str(out)]) == 0
    assert f"Every group's ladder is in {out}." in capsys.readouterr().out
    assert pq.read_table(out).num_rows == 5 * len(LEVELS)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ([], "--groups writes each group's ladder: give --by COL too"),
        (["--by", "item_id", "--groups", "{log}"], "groups path '.*log.csv' is one of the inputs"),
    ],
)
def test_cli_groups_refusals(log_csv: Path, capsys: pytest.CaptureFixture[str], extra: list[str], match: str) -> None:
    """--groups without --by, or over an input, is one line and exit 2; the log is unchanged."""
    before = log_csv.read_bytes()
    argv = ["audit", str(log_csv), *(a.format(log=log_csv) for a in extra)]
    if "--groups" not in argv:
        argv += ["--groups", str(log_csv.parent / "g.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(match, err)
    assert log_csv.read_bytes() == before
