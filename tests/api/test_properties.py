"""Properties of the core audit on generated canonical logs.

The strategy here is local and small on purpose (the public ``viewaudit.strategies`` is built
separately): canonical logs, valid by construction, with repeats, nulls, censoring, bots,
self-views and threshold values drawn often.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import viewaudit as va
from viewaudit import LEVELS

pytestmark = pytest.mark.filterwarnings("ignore::viewaudit.DegenerateDataWarning")

PARENT = {"valid": "rendered", "viewable": "valid", "attended": "viewable", "engaged": "valid"}
OPTIONAL = (
    "viewer_id",
    "author_id",
    "ts",
    "dwell_ms",
    "dwell_censored",
    "in_view_ms",
    "visible_fraction",
    "is_bot",
    "user_agent",
    "liked",
    "clicked",
)
AGENTS = ["Mozilla/5.0 Chrome/120", "Mozilla/5.0 Safari/604", "Googlebot/2.1", "curl/8.0", None]
TIMES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 300.0, 999.0, 1000.0, 1999.0, 2000.0, 3000.0, 30_000.0]),
    st.floats(min_value=0, max_value=60_000, allow_nan=False),
)
FRACTIONS = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    st.floats(min_value=0, max_value=1, allow_nan=False),
)


@st.composite
def logs(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 40, full_schema: bool = False) -> pa.Table:
    """Canonical impression logs with a drawn subset of the optional columns (all of them
    with ``full_schema``); ids are all integers or all text."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    text_ids = draw(st.booleans())
    id_type = pa.string() if text_ids else pa.int64()

    def ids(pool: int, nullable: bool) -> list[Any]:
        values = st.integers(min_value=0, max_value=pool)
        if text_ids:
            values = values.map(lambda v: f"id{v}")
        return draw(st.lists(st.none() | values if nullable else values, min_size=n, max_size=n))

    columns: dict[str, pa.Array] = {"item_id": pa.array(ids(3, nullable=False), id_type)}
    candidates = {
        "viewer_id": lambda: pa.array(ids(6, nullable=True), id_type),
        "author_id": lambda: pa.array(ids(6, nullable=True), id_type),
        "ts": lambda: pa.array(draw(st.lists(st.integers(0, 2**41), min_size=n, max_size=n)), pa.int64()),
        "dwell_ms": lambda: pa.array(draw(st.lists(TIMES, min_size=n, max_size=n)), pa.float64()),
        "dwell_censored": lambda: pa.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), pa.bool_()),
        "in_view_ms": lambda: pa.array(draw(st.lists(TIMES, min_size=n, max_size=n)), pa.float64()),
        "visible_fraction": lambda: pa.array(draw(st.lists(FRACTIONS, min_size=n, max_size=n)), pa.float64()),
        "is_bot": lambda: pa.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), pa.bool_()),
        "user_agent": lambda: pa.array(draw(st.lists(st.sampled_from(AGENTS), min_size=n, max_size=n)), pa.string()),
        "liked": lambda: pa.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), pa.bool_()),
        "clicked": lambda: pa.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), pa.bool_()),
    }
    present = OPTIONAL if full_schema else [c for c in OPTIONAL if draw(st.booleans())]
    for name in present:
        columns[name] = candidates[name]()
    return pa.table(columns)


policies = st.sampled_from(sorted(va.PRESETS))


def ladder_values(result: va.Audit | va.GroupAudit) -> list[tuple[Any, ...]]:
    return [
        (r.level, r.undetermined, *(attr for f in (r.impressions, r.unique_viewers) for attr in (f.estimate, f.low, f.high)))
        for r in result.ladder
    ]


def assert_same_ladder(a: va.Audit | va.GroupAudit, b: va.Audit | va.GroupAudit) -> None:
    """Equal ladders, exactly: every figure, interval end and undetermined count."""
    assert ladder_values(a) == ladder_values(b)


@given(table=logs(), policy=policies, data=st.data())
def test_row_order_does_not_change_the_audit(table: pa.Table, policy: str, data: st.DataObject) -> None:
    """Shuffling the rows leaves the ladder unchanged."""
    order = data.draw(st.permutations(range(table.num_rows)))
    shuffled = table.take(pa.array(order, pa.int64()))
    assert_same_ladder(va.audit(table, policy=policy), va.audit(shuffled, policy=policy))


@given(table=logs(full_schema=True), policy=policies, by=st.sampled_from([None, "item_id"]), data=st.data())
def test_merge_of_parts_equals_summary_of_whole(table: pa.Table, policy: str, by: str | None, data: st.DataObject) -> None:
    """merge(summarize(a), summarize(b)) == summarize(a + b), and so are their ladders."""
    cut = data.draw(st.integers(min_value=0, max_value=table.num_rows))
    head, tail = table.slice(0, cut), table.slice(cut)
    # Exact times: a part's own look at its values might read another step than the whole's.
    whole = va.summarize(table, policy=policy, by=by, rounding_ms=0)
    merged = va.merge(
        va.summarize(head, policy=policy, by=by, rounding_ms=0), va.summarize(tail, policy=policy, by=by, rounding_ms=0)
    )
    assert merged.canonical() == whole.canonical()
    from_parts, from_whole = va.estimate(merged), va.estimate(whole)
    assert_same_ladder(from_parts, from_whole)
    for g, h in zip(from_parts.groups, from_whole.groups, strict=True):
        assert g.key == h.key
        assert_same_ladder(g, h)


@given(table=logs(), policy=policies, chunk=st.integers(min_value=1, max_value=12))
def test_batch_size_does_not_change_the_audit(table: pa.Table, policy: str, chunk: int) -> None:
    """The same log read in batches of any size gives the same audit."""
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=chunk))
    batched, whole = va.audit(reader, policy=policy, by="item_id"), va.audit(table, policy=policy, by="item_id")
    assert batched.rows == whole.rows
    assert_same_ladder(batched, whole)
    for g, h in zip(batched.groups, whole.groups, strict=True):
        assert g.key == h.key
        assert_same_ladder(g, h)


def _check_order(result: va.Audit | va.GroupAudit) -> None:
    for rung in result.ladder:
        for figure in (rung.impressions, rung.unique_viewers):
            assert 0 <= figure.low <= figure.high
            if figure.estimate is not None:
                assert figure.low <= figure.estimate <= figure.high
        uniques, imps = rung.unique_viewers, rung.impressions
        assert uniques.low <= imps.low
        assert uniques.high <= imps.high
        if uniques.estimate is not None and imps.estimate is not None:
            assert uniques.estimate <= imps.estimate
        if rung.level in PARENT:
            parent = result.ladder[PARENT[rung.level]]
            for mine, theirs in ((rung.impressions, parent.impressions), (rung.unique_viewers, parent.unique_viewers)):
                assert mine.low <= theirs.low
                assert mine.high <= theirs.high
                if mine.estimate is not None and theirs.estimate is not None:
                    assert mine.estimate <= theirs.estimate


@given(table=logs(), policy=policies)
def test_ladder_is_ordered(table: pa.Table, policy: str) -> None:
    """No rung exceeds its parent, nor unique viewers impressions, for estimates and interval ends."""
    result = va.audit(table, policy=policy, by="item_id")
    _check_order(result)
    for group in result.groups:
        _check_order(group)


@given(table=logs(), policy=policies, data=st.data())
def test_rows_read_are_accepted_or_rejected(table: pa.Table, policy: str, data: st.DataObject) -> None:
    """rows.read = accepted + rejected, each corrupted row rejected under its reason."""
    n = table.num_rows
    bad = data.draw(st.lists(st.sampled_from(["negative", "outside", "none"]), min_size=n, max_size=n))
    dwell = table["dwell_ms"].to_pylist() if "dwell_ms" in table.column_names else [0.0] * n
    fraction = table["visible_fraction"].to_pylist() if "visible_fraction" in table.column_names else [0.5] * n
    dwell = [-1.0 if b == "negative" else d for d, b in zip(dwell, bad, strict=True)]
    fraction = [1.5 if b == "outside" else f for f, b in zip(fraction, bad, strict=True)]
    corrupted = table.drop_columns([c for c in ("dwell_ms", "visible_fraction") if c in table.column_names])
    corrupted = corrupted.append_column("dwell_ms", pa.array(dwell, pa.float64()))
    corrupted = corrupted.append_column("visible_fraction", pa.array(fraction, pa.float64()))
    result = va.audit(corrupted, policy=policy)
    expected = {
        reason: bad.count(kind)
        for kind, reason in (("negative", "dwell_ms: negative"), ("outside", "visible_fraction: outside [0, 1]"))
        if bad.count(kind)
    }
    assert result.rows.read == n == result.rows.accepted + sum(result.rows.rejected.values())
    assert dict(result.rows.rejected) == expected
    assert result.ladder["rendered"].impressions.estimate == bad.count("none") == result.rows.accepted


@given(table=logs(), policy=policies)
def test_groups_add_up_to_the_whole(table: pa.Table, policy: str) -> None:
    """Per-item counted rungs sum to the whole log's; per-item unique viewers bracket it."""
    result = va.audit(table, policy=policy, by="item_id")
    overall = va.audit(table, policy=policy)
    assert_same_ladder(result, overall)
    groups = result.groups
    assert len(groups) == len(set(table["item_id"].to_pylist()))
    for level in ("rendered", "valid", "engaged"):
        total = overall.ladder[level].impressions.estimate
        if total is None:
            assert all(g.ladder[level].impressions.estimate is None for g in groups)
            continue
        assert sum(g.ladder[level].impressions.estimate for g in groups) == total
        uniques = overall.ladder[level].unique_viewers.estimate
        if uniques is not None:
            per_group = [g.ladder[level].unique_viewers.estimate for g in groups]
            assert all(u <= uniques for u in per_group)
            assert sum(per_group) >= uniques
    if all(overall.ladder[level].undetermined == 0 for level in LEVELS):
        for level in ("viewable", "attended"):
            total = overall.ladder[level].impressions.estimate
            if total is not None:
                assert sum(g.ladder[level].impressions.estimate for g in groups) == total
