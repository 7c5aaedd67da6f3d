"""The HTML page of a ladder with intervals over parameter ranges (``model``, ``claim``).

Built from the same parts as the audit's page (:mod:`viewaudit._report.html`): the funnel of the
ladder, its table, the inflation step by step, and the assumptions, all escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from viewaudit._report import svg
from viewaudit._report.html import _FACTOR_LABELS, _figure, _na, _table, page
from viewaudit._report.inflation import FACTORS
from viewaudit._report.results import Inflation, Ladder


def ranges_html(
    *, title: str, headline: str, ladder: Ladder, inflation: Inflation, method: str, assumptions: Sequence[str]
) -> str:
    """One self-contained page: ``headline``, the ladder with its intervals, the inflation, the
    ``method`` and the ``assumptions`` (each a sentence or a few)."""
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
        "<h2>Method</h2>",
        f'<p class="note">{svg.esc(method)}</p>',
        "<h2>Assumptions</h2>",
        "<ul>" + "".join(f"<li>{svg.esc(a)}</li>" for a in assumptions) + "</ul>",
    ]
    return page(title, body)


__all__ = ["ranges_html"]
