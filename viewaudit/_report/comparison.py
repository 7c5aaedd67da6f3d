"""One log audited under several policies, side by side."""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa

from viewaudit._report.results import Audit


@attrs.frozen
class Comparison:
    """One log audited under several policies: "what would its views be under each rule"."""

    audits: tuple[Audit, ...]

    def __getitem__(self, name: str) -> Audit:
        for a in self.audits:
            if a.policy.name == name:
                return a
        raise KeyError(f"no policy {name!r} in this comparison")

    def to_arrow(self) -> pa.Table:
        """One row per policy: its view rung, views and every rung's impressions."""
        rows = []
        for a in self.audits:
            row: dict[str, Any] = {
                "policy": a.policy.name,
                "counts_as_view": a.policy.counts_as_view,
                "views": a.views.estimate,
                "views_low": a.views.low,
                "views_high": a.views.high,
            }
            for r in a.ladder:
                row[f"{r.level}_impressions"] = r.impressions.estimate
            rows.append(row)
        return pa.Table.from_pylist(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"policies": [a.to_dict() for a in self.audits]}

    def to_markdown(self) -> str:
        head = "| policy | a view is | views | rule |\n|---|---|---|---|"
        body = [f"| {a.policy.name} | {a.policy.counts_as_view} | {a.views} | {a.policy.description} |" for a in self.audits]
        return "\n".join([head, *body])

    def __str__(self) -> str:
        width = max(len(str(a.views)) for a in self.audits) + 2
        lines = [f"{'policy':<17}{'a view is':<11}{'views':<{width}}"]
        lines += [f"{a.policy.name:<17}{a.policy.counts_as_view:<11}{a.views!s:<{width}}" for a in self.audits]
        return "\n".join(lines)
