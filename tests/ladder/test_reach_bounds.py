"""k+ reach for any frequency: k beyond what the data can use is clamped, with a note, not looped to K."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pa_csv

import viewaudit as va
from viewaudit._cli.main import main


def _log() -> pa.Table:
    # 200 rows, 5 viewers with 40 rows each.
    viewers = [i % 5 for i in range(200)]
    return pa.table({"item_id": [i % 7 for i in range(200)], "viewer_id": viewers})


def test_huge_frequency_is_clamped_to_the_largest_count_plus_one() -> None:
    """frequency=1e9 on a 200-row log returns k+ reach for k = 1 .. 41 (the largest count + 1), the
    last 0 exactly, and says in the assumptions up to which k it reports."""
    result = va.audit(_log(), frequency=1_000_000_000)
    reach = result.ladder["rendered"].reach
    assert [r.k for r in reach] == list(range(1, 42))
    assert [r.viewers.estimate for r in reach[:3]] == [5, 5, 5]
    assert reach[-2].viewers.estimate == 5  # each of the 5 viewers has 40 rows
    assert (reach[-1].viewers.estimate, reach[-1].viewers.low, reach[-1].viewers.high) == (0, 0, 0)
    assert any("k = 41" in line and "1,000,000,000" in line for line in result.assumptions)


def test_frequency_within_the_data_is_not_clamped() -> None:
    """A frequency the data can use gives exactly k = 1 .. K and no clamping note."""
    result = va.audit(_log(), frequency=3)
    assert [r.k for r in result.ladder["rendered"].reach] == [1, 2, 3]
    assert not any("1,000,000,000" in line or "beyond" in line for line in result.assumptions)


def test_huge_frequency_by_group_has_the_same_shape() -> None:
    """Grouped, every group and the whole log report the same k's (those of the whole log)."""
    result = va.audit(_log(), frequency=10**12, by="item_id")
    assert [r.k for r in result.ladder["rendered"].reach] == list(range(1, 42))
    assert sum(1 for name in result.table.column_names if name.startswith("rendered_reach_") and name.endswith("_estimate")) == 41


def test_cli_huge_frequency_returns(tmp_path, capsys) -> None:
    """The CLI with --frequency 1000000000 finishes and prints the report."""
    path = tmp_path / "log.csv"
    pa_csv.write_csv(_log(), path)
    assert main(["audit", str(path), "--json", "--frequency", "1000000000"]) == 0
    out, _ = capsys.readouterr()
    assert '"k": 41' in out
