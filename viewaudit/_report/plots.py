"""Plots of an audit (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from viewaudit._report.values import Estimate, Ladder
from viewaudit._rungs import LEVELS


def plot_ladder(ladder: Ladder, *, title: str, figure: str = "impressions", ax: Any = None) -> Any:
    """Horizontal bars of one figure (``"impressions"`` or ``"unique_viewers"``) per rung, with
    the interval as an error bar; undeterminable rungs are drawn as their interval only; ``title``
    above them.

    Returns the matplotlib ``Axes``.
    """
    if figure not in ("impressions", "unique_viewers"):
        raise ValueError(f"figure must be 'impressions' or 'unique_viewers', got {figure!r}")
    values = [getattr(ladder[level], figure) for level in LEVELS]
    return plot_estimates(list(LEVELS), values, title=title, xlabel=figure.replace("_", " "), ax=ax)


def plot_estimates(labels: Sequence[str], values: Sequence[Estimate], *, title: str, xlabel: str, ax: Any = None) -> Any:
    """Horizontal bars of ``values`` (top to bottom in ``labels`` order) with their intervals as
    error bars; a value the log cannot determine is drawn as its interval only."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'viewaudit[plot]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 0.8))
    est = np.array([np.nan if v.estimate is None else v.estimate for v in values], dtype=float)
    low = np.array([np.nan if v.low is None else v.low for v in values], dtype=float)
    high = np.array([np.nan if v.high is None else v.high for v in values], dtype=float)
    y = np.arange(len(labels))[::-1]
    known = ~np.isnan(est)
    ax.barh(y[known], est[known], color="#4c72b0")
    centre = np.where(known, est, (low + high) / 2)
    ax.errorbar(centre, y, xerr=[centre - low, high - centre], fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, list(labels))
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    return ax
