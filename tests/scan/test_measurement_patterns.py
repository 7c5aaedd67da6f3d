"""The measurement-pattern counts (``Summary.measurement_patterns``) from the rows' bits, as the
packed engine counts them, are those from the rung masks, as the summary engine counts them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from viewaudit._policy.policy import get_policy
from viewaudit._rungs import ESTIMATED_LEVELS
from viewaudit._scan.packed import _rung_bits
from viewaudit._scan.packed_keys import UNDETERMINED_BIT, VALID
from viewaudit._scan.summary import measurement_patterns, rung_masks


def _log(seed: int, n: int) -> pa.Table:
    rng = np.random.default_rng(seed)

    def holes(values: np.ndarray, share: float) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < share)

    return pa.table(
        {
            "item_id": pa.array(rng.integers(0, 20, n)),
            "viewer_id": holes(rng.integers(0, 50, n), 0.05),
            "ts": pa.array(rng.integers(0, 10**9, n)),
            "dwell_ms": holes(rng.exponential(2_000.0, n), 0.2),
            "visible_fraction": holes(rng.random(n), 0.2),
            "in_view_ms": holes(rng.exponential(1_500.0, n), 0.3),
            "is_bot": holes(rng.random(n) < 0.05, 0.1),
            "liked": pa.array(rng.random(n) < 0.1),
        }
    )


@pytest.mark.parametrize("policy", ["platform", "mrc-display", "mrc-video", "meta-3s"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_from_the_rows_bits_are_the_masks_counts(policy: str, seed: int) -> None:
    masks = rung_masks(_log(seed, 5_000), get_policy(policy), ("liked",))
    bits = _rung_bits(masks)
    rows = ((bits & VALID) != 0, {level: (bits & UNDETERMINED_BIT[level]) != 0 for level in ESTIMATED_LEVELS})
    crossing = {level: np.random.default_rng(seed).random(bits.size) < 0.2 for level in ESTIMATED_LEVELS}
    for resolved in (None, crossing):
        assert measurement_patterns(masks, resolved, rows) == measurement_patterns(masks, resolved)
