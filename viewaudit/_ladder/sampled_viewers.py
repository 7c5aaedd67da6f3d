"""Unique viewers of a sampled log, per group, vectorised over groups.

For a log whose rows were kept independently with a known probability ``p``, the number of
distinct viewers the *complete* log holds on a rung is estimated for every group of an audit at
once (an audit by item can have 10^5 groups, most of them tiny), with an interval. See
:func:`complete_log_viewers` and ``docs/methods.md`` ("Unique viewers of a sampled log, per
group").
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from viewaudit._estimators._common import check_confidence_level, check_sample_rate, empty_sample_bound, warn_degenerate, z_value
from viewaudit._estimators._deferred import optimize, stats
from viewaudit._estimators.gamma_poisson import _BOUNDS, _fit
from viewaudit._estimators.unseen import frequency_counts, low_counts_misfit, unique_viewers

#: Bounds of ln(shape), those of :func:`viewaudit.estimators.fit_gamma_poisson`.
_LN_A_LOW, _LN_A_HIGH = _BOUNDS[0]
#: The conditional probability of a group's counts is exact (power series) for groups with at
#: most this many viewers seen and repeat impressions (sampled impressions minus viewers
#: seen; beyond 64 the series' terms, down to 1/65!, would underflow); a second-order
#: saddlepoint otherwise (error in its log under 0.06 for 2 viewers seen, 0.003 for 8, 0.0006
#: from 16, whatever the shape; checked in the tests).
_EXACT_VIEWERS = 16
_EXACT_EXCESS = 64
_GRID = 17  # ln-shape grid that brackets the conditional maximum before Brent's method
_STEP = 1e-4  # relative step of the numerical derivatives
_NODES = 9  # Gauss-Hermite nodes of the posterior of a group's mean


def complete_log_viewers(
    counts: ArrayLike,
    group: ArrayLike,
    n_groups: int,
    *,
    sample_rate: float,
    confidence_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct viewers of the complete log on a rung, per group, from a sampled log.

    Parameters
    ----------
    counts : array_like of int
        One entry per (group, viewer) pair with a non-null viewer: that viewer's sampled
        impressions on the rung in that group (zeros are ignored).
    group : array_like of int
        Group index of each entry, in ``[0, n_groups)``.
    n_groups : int
    sample_rate : float, keyword-only
        Probability ``p`` in (0, 1] with which each row was kept, independently.
    confidence_level : float, keyword-only

    Returns
    -------
    (estimate, low, high) : tuple of float ndarray, each of length ``n_groups``
        Never below the viewers seen in the group. A group with none seen gets 0 and the
        design-based upper end ``empty_sample_bound(p, confidence_level)`` (each viewer of the
        complete log is missed with probability at most ``1 - p``). At ``p = 1``: the count
        seen, exactly.

    Warns
    -----
    DegenerateDataWarning
        Where :func:`viewaudit.estimators.unique_viewers` warns on the pooled table: no viewer
        seen in any group, a single viewer seen, or every viewer seen once. Tiny groups are the
        normal case of a by-item audit and do not warn.

    Notes
    -----
    **One group** (``n_groups == 1``, or a single group with viewers seen): the project's
    default, ``unique_viewers(frequency_counts(counts), sample_rate=p)`` (the zero-truncated
    Gamma-Poisson fit and its interval), so the audit's headline agrees with it.

    **Many groups.** One optimiser fit per group is too slow, and for the many groups with a
    handful of viewers seen a group's own mean is not identified: a group whose one viewer was
    seen once has the zero-truncated estimate ``1/p`` viewers whatever the rest of the log shows
    (in our simulations of a by-item audit, per-group fits overstated the total by 30 %). The
    model is Gamma-Poisson with a **shape shared by all groups and a mean per group**: a viewer
    of group g has ``Y ~ NB(a, m_g)`` sampled impressions (thinning keeps the shape; the
    complete log has ``X ~ NB(a, m_g / p)``). With ``S_g`` viewers seen and ``n_g`` sampled
    impressions:

    * **Shape**, by conditional maximum likelihood given every group's ``(S_g, n_g)``: ``n_g``
      is sufficient for ``m_g``, so the counts of a group given their number and sum,
      ``prod_i w(y_i) / [x^n] W(x)^S`` with ``w(k) = Gamma(k+a) / (Gamma(a) k!)`` and
      ``W(x) = (1 - x)^-a - 1``, do not involve ``m_g`` (the zero-truncated analogue of
      Robinson & Smyth's 2008 conditional estimator of a negative-binomial dispersion).
      Profiling one mean per group out instead would bias the shape however many groups there
      are (Neyman & Scott 1948). The normalising coefficient is exact (power series) for
      groups with at most 16 viewers seen and 64 repeat impressions, a second-order
      saddlepoint (Daniels 1954) otherwise. Groups with one viewer or at most one repeat say
      nothing about the shape; if no group says anything, the shape of the zero-truncated fit
      to the pooled table is used. ``Var(ln a)`` is the inverse curvature.
    * **Mean**, through the mean count among viewers seen,
      ``h_g = E[Y | Y >= 1] = m_g / (1 - (1 + m_g/a)^-a)`` (``h = n_g / S_g`` is the
      zero-truncated score equation for ``m_g``; Sanathanan 1972). Groups are put in classes
      of similar ``S`` (1, 2, 3, 4-5, 6-7, 8-11, ..., merged to at least 8 groups: how many are
      seen and how much each is exposed are dependent), and Buhlmann-Straub credibility
      (Buhlmann & Straub 1970) gives, with the class's within-group and between-group variances
      ``sigma^2`` and ``tau^2`` and its collective mean ``h_c``,
      ``h_g* = Z_g n_g/S_g + (1 - Z_g) h_c``, ``Z_g = S_g tau^2 / (S_g tau^2 + sigma^2)``: large
      groups keep their own mean, small ones borrow their class's.
    * **Viewers**: ``D_g = S_g E[Q]`` with ``Q = P(X >= 1) / P(Y >= 1)`` (between 1 and
      ``1/p``), the expectation over the posterior of ``h_g`` given the group's zero-truncated
      likelihood and a log-normal prior on ``h_g - 1`` with the class's mean ``h_c`` and
      variance ``tau^2``. It is integrated by 9-point Gauss-Hermite quadrature on the
      log-normal law with mean ``h_g*`` and the credibility error ``Z^2 kappa_2 / S +
      (1 - Z)^2 tau^2``, reweighted to the exact posterior. Q is convex in ``h``: plugging in
      ``h_g*`` understated the total by 6 % in our simulations, and averaging over the
      estimation error of ``h_c`` too would overstate it (by 6 % at p = 5 %), so that error
      enters the interval only.

    **Interval.** Given the seen probability ``pi = 1/Q``, ``S_g ~ Binomial(D_g, pi)`` (with
    unequal exposures the variance is smaller, so this is conservative), with the exact
    interval ``S + NB^-1_S(alpha/2; pi)`` to ``S + NB^-1_{S+1}(1 - alpha/2; pi)`` (that of
    :func:`viewaudit.estimators.total_from_sample_rate`). The uncertainty of ``Q`` (its
    posterior variance, plus by the delta method that of the class mean, ``(1 - Z)^2
    Var(h_c)``, and of the shape, ``Var(ln a)``) is added in quadrature on the log scale of the
    unseen part ``U = S (Q - 1)``, as in Chao's (1987) log-normal interval:
    ``tau_Q^2 = ln(1 + Var(Q) / (Q - 1)^2)``, ``high = S + U exp(sqrt(ln(U_hi / U)^2 +
    z^2 tau_Q^2))``, likewise below. For large groups this is the log-normal interval of
    variance ``S Q (Q - 1) + S^2 Var(Q)``, as in ``unique_viewers``; for tiny groups the
    binomial part stays exact and its lower end reaches ``S``.

    **Lower bound.** Where the pooled table misfits the one-class Gamma-Poisson model's
    singletons and doubletons (:func:`viewaudit._estimators.unseen.low_counts_misfit`), each
    group's low end reaches down to the lower limit of its own Chao1-type bound for Bernoulli row
    sampling (:func:`viewaudit.estimators.chao1` with ``sample_rate``, from the group's f1 and
    f2), as ``unique_viewers`` does for one group.

    **Assumptions.** Rows kept independently with probability ``p``; within a group, exposures
    are Gamma-Poisson, with one shape for all groups; groups with similar numbers seen are
    exchangeable (the credibility prior). Under that model, in our simulations of by-item
    audits (``docs/methods.md``), totals over groups are within 1 % and the intervals cover
    95-96 % of groups of 20+ viewers and more of smaller ones (whose binomial part is exact,
    hence conservative). But estimates are right on average over the groups of a class, not
    for each group: a group whose exposure is atypical of its class is pulled toward the class,
    and its interval may miss (a large group with typical exposure, in a class of smaller,
    more exposed groups, came out 10 % low at p = 10 % and 29 % low at p = 5 %, covered 90 and
    84 % of the time); sums over groups chosen for their exposure can be biased. A heavier
    exposure tail than the Gamma's biases the estimates either way, as for ``unique_viewers``
    (-8 % and +9 % at p = 10 % for log-normal rates), and the intervals of large groups then
    cover less than they say. Groups share the shape and the class means, so their errors are
    correlated: the intervals are per group and do not add; the whole log's figure is the
    ``n_groups == 1`` call, which need not equal the sum of the groups'.

    References
    ----------
    Buhlmann, H. & Straub, E. (1970). Mitt. Ver. Schweiz. Vers.-Math. 70:111-133. Buhlmann, H.
    & Gisler, A. (2005). A Course in Credibility Theory, ch. 4. Chao, A. (1987). Biometrics
    43:783-791. Daniels, H. E. (1954). Ann. Math. Statist. 25:631-650. Neyman, J. & Scott, E.
    L. (1948). Econometrica 16:1-32. Robinson, M. D. & Smyth, G. K. (2008). Biostatistics
    9:321-332. Sanathanan, L. (1972). Ann. Math. Statist. 43:142-152.
    """
    p = check_sample_rate(sample_rate)
    cl = check_confidence_level(confidence_level)
    c, g, n_groups = _check_input(counts, group, n_groups)
    seen_entry = c > 0
    c, g = c[seen_entry], g[seen_entry]
    seen = np.bincount(g, minlength=n_groups).astype(np.float64)
    if p == 1:
        return seen, seen.copy(), seen.copy()
    estimate = np.zeros(n_groups)
    low = np.zeros(n_groups)
    high = np.full(n_groups, empty_sample_bound(p, cl))
    nonempty = np.flatnonzero(seen > 0)
    if n_groups == 1 or nonempty.size == 1:
        est = unique_viewers(frequency_counts(c), sample_rate=p, confidence_level=cl)
        i = nonempty[0] if nonempty.size else 0
        estimate[i], low[i], high[i] = est.estimate, est.confidence_interval.low, est.confidence_interval.high
        return estimate, low, high
    if nonempty.size == 0:
        warn_degenerate("complete_log_viewers: no viewer was seen; nothing to extrapolate from")
        return estimate, low, high
    if c.max() == 1:
        warn_degenerate(
            "complete_log_viewers: every viewer was seen once; each unseen viewer is taken to have a single impression"
        )

    # every mean is 0 when every viewer was seen once: the shape does not matter
    ln_a, var_ln_a = (0.0, 0.0) if c.max() == 1 else _fit_shape(c, g, n_groups)
    a = float(np.exp(ln_a))
    s = seen[nonempty]
    n = np.bincount(g, weights=c, minlength=n_groups)[nonempty]
    # Everything per group depends only on (S, n) (the class depends on S): once per pair.
    pair_s, _, inverse, _ = _distinct_pairs(s, n)
    squares = np.bincount(g, weights=c * c.astype(np.float64), minlength=n_groups)[nonempty]
    z_cred, collective, tau2, var_collective = _credibility(s, n, squares, a)
    h = z_cred * n / s + (1 - z_cred) * collective
    prior_var = np.where(z_cred < 1, tau2, np.inf)
    f = np.zeros(pair_s.size, dtype=np.int64)  # a group of each distinct pair
    f[inverse] = np.arange(inverse.size)
    pair_est, pair_low, pair_high = _pair_estimates(
        s[f], n[f], h[f], z_cred[f], collective[f], prior_var[f], (1 - z_cred[f]) ** 2 * var_collective[f], a, var_ln_a, p, cl
    )
    estimate[nonempty], low[nonempty], high[nonempty] = pair_est[inverse], pair_low[inverse], pair_high[inverse]
    if not low_counts_misfit(frequency_counts(c), sample_rate=p):
        return estimate, low, high
    # The pooled table misfits the one-class model's low counts: each group's low end reaches
    # down to its own Chao1-type bound, as unique_viewers does for one group.
    f1 = np.bincount(g, weights=(c == 1).astype(np.float64), minlength=n_groups)[nonempty]
    f2 = np.bincount(g, weights=(c == 2).astype(np.float64), minlength=n_groups)[nonempty]
    low[nonempty] = np.minimum(low[nonempty], _bound_low(s, f1, f2, p, cl))
    return estimate, low, high


def _bound_low(s: np.ndarray, f1: np.ndarray, f2: np.ndarray, p: float, cl: float) -> np.ndarray:
    """Per group, the lower limit of the Chao1-type bound for Bernoulli row sampling
    (:func:`viewaudit.estimators.chao1` with ``sample_rate``; its log-normal interval), from the
    viewers seen, once and twice; ``S`` where no singleton was seen."""
    c = p / (1 - p)
    d = 2 * f2 + c * f1
    with np.errstate(divide="ignore", invalid="ignore"):
        unseen = np.where(f1 > 0, f1 * f1 / d, 0.0)
        g1 = 1 + (4 * f1 * f2 + c * f1 * f1) / d**2
        g2 = 1 - 2 * f1 * f1 / d**2
        total = s + unseen
        lin = (s - f1 - f2) + g1 * f1 + g2 * f2
        var = np.maximum((s - f1 - f2) + g1 * g1 * f1 + g2 * g2 * f2 - lin * lin / total, 0.0)
        factor = np.exp(z_value(cl) * np.sqrt(np.log1p(var / unseen**2)))
    return np.where(unseen > 0, s + unseen / factor, s)


def _check_input(counts: ArrayLike, group: ArrayLike, n_groups: int) -> tuple[np.ndarray, np.ndarray, int]:
    if isinstance(n_groups, bool) or not isinstance(n_groups, numbers.Integral):
        raise TypeError(f"n_groups must be an integer, got {type(n_groups).__name__}")
    if n_groups < 1:
        raise ValueError(f"n_groups must be at least 1, got {n_groups!r}")
    arrays = []
    for name, values in (("counts", counts), ("group", group)):
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
        if arr.size and (arr.dtype.kind not in "iu"):
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        arrays.append(arr.astype(np.int64, copy=False))
    c, g = arrays
    if c.shape != g.shape:
        raise ValueError(f"counts and group must have the same length, got {c.size} and {g.size}")
    if c.size and c.min() < 0:
        raise ValueError(f"counts must be >= 0; entry {int(np.argmin(c))} is {int(c.min())}")
    if g.size and (g.min() < 0 or g.max() >= n_groups):
        bad = int(np.flatnonzero((g < 0) | (g >= n_groups))[0])
        raise ValueError(f"group must be in [0, {n_groups}); entry {bad} is {int(g[bad])}")
    return c, g, int(n_groups)


def _distinct_pairs(s: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (S, n) pairs, the index of each group's pair and how many groups share it."""
    si, ni = s.astype(np.int64), n.astype(np.int64)
    if float(si.max()) * (float(ni.max()) + 1) < 2.0**62:
        key = si * (int(ni.max()) + 1) + ni
        _, first, inverse, multiplicity = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        return s[first], n[first], inverse.ravel(), multiplicity
    pairs, inverse, multiplicity = np.unique(np.stack([si, ni], axis=1), axis=0, return_inverse=True, return_counts=True)
    return pairs[:, 0].astype(np.float64), pairs[:, 1].astype(np.float64), inverse.ravel(), multiplicity


# --- the Gamma-Poisson pieces, vectorised --------------------------------------------------


def _seen_share(m: np.ndarray, a: float) -> np.ndarray:
    """P(Y >= 1) = 1 - (1 + m/a)^-a for Y ~ NB(a, mean m), accurate for small m."""
    return -np.expm1(-a * np.log1p(m / a))


def _excess(m: np.ndarray, a: float, t: np.ndarray | None = None) -> np.ndarray:
    """E[Y | Y >= 1] - 1 = (m - P(Y >= 1)) / P(Y >= 1), accurate for small m (series there);
    ``t`` is P(Y >= 1) when already known."""
    x = m / a
    series = a * (a + 1) / 2 * x * x * (1 - (a + 2) / 3 * x + (a + 2) * (a + 3) / 12 * x * x)
    direct = np.expm1(-a * np.log1p(x)) + m
    out: np.ndarray = np.where(m * (1 + 4 / a) < 1e-3, series, direct) / (_seen_share(m, a) if t is None else t)
    return out


def _solve_mean(excess: np.ndarray, a: float, start: np.ndarray | None = None) -> np.ndarray:
    """The mean m with E[Y | Y >= 1] = 1 + excess (excess > 0): Newton's method on
    F(u) = ln excess(e^u) - ln excess, whose slope is kappa_2 a / ((a + m) excess(m)), kept in
    the bracket [lo, ln(1 + excess)] (E[Y | Y >= 1] > m) by bisection. ``start``: a first
    guess of m (a nearby solution)."""
    target = np.log(excess)
    hi = np.log1p(excess)
    lo = target - np.log(max(1.0, (a + 1) / (2 * a))) - 1.0
    for _ in range(60):
        up = np.log(_excess(np.exp(lo), a)) > target
        if not up.any():
            break
        lo = np.where(up, lo - 4.0, lo)
    # Start where the small-mean expansion E[Y | Y >= 1] - 1 ~ m (a + 1) / (2a) would put it.
    u = target + np.log(2 * a / (a + 1)) if start is None else np.log(start)
    u = np.clip(u, lo, hi)
    for _ in range(100):
        m = np.exp(u)
        t = _seen_share(m, a)
        e = _excess(m, a, t)
        f = np.log(e) - target
        hi = np.where(f > 0, u, hi)
        lo = np.where(f > 0, lo, u)
        kappa2 = m * m * (1 + 1 / a) / t - (1 + e) * e
        with np.errstate(divide="ignore", invalid="ignore"):
            step = u - f * (a + m) * e / (kappa2 * a)
        new = np.where((step >= lo) & (step <= hi), step, 0.5 * (lo + hi))
        done = np.all(np.abs(new - u) < 1e-12 * np.maximum(1.0, np.abs(u)))
        u = new
        if done:
            break
    out: np.ndarray = np.exp(u)
    return out


def _reach_ratio(m: np.ndarray, a: float, p: float) -> np.ndarray:
    """Q = P(X >= 1) / P(Y >= 1): viewers of the complete log per viewer seen (1/p at m = 0)."""
    q = np.full(m.size, 1.0 / p)
    pos = m > 0
    q[pos] = _seen_share(m[pos] / p, a) / _seen_share(m[pos], a)
    return q


def _zt_cumulants(m: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance, third and fourth cumulants of Y given Y >= 1, from the factorial moments
    m^r prod_{j<r} (1 + j/a) of the negative binomial."""
    t = _seen_share(m, a)
    f1 = m
    f2 = f1 * m * (1 + 1 / a)
    f3 = f2 * m * (1 + 2 / a)
    f4 = f3 * m * (1 + 3 / a)
    e1 = f1 / t
    e2 = (f2 + f1) / t
    e3 = (f3 + 3 * f2 + f1) / t
    e4 = (f4 + 6 * f3 + 7 * f2 + f1) / t
    k2 = f2 / t - e1 * _excess(m, a)  # = e2 - e1^2 without the cancellation at small m
    k3 = e3 - 3 * e1 * e2 + 2 * e1**3
    k4 = e4 - 4 * e1 * e3 - 3 * e2**2 + 12 * e1**2 * e2 - 6 * e1**4
    return k2, k3, k4


# --- the shape: conditional likelihood given each group's (S, n) ----------------------------


def _fit_shape(c: np.ndarray, g: np.ndarray, n_groups: int) -> tuple[float, float]:
    """(ln a, Var ln a) from the seen counts ``c`` (> 0) of groups ``g``: conditional maximum
    likelihood over the groups that inform the shape, or the pooled zero-truncated fit when
    none does."""
    seen = np.bincount(g, minlength=n_groups)
    nonempty = np.flatnonzero(seen)
    pair_s, pair_n, inverse, multiplicity = _distinct_pairs(
        seen[nonempty].astype(np.float64), np.bincount(g, weights=c, minlength=n_groups)[nonempty]
    )
    informative_pair = (pair_s >= 2) & (pair_n - pair_s >= 2)
    if not informative_pair.any():
        f = np.bincount(c)
        ks = np.flatnonzero(f)
        ks = ks[ks > 0]
        theta, _, cov = _fit(ks.astype(np.float64), f[ks].astype(np.float64))
        return float(theta[0]), float(max(cov[0, 0], 0.0))
    informative_group = np.zeros(n_groups, dtype=bool)
    informative_group[nonempty] = informative_pair[inverse]
    f = np.bincount(c[informative_group[g]])
    ks = np.flatnonzero(f)
    ks = ks[ks > 0]
    loglik = _ConditionalLikelihood(
        ks,
        f[ks].astype(np.float64),
        pair_s[informative_pair],
        pair_n[informative_pair],
        multiplicity[informative_pair].astype(np.float64),
    )
    grid = np.linspace(_LN_A_LOW, _LN_A_HIGH, _GRID)
    values = np.array([loglik(x) for x in grid])
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, _GRID - 1)]
    res = optimize.minimize_scalar(lambda x: -loglik(x), bounds=(lo, hi), method="bounded", options={"xatol": 1e-5})
    x = float(res.x) if -res.fun >= values[i] else float(grid[i])
    h = 0.02
    x_in = min(max(x, _LN_A_LOW + h), _LN_A_HIGH - h)
    curvature = -(loglik(x_in + h) - 2 * loglik(x_in) + loglik(x_in - h)) / (h * h)
    at_bound = x - _LN_A_LOW < 1e-4 or _LN_A_HIGH - x < 1e-4
    # A flat or boundary maximum gives that direction no variance, as fit_gamma_poisson's
    # pseudo-inverse does (at the Poisson end the shape no longer matters).
    var = 1.0 / curvature if curvature > 0 and not at_bound else 0.0
    return x, var


class _ConditionalLikelihood:
    """ln L(a) = sum over counts of ln v(y) - sum over groups of ln [x^n] V(x)^S, with
    v(k) = w(k) / (a (1+a)^(k-1)) (the same conditional probabilities as w, kept in
    [1/k!, 1/k]) and V(x) = sum_k v(k) x^k."""

    def __init__(self, ks: np.ndarray, fk: np.ndarray, s: np.ndarray, n: np.ndarray, weight: np.ndarray) -> None:
        self.ks, self.fk = ks.astype(np.float64), fk
        r = n - s
        exact = (r <= _EXACT_EXCESS) & (s <= _EXACT_VIEWERS)
        self.exact = (s[exact].astype(np.int64), r[exact].astype(np.int64), weight[exact])
        self.far = (s[~exact], n[~exact], weight[~exact])
        self.rows = int(self.exact[0].max()) if exact.any() else 0
        self.width = int(self.exact[1].max()) + 1 if exact.any() else 1
        self.start: np.ndarray | None = None  # the last means solved (a warm start)

    def __call__(self, ln_a: float) -> float:
        a = float(np.exp(ln_a))
        size = max(self.width, int(min(self.ks.max(), _EXACT_EXCESS + 1)))
        z = np.arange(1, size)
        series = np.concatenate([[1.0], np.cumprod((a + z) / ((z + 1) * (1 + a)))])  # v(1 + z)
        value = float(np.dot(self.fk, self._log_v(a, series)))
        s, r, w = self.exact
        if s.size:
            # [x^r] V1(x)^S, V1(x) = V(x)/x, by repeated products of the truncated series.
            power = np.zeros((self.rows + 1, self.width))
            power[0, 0] = 1.0
            for j in range(1, self.rows + 1):
                power[j] = np.convolve(power[j - 1], series[: self.width])[: self.width]
            value -= float(np.dot(w, np.log(power[s, r])))
        s, n, w = self.far
        if s.size:
            log_c, self.start = _saddlepoint_log_coefficient(s, n, a, self.start)
            value -= float(np.dot(w, log_c))
        return value

    def _log_v(self, a: float, series: np.ndarray) -> np.ndarray:
        k = self.ks
        out = np.empty(k.size)
        near = k <= series.size
        out[near] = np.log(series[k[near].astype(np.int64) - 1])
        kf = k[~near]
        out[~near] = special.gammaln(kf - 1) - special.betaln(kf - 1, a + 1) - special.gammaln(kf + 1) - (kf - 1) * np.log1p(a)
        return out


def _saddlepoint_log_coefficient(
    s: np.ndarray, n: np.ndarray, a: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ln [x^n] V(x)^S by the second-order saddlepoint (Daniels 1954): at the mean m solving
    E[Y | Y >= 1] = n/S, S ln V(x) - n ln x - ln(2 pi S k2)/2 + (k4/(8 k2^2) - 5 k3^2/(24 k2^3))/S."""
    m = _solve_mean((n - s) / s, a, start)
    k2, k3, k4 = _zt_cumulants(m, a)
    log_v = np.log(_seen_share(m, a)) + a * np.log1p(m / a) - np.log(a) + np.log1p(a)
    log_x = np.log(m) - np.log(a + m) + np.log1p(a)
    correction = (k4 / (8 * k2 * k2) - 5 * k3 * k3 / (24 * k2**3)) / s
    return s * log_v - n * log_x - 0.5 * np.log(2 * np.pi * s * k2) + correction, m


# --- per-pair estimates and intervals -------------------------------------------------------


#: Smallest number of groups in a class of groups of similar size (classes are merged up to it).
_MIN_CLASS = 8


def _size_classes(s: np.ndarray) -> np.ndarray:
    """Class of each group by viewers seen: 1, 2, 3, then ranges doubling every two classes
    (4-5, 6-7, 8-11, 12-15, ...), merged downwards until each holds _MIN_CLASS groups."""
    si = s.astype(np.int64)
    octave = np.floor(np.log2(si)).astype(np.int64)
    half = (si >= (3 << np.maximum(octave - 1, 0))) & (si >= 3)
    raw = np.where(si < 3, si - 1, 2 * octave + half.astype(np.int64))
    labels, inverse = np.unique(raw, return_inverse=True)
    sizes = np.bincount(inverse.ravel(), minlength=labels.size)
    merged = np.arange(labels.size)
    current, filled = 0, 0
    for k in range(labels.size):  # a class too small joins the one below it
        if filled >= _MIN_CLASS:
            current, filled = k, 0
        merged[k] = current
        filled += sizes[k]
    if filled < _MIN_CLASS and current > 0:  # the top class too small: into the one below
        merged[merged == current] = merged[current - 1]
    return np.unique(merged, return_inverse=True)[1].ravel()[inverse.ravel()]


def _credibility(
    s: np.ndarray, n: np.ndarray, squares: np.ndarray, a: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: the credibility factor Z, the collective mean of its class, and the between
    variance and the variance of the collective mean of its class (Buhlmann-Straub within
    classes of groups of similar size)."""
    ybar = n / s
    klass = _size_classes(s)
    n_class = int(klass.max()) + 1
    class_s = np.bincount(klass, weights=s, minlength=n_class)
    class_n = np.bincount(klass, weights=n, minlength=n_class)
    class_g = np.bincount(klass, minlength=n_class).astype(np.float64)
    within_ss = np.maximum(squares - n * ybar, 0.0)
    dof = class_s - class_g
    total_dof = float(dof.sum())
    pooled = float(within_ss.sum()) / total_dof if total_dof > 0 else np.nan
    sigma2 = np.bincount(klass, weights=within_ss, minlength=n_class) / np.maximum(dof, 1)
    sigma2 = np.where(dof > 0, sigma2, pooled)
    mean = class_n / class_s
    if np.isnan(sigma2).any():  # no group anywhere with two viewers seen: the model's variance
        m = _means_from_ybar(mean, a)
        fill = np.zeros(n_class)
        fill[m > 0] = _zt_cumulants(m[m > 0], a)[0]
        sigma2 = np.where(np.isnan(sigma2), fill, sigma2)
    between_ss = np.bincount(klass, weights=s * (ybar - mean[klass]) ** 2, minlength=n_class)
    denom = class_s - np.bincount(klass, weights=s * s, minlength=n_class) / class_s
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = np.where(denom > 0, np.maximum((between_ss - (class_g - 1) * sigma2) / denom, 0.0), np.inf)
    tau2 = np.where((sigma2 == 0) & (tau2 > 0), np.inf, tau2)
    t2, s2 = tau2[klass], sigma2[klass]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isinf(t2), 1.0, np.where(t2 > 0, s * t2 / (s * t2 + s2), 0.0))
        w = np.where(np.isinf(t2) | (s2 == 0), 0.0, s / (s * np.where(np.isinf(t2), 0.0, t2) + s2))
    w_class = np.bincount(klass, weights=w, minlength=n_class)
    collective = np.where(
        w_class > 0, np.bincount(klass, weights=w * ybar, minlength=n_class) / np.where(w_class > 0, w_class, 1), mean
    )
    var_collective = np.where(w_class > 0, 1 / np.where(w_class > 0, w_class, 1), 0.0)
    return z, collective[klass], np.where(np.isinf(t2), 0.0, t2), var_collective[klass]


def _means_from_ybar(ybar: np.ndarray, a: float) -> np.ndarray:
    m = np.zeros(ybar.size)
    rep = ybar > 1
    if rep.any():
        m[rep] = _solve_mean(ybar[rep] - 1, a)
    return m


def _posterior_q(
    s: np.ndarray,
    n: np.ndarray,
    h: np.ndarray,
    z_cred: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: np.ndarray,
    a: float,
    p: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of Q for groups with h > 1.

    The prior of a group's h - 1 is log-normal with its class's mean and variance; the
    posterior is the prior times the group's zero-truncated likelihood
    ``n ln(m/(a+m)) - S ln((1 + m/a)^a - 1)``. It is integrated by Gauss-Hermite quadrature
    on the log-normal law with the credibility mean ``h`` and mean squared error
    ``Z^2 kappa_2 / S + (1 - Z)^2 prior_var`` (close to the posterior), each node reweighted by
    posterior / that law.
    """
    excess = h - 1
    k2, _, _ = _zt_cumulants(_solve_mean(excess, a), a)
    finite = np.isfinite(prior_var)
    mse = z_cred * z_cred * k2 / s + np.where(finite, (1 - z_cred) ** 2 * np.where(finite, prior_var, 0.0), 0.0)
    v = np.log1p(mse / excess**2)
    nodes, weights = np.polynomial.hermite_e.hermegauss(_NODES)
    centre = np.log(excess) - v / 2
    x = centre[:, None] + np.sqrt(v)[:, None] * nodes[None, :]  # ln(h - 1) at the nodes
    m = _solve_mean(np.maximum(np.exp(x), 1e-15).ravel(), a).reshape(x.shape)
    log_w = np.log(weights)[None, :] + n[:, None] * np.log(m / (a + m)) - s[:, None] * np.log(np.expm1(a * np.log1p(m / a)))
    # prior / (the quadrature's law): both normal in ln(h - 1), so the Jacobians cancel.
    with np.errstate(divide="ignore", invalid="ignore"):
        var0 = np.log1p(np.where(finite, prior_var, 0.0) / (prior_mean - 1) ** 2)
        informative = finite & (var0 > 1e-12) & (v > 1e-12)
        loc0 = np.log(prior_mean - 1) - var0 / 2
        log_prior = -((x - loc0[:, None]) ** 2) / (2 * var0[:, None])
        log_law = -(nodes[None, :] ** 2) / 2
    log_w += np.where(informative[:, None], log_prior - log_law, 0.0)
    log_w = np.where((v > 1e-12)[:, None], log_w, np.log(weights)[None, :])  # a point: plain weights
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    q_nodes = _reach_ratio(m.ravel(), a, p).reshape(m.shape)
    mean = np.sum(w * q_nodes, axis=1)
    return mean, np.maximum(np.sum(w * q_nodes**2, axis=1) - mean**2, 0.0)


def _pair_estimates(
    s: np.ndarray,
    n: np.ndarray,
    h: np.ndarray,
    z_cred: np.ndarray,
    prior_mean: np.ndarray,
    prior_var: np.ndarray,
    var_shrunk: np.ndarray,
    a: float,
    var_ln_a: float,
    p: float,
    cl: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and interval of each distinct group, from its viewers seen ``s``, sampled
    impressions ``n``, credibility mean ``h`` and factor ``z_cred``, its class's prior (mean and
    variance of h; infinite variance: a flat prior) and the variance ``var_shrunk`` that the
    estimated class mean brings to ``h``."""
    q = np.full(s.size, 1.0 / p)
    var_q = np.zeros(s.size)
    rep = h > 1
    if rep.any():
        q[rep], var_q[rep] = _posterior_q(s[rep], n[rep], h[rep], z_cred[rep], prior_mean[rep], prior_var[rep], a, p)
        # The estimated class mean and shape move Q too: delta method. (Averaging Q over them
        # as well would bias it upwards, Q being convex.)
        excess = h[rep] - 1
        step = _STEP * excess
        dq_dh = (_reach_ratio(_solve_mean(excess + step, a), a, p) - _reach_ratio(_solve_mean(excess - step, a), a, p)) / (
            2 * step
        )
        var_q[rep] += dq_dh**2 * var_shrunk[rep]
        if var_ln_a > 0:
            up, down = a * np.exp(_STEP), a * np.exp(-_STEP)
            dq_dlna = (_reach_ratio(_solve_mean(excess, up), up, p) - _reach_ratio(_solve_mean(excess, down), down, p)) / (
                2 * _STEP
            )
            var_q[rep] += dq_dlna**2 * var_ln_a
    estimate = s * q
    unseen = estimate - s
    # Exact binomial part: S ~ Binomial(D, 1/Q).
    alpha = 1 - cl
    pi = np.minimum(1.0 / q, 1.0)
    low_b = stats.nbinom.ppf(alpha / 2, s, pi)
    high_b = stats.nbinom.ppf(1 - alpha / 2, s + 1, pi)
    z = z_value(cl)
    low, high = s.copy(), s.copy()
    pos = unseen > 0
    u = unseen[pos]
    tau2 = np.log1p(var_q[pos] / (q[pos] - 1) ** 2) * z * z
    with np.errstate(divide="ignore"):  # a bound of 0 unseen: no extrapolation that side
        d_low = np.maximum(np.log(u) - np.log(low_b[pos]), 0.0)
        d_high = np.maximum(np.log(high_b[pos]) - np.log(u), 0.0)
    low[pos] = s[pos] + u * np.exp(-np.sqrt(d_low**2 + tau2))
    high[pos] = s[pos] + u * np.exp(np.sqrt(d_high**2 + tau2))
    return estimate, low, high
