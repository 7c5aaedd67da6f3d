"""Plots of an audit (needs the ``plot`` extra: matplotlib)."""

from __future__ import annotations

from typing import Any

import numpy as np

from viewaudit._report.values import Ladder
from viewaudit._rungs import LEVELS


def plot_ladder(ladder: Ladder, *, title: str, figure: str = "impressions", ax: Any = None) -> Any:
    """Horizontal bars of one figure (``"impressions"`` or ``"unique_viewers"``) per rung, with
    the interval as an error bar; undeterminable rungs are drawn as their interval only; ``title``
    above them.

    Returns the matplotlib ``Axes``.
    """
    if figure not in ("impressions", "unique_viewers"):
        raise ValueError(f"figure must be 'impressions' or 'unique_viewers', got {figure!r}")
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'viewaudit[plot]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    values = [getattr(ladder[level], figure) for level in LEVELS]
    est = np.array([np.nan if v.estimate is None else v.estimate for v in values], dtype=float)
    low = np.array([v.low for v in values], dtype=float)
    high = np.array([v.high for v in values], dtype=float)
    y = np.arange(len(LEVELS))[::-1]
    known = ~np.isnan(est)
    ax.barh(y[known], est[known], color="#4c72b0")
    centre = np.where(known, est, (low + high) / 2)
    ax.errorbar(centre, y, xerr=[centre - low, high - centre], fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, LEVELS)
    ax.set_xlabel(figure.replace("_", " "))
    ax.set_title(title, fontsize=9)
    return ax
