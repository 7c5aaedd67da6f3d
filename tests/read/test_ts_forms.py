"""`ts`: the common forms are read, and a `ts` that cannot be read is null and counted, never a lost row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._read.validation import _Check, _ts_column

#: 2023-11-17T08:00:00.123Z in epoch milliseconds.
MS = 1_700_208_000_123

#: (id, ts values, epoch ms each should read as).
FORMS: list[tuple[str, pa.Array, list[int | None]]] = [
    ("int seconds", pa.array([1_700_208_000], pa.int64()), [1_700_208_000_000]),
    ("int ms", pa.array([MS], pa.int64()), [MS]),
    ("int us", pa.array([MS * 1000 + 456], pa.int64()), [MS]),
    ("int ns", pa.array([MS * 1_000_000 + 456_789], pa.int64()), [MS]),
    ("uint64 ns", pa.array([MS * 1_000_000], pa.uint64()), [MS]),
    ("int32 seconds", pa.array([1_700_208_000], pa.int32()), [1_700_208_000_000]),
    ("float seconds", pa.array([1_700_208_000.123]), [MS]),
    ("float ms", pa.array([float(MS)]), [MS]),
    ("text seconds", pa.array(["1700208000"]), [1_700_208_000_000]),
    ("text float seconds", pa.array(["1700208000.123"]), [MS]),
    ("text ms", pa.array([str(MS)]), [MS]),
    ("text ns", pa.array([str(MS * 1_000_000 + 999_999)]), [MS]),
    ("iso", pa.array(["2023-11-17T08:00:00.123"]), [MS]),
    ("iso z", pa.array(["2023-11-17T08:00:00.123Z"]), [MS]),
    ("iso offset", pa.array(["2023-11-17T09:00:00.123+01:00"]), [MS]),
    ("iso space", pa.array(["2023-11-17 08:00:00"]), [MS - 123]),
    ("iso date", pa.array(["2023-11-17"]), [MS - 123 - 8 * 3_600_000]),
    ("rfc 2822", pa.array(["Fri, 17 Nov 2023 09:00:00 +0100"]), [MS - 123]),
    ("rfc 2822 gmt", pa.array(["Fri, 17 Nov 2023 08:00:00 GMT"]), [MS - 123]),
    ("timestamp ns tz", pa.array([MS * 1_000_000], pa.timestamp("ns", tz="Europe/Berlin")), [MS]),
    ("timestamp s", pa.array([1_700_208_000], pa.timestamp("s")), [1_700_208_000_000]),
    ("timestamp us", pa.array([MS * 1000], pa.timestamp("us", tz="UTC")), [MS]),
    ("date32", pa.array([dt.date(2023, 11, 17)], pa.date32()), [MS - 123 - 8 * 3_600_000]),
    ("null", pa.array([None], pa.string()), [None]),
    ("blank", pa.array(["  "]), [None]),
]


@pytest.mark.parametrize(("values", "expected"), [f[1:] for f in FORMS], ids=[f[0] for f in FORMS])
def test_ts_forms_are_read(values: pa.Array, expected: list[int | None]) -> None:
    """Each common form of `ts` reads as the same epoch milliseconds, with nothing unreadable."""
    check = _Check(len(values))
    assert _ts_column(values, check).to_pylist() == expected
    assert check.items == []
    assert not check.nulled


#: (id, ts values that cannot be read as a time).
UNREADABLE: list[tuple[str, pa.Array]] = [
    ("word", pa.array(["yesterday"])),
    ("bad date", pa.array(["2023-13-45"])),
    ("inf", pa.array([float("inf")])),
    ("huge float", pa.array([1e300])),
    ("huge uint64", pa.array([2**64 - 1], pa.uint64())),
    ("huge text", pa.array(["9" * 30])),
    ("binary", pa.array([b"\xff\x00"], pa.binary())),
    ("list", pa.array([[1]])),
    ("bool", pa.array([True])),
    ("timestamp s overflow", pa.array([2**62], pa.timestamp("s"))),
]


@pytest.mark.parametrize("values", [u[1] for u in UNREADABLE], ids=[u[0] for u in UNREADABLE])
def test_unreadable_ts_is_null_and_counted(values: pa.Array) -> None:
    """A `ts` that cannot be read keeps its row: the row is accepted, `ts` null, and counted."""
    log = pa.table({"item_id": pa.array([1, 2]), "ts": pa.concat_arrays([values, pa.nulls(1, values.type)])})
    result = va.audit(log)
    assert result.rows.read == 2
    assert result.rows.accepted == 2
    assert result.rows.rejected == {}
    assert result.rows.nulled == {"ts: unreadable": 1}
    assert result.to_dict()["rows"]["nulled"] == {"ts: unreadable": 1}
    assert "ts: unreadable" in str(result)


def test_nulled_key_only_when_something_was_nulled() -> None:
    """The JSON report adds `rows.nulled` only when a value was nulled (the other keys are unchanged)."""
    result = va.audit(pa.table({"item_id": [1, 2], "ts": [MS, MS]}))
    assert result.to_dict()["rows"] == {"read": 2, "accepted": 2, "rejected": {}}


def test_unreadable_ts_is_counted_from_files(tmp_path: Path) -> None:
    """From CSV and JSON Lines, an unreadable `ts` is counted once per row, whatever the engine."""
    rows: list[dict[str, Any]] = [{"item_id": i, "viewer_id": i, "ts": t} for i, t in enumerate(["x", str(MS), "y"])]
    csv = tmp_path / "log.csv"
    csv.write_text("item_id,viewer_id,ts\n" + "".join(f"{r['item_id']},{r['viewer_id']},{r['ts']}\n" for r in rows))
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for path in (csv, jsonl):
        for engine in ("summary", "auto"):
            result = va.audit(str(path), engine=engine)  # type: ignore[arg-type]
            assert result.rows.accepted == 3
            assert result.rows.nulled == {"ts: unreadable": 2}
