"""Validation with accounting: bad rows are rejected with a reason or raise at that row, schema
problems raise at once, and every row read is accepted or rejected."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit as va

# --- bad values: on_invalid="raise" -----------------------------------------------------------

#: (id, columns of a two-row table whose row 1 is bad, message). Row 0 is always good.
BAD_VALUES: list[tuple[str, dict[str, pa.Array], str]] = [
    ("item-null", {"item_id": pa.array([1, None])}, "row 1: column 'item_id' must be a non-null id, got None"),
    ("item-fraction", {"item_id": pa.array([1.0, 1.5])}, "row 1: column 'item_id' must be a whole number or text, got 1.5"),
    ("item-nan", {"item_id": pa.array([1.0, math.nan])}, "row 1: column 'item_id' must be a whole number or text, got nan"),
    ("item-inf", {"item_id": pa.array([1.0, math.inf])}, "row 1: column 'item_id' must be a whole number or text, got inf"),
    (
        "viewer-fraction",
        {"item_id": pa.array([1, 2]), "viewer_id": pa.array([1.0, 2.5])},
        "row 1: column 'viewer_id' must be a whole number or text, got 2.5",
    ),
    (
        "author-too-large",
        {"item_id": pa.array([1, 2]), "author_id": pa.array([1.0, 1e300])},
        "row 1: column 'author_id' must be an integer id below 2**53 as a float, or an integer or text, got 1e+300",
    ),
    (
        "dwell-negative",
        {"item_id": pa.array([1, 2]), "dwell_ms": pa.array([5.0, -1.0])},
        "row 1: column 'dwell_ms' must be a value >= 0, got -1.0",
    ),
    (
        "dwell-text",
        {"item_id": pa.array([1, 2]), "dwell_ms": pa.array(["5", "abc"])},
        "row 1: column 'dwell_ms' must be a number, got 'abc'",
    ),
    (
        "dwell-inf",
        {"item_id": pa.array([1, 2]), "dwell_ms": pa.array([5.0, math.inf])},
        "row 1: column 'dwell_ms' must be a finite number, got inf",
    ),
    (
        "in-view-negative",
        {"item_id": pa.array([1, 2]), "in_view_ms": pa.array([5, -3])},
        "row 1: column 'in_view_ms' must be a value >= 0, got -3.0",
    ),
    (
        "fraction-above-one",
        {"item_id": pa.array([1, 2]), "visible_fraction": pa.array([1.0, 1.5])},
        "row 1: column 'visible_fraction' must be a value in [0, 1], got 1.5",
    ),
    (
        "fraction-below-zero",
        {"item_id": pa.array([1, 2]), "visible_fraction": pa.array(["0.5", "-0.1"])},
        "row 1: column 'visible_fraction' must be a value in [0, 1], got -0.1",
    ),
    (
        "weight-zero",
        {"item_id": pa.array([1, 2]), "weight": pa.array([1.0, 0.0])},
        "row 1: column 'weight' must be a number >= 1 (an inverse inclusion probability), got 0.0",
    ),
    (
        "bot-flag-text",
        {"item_id": pa.array([1, 2]), "is_bot": pa.array(["false", "maybe"])},
        "row 1: column 'is_bot' must be true/false or a number, got 'maybe'",
    ),
    (
        "interaction-text",
        {"item_id": pa.array([1, 2]), "liked": pa.array(["yes", "perhaps"])},
        "row 1: column 'liked' must be true/false or a number, got 'perhaps'",
    ),
]


@pytest.mark.parametrize(("columns", "message"), [c[1:] for c in BAD_VALUES], ids=[c[0] for c in BAD_VALUES])
def test_bad_value_raises_at_its_row(columns: dict[str, pa.Array], message: str) -> None:
    """on_invalid="raise" raises ValueError naming the row, the column, the rule and the value."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        va.audit(pa.table(columns), on_invalid="raise")


@pytest.mark.parametrize(("columns", "message"), [c[1:] for c in BAD_VALUES], ids=[c[0] for c in BAD_VALUES])
def test_bad_value_is_rejected_with_its_reason(columns: dict[str, pa.Array], message: str) -> None:
    """on_invalid="reject" drops the bad row, counts it under one reason and keeps the good one."""
    result = va.audit(pa.table(columns))
    assert result.rows.read == 2
    assert result.rows.accepted == 1
    ((reason, count),) = result.rows.rejected.items()
    assert count == 1
    assert reason.split(":")[0] == re.search(r"column '(\w+)'", message).group(1)
    assert result.ladder["rendered"].impressions.estimate == 1


def test_raise_names_the_first_bad_row() -> None:
    """With several bad rows, the error is about the first one in the source."""
    table = pa.table({"item_id": [1, 2, 3], "dwell_ms": [1.0, 1.0, -1.0], "visible_fraction": [0.5, 2.0, 0.5]})
    with pytest.raises(ValueError, match=r"^row 1: column 'visible_fraction' must be a value in \[0, 1\], got 2\.0$"):
        va.audit(table, on_invalid="raise")


def test_raise_counts_rows_across_batches() -> None:
    """The row number in the error counts from the start of the source, not of the batch."""
    table = pa.table({"item_id": [1, 2, 3, 4, 5], "dwell_ms": [1.0, 1.0, 1.0, 1.0, -2.0]})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))
    with pytest.raises(ValueError, match=r"^row 4: column 'dwell_ms'"):
        va.audit(reader, on_invalid="raise")


# --- schema and argument errors ---------------------------------------------------------------

_CANONICAL = ", ".join(va.CANONICAL_COLUMNS)

#: (id, source, keyword arguments, exception, message)
SCHEMA_ERRORS: list[tuple[str, Any, dict[str, Any], type[Exception], str]] = [
    (
        "no-item-id",
        pa.table({"post": [1], "viewer_id": [2]}),
        {},
        ValueError,
        "column 'item_id' is required but missing; the source has columns 'post', 'viewer_id'",
    ),
    (
        "mapped-item-id-missing",
        pa.table({"item_id": [1]}),
        {"columns": {"item_id": "post_id"}},
        ValueError,
        "column 'item_id' (mapped from 'post_id') is required but missing; the source has columns 'item_id'",
    ),
    (
        "unknown-canonical-name",
        pa.table({"item_id": [1]}),
        {"columns": {"itemid": "x"}},
        ValueError,
        f"columns= maps unknown canonical column(s) 'itemid'; expected some of {_CANONICAL}",
    ),
    (
        "columns-not-text",
        pa.table({"item_id": [1]}),
        {"columns": {"item_id": 3}},
        TypeError,
        "columns must map str to str, got 'item_id': 3",
    ),
    ("item-id-bool", pa.table({"item_id": [True]}), {}, TypeError, "column 'item_id' must hold integers or text ids, found bool"),
    (
        "viewer-id-list",
        pa.table({"item_id": [1], "viewer_id": [[1]]}),
        {},
        TypeError,
        "column 'viewer_id' holds lists (list<item: int64>), and a row is one impression: one impression per element? "
        "explode it first, or use a format that does (--format ebnerd, format='ebnerd')",
    ),
    (
        "dwell-bool",
        pa.table({"item_id": [1], "dwell_ms": [True]}),
        {},
        TypeError,
        "column 'dwell_ms' must hold numbers, found bool",
    ),
    (
        "fraction-timestamp",
        pa.table({"item_id": [1], "visible_fraction": pa.array([0], pa.timestamp("s"))}),
        {},
        TypeError,
        "column 'visible_fraction' must hold numbers, found timestamp[s]",
    ),
    (
        "bot-flag-timestamp",
        pa.table({"item_id": [1], "is_bot": pa.array([0], pa.timestamp("s"))}),
        {},
        TypeError,
        "column 'is_bot' must hold booleans, found timestamp[s]",
    ),
    (
        "user-agent-int",
        pa.table({"item_id": [1], "user_agent": [3]}),
        {},
        TypeError,
        "column 'user_agent' must hold text, found int64",
    ),
    (
        "by-column-missing",
        pa.table({"item_id": [1]}),
        {"by": "surface"},
        ValueError,
        "column 'surface' is required (by= or interactions) but missing",
    ),
    (
        "policy-interaction-missing",
        pa.table({"item_id": [1], "liked": [True]}),
        {"policy": va.Policy(name="shares", interactions=("shared",))},
        ValueError,
        "column 'shared' is required (by= or interactions) but missing",
    ),
    (
        "source-number",
        42,
        {},
        TypeError,
        "source must be a path, a glob, a directory, a list of paths or an object with __arrow_c_stream__ "
        "(pyarrow, pandas, polars, DuckDB); got int",
    ),
    (
        "source-list-of-rows",
        [{"item_id": 1}],
        {},
        TypeError,
        "source must be a path, a glob, a directory, a list of paths or an object with __arrow_c_stream__; got an iterable list",
    ),
    ("missing-file", "no/such/log.parquet", {}, ValueError, "no such file or directory: 'no/such/log.parquet'"),
    ("no-file-matches-glob", "no/such/*.parquet", {}, ValueError, "no file matches 'no/such/*.parquet'"),
    (
        "on-invalid",
        pa.table({"item_id": [1]}),
        {"on_invalid": "ignore"},
        ValueError,
        "on_invalid must be 'reject' or 'raise', got 'ignore'",
    ),
    (
        "confidence-level",
        pa.table({"item_id": [1]}),
        {"confidence_level": 1.0},
        ValueError,
        "confidence_level must be in (0, 1), got 1.0",
    ),
    (
        "by-viewer",
        pa.table({"item_id": [1]}),
        {"by": "viewer_id"},
        ValueError,
        "by='viewer_id' is not supported: unique viewers per viewer are 1 by definition",
    ),
    (
        "unknown-policy",
        pa.table({"item_id": [1]}),
        {"policy": "mrc"},
        ValueError,
        "unknown policy 'mrc'; expected a preset (platform, mrc-display, mrc-video, meta-3s, linkedin-mobile, "
        "trueview), another published rule (kuaishou-valid-play, kuaishou-long-play, kuaishou-not-short) or a .toml file",
    ),
    (
        "policy-type",
        pa.table({"item_id": [1]}),
        {"policy": 3},
        TypeError,
        "policy must be a Policy, a preset name or a .toml path, got 3",
    ),
    (
        "rejects-suffix",
        pa.table({"item_id": [1]}),
        {"rejects": "rejects.txt"},
        ValueError,
        "rejects path must end in .parquet, .csv or .jsonl, got 'rejects.txt'",
    ),
]


@pytest.mark.parametrize(
    ("source", "kwargs", "error", "message"), [c[1:] for c in SCHEMA_ERRORS], ids=[c[0] for c in SCHEMA_ERRORS]
)
@pytest.mark.parametrize("on_invalid", ["reject", "raise"])
def test_schema_error_raises(source: Any, kwargs: dict[str, Any], error: type[Exception], message: str, on_invalid: str) -> None:
    """A source that is not a log, or a bad argument, raises at once naming what and why."""
    kwargs = {"on_invalid": on_invalid, **kwargs}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        va.audit(source, **kwargs)


def test_unreadable_file_format_raises(tmp_path: Path) -> None:
    """A file whose format cannot be told from its name raises ValueError naming it."""
    path = tmp_path / "log.txt"
    path.write_text("item_id\n1\n")
    with pytest.raises(ValueError, match=r"log\.txt'?: cannot tell the file format from its name; expected one of \.csv"):
        va.audit(path)


def test_corrupt_json_line_raises_naming_it(tmp_path: Path) -> None:
    """A JSON Lines file with a line that is not JSON raises ValueError naming file and line."""
    path = tmp_path / "log.jsonl"
    path.write_text('{"item_id": 1}\n{"item_id": 2,,}\n')
    with pytest.raises(ValueError, match=r"log\.jsonl': line 2 is not valid JSON \(Expecting property name"):
        va.audit(path)


def test_bad_bot_pattern_raises_when_the_policy_is_made() -> None:
    """A bot pattern the regex engine cannot run is refused by Policy, not midway through a scan."""
    with pytest.raises(ValueError, match=r"^bot_user_agents: '\(\?=bot\)' is not a valid regular expression"):
        va.Policy(name="lookahead", bot_user_agents=(r"(?=bot)",))


# --- rejecting: accounting per reason ---------------------------------------------------------

#: One row per reason (and two problems in row 13), between good rows 0 and 12.
MIXED = pa.table(
    {
        "item_id": pa.array([1.0, None, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, None]),
        "viewer_id": pa.array([1.0, 2, 3, 2.5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]),
        "dwell_ms": pa.array(["1500", "1", "1", "1", "-1", "abc", "inf", "1", "1", "1", "1", "1", "3000", "1"]),
        "in_view_ms": pa.array([None, None, None, None, None, None, None, -5.0, None, None, None, None, None, None]),
        "visible_fraction": pa.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 0.5, 0.5, 0.5, 1.0, 7.0]),
        "ts": pa.array(["2024-01-01"] * 9 + ["yesterday"] + ["2024-01-01T10:00:00Z"] * 4),
        "is_bot": pa.array(["no"] * 10 + ["maybe", "no", "yes", "no"]),
        "liked": pa.array(["true"] * 11 + ["perhaps", "false", "false"]),
    }
)
MIXED_REASONS = {
    "item_id: null": 2,  # rows 1 and 13: a missing id is reported before anything else
    "item_id: not an integer": 1,
    "viewer_id: not an integer": 1,
    "dwell_ms: negative": 1,
    "dwell_ms: not a number": 1,
    "dwell_ms: not finite": 1,
    "in_view_ms: negative": 1,
    "visible_fraction: outside [0, 1]": 1,
    "is_bot: not a boolean": 1,
    "liked: not a boolean": 1,
}
MIXED_BAD_ROWS = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13]  # row 9's unreadable ts is null, the row kept


def test_rejected_rows_are_counted_per_reason() -> None:
    """Each bad row is rejected once, under its first reason; read = accepted + rejected."""
    result = va.audit(MIXED)
    assert dict(result.rows.rejected) == MIXED_REASONS
    assert result.rows.read == 14
    assert result.rows.accepted == 3
    assert result.rows.read == result.rows.accepted + sum(result.rows.rejected.values())
    report = result.to_dict()["rows"]
    assert report == {"read": 14, "accepted": 3, "rejected": MIXED_REASONS, "nulled": {"ts: unreadable": 1}}
    # only the good rows reach the ladder: row 0 (viewable), row 9 (ts null) and row 12 (a declared bot)
    assert result.ladder["rendered"].impressions.estimate == 3
    assert result.ladder["valid"].impressions.estimate == 2
    assert result.ladder["viewable"].impressions.estimate == 1


@pytest.mark.parametrize("chunk", [1, 3, 5])
def test_rejects_do_not_depend_on_batches(chunk: int) -> None:
    """The same rows are rejected, for the same reasons, whatever the batch size."""
    reader = pa.RecordBatchReader.from_batches(MIXED.schema, MIXED.to_batches(max_chunksize=chunk))
    assert dict(va.audit(reader).rows.rejected) == MIXED_REASONS


def test_a_valid_timestamp_is_accepted_whatever_its_batch_holds() -> None:
    """An ISO timestamp with fractions is read next to an unreadable one in one batch."""
    table = pa.table({"item_id": [1, 2, 3], "ts": ["2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00+01:00", "garbage"]})
    assert dict(va.audit(table).rows.nulled) == {"ts: unreadable": 1}
    assert va.audit(table.slice(0, 2)).rows.nulled == {}


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    (
        "ts-text",
        {
            "ts": [
                "2024-01-01",
                "2024-01-01 10:00:00",
                "2024-01-01T10:00:00",
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:00:00+02:00",
                "2024-01-01T10:00:00.123",
                "2024-01-01T10:00:00.123456Z",
                " 1704067200000 ",
                None,
            ]
        },
    ),
    ("ts-nanoseconds", {"ts": pa.array([1_704_067_200_000_000_001, None], pa.timestamp("ns"))}),
    ("ts-microseconds-utc", {"ts": pa.array([1_704_067_200_000_001], pa.timestamp("us", tz="UTC"))}),
    ("ts-date", {"ts": pa.array([19_723], pa.date32())}),
    ("ts-epoch-ms", {"ts": pa.array([1_704_067_200_000, 0])}),
    ("ts-epoch-ms-float", {"ts": pa.array([1.7e12, math.nan, None])}),
    ("numbers-as-text", {"dwell_ms": ["+5", "1e3", ".5", "5.", " 7 ", "nan", "", None]}),
    ("booleans-as-text", {"is_bot": ["yes", "no", "TRUE", "f", "0", "1", "", None]}),
    ("booleans-as-numbers", {"liked": [0, 1, 2, None]}),
    ("decimal-dwell", {"dwell_ms": pa.array([1, 2], pa.decimal128(5, 1))}),
    ("dictionary-ids", {"item_id": pa.array(["a", "b", "a"]).dictionary_encode()}),
    ("large-string-ids", {"viewer_id": pa.array(["u1", None], pa.large_string())}),
    ("whole-float-ids", {"viewer_id": [1.0, None, 3.0]}),
    ("null-typed-column", {"dwell_ms": pa.nulls(2), "viewer_id": pa.nulls(2)}),
]


@pytest.mark.parametrize("columns", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_good_values_in_any_spelling_are_accepted(columns: dict[str, Any]) -> None:
    """Legal values in the spellings files and data frames use are accepted, none rejected."""
    n = len(next(iter(columns.values())))
    table = pa.table({"item_id": list(range(n)), **columns})
    result = va.audit(table, on_invalid="raise")
    assert result.rows.read == result.rows.accepted == n
    assert result.rows.rejected == {}


def test_pandas_timestamps_and_nullable_ids_are_accepted() -> None:
    """A pandas frame with nanosecond timestamps and integer ids with holes is accepted."""
    frame = pd.DataFrame(
        {
            "item_id": [1, 2, 3],
            "viewer_id": pd.array([7, None, 9], dtype="Int64"),
            "author_id": [7.0, math.nan, 1.0],
            "ts": pd.to_datetime(["2024-01-01 00:00:00.000001234", "2024-01-02", "2024-01-03"], format="ISO8601"),
        }
    )
    result = va.audit(frame, on_invalid="raise")
    assert result.rows.accepted == 3
    assert result.ladder["valid"].impressions.estimate == 2  # row 0 is a self-view


def test_nan_flags_are_missing_flags() -> None:
    """NaN in a numeric flag column means not flagged, as null does."""
    table = pa.table({"item_id": [1, 2, 3], "is_bot": [0.0, math.nan, 1.0]})
    assert va.audit(table).ladder["valid"].impressions.estimate == 2


# --- files: rejected rows are written out -----------------------------------------------------


def _read_back(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".csv":
        names = pa_csv.read_csv(path).column_names
        options = pa_csv.ConvertOptions(column_types={n: pa.string() for n in names if n != "_row"}, strings_can_be_null=True)
        return pa_csv.read_csv(path, convert_options=options).to_pylist()
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
@pytest.mark.parametrize("chunk", [3, 100])
def test_rejects_file_holds_exactly_the_rejected_rows(tmp_path: Path, suffix: str, chunk: int) -> None:
    """The rejects file holds each rejected row once: raw values as text, _row and _reason."""
    path = tmp_path / f"rejects{suffix}"
    reader = pa.RecordBatchReader.from_batches(MIXED.schema, MIXED.to_batches(max_chunksize=chunk))
    result = va.audit(reader, rejects=path)
    rows = _read_back(path)
    assert [r["_row"] for r in rows] == MIXED_BAD_ROWS
    assert len(rows) == sum(result.rows.rejected.values())
    reasons: dict[str, int] = {}
    for r in rows:
        reasons[r["_reason"]] = reasons.get(r["_reason"], 0) + 1
    assert reasons == MIXED_REASONS
    by_row = {r["_row"]: r for r in rows}
    assert by_row[5]["dwell_ms"] == "abc"
    assert by_row[5]["_reason"] == "dwell_ms: not a number"
    assert 9 not in by_row  # its ts is unreadable: null, the row kept
    assert by_row[1]["item_id"] is None
    assert set(by_row[1]) == {*MIXED.column_names, "_row", "_reason"}


def test_rejects_callable_receives_the_rejected_rows() -> None:
    """rejects= may be a callable; it receives Arrow tables of rejected rows."""
    received: list[pa.Table] = []
    va.audit(MIXED, rejects=received.append)
    rows = pa.concat_tables(received).to_pylist()
    assert [r["_row"] for r in rows] == MIXED_BAD_ROWS


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_rejects_file_of_a_clean_log_is_an_empty_readable_file(tmp_path: Path, suffix: str) -> None:
    """Without rejected rows the rejects file still exists and reads back as no rows."""
    path = tmp_path / f"rejects{suffix}"
    va.audit(pa.table({"item_id": [1, 2]}), rejects=path)
    assert path.exists()
    assert _read_back(path) == []


GOOD_AND_BAD_TEXT = [
    {"item_id": 1, "dwell_ms": 1500, "visible_fraction": 0.5, "ts": "2024-01-01", "is_bot": False},
    {"item_id": 2, "dwell_ms": "abc", "visible_fraction": 0.5, "ts": "2024-01-01", "is_bot": False},
    {"item_id": 3, "dwell_ms": -4, "visible_fraction": 0.5, "ts": "2024-01-01", "is_bot": False},
    {"item_id": 4, "dwell_ms": 1500, "visible_fraction": 1.5, "ts": "2024-01-01", "is_bot": False},
    {"item_id": 5, "dwell_ms": 1500, "visible_fraction": 0.5, "ts": "soon", "is_bot": False},
    {"item_id": 6, "dwell_ms": 1500, "visible_fraction": 0.5, "ts": "2024-01-01", "is_bot": "maybe"},
    {"item_id": None, "dwell_ms": 1500, "visible_fraction": 0.5, "ts": "2024-01-01", "is_bot": False},
    {"item_id": 8, "dwell_ms": 2500.5, "visible_fraction": 1, "ts": 1704067200000, "is_bot": True},
]
GOOD_AND_BAD_REASONS = {
    "dwell_ms: not a number": 1,
    "dwell_ms: negative": 1,
    "visible_fraction: outside [0, 1]": 1,
    "is_bot: not a boolean": 1,
    "item_id: null": 1,
}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".jsonl.gz"])
def test_bad_cells_in_text_files_reject_their_rows(tmp_path: Path, suffix: str) -> None:
    """In CSV and JSON Lines files a bad cell rejects its row, not the file."""
    path = tmp_path / f"log{suffix.removesuffix('.gz')}"
    if suffix == ".csv":
        lines = ["item_id,dwell_ms,visible_fraction,ts,is_bot"]
        lines += [
            ",".join("" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in r.values())
            for r in GOOD_AND_BAD_TEXT
        ]
        path.write_text("\n".join(lines) + "\n")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in GOOD_AND_BAD_TEXT))
    if suffix.endswith(".gz"):
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(path.with_suffix("").read_bytes()))
    result = va.audit(path)
    assert dict(result.rows.rejected) == GOOD_AND_BAD_REASONS
    assert result.rows.read == 8
    assert result.rows.accepted == 3  # row 5's ts "soon" is null, the row kept
    assert result.rows.nulled == {"ts: unreadable": 1}
    assert result.ladder["valid"].impressions.estimate == 2
    assert result.ladder["viewable"].impressions.estimate == 2


# --- policies ---------------------------------------------------------------------------------

#: (id, Policy fields, exception, message)
BAD_POLICIES: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("fraction-above-one", {"min_visible_fraction": 2}, ValueError, "min_visible_fraction must be in [0, 1], got 2.0"),
    ("fraction-text", {"min_visible_fraction": "0.5"}, TypeError, "min_visible_fraction must be a number, got '0.5'"),
    ("negative-time", {"min_in_view_ms": -1}, ValueError, "min_in_view_ms must be >= 0, got -1.0"),
    ("nan-attention", {"attention_ms": math.nan}, ValueError, "attention_ms must be >= 0, got nan"),
    ("bool-attention", {"attention_ms": True}, TypeError, "attention_ms must be a number, got True"),
    ("self-views-text", {"exclude_self_views": "yes"}, TypeError, "exclude_self_views must be true or false, got 'yes'"),
    ("bot-flag-number", {"use_bot_flag": 1}, TypeError, "use_bot_flag must be true or false, got 1"),
    ("patterns-one-string", {"bot_user_agents": "bot"}, TypeError, "bot_user_agents must be a list of strings, got 'bot'"),
    ("pattern-not-text", {"bot_user_agents": ["bot", 3]}, TypeError, "bot_user_agents must hold str patterns, got 3"),
    (
        "pattern-invalid",
        {"bot_user_agents": ["(bot"]},
        ValueError,
        "bot_user_agents: '(bot' is not a valid regular expression (missing ), unterminated subpattern at position 0)",
    ),
    ("interactions-one-string", {"interactions": "liked"}, TypeError, "interactions must be a list of strings, got 'liked'"),
    ("interactions-empty-name", {"interactions": [""]}, TypeError, "interactions must hold column names, got ''"),
    (
        "view-rung",
        {"counts_as_view": "seen"},
        ValueError,
        "counts_as_view must be one of rendered, valid, viewable, attended, engaged; got 'seen'",
    ),
    ("name-number", {"name": 3}, TypeError, "name must be text, got 3"),
]


@pytest.mark.parametrize(("fields", "error", "message"), [c[1:] for c in BAD_POLICIES], ids=[c[0] for c in BAD_POLICIES])
def test_bad_policy_raises(fields: dict[str, Any], error: type[Exception], message: str) -> None:
    """A policy with a bad field raises, naming the field, the requirement and the value."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        va.Policy(**{"name": "p", **fields})


#: (id, TOML text, exception, message pattern)
BAD_TOML: list[tuple[str, str, type[Exception], str]] = [
    (
        "unknown-key",
        'name = "p"\nmin_fraction = 0.5\n',
        ValueError,
        r"^unknown policy key\(s\) min_fraction; expected some of attention_ms, ",
    ),
    ("not-toml", "name = \n", ValueError, r"^policy file '.*p\.toml' is not valid TOML: "),
    ("wrong-type", 'min_in_view_ms = "1s"\n', TypeError, r"^min_in_view_ms must be a number, got '1s'$"),
    ("one-pattern", 'bot_user_agents = "bot"\n', TypeError, r"^bot_user_agents must be a list of strings, got 'bot'$"),
    ("policy-not-a-table", 'policy = "strict"\n', ValueError, r"^policy file '.*p\.toml': \[policy\] must be a table$"),
]


@pytest.mark.parametrize(("text", "error", "message"), [c[1:] for c in BAD_TOML], ids=[c[0] for c in BAD_TOML])
def test_bad_policy_file_raises(tmp_path: Path, text: str, error: type[Exception], message: str) -> None:
    """A bad TOML policy file raises naming the file, key or field."""
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(error, match=message):
        va.audit(pa.table({"item_id": [1]}), policy=path)


def test_policy_file_round_trips(tmp_path: Path) -> None:
    """A TOML policy reads back equal, named after its file by default."""
    path = tmp_path / "linkedin-like.toml"
    path.write_text('[policy]\nmin_visible_fraction = 0.5\nmin_in_view_ms = 300\ninteractions = ["liked"]\n')
    policy = va.get_policy(path)
    assert policy == va.Policy(name="linkedin-like", min_in_view_ms=300, interactions=("liked",))
    assert va.Policy.from_dict(policy.to_dict()) == policy
    assert va.get_policy(str(path)) == policy


def test_mapping_to_a_missing_column_raises():
    """columns= naming a column the source lacks raises ValueError naming both names."""
    log = pa.table({"post": [1, 2], "dwell_ms": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"maps 'viewer_id' to 'user', which the source does not have"):
        va.audit(log, columns={"item_id": "post", "viewer_id": "user"})
