"""Hand-written SVG figures for the HTML report: small, crisp, and drawn without matplotlib.

Every figure is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` that screen readers
read. Every piece of text, label or number, is HTML-escaped: group names come from the data.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import attrs

from viewaudit._report.values import Estimate, format_number

WIDTH = 540  # narrow, so that text stays legible when a phone scales the figure down
ROW = 30  # height of one bar's row
LABEL = 120  # width of the label column
VALUE = 195  # width of the value column on the right
BAR = "#4c72b0"
LIGHT = "#b8c7e0"
INK = "#222"
MUTED = "#666"
TIMES = "\u00d7"  # the multiplication sign
#: A character's advance as a share of the font size, at most: digits are 0.64 em in DejaVu
#: Sans (Debian's default sans-serif) and 0.56 em in Arial, as are most letters; the narrow
#: ones (punctuation, i, l, t, r, f, space) are at most 0.4 em, m and w at most 1 em.
CHAR_EM = 0.64
NARROW = frozenset(" .,:;'!|()[]iIjlftr")
WIDE = frozenset("mwMW")
GAP = 8  # between a column's text and the bars


def esc(value: object) -> str:
    """``value`` as text safe inside HTML or SVG, attributes included."""
    return html.escape(str(value), quote=True)


def figure(slug: str, title: str, desc: str, body: str, height: float, *, width: float = WIDTH) -> str:
    """An ``<svg role="img">`` ``width`` wide (the report's, unless its text needs more: the page
    scales it to fit), titled for screen readers."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{slug}-title {slug}-desc" class="figure" id="{slug}">'
        f'<title id="{slug}-title">{esc(title)}</title><desc id="{slug}-desc">{esc(desc)}</desc>'
        f"{body}</svg>"
    )


def text(x: float, y: float, content: str, *, anchor: str = "start", fill: str = INK, size: int = 15) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}">{esc(content)}</text>'


def line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = INK, dash: str = "", width: float = 1.5) -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"{dashes}/>'


def rect(x: float, y: float, w: float, h: float, *, fill: str = BAR) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.0):.1f}" height="{h:.1f}" fill="{fill}"/>'


def error_bar(x1: float, x2: float, y: float) -> str:
    """A horizontal interval from ``x1`` to ``x2`` with end caps."""
    return line(x1, y, x2, y) + line(x1, y - 6, x1, y + 6) + line(x2, y - 6, x2, y + 6)


def text_width(content: str, size: int) -> float:
    """An upper bound of the width ``content`` takes at font size ``size``."""
    ems = sum(0.4 if c in NARROW else 1.0 if c in WIDE else CHAR_EM for c in content)
    return ems * size


@attrs.frozen
class Columns:
    """Where a figure of bars puts its labels (right-aligned, left of ``left``), its bars (from
    ``left``, ``span`` wide) and its values (from ``right``): each text column as wide as its
    longest text, and at least as wide as the report's default, so that no text is clipped."""

    left: float
    span: float
    right: float
    width: float

    @classmethod
    def fitting(cls, labels: Sequence[str], values: Sequence[str], *, value_size: int = 13) -> Columns:
        label = max([LABEL, *(text_width(t, 15) + GAP for t in labels)])
        value = max([VALUE, *(text_width(t, value_size) + GAP for t in values)])
        span = WIDTH - LABEL - VALUE
        return cls(left=label, span=span, right=label + span + GAP, width=label + span + value)


def _top(value: Estimate) -> float:
    return max((v for v in (value.estimate, value.high, value.low) if v is not None), default=0.0)


@attrs.frozen
class Bar:
    """One labelled figure with its interval; ``note`` replaces the value text when given."""

    label: str
    value: Estimate
    note: str = ""


def funnel(slug: str, title: str, bars: Sequence[Bar]) -> str:
    """Bars centred on one axis, widest first, each with its interval on both edges.

    A figure the log cannot determine shows its interval as a light band, or no bar at all.
    """
    values = [b.note or str(b.value) for b in bars]
    columns = Columns.fitting([b.label for b in bars], values)
    span = columns.span
    centre = columns.left + span / 2
    scale = span / max(max((_top(b.value) for b in bars), default=0.0), 1e-300)
    parts = []
    for i, (b, value) in enumerate(zip(bars, values, strict=True)):
        y = 10 + i * ROW
        mid = y + ROW / 2 - 4
        parts.append(text(columns.left - GAP, mid + 4, b.label, anchor="end"))
        parts.append(text(columns.right, mid + 4, value, size=13))
        est, low, high = b.value.estimate, b.value.low, b.value.high
        if est is not None:
            parts.append(rect(centre - est * scale / 2, y, est * scale, ROW - 8))
        elif low is not None and high is not None:
            parts.append(rect(centre - high * scale / 2, y, high * scale, ROW - 8, fill=LIGHT))
        if low is not None and high is not None and not b.value.exact:
            for side in (-1, 1):
                parts.append(error_bar(centre + side * low * scale / 2, centre + side * high * scale / 2, mid))
    desc = "; ".join(f"{b.label}: {b.note or b.value}" for b in bars)
    return figure(slug, title, desc, "".join(parts), 20 + len(bars) * ROW, width=columns.width)


def interval_rows(slug: str, title: str, bars: Sequence[Bar], *, maximum: float | None = None, dots: bool = False) -> str:
    """Left-aligned bars (or dots) with intervals, one row each, on a linear axis from 0."""
    labels = [_short(b.label) for b in bars]
    values = [b.note or str(b.value) for b in bars]
    columns = Columns.fitting(labels, values)
    left = columns.left
    top = maximum if maximum is not None else max((_top(b.value) for b in bars), default=0.0)
    scale = columns.span / max(top, 1e-300)
    parts = [line(left, 6, left, 14 + len(bars) * ROW, stroke=MUTED, width=1)]
    for i, (b, label, value) in enumerate(zip(bars, labels, values, strict=True)):
        y = 10 + i * ROW
        mid = y + ROW / 2 - 4
        parts.append(text(left - GAP, mid + 4, label, anchor="end"))
        parts.append(text(columns.right, mid + 4, value, size=13))
        est, low, high = b.value.estimate, b.value.low, b.value.high
        if est is not None and dots:
            parts.append(f'<circle cx="{left + est * scale:.1f}" cy="{mid:.1f}" r="5" fill="{BAR}"/>')
        elif est is not None:
            parts.append(rect(left, y, est * scale, ROW - 8))
        if low is not None and high is not None and not b.value.exact:
            parts.append(error_bar(left + low * scale, left + high * scale, mid))
    desc = "; ".join(f"{b.label}: {b.note or b.value}" for b in bars)
    return figure(slug, title, desc, "".join(parts), 20 + len(bars) * ROW, width=columns.width)


def _short(label: str, size: int = 32) -> str:
    # Group names come from the data and can be any length: the figure shows the start, the
    # table below it the whole name.
    return label if len(label) <= size else label[: size - 1] + "…"


def waterfall(slug: str, title: str, steps: Sequence[Bar], total: Bar) -> str:
    """A multiplicative waterfall on a log axis: each step starts where the one before ended
    and its length is its factor; the total runs from 1 to the product.

    Each step's interval is drawn at its end (the product so far times its low and high ends);
    a step the log cannot determine shows as n/a and the steps after it are not drawn.
    """
    rows = [*steps, total]
    values = [s.note or f"{TIMES} {s.value}" for s in rows]
    columns = Columns.fitting([s.label for s in rows], values)
    span, left = columns.span, columns.left
    ends = [s.value.high or s.value.estimate or 1.0 for s in steps]
    top = max(math.prod(ends), total.value.high or total.value.estimate or 1.0, 1.0001)
    scale = span / math.log(top)

    def x(value: float) -> float:
        return left + math.log(max(value, 1.0)) * scale

    parts = []
    start: float | None = 1.0
    for i, (s, value) in enumerate(zip(rows, values, strict=True)):
        y = 10 + i * ROW
        mid = y + ROW / 2 - 4
        last = i == len(rows) - 1
        parts.append(text(left - GAP, mid + 4, s.label, anchor="end"))
        parts.append(text(columns.right, mid + 4, value, size=13))
        base = 1.0 if last else start
        est, low, high = s.value.estimate, s.value.low, s.value.high
        if base is None or est is None:
            start = None
            continue
        parts.append(rect(x(base), y, x(base * est) - x(base), ROW - 8, fill=INK if last else BAR))
        if low is not None and high is not None and not s.value.exact:
            parts.append(error_bar(x(base * low), x(base * high), mid))
        if not last:
            start = base * est
            parts.append(line(x(start), y + ROW - 8, x(start), y + ROW, stroke=MUTED, width=1))
    ticks: list[int] = []
    for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        # A tick whose label would run into the one before is left out (a wide range crowds them).
        if t <= top and (not ticks or x(t) - x(ticks[-1]) >= text_width(f"{TIMES}{t}{TIMES}{ticks[-1]}", 13) / 2 + GAP):
            ticks.append(t)
    axis_y = 14 + len(rows) * ROW
    parts.append(line(left, axis_y, x(top), axis_y, stroke=MUTED, width=1))
    parts += [text(x(t), axis_y + 14, f"{TIMES}{t}", anchor="middle", fill=MUTED, size=13) for t in ticks]
    desc = "; ".join(f"{s.label}: {s.note or s.value}" for s in rows)
    return figure(slug, title, desc, "".join(parts), axis_y + 22, width=columns.width)


@attrs.frozen
class Histogram:
    """Counts on log-spaced bins (edges in ms), with a fitted curve of expected counts per bin."""

    edges_ms: tuple[float, ...]
    measured: tuple[float, ...]
    censored: tuple[float, ...]
    fitted: tuple[float, ...] | None
    thresholds: tuple[tuple[str, float], ...]


def dwell_histogram(slug: str, title: str, hist: Histogram, *, caption: str) -> str:
    """Bars of measured times (dark) and times cut short (light, stacked), the fitted model's
    expected count per bin as a line, and the policy's thresholds as dashed lines."""
    left, right, top_pad, height = 20, WIDTH - 20, 52, 200
    lo, hi = math.log10(hist.edges_ms[0]), math.log10(hist.edges_ms[-1])
    peak = max([m + c for m, c in zip(hist.measured, hist.censored, strict=True)] + list(hist.fitted or ()) + [1.0])

    def x(ms: float) -> float:
        return left + (math.log10(ms) - lo) / (hi - lo) * (right - left)

    def y(count: float) -> float:
        return top_pad + height * (1 - count / peak)

    parts = [line(left, y(0), right, y(0), stroke=MUTED, width=1)]
    for i, (m, c) in enumerate(zip(hist.measured, hist.censored, strict=True)):
        x0, x1 = x(hist.edges_ms[i]) + 0.5, x(hist.edges_ms[i + 1]) - 0.5
        parts.append(rect(x0, y(m), x1 - x0, y(0) - y(m)))
        if c:
            parts.append(rect(x0, y(m + c), x1 - x0, y(m) - y(m + c), fill=LIGHT))
    if hist.fitted is not None:
        centres = [math.sqrt(a * b) for a, b in zip(hist.edges_ms[:-1], hist.edges_ms[1:], strict=True)]
        points = " ".join(f"{x(c):.1f},{y(f):.1f}" for c, f in zip(centres, hist.fitted, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#c44e52" stroke-width="2"/>')
    for i, (name, ms) in enumerate(hist.thresholds):
        if hist.edges_ms[0] < ms < hist.edges_ms[-1]:
            parts.append(line(x(ms), top_pad - 32 + 15 * i, x(ms), y(0), stroke="#dd8452", dash="5 4", width=2))
            parts.append(text(x(ms) + 4, top_pad - 20 + 15 * i, f"{name} {format_number(ms / 1000)} s", fill="#a0522d", size=13))
    decade = 10 ** math.ceil(lo)
    while decade <= hist.edges_ms[-1]:
        parts.append(text(x(decade), y(0) + 16, _seconds(decade), anchor="middle", fill=MUTED, size=13))
        decade *= 10
    parts.append(text(left, 16, f"impressions per bin (peak {format_number(round(peak))})", fill=MUTED, size=13))
    return figure(slug, title, caption, "".join(parts), y(0) + 26)


def _seconds(ms: float) -> str:
    return f"{format_number(ms)} ms" if ms < 1000 else f"{format_number(ms / 1000)} s"


def message(slug: str, title: str, content: str) -> str:
    """A figure that says why it has nothing to draw, its words wrapped to the figure's width."""
    size, lines, line_ = 15, [], ""
    for word in content.split():
        candidate = f"{line_} {word}".strip()
        if line_ and text_width(candidate, size) > WIDTH - 2 * GAP:
            lines.append(line_)
            candidate = word
        line_ = candidate
    lines.append(line_)
    body = "".join(text(WIDTH / 2, 30 + 20 * i, line, anchor="middle", fill=MUTED) for i, line in enumerate(lines))
    return figure(slug, title, content, body, 28 + 20 * len(lines))
