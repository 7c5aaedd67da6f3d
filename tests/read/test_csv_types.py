"""A text file is read with declared types: a file is never judged by its first block, a null word
is not a missing id, and a bad byte costs one row (issue 23, items 2 and 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._read import sources
from viewaudit._schema import ColumnMap


def _write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _ladder(source: Any, **kwargs: Any) -> dict[str, Any]:
    report = va.audit(source, engine="summary", **kwargs).to_dict()
    return {"rows": report["rows"], "ladder": report["ladder"], "interactions": report.get("interactions")}


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """CSV blocks of 64 bytes: a few rows each, so that types could change between blocks."""
    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 64)


LATE_CHANGES = {
    "is_bot empty then true": ("item_id,viewer_id,is_bot", [f"1,{i}," for i in range(30)] + ["1,99,true"]),
    "dwell_censored 0/1 then true": (
        "item_id,viewer_id,dwell_ms,dwell_censored",
        [f"1,{i},5000,{i % 2}" for i in range(30)] + ["1,99,5000,true"],
    ),
    "user_agent digits then text": ("item_id,viewer_id,user_agent", [f"1,{i},{i}" for i in range(30)] + ["1,99,Googlebot/2.1"]),
    "item_id digits then text": ("item_id,viewer_id", [f"{i % 3},{i}" for i in range(30)] + ["abc,99"]),
    "viewer_id digits then text": ("item_id,viewer_id", [f"1,{i}" for i in range(30)] + ["1,someone"]),
    "liked 0/1 then true": ("item_id,viewer_id,liked", [f"1,{i},{i % 2}" for i in range(30)] + ["1,99,true"]),
}


@pytest.mark.parametrize("name", sorted(LATE_CHANGES))
def test_a_type_change_after_the_first_block_is_read(tmp_path: Path, small_blocks: None, name: str) -> None:
    """A value of another type after the reader's first block is read as in one block."""
    header, rows = LATE_CHANGES[name]
    path = _write_csv(tmp_path / "log.csv", header, rows)
    report = va.audit(path, engine="summary").to_dict()
    assert report["rows"]["read"] == 31
    assert report["rows"]["accepted"] == 31


def test_a_by_column_that_turns_to_text_is_one_grouping(tmp_path: Path, small_blocks: None) -> None:
    """A grouping column with digits, then words, gives one group per value."""
    path = _write_csv(tmp_path / "log.csv", "item_id,viewer_id,country", [f"1,{i},{i % 3}" for i in range(30)] + ["1,99,NA"])
    report = va.audit(path, by="country", engine="summary")
    groups = report.to_dict()["groups"]
    assert sorted(str(g["key"]["country"]) for g in groups) == ["0", "1", "2", "NA"]


def test_block_size_does_not_change_the_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same CSV file gives the same audit with blocks of 64 bytes and of 16 MiB."""
    rows = [f"{i % 4},{i % 7 if i % 5 else ''},{i * 37 % 3000},{'true' if i % 9 == 0 else ''},{i % 2}" for i in range(200)]
    path = _write_csv(tmp_path / "log.csv", "item_id,viewer_id,dwell_ms,is_bot,liked", rows)
    whole = _ladder(path)
    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 64)
    assert _ladder(path) == whole


def test_a_latin1_byte_rejects_its_row_only(tmp_path: Path) -> None:
    """An invalid UTF-8 byte in one cell rejects that row with a reason; the others are kept."""
    path = tmp_path / "log.csv"
    path.write_bytes(b"item_id,viewer_id,user_agent\n1,1,Mozilla\n1,2,Caf\xe9\n2,3,Mozilla\n")
    report = va.audit(path, engine="summary").to_dict()
    assert report["rows"] == {"read": 3, "accepted": 2, "rejected": {"user_agent: invalid UTF-8": 1}}


def test_a_latin1_byte_in_an_unread_column_costs_nothing(tmp_path: Path) -> None:
    """An invalid UTF-8 byte in a column no count needs rejects nothing."""
    path = tmp_path / "log.csv"
    path.write_bytes(b"item_id,viewer_id,note\n1,1,ok\n1,2,Caf\xe9\n")
    report = va.audit(path, engine="summary").to_dict()
    assert report["rows"] == {"read": 2, "accepted": 2, "rejected": {}}


def test_only_the_wanted_columns_of_a_csv_file_are_read(tmp_path: Path) -> None:
    """A CSV file's columns that no count needs are not converted, as a Parquet file's are not
    read: its batches hold the wanted columns alone, and the audit (both engines) is the audit
    of the file without the others."""
    rows = [f"{i % 3},{i % 7},{500 * i},x{i},{i / 3},note {i}" for i in range(40)]
    wide = _write_csv(tmp_path / "wide.csv", "item_id,viewer_id,dwell_ms,junk,more,note", rows)
    narrow = _write_csv(tmp_path / "narrow.csv", "item_id,viewer_id,dwell_ms", [",".join(r.split(",")[:3]) for r in rows])
    columns = ColumnMap()
    batch = next(iter(sources.open_source(wide, columns=columns, wanted={"item_id", "viewer_id", "dwell_ms"}).batches))
    assert batch.schema.names == ["item_id", "viewer_id", "dwell_ms"]
    for engine in ("summary", "packed"):
        assert va.audit(wide, by="item_id", engine=engine).to_dict() == va.audit(narrow, by="item_id", engine=engine).to_dict()


@pytest.mark.parametrize("first", ["a", "z"])
def test_optional_columns_in_some_files_only(tmp_path: Path, first: str) -> None:
    """A directory whose files differ in optional columns gives one answer in any file order."""
    folder = tmp_path / "logs"
    folder.mkdir()
    second = "z" if first == "a" else "a"
    _write_csv(folder / f"{first}.csv", "item_id,viewer_id", ["1,1", "1,2"])
    _write_csv(folder / f"{second}.csv", "item_id,viewer_id,liked", ["1,3,true", "1,4,false"])
    report = va.audit(folder, engine="summary").to_dict()
    engaged = next(r for r in report["ladder"] if r["level"] == "engaged")
    assert report["rows"]["accepted"] == 4
    assert engaged["impressions"]["estimate"] == 1


def test_file_order_does_not_change_the_audit(tmp_path: Path) -> None:
    """Parquet and CSV files with different columns give the same audit whichever comes first."""
    answers = []
    for order in (("a", "b"), ("b", "a")):
        folder = tmp_path / "".join(order)
        folder.mkdir()
        pq.write_table(
            pa.table({"item_id": [1, 2], "viewer_id": [1, 2], "dwell_ms": [3000.0, 10.0]}), folder / f"{order[0]}.parquet"
        )
        _write_csv(folder / f"{order[1]}.csv", "item_id,viewer_id,liked,is_bot", ["1,u,true,", "2,v,false,1"])
        answers.append(_ladder(folder))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_file_without_ids_is_an_error_naming_it(tmp_path: Path, fmt: str) -> None:
    """A directory file with no item_id column is refused naming the file, not read as rows of null ids."""
    folder = tmp_path / "logs"
    folder.mkdir()
    _write_csv(folder / "a.csv", "item_id,viewer_id", ["1,1"])
    if fmt == "csv":
        _write_csv(folder / "b.csv", "post,viewer_id", ["1,2"])
    else:
        pq.write_table(pa.table({"post": [1], "viewer_id": [2]}), folder / "b.parquet")
    with pytest.raises(
        ValueError,
        match=rf"column 'item_id' is required but missing from '.*b\.{fmt}'; that file has columns 'post', 'viewer_id'",
    ):
        va.audit(folder)


@pytest.mark.parametrize("value", ["2", "-1", "0.5", "1e3", "0", "0.0"])
def test_numbers_as_text_in_a_flag_read_as_the_numbers_do(tmp_path: Path, value: str) -> None:
    """A flag of number text ('2') reads as the number 2 reads from Parquet: non-zero is true."""
    number = float(value)
    from_csv = _ladder(_write_csv(tmp_path / "f.csv", "item_id,viewer_id,liked", [f"1,1,{value}", "1,2,0"]))
    from_parquet = _ladder(pa.table({"item_id": [1, 1], "viewer_id": [1, 2], "liked": [number, 0.0]}))
    assert from_csv == from_parquet
    assert from_csv["rows"]["rejected"] == {}


NULL_WORDS = ["NA", "N/A", "null", "nan", "#N/A", "NULL", "NaN", "n/a", "-nan", "None"]


def test_null_words_are_ids_in_csv(tmp_path: Path) -> None:
    """Null words in an id column are ids: CSV and Parquet count the same unique viewers."""
    path = _write_csv(tmp_path / "log.csv", "item_id,viewer_id", [f"NA,{w}" for w in NULL_WORDS])
    table = pa.table({"item_id": ["NA"] * 10, "viewer_id": NULL_WORDS})
    pq.write_table(table, tmp_path / "log.parquet")
    from_csv = _ladder(path)
    assert from_csv["rows"] == {"read": 10, "accepted": 10, "rejected": {}}
    assert from_csv["ladder"][0]["unique_viewers"]["estimate"] == 10
    assert from_csv == _ladder(tmp_path / "log.parquet")


def test_only_an_empty_id_is_null_in_csv(tmp_path: Path) -> None:
    """An empty viewer id is logged out; an empty item id rejects the row."""
    path = _write_csv(tmp_path / "log.csv", "item_id,viewer_id", ["1,", ",2", "1,3"])
    report = _ladder(path)
    assert report["rows"] == {"read": 3, "accepted": 2, "rejected": {"item_id: null": 1}}
    assert report["ladder"][0]["unique_viewers"]["estimate"] == 1


@pytest.mark.parametrize("word", [w for w in NULL_WORDS if w != "None"])
def test_null_words_in_number_and_flag_columns_are_null(tmp_path: Path, word: str) -> None:
    """A null word in a number or flag column is a missing value, as before."""
    path = _write_csv(
        tmp_path / "log.csv", "item_id,viewer_id,dwell_ms,is_bot,liked", [f"1,1,{word},{word},{word}", "1,2,3000,0,1"]
    )
    report = _ladder(path)
    assert report["rows"] == {"read": 2, "accepted": 2, "rejected": {}}


BIG = [2**63, 2**64 - 1, 2**63 + 1, 5]


def _big_ids_in_every_format(tmp_path: Path) -> dict[str, Path]:
    viewers = [BIG[i % 4] for i in range(8)]
    items = [BIG[(i + 1) % 4] for i in range(8)]
    pq.write_table(
        pa.table({"item_id": pa.array(items, pa.uint64()), "viewer_id": pa.array(viewers, pa.uint64())}), tmp_path / "log.parquet"
    )
    _write_csv(tmp_path / "log.csv", "item_id,viewer_id", [f"{i},{v}" for i, v in zip(items, viewers, strict=True)])
    (tmp_path / "log.jsonl").write_text(
        "".join(json.dumps({"item_id": i, "viewer_id": v}) + "\n" for i, v in zip(items, viewers, strict=True))
    )
    return {f: tmp_path / f"log.{f}" for f in ("parquet", "csv", "jsonl")}


@pytest.mark.parametrize("engine", ["summary", "auto"])
def test_unsigned_64_bit_ids_are_read_exactly(tmp_path: Path, engine: str) -> None:
    """Ids of 2**63 and above count as themselves, the same from Parquet, CSV and JSON Lines."""
    for path in _big_ids_in_every_format(tmp_path).values():
        report = va.audit(path, engine=engine, by="item_id").to_dict()
        assert report["rows"] == {"read": 8, "accepted": 8, "rejected": {}}, path
        assert report["ladder"][0]["unique_viewers"]["estimate"] == 4, path
        assert sorted(int(g["key"]["item_id"]) for g in report["groups"]) == sorted(BIG), path


def test_json_ids_above_2_53_are_exact(tmp_path: Path) -> None:
    """JSON Lines ids that a double cannot hold are distinct ids, not rounded together."""
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"item_id": 1, "viewer_id": 2**53 + k}) + "\n" for k in range(4)))
    report = va.audit(path, engine="summary").to_dict()
    assert report["ladder"][0]["unique_viewers"]["estimate"] == 4
