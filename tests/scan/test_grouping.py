"""Grouped ladders: a null group key is a group of its own, on every engine."""

from __future__ import annotations

import pyarrow as pa
import pytest

import viewaudit


@pytest.mark.parametrize("engine", ["summary", "auto"])
def test_null_group_key_is_its_own_group(engine):
    """Rows whose grouping column is null form one group, listed last, with their own ladder."""
    log = pa.table(
        {
            "item_id": [1, 2, 3, 4, 5],
            "viewer_id": [1, 1, 2, None, 3],
            "surface": ["feed", None, "search", None, "feed"],
            "dwell_ms": [3000.0, 2500.0, 500.0, 2500.0, 1200.0],
            "visible_fraction": [1.0, 1.0, 1.0, 1.0, 0.2],
        }
    )
    audit = viewaudit.audit(log, by="surface", engine=engine)
    keys = [g.key["surface"] for g in audit.groups]
    assert keys == ["feed", "search", None]
    by_key = {g.key["surface"]: g.ladder for g in audit.groups}
    assert by_key[None]["rendered"].impressions.estimate == 2
    assert by_key[None]["rendered"].unique_viewers.estimate == 1  # the null viewer is no one
    assert by_key[None]["attended"].impressions.estimate == 2
    assert by_key["feed"]["viewable"].impressions.estimate == 1  # 0.2 of the pixels is not viewable
    total = sum(g.ladder["rendered"].impressions.estimate for g in audit.groups)
    assert total == audit.ladder["rendered"].impressions.estimate == 5
