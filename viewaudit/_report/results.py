"""The audit itself: its ladder, inflation and groups, and its text, Markdown, JSON, table and plot.

The values it holds (:class:`Estimate`, :class:`Ladder`, ...) live in
:mod:`viewaudit._report.values`; they are imported here too, where they have always been found.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._ladder.assumptions import StatedAssumption
from viewaudit._policy import Policy
from viewaudit._report.group_table import group_table_markdown, group_table_text
from viewaudit._report.html import DOCS_URL, audit_html, audit_summary_html, write_text
from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._report.json_groups import groups_json
from viewaudit._report.plots import plot_ladder
from viewaudit._report.tables import GROUPS_PER_CHUNK, long_table, to_pandas, wide_table, write_table_chunks
from viewaudit._report.values import (
    Estimate,
    GroupAudit,
    Inflation,
    Ladder,
    Reach,
    Rows,
    Rung,
    _num,
    inflation_from_row,
    ladder_from_row,
    printable,
)
from viewaudit._rungs import LEVELS

if TYPE_CHECKING:
    import pandas


def _json_values(values: Any) -> list[Any]:
    """A numeric column as JSON-ready Python values: whole numbers as int, NaN and infinities as None.

    Vectorised so that a report with tens of thousands of groups is built in milliseconds.
    """
    arr = np.asarray(values, dtype=float)
    out = arr.astype(object)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0) & (np.abs(arr) < 2**53)
    if whole.any():
        out[whole] = np.array([*arr[whole].astype(np.int64).tolist(), None], dtype=object)[:-1]
    out[~np.isfinite(arr)] = None
    listed: list[Any] = out.tolist()
    return listed


def format_ladder(header: list[str], ladder: Ladder, inflation: Inflation) -> str:
    """The readable text form of a ladder and its inflation, under ``header`` lines."""
    width = max(len("impressions"), *(len(str(r.impressions)) for r in ladder)) + 2
    lines = [
        *header,
        "",
        f"{'rung':<10}{'impressions':<{width}}unique viewers",
        *(f"{r.level:<10}{r.impressions!s:<{width}}{r.unique_viewers}" for r in ladder),
        "",
        f"inflation: {inflation.headline} rendered impressions per unique attended viewer",
        "  = " + " x ".join(f"{k} {v}" for k, v in inflation.factors.items()),
    ]
    if any(r.reach for r in ladder):
        shares = any(x.share is not None for r in ladder for x in r.reach)
        lines += ["", "k+ reach: viewers with at least k impressions" + (" (share of the population)" if shares else "")]
        for r in ladder:
            cells = [f"{x.k}+ {x.viewers}" + (f" ({x.share})" if x.share is not None else "") for x in r.reach]
            lines.append(f"{r.level:<10}" + "   ".join(cells))
    return "\n".join(lines)


@attrs.frozen
class Audit:
    """The result of :func:`viewaudit.audit`: the view ladder of one log under one policy.

    Attributes
    ----------
    rows : Rows
        Rows read, accepted and rejected (per reason).
    policy : Policy
    ladder : Ladder
        rendered, valid, viewable, attended, engaged; impressions and unique viewers each.
    inflation : Inflation
    by : tuple of str
        Grouping columns (empty when ungrouped).
    excluded : dict
        Rendered rows that each invalid-traffic rule excluded (a row may match several).
    assumptions : tuple of str
        What the estimates rest on, one short line each.
    assumption_details : tuple of StatedAssumption
        The same lines with each one's name and the docs section that explains it (``method``).
    confidence_level : float
    """

    rows: Rows
    policy: Policy
    ladder: Ladder
    inflation: Inflation
    by: tuple[str, ...]
    excluded: Mapping[str, int]
    interactions: tuple[str, ...]
    assumptions: tuple[str, ...]
    confidence_level: float
    table: pa.Table = attrs.field(eq=attrs.cmp_using(eq=lambda a, b: bool(a.equals(b))), repr=False)
    #: The population k+ reach is a share of (``audit(..., population=N)``), or None.
    population: float | None = None
    #: The dwell times of valid, visible impressions, binned (None: no dwell time was measured, or
    #: the policy sets no attention threshold).
    dwell: DwellHistogram | None = attrs.field(default=None, repr=False)
    #: The log's times are exact (none censored or rounded): no dwell model is fitted to them,
    #: since no impression's rung depends on one.
    dwell_exact: bool = attrs.field(default=False, repr=False)
    assumption_details: tuple[StatedAssumption, ...] = attrs.field(default=(), repr=False)
    #: The invalid-traffic rules of ``excluded`` the log could not apply, each with why (a column
    #: it lacks): their 0 is no evidence of none.
    unchecked: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    #: Rendered rows that failed at least one invalid-traffic rule (rendered minus valid, rows
    #: not weights): the rules overlap, so ``excluded`` need not add up to it (None: not known).
    excluded_rows: int | None = attrs.field(default=None, repr=False)

    @property
    def views(self) -> Estimate:
        """Impressions on the rung the policy calls a view."""
        return self.ladder[self.policy.counts_as_view].impressions

    @property
    def groups(self) -> tuple[GroupAudit, ...]:
        """One :class:`GroupAudit` per group, in key order (empty when ungrouped)."""
        if not self.by:
            return ()
        return tuple(
            GroupAudit(
                key={k: row[k] for k in self.by},
                ladder=ladder_from_row(row, self.population),
                inflation=inflation_from_row(row),
            )
            for row in self.table.to_pylist()
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (see ``docs/report.md``): keys may be added, never renamed."""
        return {**self._head(), "groups": self._group_dicts(0, self.table.num_rows if self.by else 0), **self._tail()}

    def _head(self) -> dict[str, Any]:
        """The report's keys before ``groups``."""
        return {
            "rows": self.rows.to_dict(),
            "policy": self.policy.to_dict(),
            "confidence_level": self.confidence_level,
            "views": {"level": self.policy.counts_as_view, **self.views.to_dict()},
            "ladder": self.ladder.to_list(),
            "inflation": self.inflation.to_dict(),
            "excluded": dict(self.excluded),
            "interactions": list(self.interactions),
            "assumptions": list(self.assumptions),
            "assumption_details": [a.to_dict() for a in self.assumption_details],
            "by": list(self.by),
        }

    def _tail(self) -> dict[str, Any]:
        """The report's keys after ``groups``."""
        return {} if self.population is None else {"population": _num(self.population)}

    def write_json(self, out: TextIO, *, chunk: int = GROUPS_PER_CHUNK) -> None:
        """Write the JSON report to ``out``, the same text as ``json.dumps(self.to_dict())``.

        Groups are turned into JSON ``chunk`` at a time, so that memory holds one chunk of them,
        not the whole report: a million groups would take gigabytes as Python dicts. The JSON is
        strict (no ``NaN`` or ``Infinity``; figures that are not finite are null).
        """
        head = json.dumps(self._head(), allow_nan=False)
        out.write(head[:-1] + ', "groups": [')
        groups = self.table.num_rows if self.by else 0
        for start in range(0, groups, chunk):
            # Column-wise text, the same as json.dumps of _group_dicts (the reference path).
            out.write((", " if start else "") + groups_json(self.table.slice(start, chunk), self.by, self.population))
        tail = self._tail()
        out.write("]" + (", " + json.dumps(tail, allow_nan=False)[1:] if tail else "}"))

    def _group_dicts(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The dicts of groups ``start`` to ``stop`` (in key order), built column-wise."""
        if not self.by:
            return []
        t = self.table.slice(start, stop - start)
        col = {name: _json_values(t[name].to_numpy(zero_copy_only=False)) for name in t.column_names if name not in self.by}
        keys = {name: t[name].to_pylist() for name in self.by}
        parts = ("estimate", "low", "high")
        factors = [HEADLINE[0], *(f[0] for f in FACTORS)]
        ks = 0
        while f"{LEVELS[0]}_reach_{ks + 1}_estimate" in col:
            ks += 1
        n = self.population

        def reach(level: str, i: int) -> list[dict[str, Any]]:
            out = []
            for k in range(1, ks + 1):
                viewers = {p: col[f"{level}_reach_{k}_{p}"][i] for p in parts}
                entry: dict[str, Any] = {"k": k, "viewers": viewers}
                if n is not None:
                    entry["share"] = {p: None if v is None else v / n for p, v in viewers.items()}
                out.append(entry)
            return out

        out = []
        for i in range(t.num_rows):
            ladder = []
            for level in LEVELS:
                rung: dict[str, Any] = {
                    "level": level,
                    "impressions": {p: col[f"{level}_impressions_{p}"][i] for p in parts},
                    "unique_viewers": {p: col[f"{level}_unique_viewers_{p}"][i] for p in parts},
                    "undetermined_impressions": col[f"{level}_undetermined"][i],
                }
                if ks:
                    rung["reach"] = reach(level, i)
                ladder.append(rung)
            inflation = {
                "headline": {p: col[f"headline_{p}"][i] for p in parts},
                "definition": "rendered impressions per unique attended viewer",
                "factors": {f: {p: col[f"{f}_{p}"][i] for p in parts} for f in factors[1:]},
            }
            out.append({"key": {k: v[i] for k, v in keys.items()}, "ladder": ladder, "inflation": inflation})
        return out

    def to_json(self, **kwargs: Any) -> str:
        """The JSON report as text; ``kwargs`` go to :func:`json.dumps` (``indent=2``, ...)."""
        if not kwargs:
            text = io.StringIO()
            self.write_json(text)
            return text.getvalue()
        return json.dumps(self.to_dict(), **kwargs)

    def to_arrow(self, *, wide: bool = False) -> pa.Table:
        """The ladder as a long table: one row per (group, level) with every figure.

        With ``wide=True``, one row per group (one row for an ungrouped audit) with a column per
        rung and figure (``rendered_impressions``, ``rendered_impressions_low``, ...) and the
        inflation factors (``inflation``, ``invalid_traffic``, ...); see ``docs/report.md``.
        """
        if not isinstance(wide, bool):
            raise TypeError(f"wide must be True or False, got {wide!r}")
        table = self.table if self.by else self.table.slice(0, 1)
        return wide_table(table, self.by) if wide else long_table(table, self.by)

    def write_groups(self, path: str | os.PathLike[str], *, chunk: int = GROUPS_PER_CHUNK) -> None:
        """Write :meth:`to_arrow` to a ``.parquet``, ``.csv`` or ``.jsonl`` file, ``chunk`` groups at a time.

        The file is written under a temporary name beside ``path`` and renamed into place when
        complete: a failure leaves an existing file as it was.
        """
        t = self.table if self.by else self.table.slice(0, 1)
        write_table_chunks(path, (long_table(t.slice(start, chunk), self.by) for start in range(0, max(t.num_rows, 1), chunk)))

    def to_pandas(self, *, wide: bool = False) -> pandas.DataFrame:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas): long, or with ``wide=True`` one
        row per group and a column per rung and figure."""
        return to_pandas(self.to_arrow(wide=wide))

    def plot(self, *, figure: str = "impressions", ax: Any = None) -> Any:
        """Bars per rung with intervals (needs matplotlib); returns the ``Axes``."""
        title = f"{self.policy.name}: {self.inflation.headline} rendered impressions per unique attended viewer"
        return plot_ladder(self.ladder, title=title, figure=figure, ax=ax)

    def to_markdown(self) -> str:
        """The ladder and inflation as Markdown tables."""
        level_rows = [f"| {r.level} | {r.impressions} | {r.unique_viewers} | {r.undetermined:,} |" for r in self.ladder]
        factor_rows = [f"| {name} | {value} |" for name, value in self.inflation.factors.items()]
        rejected = ", ".join(f"{k}: {v:,}" for k, v in self.rows.rejected.items()) or "none"
        text = "\n".join(
            [
                f"**viewaudit** — policy `{self.policy.name}` ({self.policy.description})",
                "",
                f"Rows read {self.rows.read:,}; accepted {self.rows.accepted:,}; rejected {rejected}.{self._nulled_note()}",
                "",
                "| rung | impressions | unique viewers | undetermined |",
                "|---|---|---|---|",
                *level_rows,
                "",
                f"Inflation (rendered impressions per unique attended viewer): **{self.inflation.headline}**",
                "",
                "| factor | value |",
                "|---|---|",
                *factor_rows,
                "",
                f"Intervals: {self.confidence_level:.0%}. Assumptions:",
                "",
                *(f"- {line}" for line in self.assumptions),
                *(["", *group_table_markdown(self.table, self.by)] if self.by else []),
            ]
        )
        return printable(text, lines=True)  # names and descriptions come from policy files

    def to_html(self, *, docs_url: str = DOCS_URL) -> str:
        """The report as one self-contained HTML page: headline, figures (inline SVG) and tables.

        Links to the method go to ``docs_url`` (the docs site's root; relative by default).
        """
        return audit_html(self, docs_url=docs_url)

    def write_html(self, path: str | os.PathLike[str], *, docs_url: str = DOCS_URL) -> None:
        """Write :meth:`to_html` to ``path`` (UTF-8); ``OSError`` names the path when it cannot."""
        write_text(path, self.to_html(docs_url=docs_url), what="HTML report")

    def _repr_html_(self) -> str:
        """A compact HTML view for notebooks: the ladder table and a small funnel."""
        return audit_summary_html(self)

    def _nulled_note(self) -> str:
        """Values made null in accepted rows, e.g. `` Kept with a null value: ts: unreadable 3.``"""
        if not self.rows.nulled:
            return ""
        return " Kept with a null value: " + ", ".join(f"{k} {v:,}" for k, v in self.rows.nulled.items()) + "."

    def _exclusions_note(self) -> str:
        """The invalid-traffic exclusions in one line: the total, each rule's count, and that the
        rules overlap (a row can fail several, so the counts per rule need not add up)."""
        if set(self.excluded) <= set(self.unchecked):
            return "not valid (invalid traffic): no rule could be checked (see the assumptions)."
        rules = ", ".join(f"{rule} {'not checked' if rule in self.unchecked else f'{n:,}'}" for rule, n in self.excluded.items())
        total = "" if self.excluded_rows is None else f", {self.excluded_rows:,} rows in all"
        return f"not valid (invalid traffic){total}; by rule: {rules}. A row can fail several rules, so these need not add up."

    def __str__(self) -> str:
        text = format_ladder(
            [
                f"policy {self.policy.name}: {self.policy.description}",
                f"rows read {self.rows.read:,}, accepted {self.rows.accepted:,}, rejected {sum(self.rows.rejected.values()):,}",
                *([self._nulled_note().strip()] if self.rows.nulled else []),
                *([self._exclusions_note()] if self.excluded else []),
            ],
            self.ladder,
            self.inflation,
        )
        if self.by:
            text += "\n\n" + "\n".join(group_table_text(self.table, self.by))
        # What the figures rest on, one line each: a reader of the terminal sees it too.
        text += "\n\nassumptions:\n" + "\n".join(f"- {line}" for line in self.assumptions)
        return printable(text, lines=True)  # names, descriptions and group labels come from files


__all__ = [
    "Audit",
    "Estimate",
    "GroupAudit",
    "Inflation",
    "Ladder",
    "Reach",
    "Rows",
    "Rung",
    "format_ladder",
    "inflation_from_row",
    "ladder_from_row",
]
