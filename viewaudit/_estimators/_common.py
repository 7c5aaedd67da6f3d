"""Pieces shared by the estimators: the interval value object, input checks, generators."""

from __future__ import annotations

import collections
import functools
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from viewaudit._estimators.intervals import _z
from viewaudit._warnings import DegenerateDataWarning

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def readonly(values: ArrayLike, dtype: Any = None) -> NDArray[Any]:
    """A read-only copy of ``values`` (arrays held by frozen results must not change)."""
    out = np.array(values, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


def array_eq(a: Any, b: Any) -> bool:
    """Equality of two arrays (or scalars) of the same shape, NaN equal to NaN."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


#: ``eq=`` for attrs fields that hold arrays.
ARRAY_EQ = attrs.cmp_using(eq=array_eq)


def as_value(value: Any) -> float | FloatArray:
    """A float for a scalar, a read-only float array otherwise."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return float(arr)
    return readonly(arr)


@attrs.frozen
class ConfidenceInterval:
    """Lower and upper ends of a confidence interval (scalars, or arrays for vectorised calls)."""

    low: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    high: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)


def check_confidence_level(confidence_level: Any) -> float:
    """``confidence_level`` as a float in (0, 1), or an error naming it."""
    if isinstance(confidence_level, bool) or not isinstance(confidence_level, numbers.Real):
        raise TypeError(f"confidence_level must be a real number, got {type(confidence_level).__name__}")
    value = float(confidence_level)
    if not 0 < value < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    return value


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else a ValueError naming the parameter."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def check_sample_rate(sample_rate: Any) -> float:
    """A row sampling rate in (0, 1]."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real):
        raise TypeError(f"sample_rate must be a real number in (0, 1], got {type(sample_rate).__name__}")
    value = float(sample_rate)
    if not 0 < value <= 1:
        raise ValueError(f"sample_rate must be in (0, 1], got {sample_rate!r}")
    return value


def z_value(confidence_level: float) -> float:
    """The two-sided standard normal quantile of ``confidence_level`` (the ladder's own)."""
    return _z(confidence_level)


def as_generator(rng: Any) -> np.random.Generator:
    """A ``Generator`` from a seed, a ``Generator`` or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an integer seed or None, got {type(rng).__name__}")


def warn_degenerate(message: str, *, stacklevel: int = 3) -> None:
    """Warn that legal data gives an uninformative estimate (the call still returns)."""
    warnings.warn(message, DegenerateDataWarning, stacklevel=stacklevel + 1)


def lognormal_count_interval(observed: float, unseen: float, variance: float, z: float) -> tuple[float, float]:
    """``observed + unseen`` with the log-normal interval on the unseen part.

    ``[S + f0/C, S + f0*C]`` with ``C = exp(z sqrt(ln(1 + var/f0^2)))``: the unseen count is
    taken as log-normal so the interval is never below what was observed (Chao 1987,
    Biometrics 43:783-791). Where nothing is unseen the interval is ``[S, S]``.
    """
    if unseen <= 0 or not np.isfinite(unseen):
        return observed, observed
    c = float(np.exp(z * np.sqrt(np.log1p(max(variance, 0.0) / unseen**2))))
    return observed + unseen / c, observed + unseen * c


def combined_count_interval(
    observed: float, center: float, low: float, high: float, variance: float, z: float
) -> tuple[float, float]:
    """An interval for a count ``center`` (of which ``observed`` were seen) from the interval
    ``[low, high]`` of its expectation and the ``variance`` of the count around it, added in
    quadrature on the log scale of the unseen part ``U = center - observed``:
    ``observed + U exp(-+sqrt(ln(U / U_low)^2 + z^2 tau^2))`` with ``tau^2 = ln(1 + var/U^2)``
    (``U_low = low - observed``, likewise above), as Chao's (1987) log-normal interval
    (:func:`lognormal_count_interval`, which this is where ``low = high = center``)."""
    unseen = center - observed
    if unseen <= 0 or not np.isfinite(unseen):
        return observed, max(observed, high)
    noise = z * z * float(np.log1p(max(variance, 0.0) / unseen**2))
    below = float(np.log(unseen / max(low - observed, 1e-12 * unseen))) if low < center else 0.0
    above = float(np.log((high - observed) / unseen)) if high > center else 0.0
    spread_below, spread_above = np.sqrt(below**2 + noise), np.sqrt(above**2 + noise)
    return observed + unseen * float(np.exp(-spread_below)), observed + unseen * float(np.exp(spread_above))


@attrs.frozen
class CountEstimate:
    """An estimated count (of viewers, reached viewers or impressions) with its interval.

    Attributes
    ----------
    estimate : float or ndarray
    standard_error : float or ndarray
        The standard error the interval was built from (NaN where the interval is not
        standard-error based).
    confidence_interval : ConfidenceInterval
    observed : float or ndarray
        What the sample shows for certain (a lower bound on the count: e.g. viewers seen).
    method : str
    confidence_level : float
    """

    estimate: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    standard_error: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    confidence_interval: ConfidenceInterval
    observed: float | FloatArray = attrs.field(converter=as_value, eq=ARRAY_EQ)
    method: str
    confidence_level: float


def check_frequencies(f: Any) -> IntArray:
    """A frequency-of-frequency table as an int64 array (``f[k]`` viewers seen k times).

    ``f[0]`` is ignored (set to 0): the viewers seen zero times are what is estimated.
    """
    arr = np.asarray(f)
    if arr.ndim != 1:
        raise ValueError(f"f must be a one-dimensional frequency table, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf" or arr.dtype == bool:
        raise TypeError(f"f must hold counts (integers), got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError("f must hold whole numbers (counts of viewers)")
    out = np.array(arr, dtype=np.int64)
    if out.size and out.min() < 0:
        raise ValueError(f"f must be non-negative; f[{int(np.argmin(out))}] is {int(out.min())}")
    if out.size == 0:
        out = np.zeros(1, np.int64)
    out[0] = 0
    return out


def empty_sample_bound(sample_rate: float, confidence_level: float) -> float:
    """Largest count of viewers with at least one impression that a sample at rate ``p``
    misses entirely with probability at least (1 - confidence_level) / 2.

    Each such viewer is missed with probability at most 1 - p, so all N are missed with
    probability at most (1 - p)^N.
    """
    if sample_rate >= 1:
        return 0.0
    return float(np.floor(np.log((1 - confidence_level) / 2) / np.log1p(-sample_rate)))


TableFit = tuple[FloatArray, float, FloatArray]


def central_differences(fn: Callable[[np.ndarray], Any], theta: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Derivatives of ``fn`` (scalar or vector valued) in each coordinate of ``theta``:
    ``(fn(theta + h_i e_i) - fn(theta - h_i e_i)) / (2 h_i)``, one row per coordinate."""
    rows = []
    for i, h in enumerate(steps):
        step = np.zeros(theta.size)
        step[i] = h
        rows.append((np.asarray(fn(theta + step)) - np.asarray(fn(theta - step))) / (2 * h))
    return np.array(rows, dtype=np.float64)


def covariance_from_score(score: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Covariance of a maximum-likelihood ``theta``: the inverse of the Hessian of minus the
    log-likelihood, the central differences of ``score`` (its gradient) with ``steps``,
    symmetrised. Where the Hessian is near singular (a flat direction: a parameter on a bound of
    a zero-truncated fit) the pseudo-inverse gives that direction no variance."""
    hess = central_differences(score, theta, steps)
    hess = 0.5 * (hess + hess.T)
    eig = np.linalg.eigvalsh(hess)
    return np.linalg.inv(hess) if eig.min() > 1e-9 * max(eig.max(), 1e-300) else np.linalg.pinv(hess, rcond=1e-9)


def predicted_count(observed: float, estimate: float, variance: float, confidence_level: float, method: str) -> CountEstimate:
    """An exposure model's estimate of a count of which ``observed`` were seen, with the
    log-normal interval (:func:`lognormal_count_interval`, prediction-error ``variance``) on the
    part above them; neither the estimate nor the interval below ``observed``."""
    low, high = lognormal_count_interval(observed, estimate - observed, variance, z_value(confidence_level))
    estimate = max(estimate, observed)
    interval = ConfidenceInterval(min(low, estimate), max(high, estimate))
    return CountEstimate(estimate, float(np.sqrt(variance)), interval, observed, method, confidence_level)


def per_person_error_variance(q: float, seen: float, reach: float, unseen_reached: float) -> float:
    """Variance of one person's part ``Q 1(Y >= 1) - 1(X >= k)`` of the error of an estimate
    ``S Q`` of k+ reach (``Q = P(X >= k) / P(Y >= 1)``): ``Q^2 P(Y >= 1) + P(X >= k) - 2 Q
    P(Y >= 1, X >= k)``, with ``P(Y >= 1, X >= k) = P(X >= k) - P(Y = 0, X >= k)``; clamped at 0
    against rounding."""
    return max(q * q * seen + reach - 2.0 * q * (reach - unseen_reached), 0.0)


def memo_by_table(kept: int = 64) -> Callable[[Callable[[np.ndarray, np.ndarray], TableFit]], Callable[..., TableFit]]:
    """Remember the last ``kept`` fits of a zero-truncated model by their table ``(ks, fk)``.

    The fit to a sampled frequency table does not depend on the sampling rate (the rate only
    enters the extrapolation), and an audit asks for the same table many times: per policy
    (rendered and valid do not change with it) and per thinning rate of a rung's interval. The
    fit is a pure function of the table, so a cached one is the same fit; copies are returned.
    """

    def wrap(fit: Callable[[np.ndarray, np.ndarray], TableFit]) -> Callable[..., TableFit]:
        cache: collections.OrderedDict[bytes, TableFit] = collections.OrderedDict()

        @functools.wraps(fit)
        def cached(ks: np.ndarray, fk: np.ndarray, **kwargs: Any) -> TableFit:
            if kwargs.get("start") is not None:  # a refit from a given start: not the table's fit
                return fit(ks, fk, **kwargs)
            key = (
                np.ascontiguousarray(ks, dtype=np.float64).tobytes() + b"|" + np.ascontiguousarray(fk, dtype=np.float64).tobytes()
            )
            if key not in cache:
                cache[key] = fit(ks, fk)
                if len(cache) > kept:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(key)
            theta, loglik, cov = cache[key]
            return theta.copy(), loglik, cov.copy()

        return cached

    return wrap
