"""The viewer-clustered bootstrap, for ratios such as inflation factors.

Impressions of one viewer are not independent (the same person scrolls past the same post
again), so the unit of resampling is the viewer: each resample draws viewers with replacement
and recomputes the statistic from the column totals of their per-viewer counts. Viewers with
identical count rows are interchangeable, so the resampling runs on the distinct rows and
their multiplicities: a multinomial draw of ``n`` viewers over ``d`` distinct rows is exactly
``n`` draws with replacement, at a cost in ``d`` rather than ``n``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from viewaudit._estimators._common import (
    ARRAY_EQ,
    ConfidenceInterval,
    FloatArray,
    as_generator,
    check_choice,
    check_confidence_level,
    check_positive_int,
    readonly,
    warn_degenerate,
)

Statistic = Callable[[np.ndarray], np.ndarray]
# Resample in blocks of at most this many (resample x distinct row) cells to bound memory.
_BLOCK_CELLS = 1 << 22


def ratio_of_totals(totals: np.ndarray) -> np.ndarray:
    """The default statistic: total of column 0 over total of column 1 (vectorised)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(totals[..., 0] / totals[..., 1])


@attrs.frozen
class BootstrapResult:
    """A statistic with its bootstrap interval.

    Attributes
    ----------
    estimate : float
        The statistic of the data.
    standard_error : float
        Standard deviation of the bootstrap distribution.
    confidence_interval : ConfidenceInterval
    confidence_level : float
    method : {"percentile", "bca"}
        The interval method actually used (BCa falls back to percentile when degenerate).
    n_resamples : int
    bootstrap_distribution : ndarray
        The statistic of each resample (non-finite ones dropped).
    """

    estimate: float
    standard_error: float
    confidence_interval: ConfidenceInterval
    confidence_level: float
    method: str
    n_resamples: int
    bootstrap_distribution: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)


def _check(
    counts: ArrayLike, statistic: Statistic | None, n_resamples: int, confidence_level: float, method: str, weights: str
) -> tuple[np.ndarray, Statistic, int, float]:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"counts must be a (viewers, columns) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("counts must be finite")
    if statistic is None:
        if arr.shape[1] != 2:
            raise ValueError(f"the default statistic (a ratio) needs 2 columns, got {arr.shape[1]}")
        statistic = ratio_of_totals
    elif not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    check_choice("method", method, ("percentile", "bca"))
    check_choice("weights", weights, ("multinomial", "poisson"))
    return arr, statistic, check_positive_int("n_resamples", n_resamples), check_confidence_level(confidence_level)


def viewer_bootstrap(
    counts: ArrayLike,
    *,
    statistic: Statistic | None = None,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    method: Literal["percentile", "bca"] = "bca",
    weights: Literal["multinomial", "poisson"] = "multinomial",
    rng: Any = None,
) -> BootstrapResult:
    """Bootstrap a statistic of column totals, resampling viewers with replacement.

    Parameters
    ----------
    counts : array_like, shape (n_viewers, k)
        Per-viewer counts (one row per viewer; e.g. rendered impressions and an indicator of
        being an attended viewer). Logged-out impressions have no viewer: give each its own
        row, or leave them out and say so.
    statistic : callable, optional, keyword-only
        Maps column totals of shape (..., k) to values of shape (...) (vectorised over leading
        axes). Default: column 0 total / column 1 total (needs k = 2).
    n_resamples : int, keyword-only
    confidence_level : float, keyword-only
    method : {"bca", "percentile"}, keyword-only
        BCa (default; bias-corrected and accelerated, acceleration from the leave-one-viewer-out
        jackknife) or plain percentile.
    weights : {"multinomial", "poisson"}, keyword-only
        Multinomial weights (the classic bootstrap: exactly n viewers per resample) or Poisson
        weights (each viewer counted Poisson(1) times; the "online" bootstrap that per-partition
        code can compute without knowing n).
    rng : Generator, int or None, keyword-only
        The same seed gives the same result.

    Returns
    -------
    BootstrapResult

    Warns
    -----
    DegenerateDataWarning
        No viewer, a single distinct viewer row (the interval collapses), resamples where the
        statistic is not finite (e.g. a zero denominator: they are dropped), or a BCa
        correction that cannot be computed (percentile is used).

    Notes
    -----
    BCa (Efron 1987, JASA 82:171-185; Efron & Tibshirani 1993, ch. 14): with
    ``z0 = Phi^-1(share of resamples below the estimate)`` and acceleration
    ``a = sum (m - m_i)^3 / (6 (sum (m - m_i)^2)^(3/2))`` over the jackknife values ``m_i``
    (computed once per distinct row and weighted by its multiplicity), the interval ends are
    the resample quantiles at ``Phi(z0 + (z0 + z)/(1 - a (z0 + z)))`` for ``z`` the normal
    quantiles of the two tails. Poisson weights: Hanley & MacGibbon (2006), Computer Methods
    and Programs in Biomedicine 83:57-62.

    Examples
    --------
    >>> import numpy as np
    >>> from viewaudit.estimators import viewer_bootstrap
    >>> rendered = np.array([5, 1, 3, 8, 2, 1, 4])
    >>> attended_viewer = np.array([1, 0, 1, 1, 0, 1, 1])
    >>> res = viewer_bootstrap(np.column_stack([rendered, attended_viewer]), rng=0)
    >>> round(res.estimate, 2), res.method
    (4.8, 'bca')
    """
    arr, stat, n_res, cl = _check(counts, statistic, n_resamples, confidence_level, method, weights)
    n = arr.shape[0]
    if n == 0:
        warn_degenerate("viewer_bootstrap: no viewers; the statistic is undefined")
        return BootstrapResult(np.nan, np.nan, ConfidenceInterval(np.nan, np.nan), cl, method, n_res, np.empty(0))
    rows, mult = np.unique(arr, axis=0, return_counts=True)
    totals = mult @ rows
    estimate = float(stat(totals))
    gen = as_generator(rng)
    block = max(1, _BLOCK_CELLS // rows.shape[0])
    parts = []
    for start in range(0, n_res, block):
        size = min(block, n_res - start)
        draws = gen.multinomial(n, mult / n, size=size) if weights == "multinomial" else gen.poisson(mult, size=(size, mult.size))
        parts.append(np.asarray(stat(draws @ rows), dtype=np.float64))
    dist = np.concatenate(parts)
    finite = np.isfinite(dist)
    if not finite.all():
        warn_degenerate(
            f"viewer_bootstrap: the statistic is not finite in {int((~finite).sum())} of {n_res} resamples "
            "(e.g. a zero denominator); they are left out"
        )
        dist = dist[finite]
    if rows.shape[0] == 1:
        warn_degenerate("viewer_bootstrap: every viewer has the same counts; the interval collapses")
    if dist.size == 0 or not np.isfinite(estimate):
        warn_degenerate("viewer_bootstrap: the statistic is not finite; no interval")
        return BootstrapResult(estimate, np.nan, ConfidenceInterval(np.nan, np.nan), cl, method, n_res, dist)
    tails = np.array([(1 - cl) / 2, (1 + cl) / 2])
    used = method
    if method == "bca":
        levels = _bca_levels(dist, estimate, rows, mult, totals, stat, tails)
        if levels is None:
            used = "percentile"
        else:
            tails = levels
    low, high = np.quantile(dist, tails)
    se = float(np.std(dist, ddof=1)) if dist.size > 1 else 0.0
    return BootstrapResult(estimate, se, ConfidenceInterval(min(low, estimate), max(high, estimate)), cl, used, n_res, dist)


def _bca_levels(
    dist: np.ndarray,
    estimate: float,
    rows: np.ndarray,
    mult: np.ndarray,
    totals: np.ndarray,
    stat: Statistic,
    tails: np.ndarray,
) -> np.ndarray | None:
    """The BCa-adjusted quantile levels, or None (with a warning) when they are undefined."""
    below = (np.count_nonzero(dist < estimate) + 0.5 * np.count_nonzero(dist == estimate)) / dist.size
    if not 0 < below < 1:
        warn_degenerate("viewer_bootstrap: every resample falls on one side of the estimate; percentile interval used")
        return None
    z0 = special.ndtri(below)
    jack = np.asarray(stat(totals - rows), dtype=np.float64)  # leave one viewer of each kind out
    if not np.all(np.isfinite(jack)):
        warn_degenerate("viewer_bootstrap: a leave-one-viewer-out statistic is not finite; percentile interval used")
        return None
    mean = np.dot(mult, jack) / mult.sum()
    dev = mean - jack
    denom = 6.0 * np.dot(mult, dev**2) ** 1.5
    accel = np.dot(mult, dev**3) / denom if denom > 0 else 0.0
    z = special.ndtri(tails)
    return np.asarray(special.ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z))))


def ratio_bootstrap(numerator: ArrayLike, denominator: ArrayLike, **kwargs: Any) -> BootstrapResult:
    """Bootstrap ``sum(numerator) / sum(denominator)`` over viewers (one entry per viewer).

    Keyword arguments are those of :func:`viewer_bootstrap`. For the headline inflation factor
    (rendered impressions per unique attended viewer) pass each viewer's rendered impressions
    and whether they are an attended viewer (0/1).
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    if num.ndim != 1 or num.shape != den.shape:
        raise ValueError(f"numerator and denominator must be 1-D of one length, got {num.shape} and {den.shape}")
    return viewer_bootstrap(np.column_stack([num, den]), **kwargs)
