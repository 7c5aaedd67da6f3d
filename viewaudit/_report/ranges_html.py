"""The HTML page of a ladder with intervals over parameter ranges (``model``, ``claim``).

Built from the same parts as the audit's page (:mod:`viewaudit._report.html`): the funnel of the
ladder, its table, the inflation step by step, the parameters that move each headline figure
most (a tornado), and the assumptions, all escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from viewaudit._report import svg
from viewaudit._report.html import _FACTOR_LABELS, _figure, _na, _table, page
from viewaudit._report.inflation import FACTORS
from viewaudit._report.results import Inflation, Ladder
from viewaudit._report.values import Estimate, format_number

#: How the tornado names the headline figures.
_FIGURE_TITLES = {
    "views": "views under the policy",
    "viewable_impressions": "viewable impressions",
    "attended_unique_viewers": "unique attended viewers",
    "inflation": "inflation (rendered impressions per unique attended viewer)",
}


class SwingLike(Protocol):
    """One parameter's swing of one figure (the feed model's ``Swing``)."""

    @property
    def parameter(self) -> str: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def at_low(self) -> float: ...
    @property
    def at_high(self) -> float: ...
    @property
    def estimate(self) -> float: ...


def _tornado(figure: str, swings: Sequence[SwingLike]) -> list[str]:
    """One figure's tornado: each parameter's range of the figure (low end to high end, the
    others at their values) as a bar, the point model's value as a dot, and the same as a table."""
    title = _FIGURE_TITLES.get(figure, figure)
    bars = [
        svg.Bar(
            s.parameter,
            Estimate(s.estimate, min(s.at_low, s.at_high), max(s.at_low, s.at_high)),
            f"{format_number(s.at_low)} to {format_number(s.at_high)}",
        )
        for s in swings
    ]
    rows = [(s.parameter, f"{s.low:g} to {s.high:g}", format_number(s.at_low), format_number(s.at_high)) for s in swings]
    return [
        f"<h3>{svg.esc(title)}</h3>",
        _figure(
            svg.interval_rows(f"fig-tornado-{figure}", f"What moves {title} most", bars, dots=True),
            "Each parameter from the low to the high end of its range, the others at their values: the line is the "
            "figure's range, the dot the value at the parameters' values. Over the ranges alone: public counters "
            "weight the ladder above, not this ranking.",
        ),
        _table(["parameter", "range", "figure at low end", "figure at high end"], rows),
    ]


def ranges_html(
    *,
    title: str,
    headline: str,
    ladder: Ladder,
    inflation: Inflation,
    method: str,
    assumptions: Sequence[str],
    sensitivity: Sequence[tuple[str, Sequence[SwingLike]]] = (),
) -> str:
    """One self-contained page: ``headline``, the ladder with its intervals, the inflation, the
    parameters that move each headline figure most (``sensitivity``: figure -> swings, largest
    first), the ``method`` and the ``assumptions`` (each a sentence or a few)."""
    steps = [svg.Bar(_FACTOR_LABELS[name], inflation.factors[name], _na(inflation.factors[name])) for name, _, _ in FACTORS]
    total = svg.Bar("all together", inflation.headline, _na(inflation.headline))
    rows = [(r.level, r.impressions, r.unique_viewers) for r in ladder]
    body = [
        f"<h1>{svg.esc(title)}</h1>",
        f'<p class="headline">{svg.esc(headline)}</p>',
        "<h2>The view ladder</h2>",
        _figure(
            svg.funnel("fig-ladder", "Impressions on each rung of the ladder", [svg.Bar(r.level, r.impressions) for r in ladder]),
            "Impressions on each rung, with intervals over the parameter ranges; a count held exactly has none.",
        ),
        _table(["rung", "impressions", "unique viewers"], rows),
        "<h2>Where the inflation comes from</h2>",
        _figure(
            svg.waterfall("fig-inflation", "Rendered impressions per unique attended viewer, step by step", steps, total),
            "Each factor with its interval over the parameter ranges.",
        ),
        *(["<h2>Which parameters move the figures most</h2>"] if sensitivity else []),
        *(part for figure, swings in sensitivity for part in _tornado(figure, swings)),
        "<h2>Method</h2>",
        f'<p class="note">{svg.esc(method)}</p>',
        "<h2>Assumptions</h2>",
        "<ul>" + "".join(f"<li>{svg.esc(a)}</li>" for a in assumptions) + "</ul>",
    ]
    return page(title, body)


__all__ = ["ranges_html"]
