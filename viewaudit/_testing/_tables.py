"""Small logs printed as small tables, for the message of a broken contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

_WIDTH = 28


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        text = repr(value)  # quotes show empty and blank ids
        return text if len(text) <= _WIDTH else text[: _WIDTH - 2] + "…'"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def format_log(log: pa.Table, *, max_rows: int = 12) -> str:
    """The log as an aligned text table; a run of identical rows is shown once, with its
    length in a first column ``n``."""
    rows = log.to_pylist()
    runs: list[list[Any]] = []
    for row in rows:
        if runs and runs[-1][0] == row:
            runs[-1][1] += 1
        else:
            runs.append([row, 1])
    names = list(log.column_names)
    repeated = any(count > 1 for _, count in runs)
    header = (["n"] if repeated else []) + names
    body = [([str(count)] if repeated else []) + [_cell(row[c]) for c in names] for row, count in runs[:max_rows]]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in [header, *body]]
    if len(runs) > max_rows:
        rest = sum(count for _, count in runs[max_rows:])
        lines.append(f"… and {rest:,} more row(s)")
    title = _plural(len(rows), "row") + (f" ({_plural(len(runs), 'run')} of identical rows)" if repeated else "")
    if not rows:
        return f"{title}; columns: {', '.join(names)}"
    return "\n".join([f"{title}:", *("  " + line for line in lines)])
