"""Two classes of Gamma-Poisson exposure, fitted to a sampled frequency table.

Model: a share ``pi`` of the population has Gamma(shape ``a1``) exposure rates with sampled
mean ``m1``, the rest Gamma(``a2``) rates with sampled mean ``m2`` (say people, and the
undetected bots or heavy users of a feed); each class is the Gamma-Poisson model of
:mod:`.gamma_poisson`, so the sampled count ``Y`` is a two-component negative-binomial mixture
and thinning keeps each component negative binomial. The zero-truncated mixture is fitted to
``f_1, f_2, ...`` by maximum likelihood (conditional on the number seen, as for one class) and
any reach of the complete log follows: ``#{X >= k} = S P(X >= k) / P(Y >= 1)``.

It nests the one-class model (``pi = 1``), so its likelihood is at least as large; twice the
difference is the likelihood-ratio statistic with which :func:`~.unseen.model_set_reach` tests
the one class; where the test rejects it, the default reports this model's estimate. Only
there: its three extra parameters cost spread (on 10 % samples of the accuracy benchmark's
heavy-tailed logs, a standard deviation of 5.0-7.0 % against the one class's 3.4-3.8 %),
though it leans less (-1.9 to -0.6 % against +6.8 to +8.4 %; ``docs/methods.md``). The classes
are not identified one by one from a table of a dozen cells; the reach they imply is what is
used.
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
    memo_by_table,
    per_person_error_variance,
    predicted_count,
    readonly,
)
from viewaudit._estimators._deferred import optimize, stats
from viewaudit._estimators.optimise import minimize_from_starts

#: Parameters: (logit pi, ln a1, ln m1, ln a2, ln m2). Each class's bounds are the one-class
#: model's: shape from 1e-3 (log-series) to 1e5 (Poisson), sampled mean from 1e-6 to 1e6.
_LN_SHAPE = (float(np.log(1e-3)), float(np.log(1e5)))
_LN_MEAN = (float(np.log(1e-6)), float(np.log(1e6)))
_BOUNDS = [(-9.0, 9.0), _LN_SHAPE, _LN_MEAN, _LN_SHAPE, _LN_MEAN]
#: Fewest distinct counts seen for a fit: five parameters need at least six cells, or the
#: table is fitted exactly and says nothing about the unseen.
MIN_DISTINCT_COUNTS = 6


def _classes(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, shapes, sampled means) of the two classes, each of shape (2,)."""
    pi = float(special.expit(theta[0]))
    return np.array([pi, 1.0 - pi]), np.exp(theta[[1, 3]]), np.exp(theta[[2, 4]])


def _negloglik(theta: np.ndarray, ks: np.ndarray, fk: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the zero-truncated mixture log-likelihood and its gradient in theta.

    Per class the score of ``ln NB(k)`` is the one-class model's; the mixture weighs it by the
    class's posterior share of each cell (its responsibility), and the truncation term
    ``-S ln(1 - P(Y = 0))`` adds ``S / (1 - P0)`` times the gradient of ``P0``.
    """
    w, a, m = _classes(theta)
    k = ks[:, None]
    log_q = np.log(a / (a + m))  # ln P(one trial fails); P(Y = 0) = q^a per class
    p0 = np.exp(a * log_q)
    log_pmf = special.gammaln(k + a) - special.gammaln(a) - special.gammaln(k + 1) + a * log_q + k * np.log(m / (a + m))
    log_joint = np.log(w) + log_pmf
    log_mix = np.logaddexp(log_joint[:, 0], log_joint[:, 1])
    resp = np.exp(log_joint - log_mix[:, None])
    zero = float(w @ p0)
    s = float(fk.sum())
    value = -float(fk @ log_mix - s * np.log1p(-zero))
    score_ln_a = a * (special.digamma(k + a) - special.digamma(a) + log_q + (m - k) / (a + m))
    score_ln_m = m * (k / m - (a + k) / (a + m))
    trunc = s / (1.0 - zero)
    pi = w[0]
    grad_logit = float(fk @ (resp[:, 0] - pi)) + trunc * pi * (1.0 - pi) * (p0[0] - p0[1])
    grad_ln_a = fk @ (resp * score_ln_a) + trunc * w * a * p0 * (log_q + m / (a + m))
    grad_ln_m = fk @ (resp * score_ln_m) - trunc * w * m * p0 * a / (a + m)
    grad = np.array([grad_logit, grad_ln_a[0], grad_ln_m[0], grad_ln_a[1], grad_ln_m[1]])
    return value, -grad


@memo_by_table()
def _fit(ks: np.ndarray, fk: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(theta, log-likelihood, covariance of theta) of the zero-truncated mixture fit."""
    s = float(fk.sum())

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = _negloglik(theta, ks, fk)
        return value / s, grad / s

    # Deterministic starts: a large light class and a small class 3 or 12 times as exposed, each
    # of shape 0.5 or 3; a coarse search from each, then the best polished to a tight tolerance
    # (mixture likelihoods have flat ridges where the default tolerance stops early).
    light = max(0.5 * float(ks @ fk) / s - 0.3, 0.05)
    starts = [
        np.array([special.logit(pi), np.log(a0), np.log(light), np.log(a0), np.log(light * ratio)])
        for pi in (0.9, 0.99)
        for ratio in (3.0, 12.0)
        for a0 in (0.5, 3.0)
    ]
    best = minimize_from_starts(fun, starts, bounds=_BOUNDS, method="L-BFGS-B")
    best = optimize.minimize(
        fun, best.x, jac=True, method="L-BFGS-B", bounds=_BOUNDS, options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000}
    )
    theta = np.asarray(best.x)
    # A class that runs to a bound (a Poisson class, or a vanishing one) leaves a flat direction,
    # which gets no variance, as for one class.
    cov = covariance_from_score(lambda th: _negloglik(th, ks, fk)[1], theta, 1e-5 * np.maximum(1.0, np.abs(theta)))
    return theta, -_negloglik(theta, ks, fk)[0], cov


def _reach_terms(theta: np.ndarray, p: float, k: int) -> tuple[float, float, float]:
    """(Q, P(Y >= 1), per-person error variance) of k+ reach at theta.

    ``Q = P(X >= k) / P(Y >= 1)``; a person contributes ``Q 1(Y >= 1) - 1(X >= k)`` to the
    error of ``S Q``, with variance ``Q^2 P(Y>=1) + P(X>=k) - 2 Q P(Y>=1, X>=k)`` and
    ``P(Y=0, X>=k) = P(Y=0) - sum_{j<k} (1-p)^j P(X=j)`` (as for one class, each term a
    mixture of the classes').
    """
    w, a, m = _classes(theta)
    p_y0 = float(w @ np.exp(-a * np.log1p(m / a)))
    j = np.arange(k)[:, None]
    pmf_x = stats.nbinom.pmf(j, a, a / (a + m / p)) @ w  # P(X = j), j < k
    reached = 1.0 - float(pmf_x.sum())
    unseen_reached = p_y0 - float(np.sum((1.0 - p) ** np.arange(k) * pmf_x))
    seen = 1.0 - p_y0
    q = reached / seen
    return q, seen, per_person_error_variance(q, seen, reached, unseen_reached)


@attrs.frozen
class GammaPoissonMixtureFit:
    """Two classes of Gamma-Poisson exposure fitted to a sampled frequency table
    (:func:`fit_gamma_poisson_mixture`).

    Attributes
    ----------
    share : float
        ``pi``, the share of the population in the first class.
    shapes : tuple of float
        Gamma shapes ``(a1, a2)`` of the classes' exposure rates.
    sample_means : tuple of float
        Mean sampled impressions per person ``(m1, m2)`` of each class.
    sample_rate : float
    observed : int
        Viewers seen in the sample.
    log_likelihood : float
        Zero-truncated log-likelihood (``ln k!`` terms included, so comparable with
        :class:`~.gamma_poisson.GammaPoissonFit`'s).
    covariance : ndarray, shape (5, 5)
        Of (logit share, ln a1, ln m1, ln a2, ln m2), from the numerical Hessian.
    frequencies : ndarray of int
        The table fitted.
    """

    share: float
    shapes: tuple[float, float]
    sample_means: tuple[float, float]
    sample_rate: float
    observed: int
    log_likelihood: float
    covariance: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)
    frequencies: IntArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)

    def _theta(self) -> np.ndarray:
        (a1, a2), (m1, m2) = self.shapes, self.sample_means
        return np.array([special.logit(self.share), np.log(a1), np.log(m1), np.log(a2), np.log(m2)])

    def unique_viewers(self, *, confidence_level: float = 0.95) -> CountEstimate:
        """Viewers with at least one impression in the complete log: ``k_plus_reach(1)``."""
        return self.k_plus_reach(1, confidence_level=confidence_level)

    def k_plus_reach(self, k: int, *, confidence_level: float = 0.95) -> CountEstimate:
        """People with at least ``k`` impressions in the complete log, ``S Q``, with the
        prediction-error variance ``N v + S^2 grad(Q)' Cov grad(Q)`` (who was seen, plus the
        parameters by the delta method; ``grad`` by central differences) and the log-normal
        interval on the part above the viewers seen at least ``k`` times."""
        k = check_positive_int("k", k)
        cl = check_confidence_level(confidence_level)
        s = float(self.observed)
        observed = float(self.frequencies[k:].sum())
        if self.sample_rate >= 1:
            return CountEstimate(observed, 0.0, ConfidenceInterval(observed, observed), observed, "gamma-poisson-mixture", cl)
        theta = self._theta()
        q, seen, per_person = _reach_terms(theta, self.sample_rate, k)
        grad = central_differences(
            lambda th: _reach_terms(th, self.sample_rate, k)[0], theta, 1e-5 * np.maximum(1.0, np.abs(theta))
        )
        var = s / seen * per_person + max(s * s * float(grad @ self.covariance @ grad), 0.0)
        return predicted_count(observed, s * q, var, cl, "gamma-poisson-mixture")


def fit_gamma_poisson_mixture(f: object, *, sample_rate: float) -> GammaPoissonMixtureFit:
    """Fit two classes of Gamma-Poisson exposure to a sampled frequency-of-frequency table.

    Parameters
    ----------
    f : array_like of int
        ``f[k]``: viewers seen exactly ``k`` times in the sample (``f[0]`` ignored); at least
        :data:`MIN_DISTINCT_COUNTS` distinct counts seen.
    sample_rate : float, keyword-only
        Probability with which each row of the complete log was kept, in (0, 1].

    Returns
    -------
    GammaPoissonMixtureFit

    Raises
    ------
    ValueError
        Fewer than :data:`MIN_DISTINCT_COUNTS` distinct counts seen.

    Notes
    -----
    Eight deterministic starts (a light class and a heavier one, 3 or 12 times as exposed) of a
    bounded quasi-Newton search on the analytic score; the best is polished to a tight
    tolerance. The class labels are not ordered: either class may be the heavier.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> rates = np.concatenate([rng.gamma(1.0, 2.0, 40_000), rng.gamma(5.0, 6.0, 1_000)])
    >>> x = rng.poisson(rates)  # impressions in the complete log
    >>> fit = fit_gamma_poisson_mixture(np.bincount(rng.binomial(x, 0.1)), sample_rate=0.1)
    >>> ci = fit.unique_viewers().confidence_interval
    >>> bool(ci.low <= np.count_nonzero(x) <= ci.high)
    True
    """
    f = check_frequencies(f)
    p = check_sample_rate(sample_rate)
    ks_int = np.flatnonzero(f[1:]) + 1
    if ks_int.size < MIN_DISTINCT_COUNTS:
        raise ValueError(
            f"fit_gamma_poisson_mixture: f must show at least {MIN_DISTINCT_COUNTS} distinct counts to fit five "
            f"parameters, got {ks_int.size}"
        )
    theta, loglik, cov = _fit(ks_int.astype(np.float64), f[ks_int].astype(np.float64))
    w, a, m = _classes(theta)
    return GammaPoissonMixtureFit(
        float(w[0]), (float(a[0]), float(a[1])), (float(m[0]), float(m[1])), p, int(f[1:].sum()), float(loglik), cov, f
    )
