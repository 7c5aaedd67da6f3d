"""The audit's JSON output on fixed logs, pinned before the package is restructured.

A restructure (modules moved, split or renamed) must not change a single number the audit
reports. Each case in ``reference_cases.py`` builds a deterministic log in memory through the
public API (simulated scenarios, the bundled EB-NeRD sample, samples, weights, rejected rows,
the CLI), makes one public call, and its ``to_dict()`` is compared with the JSON stored in
``tests/data/reference/`` for exact equality: every float bit for bit, ints and floats kept
apart, every assumption's wording.

If a test here fails after a change that was not meant to change results, the change is wrong.
Regenerate the files with ``python tools/update_reference.py`` only when a change is meant to
change results, and say so in the commit body (which cases moved and why).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import reference_cases as rc


def first_difference(stored: Any, fresh: Any, path: str = "$") -> str | None:
    """The path of the first place ``fresh`` differs from ``stored`` and how, or None.

    Stricter than ``==``: ``1`` and ``1.0`` (an int that became a float) differ."""
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
    assert stored == fresh


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
