"""One log audited under several policies, side by side (whole log, and per group with ``by=``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._report.html import comparison_html, comparison_summary_html, write_text
from viewaudit._report.plots import plot_estimates
from viewaudit._report.results import Audit
from viewaudit._report.tables import to_pandas
from viewaudit._report.values import printable
from viewaudit._rungs import LEVELS

if TYPE_CHECKING:
    import pandas

_PARTS = (("estimate", ""), ("low", "_low"), ("high", "_high"))


@attrs.frozen
class Comparison:
    """One log audited under several policies: "what would its views be under each rule"."""

    audits: tuple[Audit, ...]

    @property
    def by(self) -> tuple[str, ...]:
        """The grouping columns (empty when ungrouped); every audit has the same."""
        return self.audits[0].by if self.audits else ()

    def __getitem__(self, name: str) -> Audit:
        for a in self.audits:
            if a.policy.name == name:
                return a
        raise KeyError(f"no policy {name!r} in this comparison")

    def to_arrow(self, *, wide: bool = False) -> pa.Table:
        """One row per policy (per policy and group with ``by=``): the group keys, the policy, the
        rung it calls a view, its views with their interval, and every rung's impressions.

        With ``wide=True``, one row per group (one row when ungrouped): the group keys and each
        policy's views with their interval (``<policy>_views``, ``<policy>_views_low``,
        ``<policy>_views_high``).
        """
        if not isinstance(wide, bool):
            raise TypeError(f"wide must be True or False, got {wide!r}")
        if wide:
            return _policy_columns(self.audits)
        return pa.concat_tables([_policy_rows(a) for a in self.audits]) if self.audits else pa.table({})

    def to_pandas(self, *, wide: bool = False) -> pandas.DataFrame:
        """:meth:`to_arrow` as a pandas DataFrame (needs pandas), long or ``wide``."""
        return to_pandas(self.to_arrow(wide=wide))

    def to_dict(self) -> dict[str, Any]:
        return {"policies": [a.to_dict() for a in self.audits]}

    def plot(self, *, ax: Any = None) -> Any:
        """Bars of each policy's views with their intervals, for the whole log (needs matplotlib);
        returns the ``Axes``."""
        return plot_estimates(
            [a.policy.name for a in self.audits],
            [a.views for a in self.audits],
            title="views of this log under each policy",
            xlabel="views",
            ax=ax,
        )

    def to_html(self) -> str:
        """Each policy's views as one self-contained HTML page (a table and an inline SVG figure)."""
        return comparison_html(self)

    def write_html(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_html` to ``path`` (UTF-8); ``OSError`` names the path when it cannot."""
        write_text(path, self.to_html(), what="HTML report")

    def _repr_html_(self) -> str:
        """A compact HTML view for notebooks: the table and a small figure."""
        return comparison_summary_html(self)

    def to_markdown(self) -> str:
        head = "| policy | a view is | views | rule |\n|---|---|---|---|"
        body = [f"| {a.policy.name} | {a.policy.counts_as_view} | {a.views} | {a.policy.description} |" for a in self.audits]
        return printable("\n".join([head, *body, *self._groups_note()]), lines=True)  # names come from policy files

    def __str__(self) -> str:
        width = max(len(str(a.views)) for a in self.audits) + 2
        lines = [*self._rows_note(), f"{'policy':<17}{'a view is':<11}{'views':<{width}}"]
        lines += [f"{a.policy.name:<17}{a.policy.counts_as_view:<11}{a.views!s:<{width}}" for a in self.audits]
        return printable("\n".join([*lines, *self._groups_note(), *self._assumptions_note()]), lines=True)

    def _rows_note(self) -> list[str]:
        """The rows read, accepted and rejected (the same source under every policy)."""
        if not self.audits:
            return []
        first = self.audits[0]
        rows = first.rows
        line = f"rows read {rows.read:,}, accepted {rows.accepted:,}, rejected {sum(rows.rejected.values()):,}"
        return [line + ("." + first._nulled_note() if rows.nulled else ""), ""]

    def _assumptions_note(self) -> list[str]:
        """Where each policy's assumptions are: the comparison keeps them all."""
        return ["", "Each policy's assumptions: viewaudit audit --policy NAME, or --json (to_dict() in Python)."]

    def _groups_note(self) -> list[str]:
        if not self.by:
            return []
        groups = self.audits[0].table.num_rows
        return ["", f"{groups:,} groups by {', '.join(self.by)}: each policy's views per group in to_arrow() or to_pandas()"]


def _policy_rows(audit: Audit) -> pa.Table:
    """An audit's rows of :meth:`Comparison.to_arrow`, column-wise from its wide table."""
    wide = audit.table if audit.by else audit.table.slice(0, 1)
    n = wide.num_rows
    view = audit.policy.counts_as_view
    columns: dict[str, Any] = {k: wide[k] for k in audit.by}
    columns["policy"] = pa.array([audit.policy.name] * n, pa.string())
    columns["counts_as_view"] = pa.array([view] * n, pa.string())
    for part, suffix in _PARTS:
        columns[f"views{suffix}"] = _null_for_nan(wide[f"{view}_impressions_{part}"])
    for level in LEVELS:
        columns[f"{level}_impressions"] = _null_for_nan(wide[f"{level}_impressions_estimate"])
    return pa.table(columns)


def _policy_columns(audits: tuple[Audit, ...]) -> pa.Table:
    """:meth:`Comparison.to_arrow` with ``wide=True``: every audit's views side by side."""
    if not audits:
        return pa.table({})
    names = [a.policy.name for a in audits]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"wide=True needs distinct policy names (a column each), got {twice[0]!r} more than once")
    by = audits[0].by
    tables = [a.table if by else a.table.slice(0, 1) for a in audits]
    # One scan gives every policy the same groups in the same order (the summary's key order).
    keys = tables[0].select(list(by))
    columns: dict[str, Any] = {k: keys[k] for k in by}
    for audit, table in zip(audits, tables, strict=True):
        view = audit.policy.counts_as_view
        for part, suffix in _PARTS:
            columns[f"{audit.policy.name}_views{suffix}"] = _null_for_nan(table[f"{view}_impressions_{part}"])
    return pa.table(columns)


def _null_for_nan(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A figure the log cannot determine is null here (NaN in the audit's wide table)."""
    floats = values.cast(pa.float64())
    return pc.if_else(pc.is_nan(floats), pa.scalar(None, pa.float64()), floats)
