"""Hostile but legal logs through every source kind: never a crash, never a lost row, never a
negative or disordered figure, and the same figures from every format (issue 23, item 9).

The logs are the project's own valid logs (``viewaudit.strategies.impression_logs``) with the
twists of ``helpers.hostile``. Each is audited as a pyarrow Table in canonical types (the
expected audit) and from one source kind: a CSV file (with or without a BOM and CRLF), a
Parquet file, a JSON Lines file, a directory of CSV, JSON Lines and Parquet parts in any order
(ids as text in some parts, integers in others), a pyarrow Table or RecordBatchReader of
several batches with every Arrow string and dictionary type and numbers as text, a pandas frame
(object or pyarrow-backed strings) and a polars frame.

The invariants (``helpers.hostile.check_invariants``):

- no exception but a clear error (``is_clear_error``: a ValueError or TypeError raised by
  viewaudit, not pyarrow, naming a column of the log or a parameter), and a source raises one
  exactly when the table does; no warning but ``DegenerateDataWarning``;
- rows read = accepted + rejected = the rows of the log;
- ``json.dumps(result.to_dict(), allow_nan=False)`` works;
- no figure is negative and ``low <= estimate <= high`` wherever they are not null, for every
  figure of the report: ladder, views, inflation, per group too;
- the same report: ``to_dict()`` of the source equals the table's, whole and exactly (figures,
  rows, rejects, exclusions, assumptions), after ``comparable``, which turns group labels into
  text and sorts the groups by them: CSV reads ids as text and Parquet keeps integers, so
  sources agree on labels' text, not their types. An empty JSON Lines file has no columns, so
  from it only the rows are compared.

Each twist that once broke an invariant (one per item of issue 23) has a test of its own,
and so has each minimal failing example the suite found.
"""

from __future__ import annotations

import datetime as dt
import decimal
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._warnings import DegenerateDataWarning

from helpers.hostile import (
    FLOAT_COLUMNS,
    STRING_TYPES,
    batched,
    check_invariants,
    comparable,
    hostile_logs,
    is_clear_error,
    numbers_as_text,
    pandas_frame,
    polars_frame,
    retyped,
    write_csv,
    write_jsonl,
    write_parquet,
    write_parts,
)

SOURCES = ("csv", "parquet", "jsonl", "directory", "arrow", "batches", "pandas", "polars")
_FIXTURE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _source(kind: str, table: pa.Table, draw: Any, root: Path, *, categorical: bool = False) -> Any:
    if kind == "csv":
        return write_csv(table, root / "log.csv", bom=draw(st.booleans()), crlf=draw(st.booleans()))
    if kind == "parquet":
        return write_parquet(table, root / "log.parquet")
    if kind == "jsonl":
        return write_jsonl(table, root / "log.jsonl")
    if kind == "directory":
        cuts = draw(st.lists(st.integers(0, table.num_rows), max_size=3))
        formats = draw(st.lists(st.sampled_from(("csv", "jsonl", "parquet")), min_size=1, max_size=3))
        text_ids = draw(st.frozensets(st.integers(0, 3)))
        return write_parts(table, root / "parts", cuts, formats, text_ids=text_ids)
    kinds = draw(st.lists(st.sampled_from(STRING_TYPES), min_size=1, max_size=3))
    if kind in ("arrow", "batches"):
        table = numbers_as_text(table, draw(st.lists(st.sampled_from(FLOAT_COLUMNS), unique=True)))
    if kind == "arrow":
        return retyped(table, kinds)
    if kind == "batches":
        return batched(retyped(table, kinds), draw(st.integers(1, 4)))
    if kind == "pandas":
        return pandas_frame(table, arrow_strings=draw(st.booleans()))
    if kind == "polars":
        return polars_frame(table, categorical=categorical)
    raise AssertionError(kind)


def _audit(source: Any, names: set[str], **kwargs: Any) -> va.Audit | None:
    """The audit, or None after a clear error; any other exception or warning (other than
    viewaudit's own about degenerate data and how times look logged) fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            warnings.simplefilter("ignore", va.UnitWarning)
            warnings.simplefilter("ignore", va.GranularityWarning)
            return va.audit(source, **kwargs)
    except Exception as err:
        if is_clear_error(err, names):
            return None
        raise


def _same_figures(
    kind: str, table: pa.Table, data: st.DataObject, root: Path, *, categorical: bool = False, grouped: bool = False
) -> None:
    by = "surface" if "surface" in table.column_names and (grouped or data.draw(st.booleans())) else None
    names = set(table.column_names)
    expected = _audit(table, names, by=by)
    result = _audit(_source(kind, table, data.draw, root, categorical=categorical), names, by=by)
    assert (expected is None) == (result is None)
    if expected is None or result is None:
        return
    want = check_invariants(expected, table.num_rows)
    got = check_invariants(result, table.num_rows)
    if table.num_rows == 0 and kind in ("jsonl", "directory"):
        # An empty JSON Lines file has no columns, so rungs needing one are undetermined.
        assert got["rows"] == want["rows"]
    else:
        assert comparable(got) == comparable(want)


@pytest.mark.parametrize("kind", SOURCES)
@settings(suppress_health_check=_FIXTURE)
@given(table=hostile_logs(), data=st.data())
def test_every_source_gives_the_same_figures(
    tmp_path_factory: pytest.TempPathFactory, kind: str, table: pa.Table, data: st.DataObject
) -> None:
    """Each source of the same rows keeps the invariants and gives the in-memory table's figures."""
    _same_figures(kind, table, data, tmp_path_factory.mktemp(kind))


# --- the twists that broke the invariants, one per item of issue 23 -------------------------

#: twist -> the defect of issue 23 it once triggered, kept so that it never comes back.
TWISTS = {
    "big_weights": "issue 23 item 1: weights of 1e9 and 1e15 overflow the weight sums",
    "odd_labels": "issue 23 item 2: CSV infers a by column's type, merging labels 01 and 1",
    "bad_row": "issue 23 item 3: a rejected row in a string_view column crashes the reader",
    "categorical": "issue 23 item 3: polars Categorical columns crash the reader",
    "null_words": "issue 23 item 6: CSV null words in id columns become null ids",
    "big_ids": "issue 23 item 6: uint64 ids >= 2^63 are rejected, not read exactly",
}


@pytest.mark.parametrize(
    "twist",
    list(TWISTS),
)
@settings(suppress_health_check=_FIXTURE, max_examples=30, phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_hostile_twist_gives_the_same_figures(tmp_path_factory: pytest.TempPathFactory, twist: str, data: st.DataObject) -> None:
    """With the twist on, every source still keeps the invariants and gives the same figures."""
    kinds = {"categorical": ("polars",), "odd_labels": ("csv", "directory")}.get(twist, SOURCES)
    kind = data.draw(st.sampled_from(kinds))
    table = data.draw(hostile_logs(**({} if twist == "categorical" else {twist: True})))
    root = tmp_path_factory.mktemp(kind)
    _same_figures(kind, table, data, root, categorical=twist == "categorical", grouped=twist == "odd_labels")
    if twist == "big_ids":  # read exactly: not rejected as out of range
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            rejected = va.audit(table).rows.rejected
        assert not any("out of range" in reason for reason in rejected)


# --- minimal examples the suite found failing, one group per item of issue 23 ---------------


def _invariant_audit(source: Any, read: int, **kwargs: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.simplefilter("ignore", va.UnitWarning)
        warnings.simplefilter("ignore", va.GranularityWarning)
        return comparable(check_invariants(va.audit(source, **kwargs), read))


def _csv(tmp_path: Path, text: bytes | str) -> Path:
    path = tmp_path / "log.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("fmt", ["csv", "arrow"])
def test_item_1_large_weights_keep_the_invariants(tmp_path: Path, fmt: str) -> None:
    """Weights of 1e9 (the largest) sum to 2e9 impressions; 1e15 rejects its rows, never a negative figure."""
    table = pa.table({"item_id": [1, 1, 1, 1], "viewer_id": [1, 2, 3, 4], "weight": [1e9, 1e9, 1e15, 1e15]})
    source = write_csv(table, tmp_path / "w.csv") if fmt == "csv" else table
    report = _invariant_audit(source, 4)
    assert report["rows"]["rejected"] == {"weight: above 1e+09": 2}
    assert report["ladder"][0]["impressions"]["estimate"] == pytest.approx(2e9)


def test_item_2_csv_group_labels_are_text(tmp_path: Path) -> None:
    """Grouped by a text column, CSV keeps labels 01 and 1 apart, as the table does."""
    table = pa.table({"item_id": [1, 1], "surface": ["01", "1"]})
    got = _invariant_audit(write_csv(table, tmp_path / "l.csv"), 2, by="surface")
    assert got == _invariant_audit(table, 2, by="surface")


def test_item_2_a_latin_1_byte_costs_at_most_its_row(tmp_path: Path) -> None:
    """A cell that is not UTF-8 rejects or keeps its row; the other rows are audited."""
    result = va.audit(_csv(tmp_path, b"item_id,user_agent\n1,caf\xe9\n2,ok\n"))
    check_invariants(result, 2)
    assert result.rows.accepted >= 1


def test_item_2_an_all_null_json_column_is_a_null_column(tmp_path: Path) -> None:
    """A JSON Lines file whose ts is null on every row gives the table's figures."""
    table = pa.table({"item_id": [0], "ts": pa.array([None], pa.int64())})
    assert _invariant_audit(write_jsonl(table, tmp_path / "n.jsonl"), 1) == _invariant_audit(table, 1)


@pytest.mark.parametrize("make", ["polars", "pyarrow-string-view"])
def test_item_3_string_views_survive_a_rejected_row(make: str) -> None:
    """A log of string_view ids with one bad row rejects that row and audits the other."""
    table = pa.table({"item_id": ["a", "b"], "dwell_ms": [-1.0, 5.0]})
    source = polars_frame(table, categorical=False) if make == "polars" else retyped(table, [pa.string_view()])
    assert _invariant_audit(source, 2)["rows"] == {"read": 2, "accepted": 1, "rejected": {"dwell_ms: negative": 1}}


@pytest.mark.parametrize("ids", [[], ["a"]], ids=["zero-rows", "one-row"])
def test_item_3_polars_categorical_ids(ids: list[str]) -> None:
    """A polars frame with Categorical ids gives the plain table's figures, with zero or one row."""
    table = pa.table({"item_id": pa.array(ids, pa.string())})
    assert _invariant_audit(polars_frame(table, categorical=True), len(ids)) == _invariant_audit(table, len(ids))


def test_item_4_epoch_nanoseconds_are_read() -> None:
    """An int64 ts in epoch nanoseconds costs no row and raises nothing."""
    table = pa.table({"item_id": [1], "ts": [1_704_067_200_000_000_000]})
    assert _invariant_audit(table, 1)["rows"]["accepted"] == 1


def test_item_6_null_words_are_ids(tmp_path: Path) -> None:
    """In CSV, item and viewer ids NA, null, N/A are ids: the same figures as the table's."""
    table = pa.table({"item_id": ["NA", "x", "x"], "viewer_id": ["1", "N/A", "null"]})
    assert _invariant_audit(write_csv(table, tmp_path / "na.csv"), 3) == _invariant_audit(table, 3)


def test_item_6_uint64_ids_are_read_exactly() -> None:
    """An unsigned id of 2^63 is an id, accepted and counted."""
    table = pa.table({"item_id": pa.array([2**63], pa.uint64()), "viewer_id": pa.array([2**64 - 1], pa.uint64())})
    report = _invariant_audit(table, 1)
    assert report["rows"]["accepted"] == 1
    assert report["ladder"][0]["unique_viewers"]["estimate"] == 1


# --- group labels ------------------------------------------------------------------------------


@settings(max_examples=30)
@given(table=hostile_logs(max_size=60), data=st.data())
def test_group_figures_do_not_depend_on_labels(table: pa.Table, data: st.DataObject) -> None:
    """Permuting the item ids permutes the groups: each group keeps its figures (issue 23 item 6)."""
    text = [None if v is None else str(v) for v in table["item_id"].to_pylist()]
    items = sorted({v for v in text if v is not None})
    relabel = dict(zip(items, data.draw(st.permutations(items)), strict=True))
    position = table.column_names.index("item_id")
    before = table.set_column(position, "item_id", pa.array(text, pa.string()))
    after = table.set_column(position, "item_id", pa.array([relabel.get(v) for v in text], pa.string()))
    expected = {g["key"]["item_id"]: g for g in _invariant_audit(before, table.num_rows, by="item_id")["groups"]}
    moved = {g["key"]["item_id"]: g for g in _invariant_audit(after, table.num_rows, by="item_id")["groups"]}
    for label, group in expected.items():
        assert moved[relabel[label]] == {**group, "key": {"item_id": relabel[label]}}


# --- legal inputs that once crashed or broke the JSON report ----------------------------------


@pytest.mark.parametrize("engine", ["auto", "summary"])
@pytest.mark.parametrize(
    ("names", "by", "twice"),
    [
        (["item_id", "item_id"], None, "item_id"),
        (["item_id", "viewer_id", "viewer_id"], None, "viewer_id"),
        (["item_id", "dwell_ms", "dwell_ms"], None, "dwell_ms"),
        (["item_id", "surface", "surface"], "surface", "surface"),
    ],
)
def test_a_column_read_twice_is_named(tmp_path: Path, engine: str, names: list[str], by: str | None, twice: str) -> None:
    """A column the audit reads that appears twice (CSV header, Arrow table) raises a ValueError
    naming it; it was a KeyError from pyarrow."""
    table = pa.table([pa.array([1.0, 2.0]) if n == "dwell_ms" else pa.array([1, 2]) for n in names], names=names)
    csv = _csv(tmp_path, ",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    for source in (table, csv):
        with pytest.raises(ValueError, match=rf"column '{twice}' appears 2 times in the source"):
            va.audit(source, by=by, engine=engine)


def test_a_column_no_count_reads_may_repeat(tmp_path: Path) -> None:
    """Repeated columns the audit does not read cost nothing, rejects file included."""
    source = _csv(tmp_path, "item_id,note,note,dwell_ms\n1,a,b,-1\n2,c,d,5\n")
    result = va.audit(source, rejects=tmp_path / "bad.csv", rounding_ms=0)
    check_invariants(result, 2)
    assert result.rows.rejected == {"dwell_ms: negative": 1}


def test_by_the_same_column_twice_is_named() -> None:
    """by=['item_id', 'item_id'] raises a ValueError naming by (it was a KeyError)."""
    with pytest.raises(ValueError, match=r"by must name each column once, got 'item_id' 2 times"):
        va.audit(pa.table({"item_id": [1]}), by=["item_id", "item_id"])


#: A by column of each Arrow kind a log may group by, with the labels its groups get.
BY_KINDS = {
    "float NaN": (pa.array([1.5, float("nan"), None, 1.5]), [1.5, None]),
    "float -0.0": (pa.array([-0.0, 0.0, 2.0, 2.0]), [0.0, 2.0]),
    "date32": (
        pa.array([dt.date(2024, 1, 2), None, dt.date(2024, 1, 2), dt.date(2024, 1, 3)]),
        ["2024-01-02", "2024-01-03", None],
    ),
    "timestamp tz": (
        pa.array([dt.datetime(2024, 1, 2, 9), None, None, None], pa.timestamp("s", tz="UTC")),
        ["2024-01-02 09:00:00Z", None],
    ),
    "decimal": (pa.array([decimal.Decimal("1.5"), None, None, None], pa.decimal128(5, 2)), ["1.50", None]),
}


@pytest.mark.parametrize("engine", ["auto", "summary"])
@pytest.mark.parametrize("column", ["visible_fraction", "dwell_ms"])
@pytest.mark.parametrize("cut", [0, 1, 2])
def test_by_a_canonical_float_column_makes_one_group_of_zero(engine: str, column: str, cut: int) -> None:
    """Grouped by a canonical float column, -0.0 and 0.0 are one group in both engines and any
    batching (they were two groups, as the column skipped the by= labels' own reading)."""
    table = pa.table({"item_id": [1, 2, 3, 4], "viewer_id": [1, 2, 3, 4], column: [-0.0, 0.0, 0.5, -0.0]})
    parts = [*table.slice(0, cut).to_batches(), *table.slice(cut).to_batches()]
    batches = pa.RecordBatchReader.from_batches(table.schema, parts)
    report = _invariant_audit(batches, 4, by=column, engine=engine)
    # comparable() gives labels as text: "-0.0" was the label of a second group.
    assert [(g["key"][column], g["ladder"][0]["impressions"]["estimate"]) for g in report["groups"]] == [("0.0", 3), ("0.5", 1)]
    assert report == _invariant_audit(table, 4, by=column, engine="summary")


@pytest.mark.parametrize("engine", ["auto", "summary"])
@pytest.mark.parametrize("kind", list(BY_KINDS))
def test_by_labels_of_every_kind_give_strict_json(engine: str, kind: str) -> None:
    """A by column of floats with NaN, dates, timestamps or decimals gives a strict JSON report:
    NaN is a missing label (as in pandas), -0.0 is 0.0, and the rest are their text (they were
    NaN, datetime or Decimal keys that json.dumps refused)."""
    labels, want = BY_KINDS[kind]
    table = pa.table({"item_id": [1, 2, 3, 4], "viewer_id": [1, 2, 3, 4], "g": labels})
    report = _invariant_audit(table, 4, by="g", engine=engine)
    assert [g["key"]["g"] for g in va.audit(table, by="g", engine=engine).to_dict()["groups"]] == want
    assert sum(g["ladder"][0]["impressions"]["estimate"] for g in report["groups"]) == 4


@pytest.mark.parametrize("labels", [pa.array([[1], [2]]), pa.array([{"a": 1}, {"a": 2}])], ids=["list", "struct"])
def test_by_a_nested_column_is_named(labels: pa.Array) -> None:
    """Grouping by a list or struct column raises a TypeError naming it (was an Arrow kernel error)."""
    with pytest.raises(TypeError, match=r"column 'g' \(by=\) must hold text, numbers"):
        va.audit(pa.table({"item_id": [1, 2], "g": labels}), by="g")


@settings(max_examples=40)
@given(
    kind=st.sampled_from(list(BY_KINDS)),
    order=st.permutations(range(4)),
    cut=st.integers(0, 4),
)
def test_by_labels_do_not_depend_on_row_order_or_batches(kind: str, order: list[int], cut: int) -> None:
    """Labels of any kind give the same groups whatever the row order and the batches."""
    labels, _ = BY_KINDS[kind]
    table = pa.table({"item_id": [1, 2, 3, 4], "viewer_id": [1, 2, 3, 4], "g": labels})
    shuffled = table.take(order)
    parts = [*shuffled.slice(0, cut).to_batches(), *shuffled.slice(cut).to_batches()]
    batches = pa.RecordBatchReader.from_batches(shuffled.schema, parts)
    assert _invariant_audit(batches, 4, by="g") == _invariant_audit(table, 4, by="g")


@pytest.mark.parametrize("engine", ["auto", "summary"])
@pytest.mark.parametrize(
    "liked", [[1, 0, None, 2], ["yes", "no", None, "1"], [True, False, None, True]], ids=["int", "text", "bool"]
)
def test_by_an_interaction_column_groups_by_the_flag(engine: str, liked: list[Any]) -> None:
    """by='liked' (an interaction the policy counts) groups by the flag the policy reads: it was
    an Arrow kernel error ('or' of bool and int64) for integer or text flags."""
    table = pa.table({"item_id": [1, 2, 3, 4], "viewer_id": [1, 2, 3, 4], "liked": liked})
    result = va.audit(table, by="liked", engine=engine)
    check_invariants(result, 4)
    assert [g.key for g in result.groups] == [{"liked": False}, {"liked": True}]
    assert [g.ladder["engaged"].impressions.estimate for g in result.groups] == [0, 2]


@pytest.mark.parametrize(
    ("column", "values", "rejected"),
    [
        ("dwell_ms", pa.array([1000, 2**63 - 1], pa.int64()), {}),
        ("dwell_ms", pa.array([1000, 2**64 - 1], pa.uint64()), {}),
        ("dwell_ms", pa.array([1000, -(2**63)], pa.int64()), {"dwell_ms: negative": 1}),
        ("in_view_ms", pa.array([1000, 2**53 + 1], pa.int64()), {}),
        ("weight", pa.array([1, 2**62], pa.int64()), {"weight: above 1e+09": 1}),
        ("visible_fraction", pa.array([1, 2**62], pa.int64()), {"visible_fraction: outside [0, 1]": 1}),
    ],
)
def test_integers_beyond_2_53_in_number_columns_are_judged_by_value(
    column: str, values: pa.Array, rejected: dict[str, int]
) -> None:
    """An integer number column holding 2**63 - 1 (or any integer a float cannot hold exactly) is
    read as the nearest float and judged by its value: it was ArrowInvalid 'Integer value ... not
    in range', from Python and on the command line."""
    result = va.audit(pa.table({"item_id": [1, 2], column: values}), rounding_ms=0)
    check_invariants(result, 2)
    assert result.rows.rejected == rejected


@pytest.mark.parametrize("engine", ["auto", "summary"])
def test_a_time_past_floats_in_its_declared_unit_is_not_finite(engine: str) -> None:
    """read_time:s of 1e306 is infinite in ms: its row is rejected as not finite, as an infinite
    dwell_ms is (it was accepted as an infinite dwell and counted viewable and attended)."""
    table = pa.table({"item_id": [1, 2, 3], "viewer_id": [1, 2, 3], "visible_fraction": [1.0, 1.0, 1.0], "rt": [1e306, 2.0, 0.5]})
    result = va.audit(table, columns={"dwell_ms": "rt:s"}, engine=engine, rounding_ms=0)
    check_invariants(result, 3)
    assert result.rows.rejected == {"dwell_ms: not finite": 1}
    assert result.ladder["attended"].impressions.estimate == 1
    with pytest.raises(
        ValueError, match=r"row 0: column 'dwell_ms' must be a finite number once in ms \(times 1000\), got 1e\+306"
    ):
        va.audit(table, columns={"dwell_ms": "rt:s"}, on_invalid="raise")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_a_bom_leaves_the_first_column_text(tmp_path: Path, bom: bytes) -> None:
    """With a BOM, the first column of a CSV file is read as text like the others: viewers 007
    and 7 are two (the BOM hid the first name from the declared types, so its type was guessed
    as integers and they were one viewer)."""
    result = va.audit(_csv(tmp_path, bom + b"viewer_id,item_id\n007,1\n7,1\n"))
    assert result.ladder["rendered"].unique_viewers.estimate == 2
    assert [g.key for g in va.audit(_csv(tmp_path, bom + b"item_id\n01\n1\n"), by="item_id").groups] == [
        {"item_id": "01"},
        {"item_id": "1"},
    ]


def test_a_lone_surrogate_in_json_costs_its_row(tmp_path: Path) -> None:
    """A JSON Lines string escaping a lone surrogate (legal JSON, no UTF-8 text) rejects its row
    as invalid UTF-8 in an id, nulls an unreadable ts and costs nothing in an unread column: it was
    a UnicodeEncodeError for the whole file."""
    path = tmp_path / "log.jsonl"
    lines = [
        r'{"item_id": "\ud83d", "viewer_id": 1}',
        r'{"item_id": "a", "viewer_id": "\udc00x"}',
        r'{"item_id": "b", "note": "\ud800"}',
        r'{"item_id": "c", "ts": "\ud800"}',
        r'{"item_id": "\ud83d\ude00", "viewer_id": 2}',
    ]
    path.write_text("\n".join(lines) + "\n")
    result = va.audit(path)
    check_invariants(result, 5)
    assert result.rows.rejected == {"item_id: invalid UTF-8": 1, "viewer_id: invalid UTF-8": 1}
    assert result.rows.nulled == {"ts: unreadable": 1}


@pytest.mark.parametrize("head", [b"item_id,caf\xe9\n", "item_id\n".encode("utf-16")], ids=["latin-1", "utf-16"])
def test_a_header_that_is_not_utf_8_names_the_file(tmp_path: Path, head: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV header that is not UTF-8 raises a ValueError naming the file (it was a bare
    UnicodeDecodeError), and the CLI says so on one line with exit code 2."""
    path = _csv(tmp_path, head + b"1,2\n")
    with pytest.raises(ValueError, match=r"cannot read '.*log\.csv' as csv: its header line is not UTF-8 text"):
        va.audit(path)
    assert main(["audit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "header line is not UTF-8" in err


def test_a_header_check_reads_only_the_header(tmp_path: Path) -> None:
    """A Latin-1 byte in a cell just after a UTF-8 header costs its row, not the file: the header
    check once decoded the header's whole first block and refused the file."""
    result = va.audit(_csv(tmp_path, b"item_id,viewer_id\n1,caf\xe9\n2,ok\n"))
    check_invariants(result, 2)
    assert result.rows.rejected == {"viewer_id: invalid UTF-8": 1}


@pytest.mark.parametrize("engine", ["auto", "summary"])
@pytest.mark.parametrize("column", ["item_id", "surface"])
def test_polars_bytes_that_are_not_utf_8_cost_their_row(engine: str, column: str) -> None:
    """A polars Binary column (Arrow binary_view) with a value that is not UTF-8 rejects that row:
    it was ArrowNotImplementedError ('array_take' has no kernel for binary_view) for the log."""
    frame = polars_frame(pa.table({"item_id": [1, 2], "surface": ["a", "b"]}), categorical=False)
    frame = frame.with_columns(pl.Series(column, [b"a", b"\xff"]))
    result = va.audit(frame, by="surface", engine=engine)
    check_invariants(result, 2)
    assert result.rows.rejected == {f"{column}: invalid UTF-8": 1}


@settings(max_examples=20)
@given(cut=st.integers(0, 4), kind=st.sampled_from([pa.binary(), pa.large_binary(), pa.binary_view()]))
def test_a_ts_that_is_not_utf_8_nulls_only_itself(tmp_path_factory: pytest.TempPathFactory, cut: int, kind: pa.DataType) -> None:
    """One ts cell that is not UTF-8 is one unreadable time, whatever the batches: it made every
    ts of its batch unreadable (2 in a CSV file of 2 rows, a count that hung on the batching)."""
    table = pa.table({"item_id": [1, 2, 3, 4], "ts": pa.array([b"2020-01-01", b"caf\xe9", None, b"1700000000"], kind)})
    parts = pa.RecordBatchReader.from_batches(table.schema, [*table.slice(0, cut).to_batches(), *table.slice(cut).to_batches()])
    assert va.audit(parts).rows.nulled == {"ts: unreadable": 1}
    path = _csv(tmp_path_factory.mktemp("ts"), b"item_id,ts\n1,2020-01-01\n2,caf\xe9\n")
    assert va.audit(path).rows.nulled == {"ts: unreadable": 1}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: pd.DataFrame({"item_id": [1, "a"]}),
            r"source DataFrame .* column item_id with type object \(give that column one type",
        ),
        (lambda: pd.DataFrame({"item_id": [1, 2], "g": [1 + 2j, 3j]}), r"source DataFrame .* column g with type complex128"),
        (lambda: pl.Series("item_id", [1, 2]), r"source Series cannot be read as an Arrow table of impressions"),
    ],
    ids=["mixed-object", "complex", "polars-series"],
)
def test_a_frame_arrow_cannot_export_is_a_type_error(make: Any, match: str) -> None:
    """A pandas object column of ints and words (or complex numbers), or a polars Series, raises
    a TypeError naming the source and the column: it was pyarrow's ArrowInvalid."""
    with pytest.raises(TypeError, match=match):
        va.audit(make())


#: A by column's labels in two Parquet files of one log, typed differently (pandas stores ints
#: with nulls as floats; one file may lack the column).
LABELS_BY_FILE = {
    "int-float": (pa.array([1, 2], pa.int64()), pa.array([1.0, None])),
    "int-text": (pa.array([1, 2], pa.int64()), pa.array(["1", None])),
    "int32-int64": (pa.array([1, 2], pa.int32()), pa.array([1, None], pa.int64())),
    "absent-int": (None, pa.array([1, None], pa.int64())),
}


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
@pytest.mark.parametrize("pair", list(LABELS_BY_FILE))
def test_by_labels_typed_differently_by_file(tmp_path: Path, pair: str, reverse: bool) -> None:
    """Files whose by column differs in type give one audit on both engines and in either file
    order: the packed engine raised ArrowInvalid ('arrays to be concatenated must be identically
    typed') or a TypeError where the summary engine merged the labels as text."""
    first, second = LABELS_BY_FILE[pair]
    tables = [
        pa.table({"item_id": [1, 2], "viewer_id": [1, 2], **({} if first is None else {"g": first})}),
        pa.table({"item_id": [3, 4], "viewer_id": [1, 2], "g": second}),
    ]
    for k, table in enumerate(reversed(tables) if reverse else tables):
        write_parquet(table, tmp_path / f"part-{k}.parquet")
    reports = [_invariant_audit(tmp_path, 4, by="g", engine=engine) for engine in ("auto", "summary")]
    assert reports[0] == reports[1]
    # 1 and 1.0 (or "1") are one label; a file without the column has null labels.
    want = [1, 3] if first is None else [1, 1, 2]
    assert sorted(g["ladder"][0]["impressions"]["estimate"] for g in reports[0]["groups"]) == want


def test_rejected_bytes_keep_their_text(tmp_path: Path) -> None:
    """In the rejects, a column with a cell that is not UTF-8 keeps each raw value's text: '7',
    not "b'7'", and 'caf\\xe9' for the bad cell (they were Python's repr of bytes)."""
    got: list[pa.Table] = []
    va.audit(_csv(tmp_path, b"item_id,viewer_id,dwell_ms\n1,caf\xe9,1\n2,7,-1\n"), rejects=got.append)
    rows = pa.concat_tables(got).to_pylist()
    assert [(r["viewer_id"], r["_reason"]) for r in rows] == [
        ("caf\\xe9", "viewer_id: invalid UTF-8"),
        ("7", "dwell_ms: negative"),
    ]
