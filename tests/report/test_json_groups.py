"""The column-wise JSON of the groups: the same text as json.dumps of the reference dicts."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import viewaudit as va
from viewaudit._report import json_groups
from viewaudit._report.json_groups import json_keys, json_numbers
from viewaudit._report.results import _json_values


def _log(keys: list[object], rows: int = 600, seed: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "item_id": rng.integers(0, 7, rows),
            "key": pa.array([keys[i] for i in rng.integers(0, len(keys), rows)]),
            "other": rng.integers(0, 3, rows),
            "viewer_id": rng.integers(0, 90, rows),
            "dwell_ms": np.where(rng.random(rows) < 0.3, np.nan, rng.lognormal(7, 1.2, rows)),
            "visible_fraction": rng.random(rows),
        }
    )


KEYS = {
    "strings to escape": ["plain", 'quote " and \\ back', "tab\there", "é ünïcode", "\u2028 line sep", "\x00 nul", None],
    "large integers": [0, -1, 2**53 + 1, -(2**62), None],
    "booleans": [True, False],
    "floats": [0.5, 1e-7, 1e300, -0.0],
}


@pytest.mark.parametrize("name", list(KEYS))
@pytest.mark.parametrize("by", [("key",), ("key", "other")])
def test_groups_text_is_dumps_of_to_dict(name: str, by: tuple[str, ...]) -> None:
    """Keys of any kind, one or two of them: write_json is byte for byte json.dumps(to_dict())."""
    audited = va.audit(_log(KEYS[name]), by=list(by), frequency=2, population=777)
    out = io.StringIO()
    audited.write_json(out, chunk=5)
    assert out.getvalue() == json.dumps(audited.to_dict(), allow_nan=False)


SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -3.0,
    0.1,
    1e-4,
    9.99e-5,
    1e-5,
    123456.789,
    2.0**53,
    2.0**53 - 1,
    1e16,
    1e17 + 0.5,
    1.5e300,
    3588180391508.9487,
    1 / 3,
    math.nan,
    math.inf,
    -math.inf,
    5e-324,
]


def test_special_numbers_as_to_dict_writes_them() -> None:
    """Zeros, exponents, 2**53, non-finite and subnormal figures: the tokens json.dumps writes."""
    assert json_numbers(np.array(SPECIAL)).to_pylist() == [json.dumps(v) for v in _json_values(SPECIAL)]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_any_floats_as_to_dict_writes_them(values: list[float]) -> None:
    """Any floats at all: the tokens json.dumps writes for to_dict's values."""
    assert json_numbers(np.array(values)).to_pylist() == [json.dumps(v) for v in _json_values(values)]


def test_keys_escaped_as_json_dumps_does() -> None:
    """String keys, nulls among them, come out as json.dumps writes each."""
    keys = KEYS["strings to escape"]
    assert json_keys(pa.array(keys * 3)).to_pylist() == [json.dumps(k) for k in keys * 3]


def test_groups_joined_in_parts_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups joined a few rows at a time give the same text as all at once."""
    audited = va.audit(_log(KEYS["large integers"]), by="key")
    whole = audited.to_json()
    monkeypatch.setattr(json_groups, "_ROWS_PER_JOIN", 2)
    assert audited.to_json() == whole == json.dumps(audited.to_dict())


def _record_line(record: dict[str, object]) -> str:
    """The reference: one record through json.dumps, non-finite floats null."""
    finite = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}
    return json.dumps(finite, allow_nan=False) + "\n"


@pytest.mark.parametrize("name", list(KEYS))
def test_json_lines_are_dumps_of_each_record(name: str) -> None:
    """The long table as JSON Lines is, line for line, json.dumps of each record (NaN null)."""
    table = va.audit(_log(KEYS[name]), by=["key", "other"]).to_arrow()
    want = "".join(_record_line(r) for r in table.to_pylist())
    assert json_groups.json_lines(table).decode() == want


def test_json_lines_of_every_column_kind() -> None:
    """Floats of every kind, booleans, nulls and text in one table: as json.dumps writes each record."""
    floats = [*SPECIAL, None]
    table = pa.table(
        {
            "x": pa.array(floats, pa.float64()),
            "flag": pa.array([True, False, None] * 7)[: len(floats)],
            "n": pa.array([2**62, -1, None] * 7, pa.int64())[: len(floats)],
            "text": pa.array(['"q"', "é", None] * 7)[: len(floats)],
        }
    )
    assert json_groups.json_lines(table).decode() == "".join(_record_line(r) for r in table.to_pylist())
