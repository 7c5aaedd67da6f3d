"""The groups as JSON text (the report's, and JSON Lines), built column by column, not a dict per group.

A report of 20k groups holds a million figures. Building a Python dict per group and handing
them to :func:`json.dumps` took about half as long as the audit; here each column of the ladder
table becomes its JSON tokens at once (integers exactly, other floats as ``repr`` writes them,
non-finite figures as ``null``), and every group's text is the same template with the
tokens in its holes. The text is byte for byte ``json.dumps`` of the reference dicts
(:meth:`Audit.to_dict <viewaudit._report.results.Audit.to_dict>`); tests hold the two together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._rungs import LEVELS

_PARTS = ("estimate", "low", "high")
#: Below this, every whole float is an exact integer: ``_num`` and ``to_dict`` write it as an int.
_EXACT = 2.0**53
#: Rows joined into one Arrow array of text at a time: bounds the memory of a join.
_ROWS_PER_JOIN = 50_000
#: 64-bit offsets: a join's text may pass 2 GB (a group with a long k+ reach is long).
_TEXT = pa.large_string()


def json_numbers(values: Any) -> pa.Array:
    """A numeric column as JSON number tokens (a string array), as ``to_dict`` writes them:
    whole numbers below 2**53 as integers, other finite numbers as ``repr``, the rest ``null``."""
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    with np.errstate(invalid="ignore"):
        whole = finite & (np.mod(arr, 1) == 0) & (np.abs(arr) < _EXACT)
    integers = pa.array(np.where(whole, arr, 0).astype(np.int64)).cast(pa.string())
    if whole.all():
        return integers
    out = pc.if_else(pa.array(whole), integers, _floats(arr, finite & ~whole))
    return pc.if_else(pa.array(finite), out, "null")


def _floats(arr: np.ndarray, fraction: np.ndarray) -> pa.Array:
    """``repr`` of each value where ``fraction`` (other places: anything).

    Arrow writes the shortest digits that read back as the same float, as ``repr`` does, four
    times faster; it differs in notation (``1e-05`` is ``0.00001`` there, and long numbers get an
    exponent sooner), so ``repr`` writes those. Both pick the shortest round-trip digits, so the
    JSON reads back as the same numbers even if a tie were ever broken differently (none was in
    16 million values tried, nor in the property test).
    """
    out = pa.array(arr).cast(pa.string())
    size = np.abs(arr)
    with np.errstate(invalid="ignore"):
        notation = (size < 1e-4) | (size >= 1e16) | pc.match_substring(out, "e").to_numpy(zero_copy_only=False)
    other = fraction & notation
    if not other.any():
        return out
    return pc.replace_with_mask(out, pa.array(other), pa.array([*map(float.__repr__, arr[other].tolist())], pa.string()))


def _shares(values: Any, population: float) -> pa.Array:
    """``viewers / population`` as ``to_dict`` writes it: always a float, ``null`` where the
    viewers are."""
    arr = np.asarray(values, dtype=float)
    # A whole figure is an int below 2**53 in to_dict, so int / population there is the same
    # IEEE division as here; -0.0 is the int 0 there (+ 0.0 makes it 0.0).
    shares = (arr + 0.0) / population
    known = np.isfinite(arr) & np.isfinite(shares)
    return pc.if_else(pa.array(known), _floats(shares, known), "null")


def json_keys(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A key column as JSON tokens: each distinct string escaped by :func:`json.dumps` once."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_integer(column.type):
        return pc.fill_null(column.cast(pa.string()), "null")
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        encoded = column.dictionary_encode()
        dumped = pa.array([json.dumps(v, allow_nan=False) for v in encoded.dictionary.to_pylist()], pa.string())
        return pc.fill_null(dumped.take(encoded.indices), "null")
    memo: dict[Any, str] = {}
    return pa.array([memo.get(v) or memo.setdefault(v, json.dumps(v, allow_nan=False)) for v in column.to_pylist()], pa.string())


def _template(table: pa.Table, by: Sequence[str], population: float | None) -> list[str | tuple[str, str]]:
    """A group's JSON text as literal pieces and holes: ``("number" | "share" | "key", column)``."""
    pieces: list[str | tuple[str, str]] = []

    def text(s: str) -> None:
        pieces.append(s)

    def estimate(column: str, kind: str = "number") -> None:
        for i, part in enumerate(_PARTS):
            text(("{" if i == 0 else ", ") + json.dumps(part) + ": ")
            pieces.append((kind, f"{column}_{part}"))
        text("}")

    reach = 0
    while f"{LEVELS[0]}_reach_{reach + 1}_estimate" in table.column_names:
        reach += 1
    text('{"key": {')
    for i, name in enumerate(by):
        text((", " if i else "") + json.dumps(name) + ": ")
        pieces.append(("key", name))
    text('}, "ladder": [')
    for i, level in enumerate(LEVELS):
        text((", " if i else "") + '{"level": ' + json.dumps(level) + ', "impressions": ')
        estimate(f"{level}_impressions")
        text(', "unique_viewers": ')
        estimate(f"{level}_unique_viewers")
        text(', "undetermined_impressions": ')
        pieces.append(("number", f"{level}_undetermined"))
        if reach:
            text(', "reach": [')
            for k in range(1, reach + 1):
                text((", " if k > 1 else "") + f'{{"k": {k}, "viewers": ')
                estimate(f"{level}_reach_{k}")
                if population is not None:
                    text(', "share": ')
                    estimate(f"{level}_reach_{k}", "share")
                text("}")
            text("]")
        text("}")
    text('], "inflation": {"headline": ')
    estimate(HEADLINE[0])
    text(', "definition": ' + json.dumps("rendered impressions per unique attended viewer") + ', "factors": ')
    for i, (factor, _, _) in enumerate(FACTORS):
        text(("{" if i == 0 else ", ") + json.dumps(factor) + ": ")
        estimate(factor)
    text("}}}")
    return pieces


def groups_json(table: pa.Table, by: Sequence[str], population: float | None) -> str:
    """The groups of ``table`` (rows of the ladder table) as JSON objects joined by ``", "``:
    the text ``json.dumps`` gives for each of ``Audit.to_dict()["groups"]``, joined so."""
    pieces = _template(table, by, population)
    starts = range(0, table.num_rows, _ROWS_PER_JOIN)
    return ", ".join(_joined(table.slice(start, _ROWS_PER_JOIN), pieces, population) for start in starts)


def _joined(table: pa.Table, pieces: list[str | tuple[str, str]], population: float | None) -> str:
    """Each row's text, the template's literals and its columns' tokens in turn, joined by ``", "``."""
    parts: list[pa.Array | pa.Scalar] = []
    for piece in [*pieces, ", "]:  # the separator after each row; the last one is cut below
        if isinstance(piece, str):
            if parts and isinstance(parts[-1], pa.Scalar):
                parts[-1] = pa.scalar(parts[-1].as_py() + piece, _TEXT)
            else:
                parts.append(pa.scalar(piece, _TEXT))
        elif piece[0] == "key":
            parts.append(json_keys(table[piece[1]]).cast(_TEXT))
        elif piece[0] == "share":
            parts.append(_shares(table[piece[1]].to_numpy(zero_copy_only=False), float(population or 1)).cast(_TEXT))
        else:
            parts.append(json_numbers(table[piece[1]].to_numpy(zero_copy_only=False)).cast(_TEXT))
    # The rows lie end to end in the values buffer: that buffer is the joined text.
    return _values_buffer(pc.binary_join_element_wise(*parts, pa.scalar("", _TEXT))).decode()[:-2]


def json_floats(values: Any) -> pa.Array:
    """A float column as :func:`json.dumps` writes each value: ``repr`` (``5.0``, ``0.1``),
    ``null`` where not finite (JSON has no NaN)."""
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    with np.errstate(invalid="ignore"):
        # repr writes whole floats below 1e16 as their digits and ".0"; -0.0 and the rest by _floats.
        whole = finite & (np.mod(arr, 1) == 0) & (np.abs(arr) < 1e16) & ~((arr == 0) & np.signbit(arr))
    digits = pa.array(np.where(whole, arr, 0).astype(np.int64)).cast(pa.string())
    out = pc.if_else(pa.array(whole), pc.binary_join_element_wise(digits, ".0", ""), _floats(arr, finite & ~whole))
    return pc.if_else(pa.array(finite), out, "null")


def _tokens(column: pa.ChunkedArray) -> pa.Array:
    if pa.types.is_floating(column.type):
        return json_floats(column.to_numpy(zero_copy_only=False))
    if pa.types.is_boolean(column.type):
        return pc.fill_null(pc.if_else(column.combine_chunks(), "true", "false"), "null")
    return json_keys(column)


def json_lines(table: pa.Table) -> bytes:
    """``table`` as JSON Lines: for each row, ``json.dumps`` of its record (non-finite floats
    null) and a newline, built column by column."""
    pieces: list[str | tuple[str, str]] = []
    for i, name in enumerate(table.column_names):
        pieces += [("{" if i == 0 else ", ") + json.dumps(name) + ": ", ("value", name)]
    pieces.append("}\n")
    out = []
    for start in range(0, table.num_rows, _ROWS_PER_JOIN):
        part = table.slice(start, _ROWS_PER_JOIN)
        parts = [pa.scalar(p, _TEXT) if isinstance(p, str) else _tokens(part[p[1]]).cast(_TEXT) for p in pieces]
        out.append(_values_buffer(pc.binary_join_element_wise(*parts, pa.scalar("", _TEXT))))
    return b"".join(out)


def _values_buffer(rows: pa.Array) -> bytes:
    """The text of a large_string array's values, end to end."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64, count=len(rows) + 1, offset=8 * rows.offset)
    text: bytes = rows.buffers()[2].slice(offsets[0], offsets[-1] - offsets[0]).to_pybytes()
    return text
