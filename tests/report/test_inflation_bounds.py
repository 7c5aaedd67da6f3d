"""Inflation factors never leave what the ladder allows: each is at least 1 (issue 24, item 3)."""

from __future__ import annotations

import warnings

import pyarrow as pa
from hypothesis import given

import viewaudit as va
from viewaudit._warnings import DegenerateDataWarning
from viewaudit.strategies import impression_logs


def _factors(result: va.Audit) -> list[tuple[str, float | None, float | None, float | None]]:
    report = result.to_dict()
    out = []
    for inflation in [report["inflation"], *(g["inflation"] for g in report["groups"])]:
        for name, value in [("headline", inflation["headline"]), *inflation["factors"].items()]:
            out.append((name, value["estimate"], value["low"], value["high"]))
    return out


@given(log=impression_logs(max_size=200))
def test_every_factor_is_at_least_one(log: pa.Table) -> None:
    """Any log, whole and per item: every factor's estimate and interval ends are >= 1 where defined."""
    with warnings.catch_warnings():
        # Drawn logs can look whole-second or in seconds: the warnings say so, the property holds.
        for category in (DegenerateDataWarning, va.GranularityWarning, va.UnitWarning):
            warnings.simplefilter("ignore", category)
        results = [va.audit(log), va.audit(log, by="item_id")]
    for result in results:
        for name, *values in _factors(result):
            assert all(v is None or v >= 1 for v in values), (name, values)


def test_weighted_log_factors_are_at_least_one() -> None:
    """A sampled log (before: a repeats factor with a low end of 0.94) keeps every factor >= 1."""
    log = pa.table({"item_id": [1] * 6, "viewer_id": [1, 1, 2, 3, 3, 4], "weight": [2.0, 4.0, 2.0, 4.0, 2.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        factors = _factors(va.audit(log))
    assert all(v is None or v >= 1 for _, *values in factors for v in values)
