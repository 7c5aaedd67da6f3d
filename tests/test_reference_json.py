"""The audit's JSON output on fixed logs, pinned before the package is restructured.

A restructure (modules moved, split or renamed) must not change a single number the audit
reports. Each case in ``reference_cases.py`` builds a deterministic log in memory through the
public API (simulated scenarios, the bundled EB-NeRD sample, samples, weights, rejected rows,
the CLI), makes one public call, and its ``to_dict()`` is compared with the JSON stored in
``tests/data/reference/``: every int, string and assumption's wording exactly, ints and floats
kept apart, and every float to a relative :data:`FLOAT_TOLERANCE`.

Why not every float bit for bit: the figures that come out of an optimiser (a profile
likelihood's end, a fitted shape) move in their last digits when numpy or scipy change their
routines. A fresh install of numpy 2.4.6 and scipy 1.17.1 (December 2026) moved 5 of 31 cases
by up to 9e-6 relative, with the package's code unchanged. A change that means anything moves a
figure by far more.

If a test here fails after a change that was not meant to change results, the change is wrong.
Regenerate the files with ``python tools/update_reference.py`` only when a change is meant to
change results, and say so in the commit body (which cases moved and why).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

import reference_cases as rc

#: Relative difference two floats may have and still count as the same figure: about ten times
#: the largest drift seen across numpy/scipy versions (9e-6), a hundredth of a per cent.
FLOAT_TOLERANCE = 1e-4


def first_difference(stored: Any, fresh: Any, path: str = "$") -> str | None:
    """The path of the first place ``fresh`` differs from ``stored`` and how, or None.

    Stricter than ``==`` in type: ``1`` and ``1.0`` (an int that became a float) differ. Floats
    match within a relative ``FLOAT_TOLERANCE`` (NaN matches NaN, infinities match exactly)."""
    if type(stored) is not type(fresh):
        return f"{path}: stored {stored!r} ({type(stored).__name__}), now {fresh!r} ({type(fresh).__name__})"
    if isinstance(stored, dict):
        for key in sorted(stored.keys() | fresh.keys()):
            if key not in fresh:
                return f"{path}: key {key!r} is gone (stored {stored[key]!r})"
            if key not in stored:
                return f"{path}: new key {key!r} (now {fresh[key]!r})"
            found = first_difference(stored[key], fresh[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(stored, list):
        for i, (a, b) in enumerate(zip(stored, fresh, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(stored) != len(fresh):
            return f"{path}: stored {len(stored)} items, now {len(fresh)}"
        return None
    if isinstance(stored, float) and math.isclose(stored, fresh, rel_tol=FLOAT_TOLERANCE, abs_tol=0.0):
        return None
    return None if stored == fresh else f"{path}: stored {stored!r}, now {fresh!r}"


@pytest.mark.parametrize("name", list(rc.CASES))
def test_reference_json(name: str) -> None:
    """The case's audit output equals its stored reference JSON exactly."""
    path = rc.reference_path(name)
    assert path.exists(), f"no stored reference for {name!r}: run python tools/update_reference.py {name}"
    stored = rc.nan_to_sentinel(json.loads(path.read_text()))
    fresh = rc.nan_to_sentinel(rc.run_case(name))
    diff = first_difference(stored, fresh)
    assert diff is None, f"{name} ({rc.CASES[name].__doc__}) changed at {diff}"


def test_every_stored_file_has_a_case() -> None:
    """No reference file is left behind by a removed or renamed case."""
    stored = {p.stem for p in rc.REFERENCE_DIR.glob("*.json")}
    assert stored == set(rc.CASES)


def test_first_difference_names_the_path() -> None:
    """The diff helper points at the first differing leaf, and tells 1 from 1.0."""
    assert first_difference({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 2.5}]}) == "$.a[1].b: stored 2.0, now 2.5"
    assert first_difference({"a": 1}, {"a": 1.0}) is not None
    assert first_difference({"a": [1]}, {"a": [1, 2]}) == "$.a: stored 1 items, now 2"
    assert first_difference({"x": rc.NAN}, rc.nan_to_sentinel({"x": float("nan")})) is None


def test_first_difference_tolerates_only_last_digit_drift() -> None:
    """Floats within FLOAT_TOLERANCE match; twice that does not, nor 0 against a tiny float."""
    assert first_difference({"a": 7117.063210182656}, {"a": 7117.08576738146}) is None  # 3.2e-6, seen across scipy versions
    assert first_difference({"a": 100.0}, {"a": 100.0 * (1 + 2 * FLOAT_TOLERANCE)}) is not None
    assert first_difference({"a": 0.0}, {"a": 1e-300}) is not None
    assert first_difference({"a": float("inf")}, {"a": 1e308}) is not None
