"""The likelihood of a dwell histogram under the glance/read mixture, and how it is maximised.

Private to :mod:`.dwell`: the histogram as likelihood cells, the parameter layout, minus the
log-likelihood with its analytic score, deterministic starting points, the optimiser and the
numerical Hessian. The model is described in :mod:`.dwell`.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from scipy import special

from viewaudit._estimators._deferred import optimize
from viewaudit._estimators.histogram import CENSORING_POINT_MS, DWELL_EDGES_MS, DwellHistogram

Family = Literal["lognormal", "weibull"]
FAMILIES: tuple[str, ...] = ("lognormal", "weibull")
METHODS: tuple[str, ...] = ("TNC", "Nelder-Mead")
_EULER_GAMMA = 0.5772156649015329
_SQRT_2PI = np.sqrt(2 * np.pi)
# Box bounds of the unconstrained parameters: logits within +-25 (probabilities 1e-11 from
# 0 and 1), locations of ln(ms) in [-10, 30], log scales in [ln 0.005, ln 20].
_LOGIT_BOUND = 25.0
_MU_BOUNDS = (-10.0, 30.0)
_LOG_SIGMA_BOUNDS = (float(np.log(0.005)), float(np.log(20.0)))


def standard_tails(family: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survival, CDF and density of the standardised log-dwell ``eps`` at ``z``."""
    with np.errstate(over="ignore", invalid="ignore"):
        if family == "lognormal":
            # One ndtr call: the smaller tail, accurate on both sides.
            tail = special.ndtr(-np.abs(z))
            upper = z > 0
            surv, cdf = np.where(upper, tail, 1.0 - tail), np.where(upper, 1.0 - tail, tail)
            dens = np.exp(-0.5 * z * z) / _SQRT_2PI
        else:
            e = np.exp(z)
            surv, cdf = np.exp(-e), -np.expm1(-e)
            dens = e * surv
    return surv, cdf, np.where(np.isfinite(z), dens, 0.0)


#: Gauss-Legendre nodes and weights on [0, 1] for averages of the survival function over a
#: whole second (observations censored at an unknown time in it; also used by the audit's
#: chances for such rows, ``viewaudit._ladder.crossings``).
_gl_x, _gl_w = np.polynomial.legendre.leggauss(8)
UNIT_NODES, UNIT_WEIGHTS = (_gl_x + 1) / 2, _gl_w / 2


@attrs.frozen
class Cells:
    """The histogram as likelihood cells: dwell in [lo, hi) ms with ``count`` observations;
    ``with_zero`` marks the cells whose interval includes the zero mass. The cell ends are
    indices into ``log_points`` (adjacent bins share an edge, so each is evaluated once).

    An observation censored at an unknown time in a whole second [s, s + 1) s has likelihood
    ``mean of S(x) over x in [s, s + 1)`` (a row is censored at x only if it lasts to x, and the
    censoring time is taken as spread evenly over the second), computed by Gauss-Legendre
    quadrature: such observations are ``groups`` of censored cells ``[x_j, inf)`` whose
    probabilities are summed with weights ``share`` before the log. ``group`` maps each cell to
    its observation (None: one observation per cell, ``share`` 1), ``group_count`` counts the
    observations; ``count`` (per cell) is ``group_count[group] * share``.
    """

    log_points: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    with_zero: np.ndarray
    count: np.ndarray
    group: np.ndarray | None = None
    share: np.ndarray | None = None
    group_count: np.ndarray | None = None

    @property
    def log_lo(self) -> np.ndarray:
        return np.asarray(self.log_points[self.lo])

    @property
    def log_hi(self) -> np.ndarray:
        return np.asarray(self.log_points[self.hi])


def make_cells(hist: DwellHistogram, zero_mass: bool) -> Cells:
    ex = np.flatnonzero(hist.exact)
    ce = np.flatnonzero(hist.censored)
    se = np.flatnonzero(hist.seconds)
    lo = [DWELL_EDGES_MS[ex], CENSORING_POINT_MS[ce], se * 1000.0]
    hi = [DWELL_EDGES_MS[ex + 1], np.full(ce.size, np.inf), (se + 1) * 1000.0]
    with_zero = [np.zeros(ex.size + ce.size, bool), se == 0]
    count: list[np.ndarray] = [hist.exact[ex], hist.censored[ce], hist.seconds[se]]
    n_plain = ex.size + ce.size + se.size
    cs = np.flatnonzero(hist.censored_seconds)
    if cs.size:
        starts_ms = ((cs[:, None] + UNIT_NODES[None, :]) * 1000.0).ravel()
        lo.append(starts_ms)
        hi.append(np.full(starts_ms.size, np.inf))
        with_zero.append(np.zeros(starts_ms.size, bool))
        count.append((hist.censored_seconds[cs][:, None] * UNIT_WEIGHTS[None, :]).ravel())
    if hist.zeros:
        # Without a zero mass a logged 0 is read as "below the logger's resolution": [0, 1 ms).
        lo.append(np.zeros(1))
        hi.append(np.zeros(1) if zero_mass else np.ones(1))
        with_zero.append(np.ones(1, bool))
        count.append(np.array([hist.zeros]))
    lo_all, hi_all = np.concatenate(lo), np.concatenate(hi)
    points, inverse = np.unique(np.concatenate([lo_all, hi_all]), return_inverse=True)
    with np.errstate(divide="ignore"):
        log_points = np.log(points)
    group = share = group_count = None
    if cs.size:
        n_cells = lo_all.size
        k = UNIT_NODES.size
        quad = np.arange(n_plain, n_plain + cs.size * k)
        group = np.arange(n_cells)
        group[quad] = n_plain + (quad - n_plain) // k
        group[n_plain + cs.size * k :] -= cs.size * (k - 1)  # the zero cell, if any, after them
        share = np.ones(n_cells)
        share[quad] = np.tile(UNIT_WEIGHTS, cs.size)
        group_count = np.bincount(group, weights=np.concatenate(count).astype(np.float64))
    return Cells(
        log_points,
        inverse[: lo_all.size],
        inverse[lo_all.size :],
        np.concatenate(with_zero).astype(np.float64),
        np.concatenate(count).astype(np.float64),
        group,
        share,
        group_count,
    )


@attrs.frozen
class Layout:
    family: str
    components: int
    zero_mass: bool

    @property
    def names(self) -> tuple[str, ...]:
        out = ["logit_zero_mass"] if self.zero_mass else []
        if self.components == 2:
            out.append("logit_weight_1")
        for j in range(1, self.components + 1):
            out += [f"mu_{j}", f"log_sigma_{j}"]
        return tuple(out)

    def unpack(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """(pi0, weights, mu, sigma) from the unconstrained parameter vector."""
        i = 0
        pi0 = 0.0
        if self.zero_mass:
            pi0, i = float(special.expit(theta[0])), 1
        if self.components == 2:
            w1 = float(special.expit(theta[i]))
            weights, i = np.array([w1, 1.0 - w1]), i + 1
        else:
            weights = np.ones(1)
        loc = theta[i::2]
        return pi0, weights, loc, np.exp(theta[i + 1 :: 2])

    def bounds(self) -> list[tuple[float, float]]:
        out = [(-_LOGIT_BOUND, _LOGIT_BOUND)] * (int(self.zero_mass) + int(self.components == 2))
        return out + [_MU_BOUNDS, _LOG_SIGMA_BOUNDS] * self.components


def neg_loglik(theta: np.ndarray, layout: Layout, cells: Cells, gradient: bool = True) -> Any:
    """Minus the log-likelihood of the cells, and its gradient in the unconstrained parameters.

    Vectorised over components (rows) and cell end points (columns)."""
    pi0, weights, loc, sigma = layout.unpack(theta)
    z = (cells.log_points[None, :] - loc[:, None]) / sigma[:, None]
    surv, cdf, dens = standard_tails(layout.family, z)
    lo, hi = cells.lo, cells.hi
    # Differences of survivals in the right tail, of CDFs in the left: no cancellation.
    masses = np.where(
        z.take(lo, axis=1) >= 0,
        surv.take(lo, axis=1) - surv.take(hi, axis=1),
        cdf.take(hi, axis=1) - cdf.take(lo, axis=1),
    )
    # Explicit sums, not `@`: BLAS calls on arrays this small cost more than they save.
    mix = (weights[:, None] * masses).sum(axis=0)
    prob = np.maximum(cells.with_zero * pi0 + (1.0 - pi0) * mix, 1e-300)
    if cells.group is None:
        value = -float(np.dot(cells.count, np.log(prob)))
        score = cells.count / prob
    else:
        # Observations averaged over cells (see Cells): the log of the weighted sum.
        assert cells.share is not None
        assert cells.group_count is not None
        per_obs = np.maximum(np.bincount(cells.group, weights=cells.share * prob), 1e-300)
        value = -float(np.dot(cells.group_count, np.log(per_obs)))
        score = cells.share * (cells.group_count / per_obs)[cells.group]
    if not gradient:
        return value
    with np.errstate(invalid="ignore"):
        zdens = np.where(np.isfinite(z), z * dens, 0.0)
    d_loc = ((dens.take(lo, axis=1) - dens.take(hi, axis=1)) * score).sum(axis=1) / sigma
    d_logsig = ((zdens.take(lo, axis=1) - zdens.take(hi, axis=1)) * score).sum(axis=1)
    grad = []
    if layout.zero_mass:
        grad.append(np.dot(score, cells.with_zero - mix) * pi0 * (1 - pi0))
    if layout.components == 2:
        grad.append(np.dot(score, masses[0] - masses[1]) * (1 - pi0) * weights[0] * weights[1])
    scale = (1 - pi0) * weights
    grad.extend(np.column_stack([d_loc * scale, d_logsig * scale]).ravel())
    return value, -np.array(grad)


def starts(hist: DwellHistogram, cells: Cells, layout: Layout) -> list[np.ndarray]:
    """Deterministic starting points from the moments and quantiles of log dwell."""
    finite = np.isfinite(cells.log_lo) & (cells.count > 0)
    hi = np.where(np.isfinite(cells.log_hi), cells.log_hi, cells.log_lo)
    mid = np.where(np.isfinite(cells.log_lo), 0.5 * (cells.log_lo + hi), hi)
    x, w = mid[finite], cells.count[finite]
    if w.sum() == 0:
        x, w = np.array([np.log(1000.0)]), np.ones(1)
    m = float(np.average(x, weights=w))
    s = float(max(np.sqrt(np.average((x - m) ** 2, weights=w)), 0.1))
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    q = {p: float(x[order][min(np.searchsorted(cum, p), x.size - 1)]) for p in (0.1, 0.25, 0.5, 0.75, 0.9)}

    def loc_scale(mean: float, sd: float) -> list[float]:
        # Match mean and sd of ln D: the minimum-Gumbel has mean -gamma*sigma, sd pi*sigma/sqrt(6).
        if layout.family == "weibull":
            sd = sd * np.sqrt(6) / np.pi
            mean = mean + _EULER_GAMMA * sd
        return [mean, float(np.log(sd))]

    head = []
    if layout.zero_mass:
        zero_share = (hist.zeros + hist.seconds[0]) / max(hist.total, 1)
        head.append(float(special.logit(np.clip(zero_share, 1e-3, 0.9))))
    if layout.components == 1:
        points = [[*loc_scale(m, s)], [*loc_scale(q[0.5], 0.7 * s)]]
        return [np.array([*head, *p]) for p in points]
    splits = [
        (0.5, (q[0.25], 0.5 * s), (q[0.75], 0.5 * s)),
        (0.3, (m - s, 0.5 * s), (m + 0.5 * s, 0.5 * s)),
        (0.7, (m - 0.5 * s, 0.7 * s), (m + s, 0.4 * s)),
        (0.5, (q[0.1], 0.3 * s), (q[0.5], 0.8 * s)),
        (0.5, (q[0.5], 0.8 * s), (q[0.9], 0.3 * s)),
    ]
    return [np.array([*head, float(special.logit(wt)), *loc_scale(*a), *loc_scale(*b)]) for wt, a, b in splits]


def minimise(start: np.ndarray, layout: Layout, cells: Cells, method: str, *, polish: bool = True) -> optimize.OptimizeResult:
    """Minimise minus the mean log-likelihood from ``start``; ``polish=False`` stops early
    (enough to rank starting points)."""
    n = cells.count.sum()
    bounds = layout.bounds()
    clipped = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    if method == "TNC":

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = neg_loglik(theta, layout, cells)
            return value / n, grad / n

        # Truncated Newton rather than L-BFGS-B: on problems this small, L-BFGS-B's calls into a
        # multithreaded BLAS cost more than the likelihood itself (10x slower on a busy machine).
        # Evaluations are capped: where two components coincide the likelihood is flat along a
        # ridge, and the optimiser would wander along it for no gain.
        if polish:
            options = {"ftol": 1e-13, "xtol": 1e-10, "gtol": 1e-10, "maxfun": 600}
        else:
            options = {"ftol": 1e-8, "gtol": 1e-5, "maxfun": 300}
        return optimize.minimize(fun, clipped, jac=True, method="TNC", bounds=bounds, options=options)
    return optimize.minimize(
        lambda theta: neg_loglik(theta, layout, cells, gradient=False) / n,
        clipped,
        method="Nelder-Mead",
        bounds=bounds,
        options={
            "maxiter": 40000,
            "maxfev": 40000,
            "xatol": 1e-7 if polish else 1e-4,
            "fatol": 1e-12 if polish else 1e-8,
            "adaptive": True,
        },
    )


def sort_components(theta: np.ndarray, layout: Layout) -> np.ndarray:
    """Order components by location (glance first); labels of a mixture are arbitrary."""
    if layout.components == 1:
        return theta
    i = int(layout.zero_mass)
    if theta[i + 1] <= theta[i + 3]:
        return theta
    out = theta.copy()
    out[i] = -theta[i]
    out[i + 1 : i + 3], out[i + 3 : i + 5] = theta[i + 3 : i + 5], theta[i + 1 : i + 3]
    return out


def hessian(theta: np.ndarray, layout: Layout, cells: Cells) -> np.ndarray:
    """Central differences of the analytic gradient of minus the log-likelihood."""
    k = theta.size
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    out = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = h[i]
        out[i] = (neg_loglik(theta + step, layout, cells)[1] - neg_loglik(theta - step, layout, cells)[1]) / (2 * h[i])
    return 0.5 * (out + out.T)


def survival_at(theta: np.ndarray, layout: Layout, tau: np.ndarray) -> np.ndarray:
    pi0, weights, loc, sigma = layout.unpack(theta)
    with np.errstate(divide="ignore"):
        log_tau = np.log(tau)
    z = (log_tau[..., None] - loc) / sigma
    cont = (standard_tails(layout.family, z)[0] * weights).sum(axis=-1)
    return np.where(tau > 0, (1 - pi0) * cont, 1.0)
