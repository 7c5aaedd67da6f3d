"""Distinct viewer rows: counted in a table or sorted, the same rows in the same order."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit._scan import statistics
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
