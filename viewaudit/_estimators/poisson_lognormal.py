"""The Poisson-log-normal exposure model, fitted to a sampled frequency table.

Model (Bulmer 1974, Biometrics 30:651-660, for species abundances): person ``i`` has an
exposure rate ``Lambda_i`` with ``ln Lambda_i ~ Normal``, and ``X_i ~ Poisson(Lambda_i)``
impressions in the complete log. Rows kept independently with probability ``p`` give
``Y_i ~ Poisson(p Lambda_i)``: again Poisson-log-normal, with ``ln p`` added to the mean of the
log-rate and the same ``sigma``. As for the Gamma-Poisson model (:mod:`.gamma_poisson`), the
zero-truncated likelihood of ``f_1, f_2, ...`` is maximised (conditional on the number seen)
and the viewers of the complete log are ``S P(X >= 1) / P(Y >= 1)``.

Its lower tail of exposure is thinner than a Gamma's with a small shape (few people with almost
no exposure), its upper tail heavier: it is the alternative the model-averaged estimator
(:func:`model_averaged_viewers` in :mod:`.unseen`) weighs against the Gamma-Poisson fit.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy import special

from viewaudit._estimators._common import (
    ARRAY_EQ,
    ConfidenceInterval,
    CountEstimate,
    FloatArray,
    IntArray,
    central_differences,
    check_confidence_level,
    check_frequencies,
    check_positive_int,
    check_sample_rate,
    covariance_from_score,
    empty_sample_bound,
    memo_by_table,
    per_person_error_variance,
    predicted_count,
    readonly,
    warn_degenerate,
)
from viewaudit._estimators._deferred import stats
from viewaudit._estimators.optimise import minimize_from_starts

# Bounds of (mu, ln sigma): mu is the mean log-rate of the *sampled* counts; sigma from nearly
# Poisson (no heterogeneity) to a spread of e^8 per standard deviation.
_BOUNDS = [(-40.0, 15.0), (float(np.log(1e-3)), float(np.log(8.0)))]
# Adaptive Gauss-Hermite rule for the cell probabilities (the integrand of each cell is
# log-concave in the standard-normal variable z: centred at its mode, scaled by its curvature).
_GH_X, _GH_W = np.polynomial.hermite.hermgauss(24)
_GH_LOGW = np.log(_GH_W) + _GH_X**2
# Fixed grid in z for P(count >= 1), whose integrand 1 - exp(-rate) is smooth and bounded.
_Z = np.linspace(-12.0, 12.0, 961)
_Z_LOGW = -0.5 * _Z**2 - 0.5 * np.log(2 * np.pi) + np.log(_Z[1] - _Z[0])


def _lambert_w_exp(x: np.ndarray) -> np.ndarray:
    """W(exp(x)) for real x, without overflow (Newton on w + ln w = x)."""
    x = np.asarray(x, dtype=np.float64)
    w: np.ndarray = np.where(x > 20.0, x - np.log(np.maximum(x, 1.0)), np.real(special.lambertw(np.exp(np.minimum(x, 20.0)))))
    for _ in range(4):
        w = w - (w + np.log(w) - x) / (1.0 + 1.0 / w)
    return w


def _cell_nodes(theta: np.ndarray, ks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: log of (quadrature weight x integrand) at the nodes, the nodes z and the rates."""
    mu, sigma = float(theta[0]), float(np.exp(theta[1]))
    s2 = sigma * sigma
    # Mode of k (mu + sigma z) - e^(mu + sigma z) - z^2/2: the rate y there solves
    # s2 y exp(s2 y) = s2 exp(mu + s2 k), so y = W(s2 e^(mu + s2 k)) / s2.
    y = _lambert_w_exp(np.log(s2) + mu + s2 * ks) / s2
    z_mode = (np.log(y) - mu) / sigma
    scale = np.sqrt(2.0 / (1.0 + s2 * y))
    z = z_mode[:, None] + scale[:, None] * _GH_X[None, :]
    log_rate = mu + sigma * z
    rate = np.exp(log_rate)
    log_terms = (
        np.log(scale)[:, None]
        + _GH_LOGW[None, :]
        - 0.5 * z * z
        - 0.5 * np.log(2 * np.pi)
        + ks[:, None] * log_rate
        - rate
        - special.gammaln(ks + 1)[:, None]
    )
    return log_terms, z, rate


def _seen(theta: np.ndarray, shift: float = 0.0) -> tuple[float, np.ndarray]:
    """P(count >= 1) of a Poisson with log-rate mu + shift + sigma Z, and its gradient."""
    mu, sigma = float(theta[0]), float(np.exp(theta[1]))
    rate = np.exp(mu + shift + sigma * _Z)
    w = np.exp(_Z_LOGW)
    d = w * rate * np.exp(-rate)
    return float(w @ -np.expm1(-rate)), np.array([float(d.sum()), float(d @ _Z) * sigma])


def _negloglik(theta: np.ndarray, ks: np.ndarray, fk: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the zero-truncated Poisson-log-normal log-likelihood and its gradient in
    (mu, ln sigma); ``ln k!`` terms included."""
    log_terms, z, rate = _cell_nodes(theta, ks)
    log_pk = special.logsumexp(log_terms, axis=1)
    post = np.exp(log_terms - log_pk[:, None])  # where the cell's probability comes from
    resid = ks[:, None] - rate
    sigma = float(np.exp(theta[1]))
    d_cells = np.array([fk @ (post * resid).sum(1), sigma * (fk @ (post * resid * z).sum(1))])
    seen, d_seen = _seen(theta)
    s = fk.sum()
    value = -(float(fk @ log_pk) - s * np.log(seen))
    return value, -(d_cells - s * d_seen / seen)


@memo_by_table()
def _fit(ks: np.ndarray, fk: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(theta, log-likelihood, covariance of theta) of the zero-truncated fit, from two
    deterministic starts."""
    s = fk.sum()
    mean_seen = float(ks @ fk / s)

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = _negloglik(theta, ks, fk)
        return value / s, grad / s

    starts = [np.array([np.log(mean_seen) + shift, np.log(sigma0)]) for shift, sigma0 in ((-3.0, 1.5), (-0.5, 0.5))]
    best = minimize_from_starts(
        fun, starts, bounds=_BOUNDS, method="TNC", options={"maxfun": 2000, "ftol": 1e-14, "xtol": 1e-10, "gtol": 1e-10}
    )
    theta = np.asarray(best.x)
    cov = covariance_from_score(lambda th: _negloglik(th, ks, fk)[1], theta, np.full(2, 1e-5))
    return theta, -_negloglik(theta, ks, fk)[0], cov


def _reach_share(theta: np.ndarray, p: float) -> float:
    """P(X >= 1) / P(Y >= 1): viewers of the complete log per viewer seen."""
    return _seen(theta, -np.log(p))[0] / _seen(theta)[0]


def _k_reach_terms(theta: np.ndarray, p: float, k: int) -> tuple[float, float]:
    """Q = P(X >= k) / P(Y >= 1) and the per-person variance of the prediction error
    ``Q 1[Y >= 1] - 1[X >= k]``: ``Q^2 P(Y >= 1) + P(X >= k) - 2 Q P(Y >= 1, X >= k)``.

    Given the rate L, ``X ~ Poisson(L)`` splits into independent Poisson counts ``Y`` (rate
    ``p L``, kept) and ``X - Y`` (rate ``(1 - p) L``), so ``P(Y = 0, X >= k | L) = e^(-p L)
    P(Poisson((1 - p) L) >= k)``. Integrals on the fixed grid in Z of :func:`_seen`.
    """
    mu, sigma = float(theta[0]), float(np.exp(theta[1]))
    rate = np.exp(mu - np.log(p) + sigma * _Z)  # the complete log's rate at each node
    w = np.exp(_Z_LOGW)
    seen = _seen(theta)[0]
    reach = float(w @ stats.poisson.sf(k - 1, rate))
    unseen_reached = float(w @ (np.exp(-p * rate) * stats.poisson.sf(k - 1, (1.0 - p) * rate)))
    q = reach / seen
    return q, per_person_error_variance(q, seen, reach, unseen_reached)


@attrs.frozen
class PoissonLognormalFit:
    """A Poisson-log-normal exposure model fitted to a sampled frequency table
    (:func:`fit_poisson_lognormal`).

    Attributes
    ----------
    mu : float
        Mean of the log exposure rate in the complete log (``ln p`` less in the sample).
    sigma : float
        Standard deviation of the log exposure rate.
    sample_rate : float
    observed : int
        Viewers seen in the sample.
    log_likelihood : float
        Zero-truncated log-likelihood (``ln k!`` terms included), comparable with
        :attr:`GammaPoissonFit.log_likelihood` on the same table.
    covariance : ndarray, shape (2, 2)
        Of (sampled mu, ln sigma), from the numerical Hessian.
    frequencies : ndarray of int
    """

    mu: float
    sigma: float
    sample_rate: float
    observed: int
    log_likelihood: float
    covariance: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)
    frequencies: IntArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)

    def _theta(self) -> np.ndarray:
        return np.array([self.mu + np.log(self.sample_rate), np.log(self.sigma)])

    def k_plus_reach(self, k: int, *, confidence_level: float = 0.95) -> CountEstimate:
        """Viewers with at least ``k`` impressions in the complete log (``k = 1``:
        :meth:`unique_viewers`).

        ``S Q_k`` with ``Q_k = P(X >= k) / P(Y >= 1)``, as :meth:`GammaPoissonFit.k_plus_reach`:
        the prediction error's variance is ``(S / P(Y >= 1))`` times its per-person variance
        (who was seen, and how often in the complete log; ``S Q (Q - 1)`` for ``k = 1``) plus
        ``S^2 grad(Q_k)' Cov grad(Q_k)`` (the parameters, by the delta method), with the
        log-normal interval on the part above the viewers seen at least ``k`` times (a viewer
        seen j times in the sample has at least j impressions in the complete log).
        """
        cl = check_confidence_level(confidence_level)
        k = check_positive_int("k", k)
        s, p = self.observed, self.sample_rate
        observed = float(self.frequencies[k:].sum())
        if p >= 1 or s == 0:
            return CountEstimate(observed, 0.0, ConfidenceInterval(observed, observed), observed, "poisson-lognormal", cl)
        theta = self._theta()
        var = self._population_variance(k) + s * s * self._share_variance(theta, k)
        return predicted_count(observed, s * self._share(theta, k), var, cl, "poisson-lognormal")

    def _share(self, theta: np.ndarray, k: int) -> float:
        """``Q_k`` at ``theta`` = (sampled mu, ln sigma)."""
        return _reach_share(theta, self.sample_rate) if k == 1 else _k_reach_terms(theta, self.sample_rate, k)[0]

    def _share_variance(self, theta: np.ndarray, k: int) -> float:
        """``grad(Q_k)' Cov grad(Q_k)`` (the delta method; clamped at 0 for a covariance that is
        not positive definite)."""
        grad = central_differences(lambda th: self._share(th, k), theta, np.full(2, 1e-6))
        return max(float(grad @ self.covariance @ grad), 0.0)

    def _reach_range(self, k: int, cl: float, reference: float) -> tuple[float, float]:
        """The range of the k+ reach ``S Q_k`` over the parameters whose log-likelihood is within
        ``chi2_1(cl) / 2`` of ``reference`` (at least the fit's own maximum), in the quadratic
        (Wald) approximation of the likelihood: ``S Q_k -+ S sqrt((chi2_1(cl) - d) Var(Q_k))``
        with ``d = 2 (reference - l_max)``; empty (``(inf, -inf)``) where ``d > chi2_1(cl)``.
        As :meth:`GammaPoissonFit._reach_range`, without the noise of who was seen."""
        deficit = 2 * (reference - self.log_likelihood)
        crit = float(stats.chi2.ppf(cl, 1))
        if deficit > crit:
            return np.inf, -np.inf
        theta, s = self._theta(), self.observed
        reach = s * self._share(theta, k)
        half = s * float(np.sqrt((crit - deficit) * self._share_variance(theta, k)))
        return reach - half, reach + half

    def _population_variance(self, k: int) -> float:
        """The prediction error's variance from who was seen (the population term of
        :meth:`k_plus_reach`), at the estimate."""
        theta, s = self._theta(), self.observed
        q = self._share(theta, k)
        # S Q (Q - 1) in closed form for k = 1, the quadrature's per-person term else.
        return s * q * max(q - 1.0, 0.0) if k == 1 else s / _seen(theta)[0] * _k_reach_terms(theta, self.sample_rate, k)[1]

    def unique_viewers(self, *, confidence_level: float = 0.95) -> CountEstimate:
        """Viewers with at least one impression in the complete log: :meth:`k_plus_reach` at
        ``k = 1``, ``S Q`` with ``Q = P(X >= 1) / P(Y >= 1)`` and the prediction-error variance
        ``S Q (Q - 1) + S^2 grad(Q)' Cov grad(Q)`` (the binomial noise of who was seen, plus the
        parameter uncertainty)."""
        return self.k_plus_reach(1, confidence_level=confidence_level)


def fit_poisson_lognormal(f: object, *, sample_rate: float) -> PoissonLognormalFit:
    """Fit the Poisson-log-normal exposure model to a sampled frequency-of-frequency table.

    Parameters
    ----------
    f : array_like of int
        ``f[k]``: viewers seen exactly ``k`` times in the sample (``f[0]`` ignored).
    sample_rate : float, keyword-only
        Probability with which each row of the complete log was kept, in (0, 1].

    Returns
    -------
    PoissonLognormalFit

    Warns
    -----
    DegenerateDataWarning
        Nothing seen, a single viewer, or only singletons (as :func:`fit_gamma_poisson`).

    Notes
    -----
    The cell probabilities ``P(Y = k) = E[Poisson(k; e^(mu + sigma Z))]`` are computed by a
    24-node Gauss-Hermite rule centred at each cell's mode in ``Z`` (the mode has a closed form
    through Lambert's W) and ``P(Y >= 1)`` on a fine fixed grid; the analytic score (posterior
    means of the complete-data score at the nodes) drives a bounded quasi-Newton search from two
    deterministic starts.
    """
    f = check_frequencies(f)
    p = check_sample_rate(sample_rate)
    s = int(f.sum())
    if s == 0:
        warn_degenerate("fit_poisson_lognormal: no viewer was seen; the model is not identified")
        return PoissonLognormalFit(np.nan, np.nan, p, 0, 0.0, np.full((2, 2), np.nan), f)
    ks = np.flatnonzero(f)
    if s == 1:
        warn_degenerate("fit_poisson_lognormal: a single viewer was seen; the fit rests on one count")
    elif ks.size == 1 and ks[0] == 1:
        warn_degenerate(
            "fit_poisson_lognormal: every viewer was seen once; the mean exposure is pushed to its "
            "lower bound and each unseen viewer is taken to have a single impression"
        )
    theta, loglik, cov = _fit(ks.astype(np.float64), f[ks].astype(np.float64))
    return PoissonLognormalFit(float(theta[0] - np.log(p)), float(np.exp(theta[1])), p, s, float(loglik), cov, f)


def poisson_lognormal_viewers(f: object, *, sample_rate: float, confidence_level: float = 0.95) -> CountEstimate:
    """:func:`fit_poisson_lognormal` then its ``unique_viewers``, with the edge cases of
    :func:`gamma_poisson_reach` (rate 1: the count seen; nothing seen: 0 and the design-based
    upper bound)."""
    cl = check_confidence_level(confidence_level)
    if check_sample_rate(sample_rate) == 1:
        seen = float(check_frequencies(f).sum())
        return CountEstimate(seen, 0.0, ConfidenceInterval(seen, seen), seen, "poisson-lognormal", cl)
    fit = fit_poisson_lognormal(f, sample_rate=sample_rate)
    if fit.observed == 0:
        high = empty_sample_bound(fit.sample_rate, cl)
        return CountEstimate(0.0, np.nan, ConfidenceInterval(0.0, high), 0.0, "poisson-lognormal", cl)
    return fit.unique_viewers(confidence_level=cl)
