"""compare() says how many rows it read, accepted and rejected, as audit() does."""

from __future__ import annotations

import pyarrow as pa

import viewaudit as va


def test_the_comparison_text_accounts_for_every_row() -> None:
    """A row with no item_id is rejected: the comparison's text gives read = accepted + rejected."""
    log = pa.table({"item_id": [1, None, 2], "viewer_id": [1, 2, 3]})
    text = str(va.compare(log, policies=["platform", "mrc-display"]))
    assert text.startswith("rows read 3, accepted 2, rejected 1\n")
    assert "Each policy's assumptions" in text
