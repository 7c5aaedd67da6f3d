"""Totals of a sampled log: Horvitz-Thompson from weight sums, or from a known sampling rate.

A sampled row kept with probability ``pi`` carries the weight ``w = 1/pi``. The totals need
only sums over rows, so they work on any mergeable summary that keeps them (the core
:class:`~viewaudit.Summary` keeps ``sum w`` and ``sum w^2`` per rung in fixed point).
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from viewaudit._estimators._common import (
    ARRAY_EQ,
    ConfidenceInterval,
    CountEstimate,
    FloatArray,
    as_value,
    check_choice,
    check_confidence_level,
    check_sample_rate,
    z_value,
)
from viewaudit._estimators._deferred import stats


@attrs.frozen
class WeightSums:
    """The four sums a Horvitz-Thompson total and its variance need (scalars, or arrays with
    one entry per group); merges by addition.

    Attributes
    ----------
    count : sum of y
        Unweighted total of the sample (a lower bound on the population total for y >= 0).
    weighted : sum of w y
    weighted_sq : sum of w^2 y^2
    weighted_y2 : sum of w y^2

    For 0/1 indicators (rows on a rung) ``y^2 = y``, so ``weighted_y2 = weighted``: see
    :meth:`from_indicator_sums`, which takes the core summary's columns directly.
    """

    count: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    weighted: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    weighted_sq: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    weighted_y2: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)

    @classmethod
    def from_arrays(cls, weights: ArrayLike, values: ArrayLike | None = None) -> WeightSums:
        """The sums of one batch of sampled rows.

        Parameters
        ----------
        weights : array_like of float
            Inverse inclusion probabilities, each >= 1.
        values : array_like of float, optional
            The quantity totalled per row, >= 0 (default 1: count rows).
        """
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights must be one-dimensional, got shape {w.shape}")
        bad = np.flatnonzero(~(w >= 1) | ~np.isfinite(w))
        if bad.size:
            raise ValueError(f"weights must be finite and >= 1 (inverse probabilities); row {bad[0]} has {w[bad[0]]!r}")
        y = np.ones_like(w) if values is None else np.asarray(values, dtype=np.float64)
        if y.shape != w.shape:
            raise ValueError(f"values must have the shape of weights {w.shape}, got {y.shape}")
        bad = np.flatnonzero(~(y >= 0) | ~np.isfinite(y))
        if bad.size:
            raise ValueError(f"values must be finite and >= 0; row {bad[0]} has {y[bad[0]]!r}")
        return cls(y.sum(), (w * y).sum(), (w * w * y * y).sum(), (w * y * y).sum())

    @classmethod
    def from_indicator_sums(cls, count: ArrayLike, weight_sum: ArrayLike, weight_sq_sum: ArrayLike) -> WeightSums:
        """Sums of 0/1 indicators: rows on a rung, their weights and squared weights.

        With the core summary: ``count = n_<level>``, ``weight_sum = w_<level> / WEIGHT_SCALE``
        and ``weight_sq_sum = w2_<level> / WEIGHT2_SCALE`` (summed over the group's viewers).
        """
        return cls(count, weight_sum, weight_sq_sum, weight_sum)

    def merge(self, *others: WeightSums) -> WeightSums:
        """The sums of the union of the batches."""
        parts = (self, *others)
        return WeightSums(
            sum(np.asarray(p.count) for p in parts),
            sum(np.asarray(p.weighted) for p in parts),
            sum(np.asarray(p.weighted_sq) for p in parts),
            sum(np.asarray(p.weighted_y2) for p in parts),
        )


def horvitz_thompson_total(sums: WeightSums, *, confidence_level: float = 0.95) -> CountEstimate:
    """Horvitz-Thompson total of a Poisson-sampled log with a normal interval.

    Parameters
    ----------
    sums : WeightSums
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate
        Vectorised over groups when the sums are arrays. ``observed`` is the unweighted
        sample total, a floor for the interval (the population contains the sample).

    Notes
    -----
    Rows enter independently with probabilities ``pi_i = 1/w_i`` (Poisson sampling), so
    ``Y_HT = sum w y`` is unbiased and ``Var = sum_U (1 - pi) y^2 / pi`` has the unbiased
    estimate ``sum_s w (w - 1) y^2 = sum w^2 y^2 - sum w y^2`` (Horvitz & Thompson 1952,
    JASA 47:663-685; Sarndal, Swensson & Wretman 1992, sec. 3.4).
    """
    if not isinstance(sums, WeightSums):
        raise TypeError(f"sums must be WeightSums, got {type(sums).__name__}")
    cl = check_confidence_level(confidence_level)
    est = np.asarray(sums.weighted, dtype=np.float64)
    var = np.maximum(np.asarray(sums.weighted_sq) - np.asarray(sums.weighted_y2), 0.0)
    se = np.sqrt(var)
    half = z_value(cl) * se
    floor = np.asarray(sums.count, dtype=np.float64)
    low = np.maximum(est - half, floor)
    return CountEstimate(est, se, ConfidenceInterval(np.minimum(low, est), est + half), floor, "horvitz-thompson", cl)


def total_from_sample_rate(
    count: ArrayLike,
    *,
    sample_rate: float,
    confidence_level: float = 0.95,
    method: Literal["exact", "normal"] = "exact",
) -> CountEstimate:
    """Total rows of the complete log from ``count`` rows kept at a known ``sample_rate``.

    Parameters
    ----------
    count : int or array_like of int
        Rows in the sample (per group when an array).
    sample_rate : float, keyword-only
        Probability with which each row was kept, in (0, 1].
    confidence_level : float, keyword-only
    method : {"exact", "normal"}, keyword-only
        ``"exact"`` (default): the set of totals N under which ``Binomial(N, p)`` puts at least
        (1 - confidence_level)/2 on each tail beyond ``count`` (a Clopper-Pearson-type interval
        for the binomial index; never too short, exact at count 0). ``"normal"``: the
        Horvitz-Thompson interval ``count/p -+ z sqrt(count (1 - p)) / p``, floored at count.

    Returns
    -------
    CountEstimate

    Notes
    -----
    ``P(Binomial(N, p) >= c) = P(F <= N - c)`` for ``F ~ NegativeBinomial(c, p)`` (failures
    before the c-th success), so both ends are negative-binomial quantiles:
    ``low = c + F_c^{-1}(alpha/2)`` and ``high = c + F_{c+1}^{-1}(1 - alpha/2)``.

    Examples
    --------
    >>> from viewaudit.estimators import total_from_sample_rate
    >>> est = total_from_sample_rate(120, sample_rate=0.1)
    >>> est.estimate, est.confidence_interval.low < 1200 < est.confidence_interval.high
    (1200.0, True)
    """
    c = np.asarray(count)
    if c.dtype.kind not in "iuf" or c.dtype == bool:
        raise TypeError(f"count must hold integers, got dtype {c.dtype}")
    if np.any(~np.isfinite(c)) or np.any(c < 0) or np.any(c != np.round(c)):
        raise ValueError(f"count must hold whole numbers >= 0, got {count!r}")
    c = c.astype(np.float64)
    p = check_sample_rate(sample_rate)
    cl = check_confidence_level(confidence_level)
    check_choice("method", method, ("exact", "normal"))
    est = c / p
    se = np.sqrt(c * (1 - p)) / p
    if p == 1:
        low, high = c, c
    elif method == "normal":
        half = z_value(cl) * se
        low, high = np.maximum(est - half, c), est + half
    else:
        alpha = 1 - cl
        low = np.where(c > 0, c + stats.nbinom.ppf(alpha / 2, np.maximum(c, 1), p), 0.0)
        high = c + stats.nbinom.ppf(1 - alpha / 2, c + 1, p)
    return CountEstimate(est, se, ConfidenceInterval(low, high), c, f"sample-rate-{method}", cl)
