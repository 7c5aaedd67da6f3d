"""What a row sample alone says about the complete log's viewers: bounds with no exposure model.

The exposure models (:mod:`viewaudit._estimators.unseen`) give narrow intervals for the viewers a
sample did not show, and they are right when their model is. A sample cannot always tell: two
audiences can give samples that look alike and hold different numbers of people. Mao & Lindsay
(2007) show that without a model the number of unseen classes has no finite upper confidence
limit from abundance data alone. Row sampling is different. Each viewer of the complete log has
at least one impression, so each is seen with chance at least ``p``, and the log's rows set how
many people could hide behind its singletons. :func:`model_free_reach` computes the range that
follows from the sampling design alone, by linear programming over every possible audience, as
Valiant & Valiant (2017) do to estimate unseen elements.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import ArrayLike

from viewaudit._estimators._common import (
    ConfidenceInterval,
    check_confidence_level,
    check_frequencies,
    check_positive_int,
    check_sample_rate,
)
from viewaudit._estimators._deferred import optimize, stats

#: At most this many sample counts are constrained one by one; higher counts share a tail bin.
MAX_BINS = 60
#: Complete-log counts up to this one are columns of their own; above it a geometric grid
#: (see :func:`model_free_reach`, Notes).
EXACT_COUNTS = 4000
_GRID_ABOVE = 400


@attrs.frozen
class ModelFreeRange:
    """The range of the complete log's viewers with ``k`` or more impressions that the sample
    allows whatever the exposures: ``low`` to ``high`` at the stated confidence (at least).

    ``high`` is infinite where the sample says nothing (no viewer seen)."""

    k: int
    low: float
    high: float
    confidence_level: float
    bins: int

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        return ConfidenceInterval(self.low, self.high)


def model_free_reach(f: ArrayLike, *, sample_rate: float, k: int = 1, confidence_level: float = 0.95) -> ModelFreeRange:
    """Viewers with at least ``k`` impressions in the complete log: the range a row sample allows
    with no exposure model.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table of the sample (``f[j]`` viewers seen exactly j times;
        ``f[0]`` ignored).
    sample_rate : float, keyword-only
        Probability ``p`` in (0, 1] with which each row was kept, independently.
    k : int, keyword-only
        At least 1 (``k = 1``: unique viewers).
    confidence_level : float, keyword-only

    Returns
    -------
    ModelFreeRange
        ``low`` is never below the viewers seen ``k`` or more times. At ``p = 1`` both ends are
        that count, exactly.

    Notes
    -----
    Let ``N_x`` be the number of people with ``x >= 1`` impressions in the complete log. Rows
    are kept independently, so a person with ``x`` is seen ``j`` times with the binomial chance
    ``b(j; x, p)``, and the expected table is ``E f_j = sum_x N_x b(j; x, p)``, linear in
    ``N``. Each observed ``f_j`` (``j = 1 .. J``, and the viewers seen more than ``J`` times as
    one bin) gets an exact Poisson interval for its mean (Garwood 1936) at level ``alpha / B``
    for ``B`` bins (Bonferroni). A count of independent events with unequal chances is less
    spread than a Poisson count of the same mean (its variance is smaller; Hoeffding 1956), so
    the Poisson intervals are conservative for it, and together they cover at about ``1 -
    alpha`` or more (the accuracy benchmark measures it: ``docs/benchmarks.md``). Every audience
    ``N >= 0`` whose expected table lies inside all the intervals is consistent with the sample;
    the true audience is among them with that confidence. It rests on the sampling design
    only: rows kept independently with the same chance. The ends of the range are the least
    and the most viewers with ``k`` or more impressions over those audiences, two linear
    programs (``scipy.optimize.linprog``, HiGHS).

    The upper end is finite because a person with one impression is seen with chance ``p``:
    the singletons cap how many such people there can be. It is wide where ``p`` is small (at
    ``p = 10 %``, often +60 % to +80 % of the truth) because the sample cannot tell a few
    light viewers from many. That width is what the exposure models assume away.

    ``J`` is the 99th percentile of the counts seen (at most :data:`MAX_BINS`). Complete-log
    counts up to ``x_max``, where a person is seen more than ``J`` times with chance above
    ``1 - 1e-9``, are columns; the columns are every integer up to :data:`EXACT_COUNTS` and a
    geometric grid above it (only samples below about ``p = 1 %`` reach it; the range is then
    approximate). People with more than ``x_max`` impressions look like those at ``x_max``.

    References
    ----------
    Garwood, F. (1936). Biometrika
    28:437-442. Hoeffding, W. (1956). Ann. Math. Statist. 27:713-721. Mao, C. X. & Lindsay, B.
    G. (2007). Ann. Statist. 35:917-930. Valiant, G. & Valiant, P. (2017). J. ACM 64(6):37.
    """
    p = check_sample_rate(sample_rate)
    k = check_positive_int("k", k)
    cl = check_confidence_level(confidence_level)
    f = check_frequencies(f).astype(np.float64)
    seen_k = float(f[k:].sum()) if f.size > k else 0.0
    if p == 1:
        return ModelFreeRange(k, seen_k, seen_k, cl, 0)
    if f.size < 2 or f[1:].sum() == 0:
        return ModelFreeRange(k, 0.0, math.inf, cl, 0)
    counts = f[1:]
    # J: the 99th percentile of the counts seen, so the bins hold the bulk of the table.
    share = np.cumsum(counts) / counts.sum()
    bins = min(int(np.searchsorted(share, 0.99)) + 1, MAX_BINS, counts.size)
    observed = np.append(counts[:bins], counts[bins:].sum())
    xs = _columns(bins, p)
    j = np.arange(1, bins + 1)[:, None]
    design = np.vstack([stats.binom.pmf(j, xs[None, :], p), stats.binom.sf(bins, xs, p)[None, :]])
    alpha = (1 - cl) / observed.size
    low_mean = np.where(observed > 0, stats.chi2.ppf(alpha / 2, 2 * observed) / 2, 0.0)
    high_mean = stats.chi2.ppf(1 - alpha / 2, 2 * observed + 2) / 2
    a_ub = np.vstack([design, -design])
    b_ub = np.concatenate([high_mean, -low_mean])
    objective = (xs >= k).astype(np.float64)
    least = optimize.linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    most = optimize.linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    # A sample always admits some audience (many people with very many impressions fill any
    # table), so the programs are feasible; should HiGHS still fail, say nothing beyond the
    # design's trivial bounds rather than guess.
    low = float(least.fun) if least.status == 0 else seen_k
    high = float(-most.fun) if most.status == 0 else math.inf
    return ModelFreeRange(k, max(low, seen_k), max(high, seen_k), cl, observed.size)


def _columns(bins: int, p: float) -> np.ndarray:
    """Complete-log counts 1 .. x_max, where x_max is seen more than ``bins`` times with chance
    above 1 - 1e-9: every integer up to :data:`EXACT_COUNTS`, a geometric grid above."""
    x_max = 1
    while stats.binom.cdf(bins, x_max, p) > 1e-9:
        x_max = max(x_max + 1, int(x_max * 1.25))
    if x_max <= EXACT_COUNTS:
        return np.arange(1, x_max + 1, dtype=np.float64)
    above = np.unique(np.geomspace(EXACT_COUNTS + 1, x_max, _GRID_ABOVE).round())
    return np.concatenate([np.arange(1, EXACT_COUNTS + 1, dtype=np.float64), above])
