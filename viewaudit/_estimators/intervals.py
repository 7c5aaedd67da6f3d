"""Confidence intervals for proportions, for counts predicted from them, and for figures known
only between bounds (vectorised)."""

from __future__ import annotations

import numpy as np
from scipy import special

from viewaudit._estimators.distinct import distinct_columns


def _z(confidence_level: float) -> float:
    return float(special.ndtri(0.5 + confidence_level / 2))


def wilson_interval(k: np.ndarray, n: np.ndarray, *, confidence_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials (elementwise).

    Exact at the ends: the interval is [0, ...] at k = 0 and [..., 1] at k = n. Where n = 0 it
    is [0, 1]. Reference: Wilson (1927), JASA 22:209-212; agrees with
    ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.where(n > 0, np.where(k <= 0, 0.0, centre - half), 0.0)
        high = np.where(n > 0, np.where(k >= n, 1.0, centre + half), 1.0)
    return np.clip(low, 0, 1), np.clip(high, 0, 1)


def jeffreys_interval(k: np.ndarray, n: np.ndarray, *, confidence_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval (equal-tailed Beta(k + 1/2, n - k + 1/2) quantiles), exact at 0 and n.

    Brown, Cai & DasGupta (2001), Statistical Science 16:101-133. Where n = 0 it is [0, 1].
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = (1 - confidence_level) / 2
    # Groups often share their (k, n): each distinct pair's Beta quantiles are computed once
    # (the inverse incomplete beta function dominates the cost of a ladder with many groups).
    stacked = np.stack([k.ravel(), n.ravel()])
    if stacked.size and np.all(np.abs(stacked) < 2**53) and np.array_equal(stacked, np.round(stacked)):
        # Counts (unweighted logs): the same pairs, from integers packed into one column each.
        whole, inverse = distinct_columns(stacked.astype(np.int64))
        pairs = whole.astype(float)
    else:
        pairs, inverse = np.unique(stacked, axis=1, return_inverse=True)
    a, b = pairs[0] + 0.5, pairs[1] - pairs[0] + 0.5
    inverse = inverse.reshape(k.shape)
    low = np.where(k <= 0, 0.0, special.betaincinv(a, b, tail)[inverse])  # Beta quantile
    high = np.where(k >= n, 1.0, special.betaincinv(a, b, 1 - tail)[inverse])
    return low, high


def predicted_count_interval(
    true: np.ndarray, determined: np.ndarray, undetermined: np.ndarray, *, confidence_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many of ``undetermined`` rows are on the rung, given ``true`` of ``determined`` are.

    The estimate is ``undetermined * true / determined`` (half where nothing was determined).
    The interval adds in quadrature the two sources of uncertainty of the beta-binomial
    posterior predictive: the share (Jeffreys interval, scaled by ``undetermined``) and the
    binomial noise of the undetermined rows themselves (normal approximation). The exact
    beta-binomial quantiles cost seconds per group at realistic counts; this costs microseconds.
    Assumes the undetermined rows are missing at random with respect to rung membership.
    """
    t = np.asarray(true, dtype=float)
    d = np.asarray(determined, dtype=float)
    u = np.asarray(undetermined, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(d > 0, t / d, 0.5)
    share_low, share_high = jeffreys_interval(t, d, confidence_level=confidence_level)
    z = _z(confidence_level)
    noise2 = z * z * u * share * (1 - share)
    estimate = u * share
    low = estimate - np.sqrt((estimate - u * share_low) ** 2 + noise2)
    high = estimate + np.sqrt((u * share_high - estimate) ** 2 + noise2)
    return estimate, np.clip(low, 0, u), np.clip(high, 0, u)


def partially_identified_z(width: np.ndarray, sd: np.ndarray, *, confidence_level: float = 0.95) -> np.ndarray:
    """Critical value ``c`` for a figure known only to lie between two estimated bounds (elementwise).

    The interval ``[low - c sd, high + c sd]`` around bounds ``width`` apart, each estimated with
    standard deviation ``sd``, covers every value between the true bounds with probability at
    least ``confidence_level``: ``c`` solves ``Phi(c + width / sd) - Phi(-c) = confidence_level``.
    It is the two-sided normal quantile where the bounds meet (point identification, ``width``
    0) and falls to the one-sided one as they part: a value near one bound can be missed only on
    that side. Imbens & Manski (2004), Econometrica 72:1845-1857, with the estimated width (which
    they show keeps the coverage uniform under conditions; Stoye 2009, Econometrica
    77:1299-1315, on what they are).
    """
    width = np.asarray(width, dtype=float)
    sd = np.asarray(sd, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Exact bounds (sd 0) need no margin whatever c is; 0/0 is a point: the two-sided value.
        r = np.where(width > 0, np.where(sd > 0, width / sd, np.inf), 0.0)
    lo = np.full(r.shape, float(special.ndtri(confidence_level)))
    hi = np.full(r.shape, _z(confidence_level))
    # The coverage Phi(c + r) - Phi(-c) rises with c, from below the level at the one-sided
    # quantile to at least the level at the two-sided one: bisection converges on any r.
    for _ in range(52):
        mid = 0.5 * (lo + hi)
        short = special.ndtr(mid + r) - special.ndtr(-mid) < confidence_level
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return hi
