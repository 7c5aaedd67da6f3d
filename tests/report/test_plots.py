"""Audit.plot draws one bar per rung with the interval as an error bar."""

from __future__ import annotations

import pyarrow as pa
import pytest

import viewaudit

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_plot_draws_a_bar_per_determined_rung():
    """Each rung with an estimate gets a bar whose length is the estimate."""
    log = pa.table(
        {
            "item_id": [1, 1, 2, 2],
            "viewer_id": [1, 2, 2, 3],
            "dwell_ms": [2500.0, 500.0, 1500.0, None],
            "visible_fraction": [1.0, 1.0, 0.6, 0.9],
            "liked": [True, False, False, False],
        }
    )
    audit = viewaudit.audit(log)
    ax = audit.plot()
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    expected = sorted(round(r.impressions.estimate, 6) for r in audit.ladder)
    assert widths == expected


def test_plot_rejects_unknown_figure():
    """An unknown figure name raises ValueError naming the parameter."""
    audit = viewaudit.audit(pa.table({"item_id": [1]}))
    with pytest.raises(ValueError, match="figure must be"):
        audit.plot(figure="views")
