"""The weight column: an inverse inclusion probability from 1 to MAX_WEIGHT, else a bad row."""

from __future__ import annotations

import math
import re

import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._schema import MAX_WEIGHT

#: (id, row 1's weight, message under on_invalid="raise"). Row 0 weighs 1.
BAD_WEIGHTS = [
    ("zero", 0.0, "row 1: column 'weight' must be a number >= 1 (an inverse inclusion probability), got 0.0"),
    ("below-one", 0.5, "row 1: column 'weight' must be a number >= 1 (an inverse inclusion probability), got 0.5"),
    ("negative", -2.0, "row 1: column 'weight' must be a number >= 1 (an inverse inclusion probability), got -2.0"),
    ("nan", math.nan, "row 1: column 'weight' must be a number >= 1 (an inverse inclusion probability), got None"),
    ("inf", math.inf, "row 1: column 'weight' must be a finite number, got inf"),
    ("huge", 1e15, "row 1: column 'weight' must be a number <= 1e+09 (a sample rate >= 1e-09), got 1000000000000000.0"),
]


@pytest.mark.parametrize(("weight", "message"), [b[1:] for b in BAD_WEIGHTS], ids=[b[0] for b in BAD_WEIGHTS])
def test_bad_weight_raises_at_its_row(weight: float, message: str) -> None:
    """on_invalid="raise" names the row, the weight rule and the value."""
    log = pa.table({"item_id": [1, 2], "weight": [1.0, weight]})
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        va.audit(log, on_invalid="raise")


@pytest.mark.parametrize("weight", [b[1] for b in BAD_WEIGHTS], ids=[b[0] for b in BAD_WEIGHTS])
def test_bad_weight_is_rejected_and_counted(weight: float) -> None:
    """A bad weight rejects its row with a reason; the good row is kept and counted once."""
    result = va.audit(pa.table({"item_id": [1, 2], "weight": [1.0, weight]}))
    assert result.rows.read == 2
    assert result.rows.accepted == 1
    assert sum(result.rows.rejected.values()) == 1
    assert result.ladder["rendered"].impressions.estimate == 1


def test_weights_at_the_limits_are_accepted() -> None:
    """Weight 1 and MAX_WEIGHT are both accepted."""
    result = va.audit(pa.table({"item_id": [1, 2], "weight": [1.0, MAX_WEIGHT]}))
    assert result.rows.accepted == 2
    assert result.ladder["rendered"].impressions.estimate == 1 + MAX_WEIGHT
