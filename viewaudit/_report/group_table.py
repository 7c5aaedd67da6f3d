"""The groups of a grouped audit as a short table for text and Markdown reports.

A grouped audit can have a million groups: the reports show the largest few, by rendered
impressions, and say how many more there are and where to get them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from viewaudit._report.values import inflation_from_row, ladder_from_row

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


def group_rows(table: pa.Table, by: Sequence[str], top: int = TOP_GROUPS) -> tuple[list[str], list[list[str]], int]:
    """(headers, cells of the top groups, how many groups are not shown)."""
    headers = [*by, *(header for header, _, _ in COLUMNS), "inflation"]
    cells = []
    for row in _top(table, top):
        ladder = ladder_from_row(row)
        inflation = inflation_from_row(row)
        cells.append(
            [
                *(str(row[k]) for k in by),
                *(str(getattr(ladder[level], figure)) for _, level, figure in COLUMNS),
                str(inflation.headline),
            ]
        )
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
