"""The argument checks of the public functions: one per function, normalised results, messages."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pyarrow as pa
import pytest

import viewaudit
from viewaudit._checks import (
    AuditOptions,
    EstimateOptions,
    check_audit,
    check_compare,
    check_estimate,
    check_summarize,
)

AUDIT_DEFAULTS: dict[str, Any] = {
    "policy": "mrc-display",
    "columns": None,
    "by": None,
    "on_invalid": "reject",
    "rejects": None,
    "confidence_level": 0.95,
    "progress": False,
    "engine": "auto",
    "unique_viewers": "exact",
    "hll_precision": 10,
    "rounding_ms": 0.0,
    "sample_rate": None,
    "strata": None,
    "frequency": None,
    "population": None,
}
COMPARE_DEFAULTS: dict[str, Any] = {
    "policies": None,
    "presets": list(viewaudit.PRESETS.values()),
    "columns": None,
    "on_invalid": "reject",
    "confidence_level": 0.95,
    "progress": False,
    "engine": "auto",
    "rounding_ms": 0.0,
    "sample_rate": None,
    "strata": None,
    "frequency": None,
    "population": None,
}
SUMMARIZE_DEFAULTS: dict[str, Any] = {
    "policy": "mrc-display",
    "columns": None,
    "by": None,
    "on_invalid": "reject",
    "rejects": None,
    "progress": False,
    "rounding_ms": 0.0,
    "sample_rate": None,
}

SHARED_BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"on_invalid": "skip"}, ValueError, "on_invalid must be 'reject' or 'raise', got 'skip'"),
    ({"confidence_level": 1.0}, ValueError, "confidence_level must be in (0, 1), got 1.0"),
    ({"confidence_level": "0.9"}, ValueError, "confidence_level must be in (0, 1), got '0.9'"),
    ({"frequency": 0}, ValueError, "frequency must be a whole number >= 1"),
    ({"frequency": True}, ValueError, "frequency must be a whole number >= 1"),
    ({"population": -1}, ValueError, "population must be a finite number > 0"),
    ({"population": float("inf")}, ValueError, "population must be a finite number > 0"),
    ({"engine": "fast"}, ValueError, "engine must be one of 'auto', 'packed', 'summary', got 'fast'"),
    ({"engine": "packed", "frequency": 2}, ValueError, "frequency= and population= need per-viewer counts"),
    ({"strata": "viewer_id"}, ValueError, "strata must be a column name other than viewer_id and the by columns"),
    ({"strata": "surface", "engine": "packed"}, ValueError, "strata= needs the summary engine"),
]
AUDIT_BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    *SHARED_BAD,
    ({"policy": "no-such-policy"}, ValueError, "no-such-policy"),
    ({"by": [1]}, TypeError, "by must be a column name or a list of them, got 1"),
    # Iterated, bytes were numbers: "got 105".
    ({"by": b"surface"}, TypeError, "by must be a column name (str) or a list of them, got b'surface'"),
    ({"by": ["surface", "surface"]}, ValueError, "by must name each column once, got 'surface' 2 times"),
    ({"by": "viewer_id"}, ValueError, "by='viewer_id' is not supported"),
    ({"strata": "item_id", "by": "item_id"}, ValueError, "strata must be a column name other than viewer_id"),
    ({"unique_viewers": "approx"}, ValueError, "unique_viewers must be 'exact' or 'hll', got 'approx'"),
    ({"unique_viewers": "hll", "hll_precision": 3}, ValueError, "hll_precision must be an integer from 4 to 16, got 3"),
    # Exact counting does not read it, and took 99 silently.
    ({"hll_precision": 99}, ValueError, "hll_precision must be an integer from 4 to 16, got 99"),
    ({"hll_precision": 3.5}, ValueError, "hll_precision must be an integer from 4 to 16, got 3.5"),
    ({"unique_viewers": "hll", "engine": "summary"}, ValueError, "unique_viewers='hll' needs the packed engine"),
    ({"unique_viewers": "hll", "population": 10.0}, ValueError, "frequency= and population= need per-viewer counts"),
    ({"unique_viewers": "hll", "strata": "surface"}, ValueError, "strata= needs the summary engine"),
]


def _raises(error: type[Exception], match: str) -> Any:
    return pytest.raises(error, match=re.escape(match))


@pytest.mark.parametrize(("bad", "error", "match"), AUDIT_BAD)
def test_check_audit_rejects_bad_arguments(bad: dict[str, Any], error: type[Exception], match: str) -> None:
    """Each bad argument of audit() raises its error, with the message naming it."""
    with _raises(error, match):
        check_audit(**(AUDIT_DEFAULTS | bad))


@pytest.mark.parametrize(("bad", "error", "match"), AUDIT_BAD)
def test_audit_raises_the_check_before_reading(bad: dict[str, Any], error: type[Exception], match: str) -> None:
    """audit() raises the same errors before it reads the source (the source here is not one)."""
    with _raises(error, match):
        viewaudit.audit(object(), **(AUDIT_DEFAULTS | bad))


@pytest.mark.parametrize(
    ("bad", "error", "match"), [*SHARED_BAD, ({"policies": []}, ValueError, "policies must name at least one policy")]
)
def test_check_compare_rejects_bad_arguments(bad: dict[str, Any], error: type[Exception], match: str) -> None:
    """Each bad argument of compare() raises its error, with the message naming it."""
    with _raises(error, match):
        check_compare(**(COMPARE_DEFAULTS | bad))


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ({"on_invalid": "skip"}, ValueError, "on_invalid must be 'reject' or 'raise', got 'skip'"),
        ({"by": ("item_id", 2)}, TypeError, "by must be a column name or a list of them, got 2"),
        ({"by": ["viewer_id"]}, ValueError, "by='viewer_id' is not supported"),
        ({"policy": []}, ValueError, "policies must name at least one policy"),
        ({"rounding_ms": -1.0}, ValueError, "rounding_ms"),
        ({"sample_rate": 1.5}, ValueError, "sample_rate"),
    ],
)
def test_check_summarize_rejects_bad_arguments(bad: dict[str, Any], error: type[Exception], match: str) -> None:
    """Each bad argument of summarize() raises its error, with the message naming it."""
    with _raises(error, match):
        check_summarize(**(SUMMARIZE_DEFAULTS | bad))


@pytest.fixture(scope="module")
def summary() -> viewaudit.Summary:
    log = pa.table({"item_id": [1, 1, 2], "viewer_id": [1, 2, 1], "surface": ["a", "b", "a"]})
    result = viewaudit.summarize(log, by=["item_id", "surface"])
    assert isinstance(result, viewaudit.Summary)
    return result


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ({"confidence_level": 0}, ValueError, "confidence_level must be in (0, 1), got 0"),
        ({"frequency": 1.5}, ValueError, "frequency must be a whole number >= 1"),
        ({"population": 0}, ValueError, "population must be a finite number > 0"),
        ({"strata": "day"}, ValueError, "strata='day' must be one of the summary's group keys ('item_id', 'surface')"),
    ],
)
def test_check_estimate_rejects_bad_arguments(
    summary: viewaudit.Summary, bad: dict[str, Any], error: type[Exception], match: str
) -> None:
    """Each bad argument of estimate() raises its error, from the check and from estimate() itself."""
    arguments: dict[str, Any] = {"confidence_level": 0.95, "strata": None, "frequency": None, "population": None} | bad
    with _raises(error, match):
        check_estimate(summary.policy, summary.by, **arguments)
    with _raises(error, match):
        viewaudit.estimate(summary, **arguments)


def test_checks_normalise_the_arguments() -> None:
    """The checks return policies resolved, by as a tuple, the reach as (K, population) and floats."""
    options = check_audit(**(AUDIT_DEFAULTS | {"by": "item_id", "population": 100, "confidence_level": 0.9}))
    assert options.policies == (viewaudit.get_policy("mrc-display"),)
    assert options.by == ("item_id",)
    assert options.columns == viewaudit.ColumnMap()
    assert options.estimate == EstimateOptions(confidence_level=0.9, strata=None, frequency=1, population=100.0)
    assert isinstance(options.estimate.population, float)
    assert options.confidence_level == 0.9
    compared = check_compare(**COMPARE_DEFAULTS)
    assert [p.name for p in compared.policies] == list(viewaudit.PRESETS)
    assert compared.scanned_by == ()
    stratified = check_audit(**(AUDIT_DEFAULTS | {"by": "item_id", "strata": "surface"}))
    assert stratified.scanned_by == ("item_id", "surface")


@pytest.mark.parametrize("options", [check_audit(**AUDIT_DEFAULTS), EstimateOptions()])
def test_options_are_frozen(options: AuditOptions | EstimateOptions) -> None:
    """The options objects cannot be changed once built: every engine sees what the checks made."""
    name = attrs.fields(type(options))[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(options, name, None)


def test_confidence_level_is_checked_once_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """audit() on the summary path checks confidence_level once, not again in estimate()."""
    import viewaudit._checks as checks

    calls: list[float] = []
    original = checks._confidence_level

    def counting(level: float) -> float:
        calls.append(level)
        return original(level)

    monkeypatch.setattr(checks, "_confidence_level", counting)
    log = pa.table({"item_id": [1, 1, 2], "viewer_id": [1, 2, 1], "surface": ["a", "b", "a"]})
    viewaudit.audit(log, engine="summary", strata="surface", frequency=2)
    viewaudit.compare(log, policies=["mrc-display", "meta-3s"])
    assert calls == [0.95, 0.95]
