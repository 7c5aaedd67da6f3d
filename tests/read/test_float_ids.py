"""Ids stored as floats are ids only where a float holds every integer exactly (below 2**53)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

import viewaudit as va


def test_float_ids_beyond_2_53_are_rejected_not_merged() -> None:
    """pandas turns ids 2**53 and 2**53 + 1 with a null into equal floats: those rows are rejected, counted."""
    frame = pd.DataFrame({"item_id": [1, 1, 1, 1], "viewer_id": [2**53 + 1, 2**53, None, 7]})
    assert frame["viewer_id"].dtype == "float64"  # the rounding happened in pandas
    result = va.audit(frame)
    assert result.rows.rejected == {"viewer_id: out of range": 2}  # both are 2.0**53 now
    assert result.ladder["rendered"].unique_viewers.estimate == 1  # 7 (the null is logged out)


def test_float_ids_up_to_2_53_are_read() -> None:
    """Whole floats below 2**53 are the integers they hold, as from an integer column."""
    floats = pa.table({"item_id": [1.0, 2.0], "viewer_id": [float(2**53 - 1), 3.0]})
    ints = pa.table({"item_id": [1, 2], "viewer_id": [2**53 - 1, 3]})
    assert va.audit(floats).to_dict() == va.audit(ints).to_dict()
