"""Grouped audits show their groups in text and Markdown: the largest, and how to get all (issue 25, item 1)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._report.group_table import TOP_GROUPS
from viewaudit._report.values import Estimate

from helpers.logs import measured_log


def _log(items: int, rows: int = 2_000, seed: int = 5) -> pa.Table:
    return measured_log(seed, rows, items=items, viewers=200)


def _table_lines(text: str) -> list[str]:
    """The group table's rows (text form): the lines after the header, up to a blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("item_id  "))
    out = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        out.append(line)
    return out


def test_text_shows_the_largest_groups_and_how_many_more() -> None:
    """30 groups: the 10 with the most rendered impressions, in that order, then '… and 20 more groups'."""
    result = va.audit(_log(30), by="item_id")
    text = str(result)
    assert "30 groups by item_id, the 10 with the most rendered impressions:" in text
    rows = _table_lines(text)
    assert len(rows) == TOP_GROUPS
    rendered = {g.key["item_id"]: g.ladder["rendered"].impressions.estimate for g in result.groups}
    shown = [int(r.split()[0]) for r in rows]
    assert [rendered[k] for k in shown] == sorted(rendered.values(), reverse=True)[:TOP_GROUPS]
    assert "… and 20 more groups (all groups: --groups PATH or --json" in text


def test_few_groups_are_all_shown() -> None:
    """Up to 10 groups: every group, and no '… more' line."""
    text = str(va.audit(_log(4), by="item_id"))
    assert "4 groups by item_id:" in text
    assert len(_table_lines(text)) == 4
    assert "more group" not in text


def test_markdown_has_the_group_table_with_labels_escaped() -> None:
    """to_markdown() ends with the group table; a '|' in a label is escaped, not a new cell."""
    log = _log(3).append_column("surface", pa.array(["a|b", "c", "d"] * 666 + ["c", "c"]))
    markdown = va.audit(log, by="surface").to_markdown()
    assert "3 groups by surface:" in markdown
    assert "| a\\|b |" in markdown
    assert re.search(
        r"^\| surface \| rendered \| viewable \| attended \| attended viewers \| inflation \|$", markdown, re.MULTILINE
    )


def test_labels_cannot_drive_the_terminal() -> None:
    """A group label with an escape sequence is shown escaped in the text report."""
    log = pa.table({"item_id": [1, 2], "surface": ["\x1b[31mred", "plain"]})
    text = str(va.audit(log, by="surface"))
    assert "\x1b" not in text
    assert "\\x1b[31mred" in text


def test_cli_markdown_by_item_lists_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audit log.csv --by item_id --markdown` shows item ids (the issue's grep -c item_id printed 0)."""
    path = tmp_path / "log.csv"
    pa_csv.write_csv(_log(12), path)
    assert main(["audit", str(path), "--by", "item_id", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.count("item_id") >= 2
    assert "… and 2 more groups" in out


@pytest.mark.parametrize(
    ("estimate", "spec", "text"),
    [
        (Estimate(1234.6, 1000.0, 1500.0), "", "1,235 [1,000, 1,500]"),
        (Estimate(1234.6, 1000.0, 1500.0), ",.1f", "1,234.6"),
        (Estimate(7.0, 7.0, 7.0), ".0f", "7"),
        (Estimate(None, 0.0, 3.0), "", "n/a"),
    ],
)
def test_estimate_formats_as_a_number(estimate: Estimate, spec: str, text: str) -> None:
    """An Estimate formats like its number with a spec, and like str() without one."""
    assert format(estimate, spec) == text


def test_estimate_is_a_float() -> None:
    """float() of an Estimate is its estimate, NaN where it is n/a."""
    assert float(Estimate(3.5, 3.0, 4.0)) == 3.5
    assert math.isnan(float(Estimate(None, 0.0, 1.0)))


def _decimals_per_column(lines: list[str]) -> list[set[int]]:
    """Per figure column of a table's rows (text form), the decimals its numbers are shown with."""
    cells = [re.split(r"\s{2,}", line.strip())[1:] for line in lines]
    columns = [" ".join(column) for column in zip(*cells, strict=True)]
    return [{len(n.partition(".")[2]) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", column)} for column in columns]


def test_each_column_shows_its_numbers_with_one_number_of_decimals() -> None:
    """A weighted log's groups: item 2's counts are whole, item 1's are not. Every number of a
    column has the same decimals, in text and HTML (2 sat beside 3.5 [1.803, 5.197])."""
    log = pa.table(
        {
            "item_id": [1, 1, 1, 2, 2, 3],
            "viewer_id": [1, 2, 3, 4, 5, 6],
            "weight": [1.5, 1.0, 1.0, 1.0, 1.0, 2.25],
            "dwell_ms": [3000.0, 0.0, 500.0, 2000.0, 4000.0, 100.0],
            "visible_fraction": [1.0, 1.0, 0.2, 0.9, 1.0, 1.0],
        }
    )
    result = va.audit(log, by="item_id")
    assert [len(decimals) for decimals in _decimals_per_column(_table_lines(str(result)))] == [1] * 5
    groups = result.to_html().partition("<h2>Groups by item_id</h2>")[2].partition("<h2>")[0]
    cells = re.findall(r"<td class=num>([^<]*)</td>", groups)
    assert len(cells) == 3 * 5
    assert [len(decimals) for decimals in _decimals_per_column(["key  " + "  ".join(cells[i : i + 5]) for i in (0, 5, 10)])] == [
        1
    ] * 5


def test_a_column_of_whole_numbers_keeps_no_decimals() -> None:
    """An unweighted log's counts stay whole numbers, with no decimals added."""
    lines = _table_lines(str(va.audit(_log(4), by="item_id")))
    assert _decimals_per_column(lines)[0] == {0}
