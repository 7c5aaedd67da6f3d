"""compare(by=) and the Comparison's tables and plot (issue 25, item 1)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._rungs import LEVELS

from helpers.logs import measured_log

POLICIES = ["platform", "mrc-display", "meta-3s"]


def _log(rows: int = 3_000, items: int = 6, seed: int = 2) -> pa.Table:
    return measured_log(seed, rows, items=items)


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))


def test_grouped_rows_are_each_policys_group_figures() -> None:
    """compare(by=): a row per policy and group, holding that policy's audit of that group."""
    log = _log()
    table = va.compare(log, policies=POLICIES, by="item_id").to_pandas()
    assert len(table) == len(POLICIES) * 6
    for name in POLICIES:
        audited = va.audit(log, policy=name, by="item_id")
        view = audited.policy.counts_as_view
        for group in audited.groups:
            row = table[(table.policy == name) & (table.item_id == group.key["item_id"])].iloc[0]
            views = group.ladder[view].impressions
            assert [row.views, row.views_low, row.views_high] == pytest.approx([views.estimate, views.low, views.high])
            for level in LEVELS:
                want = group.ladder[level].impressions.estimate
                got = None if np.isnan(row[f"{level}_impressions"]) else row[f"{level}_impressions"]
                assert _same(got, want), (name, group.key, level)


def test_whole_log_rows_hold_each_policys_views() -> None:
    """Ungrouped: one row per policy, n/a figures as nulls (engaged needs an interaction column)."""
    comparison = va.compare(_log(), policies=POLICIES)
    rows = comparison.to_arrow().to_pylist()
    assert [r["policy"] for r in rows] == POLICIES
    for row, audit in zip(rows, comparison.audits, strict=True):
        assert row["counts_as_view"] == audit.policy.counts_as_view
        assert (row["views"], row["views_low"], row["views_high"]) == (audit.views.estimate, audit.views.low, audit.views.high)
        assert row["engaged_impressions"] is None


def test_text_and_markdown_say_where_the_groups_are() -> None:
    """Grouped comparisons say how many groups there are and where each policy's views per group are."""
    comparison = va.compare(_log(), policies=POLICIES, by="item_id")
    for text in (str(comparison), comparison.to_markdown()):
        assert "6 groups by item_id: each policy's views per group in to_arrow() or to_pandas()" in text
    assert "groups by" not in str(va.compare(_log(), policies=POLICIES))


def test_plot_draws_a_bar_per_policy() -> None:
    """Comparison.plot: one bar per policy, as long as its views."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    comparison = va.compare(_log(), policies=POLICIES)
    ax = comparison.plot()
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == sorted(a.views.estimate for a in comparison.audits)
    assert [t.get_text() for t in ax.get_yticklabels()] == POLICIES


def test_cli_compare_by(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`compare --by item_id --json` holds each policy's groups."""
    path = tmp_path / "log.csv"
    pa_csv.write_csv(_log(items=3), path)
    assert main(["compare", str(path), "--by", "item_id", "--policy", "platform", "--policy", "mrc-display", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [len(p["groups"]) for p in report["policies"]] == [3, 3]
