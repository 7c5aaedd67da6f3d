"""to_arrow(wide=True) / to_pandas(wide=True): one row per group, a column per rung and figure (issue 25)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import viewaudit as va
from viewaudit._rungs import LEVELS

from helpers.logs import random_log

PARTS = (("estimate", ""), ("low", "_low"), ("high", "_high"))


@pytest.fixture(scope="module")
def log() -> pa.Table:
    return random_log(3, 3_000)


@pytest.fixture(scope="module")
def grouped(log: pa.Table) -> va.Audit:
    return va.audit(log, by="item_id", frequency=2)


def _same(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> bool:
    """Equal as floats, NaN equal to NaN."""
    x = np.asarray(pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    y = np.asarray(pc.cast(b, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    return bool(np.array_equal(x, y, equal_nan=True))


def test_ungrouped_is_one_row_of_the_ladder_and_inflation(log: pa.Table) -> None:
    """An ungrouped audit's wide table is one row: each rung's figures and the inflation factors."""
    result = va.audit(log)
    row = result.to_arrow(wide=True).to_pylist()
    assert len(row) == 1
    for rung in result.ladder:
        for figure in ("impressions", "unique_viewers"):
            value = getattr(rung, figure)
            got = [row[0][f"{rung.level}_{figure}{suffix}"] for _, suffix in PARTS]
            assert got == pytest.approx([value.estimate, value.low, value.high], nan_ok=True)
        assert row[0][f"{rung.level}_undetermined_impressions"] == rung.undetermined
    headline = result.inflation.headline
    assert [row[0]["inflation"], row[0]["inflation_low"], row[0]["inflation_high"]] == pytest.approx(
        [headline.estimate, headline.low, headline.high]
    )
    for name, value in result.inflation.factors.items():
        assert [row[0][f"{name}{s}"] for _, s in PARTS] == pytest.approx([value.estimate, value.low, value.high])


def test_grouped_has_a_row_per_group_matching_the_long_table(grouped: va.Audit) -> None:
    """Per group, the wide columns of a rung hold what the long table's row for that rung holds."""
    wide, long = grouped.to_arrow(wide=True), grouped.to_arrow()
    assert wide.num_rows == grouped.table.num_rows > 1
    assert wide.column_names[0] == "item_id"
    for level in LEVELS:
        rows = long.filter(pc.equal(long["level"], level))
        assert rows["item_id"].equals(wide["item_id"])
        for name in ("impressions", "impressions_low", "unique_viewers_high", "undetermined_impressions"):
            assert _same(rows[name], wide[f"{level}_{name}"]), (level, name)


def test_reach_columns_match_the_json_groups(grouped: va.Audit) -> None:
    """With frequency=2, <rung>_reach_2 (and its interval) is each group's 2+ reach."""
    wide = grouped.to_arrow(wide=True)
    groups = grouped.to_dict()["groups"]
    for i, level in enumerate(LEVELS):
        for part, suffix in PARTS:
            expected = [g["ladder"][i]["reach"][1]["viewers"][part] for g in groups]
            expected_values = pa.array([np.nan if v is None else v for v in expected], pa.float64())
            assert _same(wide[f"{level}_reach_2{suffix}"], expected_values), (level, part)
    assert "rendered_reach_3" not in wide.column_names
    assert "rendered_reach_1" not in wide.column_names


def test_to_pandas_wide_is_the_wide_table(grouped: va.Audit) -> None:
    """to_pandas(wide=True) has the wide table's columns and one row per group."""
    frame = grouped.to_pandas(wide=True)
    assert list(frame.columns) == grouped.to_arrow(wide=True).column_names
    assert len(frame) == grouped.table.num_rows
    assert list(grouped.to_pandas().columns)[:2] == ["item_id", "level"]  # the long form is still the default


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_wide_must_be_a_bool(grouped: va.Audit, bad: object) -> None:
    """wide= other than True or False is a TypeError naming it."""
    with pytest.raises(TypeError, match=r"wide must be True or False, got"):
        grouped.to_arrow(wide=bad)  # type: ignore[arg-type]
    comparison = va.compare(random_log(3, 200), policies=["mrc-display"])
    with pytest.raises(TypeError, match=r"wide must be True or False, got"):
        comparison.to_pandas(wide=bad)  # type: ignore[arg-type]


def test_comparison_wide_puts_each_policy_views_side_by_side(log: pa.Table) -> None:
    """compare(by=).to_arrow(wide=True): a row per group, each policy's views and interval as columns."""
    comparison = va.compare(log, policies=["mrc-display", "trueview"], by="item_id")
    keys = [a.table.select(["item_id"]) for a in comparison.audits]
    assert all(k.equals(keys[0]) for k in keys)  # one scan: the same groups in the same order
    wide, long = comparison.to_arrow(wide=True), comparison.to_arrow()
    assert wide.num_rows == keys[0].num_rows
    assert wide.column_names[0] == "item_id"
    for name in ("mrc-display", "trueview"):
        rows = long.filter(pc.equal(long["policy"], name))
        for _, suffix in PARTS:
            assert _same(rows[f"views{suffix}"], wide[f"{name}_views{suffix}"])
    assert comparison.to_pandas(wide=True).shape == (wide.num_rows, 1 + 2 * 3)


def test_comparison_wide_ungrouped_is_one_row(log: pa.Table) -> None:
    """Ungrouped, the comparison's wide table is one row of each policy's views."""
    comparison = va.compare(log, policies=["mrc-display", "trueview"])
    row = comparison.to_arrow(wide=True).to_pylist()
    assert len(row) == 1
    for audit in comparison.audits:
        assert row[0][f"{audit.policy.name}_views"] == pytest.approx(audit.views.estimate)


def test_comparison_wide_needs_distinct_policy_names(log: pa.Table) -> None:
    """Two policies with one name would share a column: a ValueError names the policy."""
    comparison = va.compare(log, policies=["mrc-display", "mrc-display"])
    with pytest.raises(ValueError, match=r"distinct policy names.*'mrc-display'"):
        comparison.to_arrow(wide=True)
