"""Distinct viewer rows: counted in tables or sorted, the same rows in the same order."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit._scan import packed_keys, statistics
from viewaudit._scan.statistics import distinct_viewer_rows


def _sorted_only(monkeypatch: pytest.MonkeyPatch, *args: np.ndarray | None) -> tuple[np.ndarray, ...]:
    with monkeypatch.context() as m:
        m.setattr(statistics, "_by_counting", lambda *_: None)
        return distinct_viewer_rows(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_table_and_sort_give_the_same_rows(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    g = rng.integers(0, int(rng.integers(1, 2000)), n).astype(np.int32 if seed % 2 else np.int64)
    t = rng.geometric(0.5, n) - 1
    f = rng.integers(0, int(rng.integers(1, 40)), n)
    u = rng.integers(0, 3, n)
    if seed % 4 == 0:  # viewers with no valid row are left out
        t[:] = 0
        u[:] = 0
        f[rng.random(n) < 0.5] = 0
    count = rng.integers(1, 5, n) if seed % 3 == 0 else None
    counted = distinct_viewer_rows(g, t, f, u, count)
    sorted_ = _sorted_only(monkeypatch, g, t, f, u, count)
    for a, b in zip(counted, sorted_, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_the_table_is_used_where_it_is_small() -> None:
    g = np.repeat(np.arange(10_000), 5)
    t = np.tile(np.arange(5), 10_000)
    assert statistics._by_counting([g, t, t, t], [10_000, 5, 5, 5], None) is not None
    wide = np.arange(g.size)  # a triple per row, 10,000 groups: sorted
    assert statistics._by_counting([g, wide, t, t], [10_000, g.size, 5, 5], None) is None


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_rows_by_group_equal_the_sorted_rows(monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int) -> None:
    """A partition's viewer rows counted group block by group block (tables of ``chunk`` cells),
    then put in rank order: the rows distinct_viewer_rows gives."""
    monkeypatch.setattr(packed_keys, "_CHUNK_CELLS", chunk)
    rng = np.random.default_rng(seed)
    n, groups = int(rng.integers(1, 4000)), int(rng.integers(1, 500))
    code = np.sort(rng.integers(0, groups, n))
    rank = rng.permutation(groups).astype(np.int64)
    t = rng.geometric(0.6, n) - 1
    u = rng.integers(0, 3, n)
    f = rng.integers(0, 4, n)
    f[(t + u + f) == 0] = 1  # every pair of the bag has a valid row
    counted = packed_keys._rows_by_group(code, rank, t, f, u)
    assert counted is not None
    sorted_ = _sorted_only(monkeypatch, rank[code], t, f, u)
    for a, b in zip(counted, sorted_, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_rows_by_group_declines_wide_triples() -> None:
    code = np.zeros(10, dtype=np.int64)
    wide = np.arange(10) * 1000
    assert packed_keys._rows_by_group(code, np.zeros(1, dtype=np.int64), wide, wide, wide) is None
