"""rounding_ms="auto" and declared units, through audit() and the command line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli.main import main


def log(dwell_ms: np.ndarray, name: str = "dwell_ms") -> pa.Table:
    n = dwell_ms.size
    return pa.table({"item_id": np.arange(n) % 7, "viewer_id": np.arange(n) % 50, name: dwell_ms, "visible_fraction": np.ones(n)})


def whole_seconds(n: int = 400, seed: int = 0) -> np.ndarray:
    return np.floor(np.random.default_rng(seed).exponential(3_000.0, n) / 1000) * 1000


def test_whole_seconds_audit_as_rounding_1000() -> None:
    """With no flag, a whole-second log is audited exactly as with rounding_ms=1000, and says so."""
    table = log(whole_seconds())
    auto, given = va.audit(table), va.audit(table, rounding_ms=1000)
    assert auto.ladder == given.ladder
    (line,) = [a for a in auto.assumptions if a.startswith("dwell logged in")]
    assert line.startswith("dwell logged in whole seconds (all ")
    assert "multiples of 1,000 ms" in line
    assert not any("logged in" in a for a in given.assumptions)


def test_exact_ms_audit_as_rounding_0() -> None:
    """ms-precision times are taken as exact, and no step is stated."""
    table = log(np.random.default_rng(1).exponential(3_000.0, 400))
    auto = va.audit(table)
    assert auto.ladder == va.audit(table, rounding_ms=0).ladder
    assert not any("logged in" in a for a in auto.assumptions)


def test_few_whole_seconds_are_taken_as_exact() -> None:
    """Ten whole-second values are too few: exact, and the report says why."""
    table = log(np.arange(1, 11) * 1000.0)
    auto = va.audit(table)
    assert auto.ladder == va.audit(table, rounding_ms=0).ladder
    assert any("too few (under 30)" in a for a in auto.assumptions)


def test_a_one_shot_stream_is_scanned_whole() -> None:
    """A RecordBatchReader is looked at and still audited in full."""
    table = log(whole_seconds(3_000))
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=500))
    assert va.audit(reader).ladder == va.audit(table, rounding_ms=1000).ladder


def test_files_with_different_steps_warn(tmp_path: Path) -> None:
    """A directory of a whole-second file and an ms file warns and takes whole seconds."""
    pq.write_table(log(whole_seconds(300)), tmp_path / "a.parquet")
    pq.write_table(log(np.random.default_rng(2).exponential(3_000.0, 300)), tmp_path / "b.parquet")
    with pytest.warns(va.GranularityWarning, match=r"a.parquet 1000 ms.*b.parquet 0 ms.*floored to 1000 ms"):
        result = va.audit(tmp_path)
    assert result.ladder == va.audit(tmp_path, rounding_ms=1000).ladder


def test_seconds_column_warns_with_the_unit_syntax() -> None:
    """A dwell column of seconds (1 to 90) warns, naming the column, the evidence and the syntax."""
    table = log(np.arange(1, 91, dtype=float), name="read_time")
    with pytest.warns(va.UnitWarning, match=r"'dwell_ms' \(read from 'read_time'\).*median.*read_time:s"):
        va.audit(table, columns={"dwell_ms": "read_time"})


def test_seconds_with_decimals_warn_and_the_report_says_so() -> None:
    """Seconds with one decimal (a new user's 6.9, 0.9, ...) are not whole numbers, but their
    median is under one frame in ms: a warning, and a line in the assumptions (the JSON and HTML
    keep it), since read as ms every rung past valid is 0."""
    seconds = np.round(np.random.default_rng(1).lognormal(0.3, 1.2, 400), 1) + 0.1
    table = log(seconds, name="dwell_s")
    with pytest.warns(va.UnitWarning, match=r"'dwell_ms' \(read from 'dwell_s'\).*one frame.*dwell_s:s"):
        audit = va.audit(table, columns={"dwell_ms": "dwell_s"})
    stated = [a.text for a in audit.assumption_details if a.name == "time unit"]
    assert stated == [
        "Check the unit of the times: dwell_ms (from 'dwell_s') looks like seconds, not ms: declare "
        "dwell_ms=dwell_s:s. Every rung that reads them rests on it."
    ]
    assert audit.ladder["viewable"].impressions.high < 0.1 * table.num_rows
    declared = va.audit(table, columns={"dwell_ms": "dwell_s:s"})
    assert not [a for a in declared.assumption_details if a.name == "time unit"]


def test_ms_above_one_frame_do_not_warn() -> None:
    """Exact ms with a median of a few hundred (a fast feed's dwell) are taken as ms, silently."""
    table = log(np.random.default_rng(2).lognormal(np.log(300), 1.0, 400))
    with warnings.catch_warnings():
        warnings.simplefilter("error", va.UnitWarning)
        audit = va.audit(table)
    assert not [a for a in audit.assumption_details if a.name == "time unit"]


def test_declared_seconds_are_read_as_ms() -> None:
    """columns={"dwell_ms": "read_time:s"} converts seconds to ms, with no warning."""
    seconds = np.arange(1, 91, dtype=float)
    declared = va.audit(log(seconds, name="read_time"), columns={"dwell_ms": "read_time:s"})
    assert declared.ladder == va.audit(log(seconds * 1000)).ladder


def test_declared_microseconds_are_read_as_ms() -> None:
    """A :us column is divided by 1,000."""
    ms = np.random.default_rng(3).exponential(3_000.0, 200)
    declared = va.audit(log(ms * 1000, name="t"), columns="dwell_ms=t:us", rounding_ms=0)
    assert declared.ladder == va.audit(log(ms), rounding_ms=0).ladder


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        ({"dwell_ms": "read_time:sec"}, r"'dwell_ms' as 'read_time:sec': a unit after ':' must be one of s, ms, us"),
        ({"in_view_ms": ":s"}, r"'in_view_ms' as ':s'"),
    ],
)
def test_bad_units_are_named(columns: dict[str, str], match: str) -> None:
    """An unknown unit or a unit without a column name is an error naming both."""
    with pytest.raises(ValueError, match=match):
        va.ColumnMap(columns)


@pytest.mark.parametrize("value", ["automatic", -1, float("inf"), True])
def test_bad_rounding_is_named(value: object) -> None:
    """rounding_ms takes 'auto' or a finite number >= 0."""
    with pytest.raises(ValueError, match="rounding_ms must be 'auto' or a finite number >= 0"):
        va.audit(log(whole_seconds()), rounding_ms=value)  # type: ignore[arg-type]


def test_cli_unit_and_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI takes --columns dwell_ms=read_time:s, and prints a unit warning as one line."""
    path = tmp_path / "log.parquet"
    pq.write_table(log(np.arange(1, 91, dtype=float), name="read_time"), path)
    assert main(["audit", str(path), "--columns", "dwell_ms=read_time"]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "look like seconds" in line]
    assert len(warned) == 1
    assert warned[0].startswith("viewaudit: warning: column 'dwell_ms'")
    assert main(["audit", str(path), "--columns", "dwell_ms=read_time:s"]) == 0
    assert "look like seconds" not in capsys.readouterr().err
    assert main(["audit", str(path), "--rounding-ms", "soon"]) == 2
