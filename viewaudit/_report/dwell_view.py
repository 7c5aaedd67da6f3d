"""The dwell histogram an audit kept, coarsened for a figure, with the fitted model's curve
where one is drawn.

The audit bins times 100 to a decade; a figure shows 5 to a decade. The curve is the dwell
model :func:`~viewaudit.estimators.select_dwell_model` picks (see ``docs/methods.md``, "Dwell
model"), as the impressions it expects in each bin.
"""

from __future__ import annotations

import warnings

import numpy as np

from viewaudit._estimators.dwell import select_dwell_model
from viewaudit._estimators.histogram import BINS_PER_DECADE, DWELL_EDGES_MS, DwellHistogram, _bin_of
from viewaudit._policy import Policy
from viewaudit._report.svg import Histogram

#: Bins per decade in the figure.
SHOWN_PER_DECADE = 5
_STEP = BINS_PER_DECADE // SHOWN_PER_DECADE


def measured_times(hist: DwellHistogram) -> int:
    """Times in the histogram that were measured (exact, censored or in whole seconds), zeros included."""
    return int(hist.exact.sum() + hist.censored.sum() + hist.seconds.sum() + hist.censored_seconds.sum() + hist.zeros)


def dwell_view(hist: DwellHistogram, policy: Policy, *, fit: bool = True) -> Histogram:
    """The figure's bins of ``hist`` (times of 0 ms and beyond 10^8 ms left out), its fitted
    curve (None where no model could be fitted, or ``fit`` is false) and the policy's time
    thresholds."""
    midpoints = np.arange(hist.seconds.size) * 1000.0 + 500.0  # a whole second s is [s, s + 1) s
    seconds_bins = _bin_of(midpoints)
    exact = hist.exact + np.bincount(seconds_bins, weights=hist.seconds, minlength=hist.exact.size)
    censored = hist.censored + np.bincount(seconds_bins, weights=hist.censored_seconds, minlength=hist.exact.size)
    # Fine bins 1..800 span 1 ms to 10^8 ms; coarse bin j is fine bins 1 + 20 j .. 20 + 20 j.
    shown = slice(1, 1 + 8 * BINS_PER_DECADE)
    coarse_exact = exact[shown].reshape(-1, _STEP).sum(axis=1)
    coarse_censored = censored[shown].reshape(-1, _STEP).sum(axis=1)
    edges = DWELL_EDGES_MS[1 : 2 + 8 * BINS_PER_DECADE : _STEP]
    named = (("viewable", policy.min_in_view_ms), ("attended", policy.attention_ms))
    thresholds = tuple((name, ms) for name, ms in named if ms > 0)
    occupied = np.flatnonzero(coarse_exact + coarse_censored)
    marks = [int(np.searchsorted(edges, ms, side="right")) - 1 for _, ms in thresholds]
    first = min([*occupied[:1].tolist(), *marks], default=0)
    last = max([*occupied[-1:].tolist(), *marks], default=0)
    first, last = max(first - 1, 0), min(last + 1, coarse_exact.size - 1)
    window = slice(first, last + 1)
    return Histogram(
        edges_ms=tuple(float(e) for e in edges[first : last + 2]),
        measured=tuple(float(v) for v in coarse_exact[window]),
        censored=tuple(float(v) for v in coarse_censored[window]),
        fitted=_fitted(hist, edges[first : last + 2]) if fit else None,
        thresholds=thresholds,
    )


def _fitted(hist: DwellHistogram, edges: np.ndarray) -> tuple[float, ...] | None:
    """Impressions the selected dwell model expects between successive ``edges``."""
    with warnings.catch_warnings():
        # A poor fit is still drawn; the audit's assumptions already say what it rests on.
        warnings.simplefilter("ignore")
        best = select_dwell_model(hist).best
        if not np.all(np.isfinite(best.parameters)):
            return None
        survival = np.asarray(best.survival(edges).estimate, dtype=float)
    expected = measured_times(hist) * (survival[:-1] - survival[1:])
    return tuple(float(v) for v in np.maximum(expected, 0.0))
