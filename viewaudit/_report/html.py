"""The HTML report: one self-contained page (inline styles, inline SVG figures, no network).

Meant to be read on a phone and attached to a story. Every value that comes from the data or a
policy file is escaped (:func:`~viewaudit._report.svg.esc`), so that a group called
``<script>`` shows as text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from viewaudit._report import svg
from viewaudit._report.dwell_view import dwell_view
from viewaudit._report.group_table import WHERE_ALL, _top, group_rows
from viewaudit._report.inflation import FACTORS
from viewaudit._report.values import Estimate, format_number

if TYPE_CHECKING:
    from viewaudit._report.comparison import Comparison
    from viewaudit._report.results import Audit

#: The docs site's root that method links start from: relative, as ``mkdocs build`` lays the
#: pages out (``methods/#in-the-audit``); pass an absolute URL to make them work anywhere.
DOCS_URL = ""
#: Groups drawn in the per-group figure.
FIGURE_GROUPS = 20
#: The rungs a headline can name as the strictest, strictest last.
_STRICT = ("valid", "viewable", "attended")
_FACTOR_LABELS = {
    "invalid_traffic": "invalid traffic",
    "non_viewable": "non-viewable",
    "inattentive": "inattentive",
    "repeats": "repeats",
}

CSS = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;
max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
p.headline{font-size:1.1rem;background:#f3f5f9;border-left:4px solid #4c72b0;padding:.6rem .8rem}
svg.figure{width:100%;height:auto;display:block;margin:.4rem 0}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem;margin:.4rem 0}
th,td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid #ddd;white-space:nowrap}
td.num{text-align:right}.note,figcaption{color:#555;font-size:.88rem}ul{padding-left:1.2rem}
figure{margin:0}
"""


def audit_html(audit: Audit, *, docs_url: str = DOCS_URL) -> str:
    """The audit's report as one HTML page."""
    policy = audit.policy
    body = [
        f"<h1>View audit: policy {svg.esc(policy.name)}</h1>",
        f'<p class="headline">{svg.esc(headline(audit))}</p>',
        f'<p class="note">The policy: {svg.esc(policy.description)}</p>',
        f'<p class="note">Figures in brackets are {audit.confidence_level:.0%} confidence intervals.</p>',
        "<h2>The view ladder</h2>",
        _figure(
            svg.funnel("fig-ladder", "Impressions on each rung of the ladder", _ladder_bars(audit)),
            "Impressions on each rung, with intervals; a light band is a rung estimated only as an interval.",
        ),
        _ladder_table(audit),
        "<h2>Where the inflation comes from</h2>",
        _figure(_waterfall(audit), _inflation_caption(audit, docs_url)),
        "<h2>Dwell time</h2>",
        _dwell_figure(audit),
        *_groups_section(audit),
        "<h2>Rows</h2>",
        _rows_table(audit),
        "<h2>Assumptions</h2>",
        _assumptions(audit, docs_url),
    ]
    return page(f"viewaudit: {policy.name}", body)


def page(title: str, body: Sequence[str]) -> str:
    """A complete HTML document around ``body`` (its parts already escaped)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{svg.esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + '\n<p class="note">Made by viewaudit.</p>\n</body></html>\n'
    )


def headline(audit: Audit) -> str:
    """The report in one sentence: the platform's count, the strictest rung the log can
    determine, and the inflation factor with its interval (n/a where the log cannot inform it)."""
    counted = audit.policy.counts_as_view
    ladder = audit.ladder
    known = [level for level in _STRICT if ladder[level].impressions.estimate is not None]
    strictest = known[-1] if known else "rendered"
    rung = ladder[strictest]
    if audit.views.estimate is None:
        count = f"Policy {audit.policy.name} counts {counted} impressions as views, which this log cannot determine"
    else:
        count = f"Policy {audit.policy.name} counts {audit.views} views ({counted} impressions)"
    start = (
        f"{count}; the strictest rung this log can determine, {strictest}, has {rung.impressions} impressions "
        f"from {rung.unique_viewers} unique viewers"
    )
    if audit.inflation.headline.estimate is None:
        return start + "; rendered impressions per unique attended viewer: n/a (this log cannot determine attended viewers)."
    return start + f": {audit.inflation.headline} rendered impressions per unique attended viewer."


def _figure(svg_text: str, caption: str) -> str:
    return f"<figure>{svg_text}<figcaption>{caption}</figcaption></figure>"


def _ladder_bars(audit: Audit) -> list[svg.Bar]:
    return [svg.Bar(r.level, r.impressions, _bounds(r.impressions)) for r in audit.ladder]


def _bounds(value: Estimate) -> str:
    """ "n/a, 0 to 300" for a figure known only by its bounds; empty otherwise (the figure speaks)."""
    if value.estimate is not None or value.low is None or value.high is None:
        return ""
    return f"n/a, {format_number(value.low)} to {format_number(value.high)}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{svg.esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i >= numeric_from else ''}>{svg.esc(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _ladder_table(audit: Audit) -> str:
    rows = [(r.level, r.impressions, r.unique_viewers, f"{r.undetermined:,}") for r in audit.ladder]
    return _table(["rung", "impressions", "unique viewers", "undetermined"], rows)


def _waterfall(audit: Audit) -> str:
    factors = audit.inflation.factors
    steps = [svg.Bar(_FACTOR_LABELS[name], factors[name], _na(factors[name])) for name, _, _ in FACTORS]
    total = svg.Bar("all together", audit.inflation.headline, _na(audit.inflation.headline))
    return svg.waterfall("fig-inflation", "Rendered impressions per unique attended viewer, step by step", steps, total)


def _na(value: Estimate) -> str:
    return "n/a" if value.estimate is None else ""


def _inflation_caption(audit: Audit, docs_url: str) -> str:
    link = _link(docs_url, "ladder/#inflation", "how inflation is defined")
    return (
        "Each step multiplies: invalid traffic (rendered per valid), non-viewable (valid per viewable), "
        "inattentive (viewable per attended) and repeats (attended impressions per attended viewer). "
        f"Log scale; n/a where the log cannot determine a step. See {link}."
    )


def _link(docs_url: str, page: str, label: str) -> str:
    return f'<a href="{svg.esc(docs_url + page)}">{svg.esc(label)}</a>'


def _dwell_figure(audit: Audit) -> str:
    title = "Dwell time of valid, visible impressions"
    if audit.dwell is None:
        return svg.message(
            "fig-dwell",
            title,
            "No dwell times to show. The figure bins the dwell of valid impressions known to be visible, and this "
            "log has none with a dwell (without a visible_fraction column none is known to be visible), or the "
            "policy sets no attention threshold.",
        )
    view = dwell_view(audit.dwell, audit.policy, fit=not audit.dwell_exact)
    if audit.dwell_exact:
        model = "No dwell model was fitted: the times are exact, so no impression's rung depends on one. "
    elif view.fitted is not None:
        model = "Line: the fitted dwell model. "
    else:
        model = "No dwell model could be fitted. "
    cut = "." if audit.dwell_exact else "; light: times cut short at that point (censored)."
    caption = "Bars: impressions per dwell time (log scale)" + cut + " " + model + "Dashed: the policy's thresholds."
    return _figure(svg.dwell_histogram("fig-dwell", title, view, caption=caption), svg.esc(caption))


def _groups_section(audit: Audit) -> list[str]:
    if not audit.by:
        return []
    by = ", ".join(audit.by)
    bars, hidden = viewable_shares(audit.table, audit.by)
    more = f" … and {hidden:,} more groups ({WHERE_ALL})." if hidden else ""
    headers, cells, table_hidden = group_rows(audit.table, audit.by)
    table_more = f'<p class="note">… and {table_hidden:,} more groups ({svg.esc(WHERE_ALL)}).</p>' if table_hidden else ""
    return [
        f"<h2>Groups by {svg.esc(by)}</h2>",
        _figure(
            svg.interval_rows("fig-groups", f"Viewable share of each group by {by}", bars, maximum=1.0, dots=True),
            svg.esc(
                "Viewable impressions per rendered impression, highest first."
                if not hidden
                else f"Viewable impressions per rendered impression, for the {len(bars):,} groups with the most "
                f"rendered impressions, highest first.{more}"
            ),
        ),
        _table(headers, cells, numeric_from=len(audit.by)),
        table_more,
    ]


def viewable_shares(table: pa.Table, by: Sequence[str], top: int = FIGURE_GROUPS) -> tuple[list[svg.Bar], int]:
    """The viewable share of the ``top`` groups with the most rendered impressions, highest
    first (undetermined shares last), and how many groups are left out.

    The interval divides interval ends (viewable low by rendered high, and so on), which is
    conservative, as the inflation factors' intervals are.
    """
    bars = []
    for row in _top(table, top):
        label = ", ".join(str(row[k]) for k in by)
        bars.append(svg.Bar(label, share(row)))
    bars.sort(key=lambda b: (b.value.estimate is None, -(b.value.estimate or 0.0)))
    return bars, max(table.num_rows - top, 0)


def share(row: dict[str, Any]) -> Estimate:
    """Viewable impressions per rendered impression of one wide-table row, within [0, 1]."""

    def get(level: str, part: str) -> float:
        value = row[f"{level}_impressions_{part}"]
        return float("nan") if value is None else float(value)

    def ratio(a: float, b: float) -> float | None:
        if not (np.isfinite(a) and np.isfinite(b)) or b <= 0:
            return None
        return float(min(max(a / b, 0.0), 1.0))

    low = ratio(get("viewable", "low"), get("rendered", "high"))
    high = ratio(get("viewable", "high"), get("rendered", "low"))
    est = ratio(get("viewable", "estimate"), get("rendered", "estimate"))
    return Estimate(est, 0.0 if low is None and high is not None else low, high)


def _rows_table(audit: Audit) -> str:
    rows: list[tuple[str, str]] = [("read", f"{audit.rows.read:,}"), ("accepted", f"{audit.rows.accepted:,}")]
    rows += [(f"rejected: {reason}", f"{n:,}") for reason, n in audit.rows.rejected.items()]
    if not audit.rows.rejected:
        rows.append(("rejected", "0"))
    rows += [(f"kept with a null value: {reason}", f"{n:,}") for reason, n in audit.rows.nulled.items()]
    rows += [
        (f"not valid: {rule}", f"not checked ({audit.unchecked[rule]})" if rule in audit.unchecked else f"{n:,}")
        for rule, n in audit.excluded.items()
    ]
    if audit.excluded and audit.excluded_rows is not None:
        rows.append(("not valid: total", f"{audit.excluded_rows:,}"))
    table = _table(["rows", "count"], rows)
    if not audit.excluded:
        return table
    overlap = "A row can fail several invalid-traffic rules, so the counts per rule need not add up to the total."
    return f'{table}<p class="note">{overlap}</p>'


def _assumptions(audit: Audit, docs_url: str) -> str:
    sections = [a.method for a in audit.assumption_details] or ["methods.md#in-the-audit"] * len(audit.assumptions)
    items = "".join(
        f"<li>{svg.esc(text)} ({_link(docs_url, _page(section), 'method')})</li>"
        for text, section in zip(audit.assumptions, sections, strict=True)
    )
    return f"<ul>{items}</ul>" if items else "<p>None.</p>"


def _page(section: str) -> str:
    """A docs section as the built site lays it out: ``methods.md#x`` is at ``methods/#x``."""
    page, _, anchor = section.partition("#")
    return page.removesuffix(".md") + "/" + (f"#{anchor}" if anchor else "")


def audit_summary_html(audit: Audit) -> str:
    """The compact notebook view: the headline, the ladder table and a small funnel."""
    funnel = svg.funnel(f"fig-ladder-{id(audit):x}", "Impressions on each rung of the ladder", _ladder_bars(audit))
    return (
        f'<div class="viewaudit"><p><b>viewaudit</b>: {svg.esc(headline(audit))}</p>'
        f'<div style="max-width:32rem">{funnel}</div>{_ladder_table(audit)}</div>'
    )


def _views_figure(comparison: Comparison, slug: str) -> str:
    bars = [svg.Bar(a.policy.name, a.views) for a in comparison.audits]
    return svg.interval_rows(slug, "Views of this log under each policy", bars)


def _comparison_table(comparison: Comparison) -> str:
    rows = [(a.policy.name, a.policy.counts_as_view, a.views, a.policy.description) for a in comparison.audits]
    return _table(["policy", "a view is", "views", "rule"], rows, numeric_from=2)


def comparison_html(comparison: Comparison) -> str:
    """One log's views under each policy as one HTML page."""
    note = ""
    if comparison.by and comparison.audits:
        groups = comparison.audits[0].table.num_rows
        by = svg.esc(", ".join(comparison.by))
        note = f'<p class="note">{groups:,} groups by {by}: each policy\'s views per group in to_pandas().</p>'
    return page(
        "viewaudit: policies compared",
        [
            "<h1>One log under several policies</h1>",
            _figure(_views_figure(comparison, "fig-views"), "Each policy's views, with intervals."),
            _comparison_table(comparison),
            note,
        ],
    )


def comparison_summary_html(comparison: Comparison) -> str:
    """The compact notebook view of a comparison: its table and a small figure."""
    figure = _views_figure(comparison, f"fig-views-{id(comparison):x}")
    return f'<div class="viewaudit"><div style="max-width:32rem">{figure}</div>{_comparison_table(comparison)}</div>'


__all__ = ["DOCS_URL", "audit_html", "audit_summary_html", "comparison_html", "comparison_summary_html", "headline"]


def write_text(path: str | os.PathLike[str], text: str, *, what: str) -> None:
    """Write ``text`` to ``path`` (UTF-8); an ``OSError`` that names the path when it cannot."""
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise OSError(f"cannot write the {what} to {os.fspath(path)!r}: {err.strerror or err}") from None
