"""The dwell model: a glance/read mixture with a zero mass, fitted to a binned censored histogram.

The dwell ``D`` (ms) is 0 with probability ``pi0`` and otherwise drawn from a mixture of one or
two components of a log-location-scale family: ``ln D = mu_j + sigma_j * eps`` with ``eps``
standard normal (**log-normal**) or standard minimum-Gumbel (**Weibull** with shape
``1/sigma_j`` and scale ``exp(mu_j)``). Both families share the same code: only the law of
``eps`` differs (Kalbfleisch & Prentice 2002, sec. 2.2). The likelihood is that of the
histogram (exact bins and whole seconds as intervals, right-censored bins as survivals), so a
fit costs the same for 10^4 or 10^9 rows.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Literal

import attrs
import numpy as np
from scipy import special

from viewaudit._estimators._common import (
    ARRAY_EQ,
    ConfidenceInterval,
    FloatArray,
    as_generator,
    as_value,
    check_choice,
    check_confidence_level,
    check_positive_int,
    readonly,
    warn_degenerate,
    z_value,
)
from viewaudit._estimators.dwell_likelihood import (
    _LOG_SIGMA_BOUNDS,
    FAMILIES,
    METHODS,
    Cells,
    Family,
    Layout,
    hessian,
    make_cells,
    minimise,
    neg_loglik,
    sort_components,
    starts,
    survival_at,
)
from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._warnings import DegenerateDataWarning


@attrs.frozen
class SurvivalEstimate:
    """P(dwell >= tau) with its confidence interval (arrays when ``tau_ms`` is an array)."""

    tau_ms: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    estimate: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    confidence_interval: ConfidenceInterval
    confidence_level: float
    method: str


@attrs.frozen
class DwellFit:
    """A fitted dwell model (see :func:`fit_dwell`).

    Attributes
    ----------
    family : {"lognormal", "weibull"}
    components : int
        1 or 2; with 2, component 1 is the "glance" (smaller location), 2 the "read".
    zero_mass : float
        P(dwell = 0) (0 when not fitted).
    weights, mu, sigma : ndarray
        Mixture weights, and location and scale of ln(dwell in ms) per component. For the
        Weibull family the shape is ``1 / sigma`` and the scale ``exp(mu)`` ms (see
        :attr:`weibull_shape`, :attr:`scale_ms`).
    parameters : ndarray
        The maximum-likelihood estimate in the unconstrained parameters ``parameter_names``
        (logits of the zero mass and of weight 1, locations, log scales).
    covariance : ndarray
        Inverse of the observed information (numerical Hessian) in those parameters.
    log_likelihood : float
        Of the histogram (the binned, censored data).
    n_observations : int
        Measured dwell times in the histogram.
    converged : bool
    method : str
        The optimiser.
    """

    family: str
    components: int
    zero_mass: float
    weights: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ)
    mu: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ)
    sigma: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ)
    parameters: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)
    parameter_names: tuple[str, ...] = attrs.field(repr=False)
    covariance: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ, repr=False)
    log_likelihood: float
    n_observations: int
    converged: bool
    method: str

    @property
    def n_parameters(self) -> int:
        return int(self.parameters.size)

    @property
    def aic(self) -> float:
        """Akaike's criterion, -2 logL + 2k."""
        return -2 * self.log_likelihood + 2 * self.n_parameters

    @property
    def bic(self) -> float:
        """Schwarz's criterion, -2 logL + k ln n (n measured dwell times)."""
        return -2 * self.log_likelihood + self.n_parameters * float(np.log(max(self.n_observations, 1)))

    @property
    def scale_ms(self) -> FloatArray:
        """``exp(mu)``: the median (log-normal) or scale (Weibull) of each component, in ms."""
        return np.exp(self.mu)

    @property
    def weibull_shape(self) -> FloatArray:
        """``1 / sigma``: the Weibull shape k of each component (k < 1: negative aging)."""
        return 1.0 / self.sigma

    def _layout(self) -> Layout:
        return Layout(self.family, self.components, "logit_zero_mass" in self.parameter_names)

    def survival(
        self,
        tau_ms: Any,
        *,
        confidence_level: float = 0.95,
        method: Literal["delta", "bootstrap"] = "delta",
        n_resamples: int = 2000,
        rng: Any = None,
    ) -> SurvivalEstimate:
        """P(dwell >= tau) for thresholds ``tau_ms`` (scalar or array), with an interval.

        Parameters
        ----------
        tau_ms : float or array_like
            Thresholds in ms (>= 0).
        confidence_level : float, keyword-only
        method : {"delta", "bootstrap"}, keyword-only
            ``"delta"``: a normal interval for logit P from the delta method (the gradient of
            logit P by central differences) mapped back, so the ends stay in [0, 1].
            ``"bootstrap"``: percentiles of P over ``n_resamples`` parameter draws from the
            normal approximation N(parameters, covariance) (uses ``rng``).

        Notes
        -----
        .. math:: P(D \\ge \\tau) = (1 - \\pi_0) \\sum_j w_j\\, S_\\varepsilon\\!\\left(
                  \\frac{\\ln \\tau - \\mu_j}{\\sigma_j}\\right), \\quad \\tau > 0,

        and 1 at tau = 0. The interval reflects sampling error under the fitted family only;
        compare families with :func:`select_dwell_model`.
        """
        cl = check_confidence_level(confidence_level)
        check_choice("method", method, ("delta", "bootstrap"))
        tau = np.asarray(tau_ms, dtype=np.float64)
        if np.any(np.isnan(tau)) or np.any(tau < 0):
            raise ValueError(f"tau_ms must be >= 0, got {tau_ms!r}")
        layout = self._layout()
        theta = np.asarray(self.parameters)
        estimate = survival_at(theta, layout, tau)
        if not np.all(np.isfinite(theta)):  # an undefined fit: nothing is known
            interval = ConfidenceInterval(np.where(tau > 0, 0.0, 1.0), np.ones_like(estimate))
            return SurvivalEstimate(tau, estimate, interval, cl, method)
        if method == "delta":
            low, high = self._delta_interval(theta, layout, tau, estimate, z_value(cl))
        else:
            draws = as_generator(rng).multivariate_normal(
                theta, self.covariance, size=check_positive_int("n_resamples", n_resamples), method="eigh"
            )
            values = np.stack([survival_at(d, layout, tau) for d in draws])
            low, high = np.quantile(values, [(1 - cl) / 2, (1 + cl) / 2], axis=0)
        low, high = np.minimum(low, estimate), np.maximum(high, estimate)
        return SurvivalEstimate(tau, estimate, ConfidenceInterval(low, high), cl, method)

    def _delta_interval(
        self, theta: np.ndarray, layout: Layout, tau: np.ndarray, estimate: np.ndarray, z: float
    ) -> tuple[np.ndarray, np.ndarray]:
        def logit_p(t: np.ndarray) -> np.ndarray:
            return np.asarray(special.logit(np.clip(survival_at(t, layout, tau), 1e-300, 1 - 1e-16)))

        grads = []
        for i in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[i]))
            step = np.zeros(theta.size)
            step[i] = h
            grads.append((logit_p(theta + step) - logit_p(theta - step)) / (2 * h))
        g = np.stack(grads, axis=-1)
        se = np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", g, self.covariance, g), 0.0))
        centre = logit_p(theta)
        low = np.where(estimate >= 1, 1.0, special.expit(centre - z * se))
        high = np.where(estimate >= 1, 1.0, special.expit(centre + z * se))
        return np.where(estimate <= 0, 0.0, low), np.where(estimate <= 0, 0.0, high)


def _check_fit_args(hist: Any, family: Any, components: Any, zero_mass: Any, method: Any) -> Layout:
    if not isinstance(hist, DwellHistogram):
        raise TypeError(f"hist must be a DwellHistogram, got {type(hist).__name__}")
    check_choice("family", family, FAMILIES)
    if components not in (1, 2) or isinstance(components, bool):
        raise ValueError(f"components must be 1 or 2, got {components!r}")
    if not isinstance(zero_mass, bool):
        raise TypeError(f"zero_mass must be True or False, got {zero_mass!r}")
    check_choice("method", method, METHODS)
    # The zero mass is estimable only from cells that contain 0: zeros and [0, 1 s).
    has_zero_cell = hist.zeros > 0 or hist.seconds[0] > 0
    return Layout(family, int(components), zero_mass and has_zero_cell)


def fit_dwell(
    hist: DwellHistogram,
    *,
    family: Family = "lognormal",
    components: int = 1,
    zero_mass: bool = True,
    method: Literal["TNC", "Nelder-Mead"] = "TNC",
) -> DwellFit:
    """Fit the dwell model to a histogram by maximum likelihood.

    Parameters
    ----------
    hist : DwellHistogram
        The data (exact, right-censored, whole-second and zero counts).
    family : {"lognormal", "weibull"}, keyword-only
    components : {1, 2}, keyword-only
        Two components model a "glance" and a "read" population of impressions.
    zero_mass : bool, keyword-only
        Fit P(dwell = 0). Estimated only when the histogram has zeros or whole-second zeros;
        otherwise fixed at 0 (and not counted as a parameter). Without a zero mass a logged
        zero is read as a dwell below 1 ms.
    method : {"TNC", "Nelder-Mead"}, keyword-only
        Optimiser: bounded truncated Newton with the analytic gradient (default), or the
        derivative-free simplex (slower; a check on the default).

    Returns
    -------
    DwellFit

    Warns
    -----
    DegenerateDataWarning
        No measured dwell, no uncensored information, or an estimate on the boundary of the
        parameter space (then its covariance is not meaningful).

    Notes
    -----
    With cells ``c`` (a bin or whole second [a, b), a right-censored bin at its middle r with
    b = inf, or the zeros) holding ``n_c`` observations, the log-likelihood is

    .. math:: \\ell = \\sum_c n_c \\ln\\Big(\\pi_0 [0 \\in c] + (1 - \\pi_0)
              \\sum_j w_j \\big(S_j(a_c) - S_j(b_c)\\big)\\Big),

    with ``S_j(t) = S_eps((ln t - mu_j) / sigma_j)``. It is maximised in unconstrained
    parameters (logits, locations, log scales) from several deterministic starts (moments and
    quantiles of log dwell; five splits for two components); the best is kept. Components are
    then ordered by location. The covariance is the inverse of the numerical Hessian
    (central differences of the analytic score). Whole-second logs are interval-censored
    (Lindsey 1998, "A study of interval censoring in parametric regression models", Lifetime
    Data Analysis 4:329-354); Weibull dwell: Liu, White & Dumais (SIGIR 2010).

    Examples
    --------
    >>> import numpy as np
    >>> from viewaudit.estimators import DwellHistogram, fit_dwell
    >>> rng = np.random.default_rng(0)
    >>> dwell = rng.lognormal(8.0, 1.2, 20_000)
    >>> hist = DwellHistogram.from_arrays(np.minimum(dwell, 30_000), dwell > 30_000)
    >>> fit = fit_dwell(hist, zero_mass=False)
    >>> round(float(fit.mu[0]), 1), round(float(fit.sigma[0]), 1)
    (8.0, 1.2)
    >>> s = fit.survival(2000.0)
    >>> bool(s.confidence_interval.low < s.estimate < s.confidence_interval.high)
    True
    """
    layout = _check_fit_args(hist, family, components, zero_mass, method)
    cells = make_cells(hist, layout.zero_mass)
    n = int(cells.count.sum())
    if n == 0:
        warn_degenerate("fit_dwell: the histogram holds no measured dwell; the fit is undefined (NaN)")
        return _undefined_fit(layout, method)
    if hist.exact.sum() + hist.seconds.sum() == 0:
        warn_degenerate(
            "fit_dwell: no exact or interval-censored positive dwell (only censored rows or zeros); "
            "the continuous part of the model is not identified"
        )
    # Rank the starts by a quick run, then polish the best one (the first on ties).
    runs = [minimise(start, layout, cells, method, polish=False) for start in starts(hist, cells, layout)]
    best = minimise(runs[int(np.argmin([r.fun for r in runs]))].x, layout, cells, method)
    theta = sort_components(np.asarray(best.x), layout)
    bounds = np.array(layout.bounds())
    on_bound = np.isclose(theta, bounds[:, 0], atol=1e-6) | np.isclose(theta, bounds[:, 1], atol=1e-6)
    cov = _covariance(theta, layout, cells)
    if on_bound.any():
        names = [nm for nm, b in zip(layout.names, on_bound, strict=True) if b]
        warn_degenerate(
            f"fit_dwell: estimate on the boundary of the parameter space ({', '.join(names)}); "
            "its covariance and the intervals derived from it are not meaningful"
        )
    pi0, weights, loc, sigma = layout.unpack(theta)
    return DwellFit(
        family=layout.family,
        components=layout.components,
        zero_mass=pi0,
        weights=weights,
        mu=loc,
        sigma=sigma,
        parameters=theta,
        parameter_names=layout.names,
        covariance=cov,
        log_likelihood=-float(neg_loglik(theta, layout, cells, gradient=False)),
        n_observations=n,
        converged=bool(best.success),
        method=method,
    )


def _covariance(theta: np.ndarray, layout: Layout, cells: Cells) -> np.ndarray:
    hess = hessian(theta, layout, cells)
    eig = np.linalg.eigvalsh(hess)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        warn_degenerate(
            "fit_dwell: the observed information is singular (a parameter is not identified by "
            "this histogram); the covariance is a pseudo-inverse"
        )
        return np.linalg.pinv(hess)
    return np.linalg.inv(hess)


def _undefined_fit(layout: Layout, method: str) -> DwellFit:
    k = len(layout.names)
    return DwellFit(
        family=layout.family,
        components=layout.components,
        zero_mass=float("nan"),
        weights=np.full(layout.components, np.nan),
        mu=np.full(layout.components, np.nan),
        sigma=np.full(layout.components, np.nan),
        parameters=np.full(k, np.nan),
        parameter_names=layout.names,
        covariance=np.full((k, k), np.nan),
        log_likelihood=0.0,
        n_observations=0,
        converged=False,
        method=method,
    )


@attrs.frozen
class DwellModelSelection:
    """Candidate fits ranked by an information criterion (:func:`select_dwell_model`).

    ``notes[i]`` holds the degenerate-data warnings of ``fits[i]`` (only the selected fit's
    are re-issued).
    """

    best: DwellFit
    fits: tuple[DwellFit, ...]
    criterion: str
    scores: FloatArray = attrs.field(converter=readonly, eq=ARRAY_EQ)
    notes: tuple[tuple[str, ...], ...] = ()


def _collapsed(fit: DwellFit) -> bool:
    """Whether a component's log-scale sits on its lower bound (a spike)."""
    return bool(np.any(np.log(np.asarray(fit.sigma)) <= _LOG_SIGMA_BOUNDS[0] + 1e-6))


def select_dwell_model(
    hist: DwellHistogram,
    *,
    criterion: Literal["aic", "bic"] = "aic",
    families: tuple[str, ...] = FAMILIES,
    components: tuple[int, ...] = (1, 2),
    zero_mass: bool = True,
    method: Literal["TNC", "Nelder-Mead"] = "TNC",
) -> DwellModelSelection:
    """Fit every family x component count and keep the one with the smallest AIC or BIC.

    Returns a :class:`DwellModelSelection` whose ``fits`` and ``scores`` are in the order tried
    (families outer, components inner) and whose ``best`` has the smallest score (the first on
    ties). BIC penalises the second component more for large histograms; AIC (default) is the
    usual choice for prediction (of P(dwell >= tau)). Degenerate-data warnings of candidates
    that are not selected are kept in ``notes`` rather than issued.

    A candidate with a component collapsed onto a spike (its scale on the lower bound, 0.005 on
    the log scale) is passed over unless every candidate has one. Such a maximum is a
    degenerate solution of the mixture likelihood (McLachlan & Peel 2000, *Finite Mixture
    Models*, on spurious and degenerate maximisers), not a dwell distribution: whole-second
    logs with censored rows reward it, since a spike just below the end of a second keeps every
    row censored in that second above its censoring time while fitting the second's count as
    well as any shape inside it.

    Examples
    --------
    >>> import numpy as np
    >>> from viewaudit.estimators import DwellHistogram, select_dwell_model
    >>> rng = np.random.default_rng(1)
    >>> hist = DwellHistogram.from_arrays(rng.lognormal(7.0, 1.0, 5000))
    >>> choice = select_dwell_model(hist, components=(1,))
    >>> choice.best.family
    'lognormal'
    """
    check_choice("criterion", criterion, ("aic", "bic"))
    if isinstance(families, str) or not families:
        raise ValueError(f"families must be a non-empty tuple of family names, got {families!r}")
    if isinstance(components, int) or not components:
        raise ValueError(f"components must be a non-empty tuple of 1 and/or 2, got {components!r}")
    fits, notes = [], []
    for family, n_components in itertools.product(families, components):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DegenerateDataWarning)
            # fit_dwell checks the family name.
            fit = fit_dwell(hist, family=family, components=n_components, zero_mass=zero_mass, method=method)  # type: ignore[arg-type]
            fits.append(fit)
        for w in caught:
            if not issubclass(w.category, DegenerateDataWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        notes.append(tuple(str(w.message) for w in caught if issubclass(w.category, DegenerateDataWarning)))
    scores = np.array([getattr(fit, criterion) for fit in fits])
    usable = np.isfinite(scores) & ~np.array([_collapsed(fit) for fit in fits])
    if not usable.any():
        usable = np.isfinite(scores)
    i = int(np.argmin(np.where(usable, scores, np.inf))) if usable.any() else 0
    for message in notes[i]:
        warn_degenerate(message)
    return DwellModelSelection(fits[i], tuple(fits), criterion, scores, tuple(notes))
