"""Unmeasured impressions estimated within strata (``strata=``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va


def _client_log(seed: int, n: int = 40_000) -> tuple[pa.Table, pa.Table]:
    """(log, complete log): client 1 is rarely measured and mostly glanced at, client 0 is
    mostly measured and read; so measured rows over-represent attention."""
    rng = np.random.default_rng(seed)
    client = rng.integers(0, 2, n)
    dwell = np.where(client == 1, rng.lognormal(6.0, 1.0, n), rng.lognormal(8.0, 1.0, n))
    measured = rng.random(n) < np.where(client == 1, 0.2, 0.95)
    complete = pa.table(
        {
            "item_id": rng.integers(0, 5, n),
            "viewer_id": rng.integers(0, 8000, n),
            "client": client,
            "dwell_ms": dwell,
            "visible_fraction": np.ones(n),
        }
    )
    log = complete.set_column(3, "dwell_ms", pa.array(dwell, mask=~measured))
    log = log.set_column(4, "visible_fraction", pa.array(np.ones(n), mask=~measured))
    return log, complete


def test_strata_recover_what_missing_at_random_across_the_log_misses() -> None:
    """Measurement that follows the client: the stratified intervals cover the truth, the
    log-wide ones do not (they credit unmeasured glances with the measured rows' attention)."""
    log, complete = _client_log(5)
    truth = va.audit(complete)
    pooled, stratified = va.audit(log), va.audit(log, strata="client")
    for level in ("viewable", "attended"):
        want = truth.ladder[level].impressions.estimate
        got = stratified.ladder[level].impressions
        assert got.low <= want <= got.high, (level, got, want)
        assert not pooled.ladder[level].impressions.low <= want <= pooled.ladder[level].impressions.high
        uniques = stratified.ladder[level].unique_viewers
        assert uniques.low <= truth.ladder[level].unique_viewers.estimate <= uniques.high
    assert any("stratum of 'client' (2 strata)" in a for a in stratified.assumptions)


def test_one_stratum_is_no_stratum() -> None:
    """A constant stratum column gives the same impressions and unique-viewer estimates; the
    unique-viewer intervals are at least as wide (a stratified chance per row carries the
    rows' own noise, counted again per viewer: conservative)."""
    log, _ = _client_log(6, 5_000)
    log = log.append_column("everyone", pa.array(np.zeros(log.num_rows, dtype=np.int64)))
    plain, one = va.audit(log, by="item_id"), va.audit(log, by="item_id", strata="everyone")
    for a, b in [(plain, one), *zip(plain.groups, one.groups, strict=True)]:
        for level in ("rendered", "valid", "viewable", "attended"):  # no interaction column: engaged is null
            assert b.ladder[level].impressions == a.ladder[level].impressions
            wide, narrow = b.ladder[level].unique_viewers, a.ladder[level].unique_viewers
            assert wide.estimate == pytest.approx(narrow.estimate, rel=1e-12)
            assert wide.low <= narrow.low
            assert narrow.high <= wide.high


def test_a_group_sums_its_cells() -> None:
    """By item and client: an item's estimate is the sum of its (item, client) cells, each
    estimated from its own measured rows."""
    log, _ = _client_log(7, 10_000)
    result = va.audit(log, by="item_id", strata="client")
    items, clients = log["item_id"].to_numpy(), log["client"].to_numpy()
    for group in result.groups:
        item = group.key["item_id"]
        for level in ("viewable", "attended"):
            cells = [
                va.audit(log.filter(pa.array((items == item) & (clients == c)))).ladder[level].impressions.estimate
                for c in (0, 1)
            ]
            assert group.ladder[level].impressions.estimate == pytest.approx(sum(cells), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strata": "item_id", "by": "item_id"}, "strata must be a column name other than"),
        ({"strata": "viewer_id"}, "strata must be a column name other than"),
        ({"strata": "client", "engine": "packed"}, "needs the summary engine"),
        ({"strata": "client", "unique_viewers": "hll"}, "needs the summary engine"),
    ],
)
def test_strata_arguments_are_checked(kwargs: dict, message: str) -> None:
    log, _ = _client_log(8, 100)
    with pytest.raises(ValueError, match=message):
        va.audit(log, **kwargs)


def test_estimate_takes_a_stratum_key() -> None:
    """summarize by (groups, stratum), then estimate(strata=...) is audit(strata=...)."""
    log, _ = _client_log(9, 3_000)
    summary = va.summarize(log, by=["item_id", "client"])
    assert va.estimate(summary, strata="client").ladder == va.audit(log, by="item_id", strata="client").ladder
    with pytest.raises(ValueError, match="must be one of the summary's group keys"):
        va.estimate(summary, strata="surface")
