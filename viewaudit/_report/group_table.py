"""The groups of a grouped audit as a short table for text and Markdown reports.

A grouped audit can have a million groups: the reports show the largest few, by rendered
impressions, and say how many more there are and where to get them all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from viewaudit._report.values import Estimate, format_number, inflation_from_row, ladder_from_row

#: Groups shown in text and Markdown reports.
TOP_GROUPS = 10
#: The columns of the table after the group keys: (header, rung, figure).
COLUMNS = (
    ("rendered", "rendered", "impressions"),
    ("viewable", "viewable", "impressions"),
    ("attended", "attended", "impressions"),
    ("attended viewers", "attended", "unique_viewers"),
)
WHERE_ALL = "all groups: --groups PATH or --json on the command line; Audit.to_arrow() or write_groups() in Python"


def _top(table: pa.Table, top: int) -> list[dict[str, Any]]:
    """The ``top`` rows with the most rendered impressions (ties in key order)."""
    rendered = np.nan_to_num(np.asarray(table["rendered_impressions_estimate"].to_numpy(zero_copy_only=False), dtype=float))
    order = np.argsort(-rendered, kind="stable")[:top]
    rows: list[dict[str, Any]] = table.take(pa.array(order, pa.int64())).to_pylist()
    return rows


def _decimals(figures: Sequence[Estimate]) -> int:
    """The decimals one column is shown with: none when every number in it is whole; else four
    significant digits of its largest number, from 0 to 3 decimals."""
    numbers = [v for f in figures for v in (f.estimate, f.low, f.high) if v is not None and math.isfinite(v)]
    if all(float(v).is_integer() for v in numbers):
        return 0
    largest = max(abs(v) for v in numbers)
    return min(max(3 - math.floor(math.log10(largest)), 0), 3) if largest > 0 else 0


def _column(figures: Sequence[Estimate]) -> list[str]:
    """A column's cells, every number with the same decimals: groups whose counts are whole
    and groups whose weighted counts are not were shown as 50 beside 45.5."""
    decimals = _decimals(figures)

    def number(value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return format_number(value)
        return f"{value:,.{decimals}f}"

    return [
        "n/a"
        if f.estimate is None
        else number(f.estimate)
        if f.exact
        else f"{number(f.estimate)} [{number(f.low)}, {number(f.high)}]"
        for f in figures
    ]


def group_rows(table: pa.Table, by: Sequence[str], top: int = TOP_GROUPS) -> tuple[list[str], list[list[str]], int]:
    """(headers, cells of the top groups, how many groups are not shown)."""
    headers = [*by, *(header for header, _, _ in COLUMNS), "inflation"]
    rows = _top(table, top)
    ladders = [ladder_from_row(row) for row in rows]
    columns = [_column([getattr(ladder[level], figure) for ladder in ladders]) for _, level, figure in COLUMNS]
    columns.append(_column([inflation_from_row(row).headline for row in rows]))
    cells = [[*(str(row[k]) for k in by), *(column[i] for column in columns)] for i, row in enumerate(rows)]
    return headers, cells, max(table.num_rows - top, 0)


def _title(groups: int, hidden: int, by: Sequence[str]) -> str:
    noun = "group" if groups == 1 else "groups"
    top = f", the {groups - hidden:,} with the most rendered impressions" if hidden else ""
    return f"{groups:,} {noun} by {', '.join(by)}{top}:"


def _more(hidden: int) -> list[str]:
    if not hidden:
        return []
    return ["", f"… and {hidden:,} more {'group' if hidden == 1 else 'groups'} ({WHERE_ALL})"]


def group_table_text(table: pa.Table, by: Sequence[str], top: int = TOP_GROUPS) -> list[str]:
    """The group table as aligned text lines, under a line saying how many groups there are."""
    headers, cells, hidden = group_rows(table, by, top)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)] if cells else [len(h) for h in headers]
    line = "  ".join
    return [
        _title(table.num_rows, hidden, by),
        "",
        line(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        *(line(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells),
        *_more(hidden),
    ]


def group_table_markdown(table: pa.Table, by: Sequence[str], top: int = TOP_GROUPS) -> list[str]:
    """The group table as a Markdown table, under a line saying how many groups there are."""
    headers, cells, hidden = group_rows(table, by, top)

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    return [
        _title(table.num_rows, hidden, by),
        "",
        "| " + " | ".join(escaped(h) for h in headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(escaped(c) for c in cell) + " |" for cell in cells),
        *_more(hidden),
    ]
