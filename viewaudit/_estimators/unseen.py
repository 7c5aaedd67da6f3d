"""Unique viewers of a sampled log: estimating the viewers the sample did not show.

Every estimator here reads the frequency-of-frequency table ``f`` of the sample (``f[k]``
viewers seen exactly k times; :func:`frequency_counts` builds it from per-viewer counts) and,
except the classic Chao1, the row sampling rate ``p`` (rows kept independently with
probability ``p``). The estimand is the number of viewers with at least one impression in the
complete log. With ``p = 1`` the log is complete and every method returns the count seen,
exactly.
"""

from __future__ import annotations

import collections
import warnings
from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from viewaudit._estimators._common import (
    ConfidenceInterval,
    CountEstimate,
    IntArray,
    check_choice,
    check_confidence_level,
    check_frequencies,
    check_positive_int,
    check_sample_rate,
    combined_count_interval,
    empty_sample_bound,
    lognormal_count_interval,
    warn_degenerate,
    z_value,
)
from viewaudit._estimators._deferred import optimize, stats
from viewaudit._estimators.gamma_poisson import GammaPoissonFit, fit_gamma_poisson, gamma_poisson_reach
from viewaudit._estimators.gamma_poisson_mixture import MIN_DISTINCT_COUNTS, fit_gamma_poisson_mixture
from viewaudit._estimators.model_free import model_free_reach
from viewaudit._estimators.poisson_lognormal import PoissonLognormalFit, fit_poisson_lognormal, poisson_lognormal_viewers
from viewaudit._warnings import DegenerateDataWarning

UniqueMethod = Literal["gamma-poisson", "poisson-lognormal", "model-average", "chao1", "chao1-sampled", "good-toulmin"]
UNIQUE_METHODS: tuple[str, ...] = (
    "gamma-poisson",
    "poisson-lognormal",
    "model-average",
    "chao1",
    "chao1-sampled",
    "good-toulmin",
)
#: The method :func:`unique_viewers` uses unless told otherwise (see its Notes).
DEFAULT_UNIQUE_METHOD: UniqueMethod = "gamma-poisson"


def frequency_counts(per_viewer_counts: ArrayLike) -> IntArray:
    """The frequency-of-frequency table of per-viewer impression counts.

    Parameters
    ----------
    per_viewer_counts : array_like of int
        Impressions of each viewer in the sample (e.g. a Summary's ``n_<level>`` column for
        the rows with a viewer); zeros are allowed and ignored.

    Returns
    -------
    ndarray of int
        ``f`` with ``f[k]`` = viewers seen exactly ``k`` times, ``f[0] = 0``; length
        ``max(count) + 1`` (1 for no viewers).

    Examples
    --------
    >>> from viewaudit.estimators import frequency_counts
    >>> frequency_counts([1, 1, 2, 5, 0]).tolist()
    [0, 2, 1, 0, 0, 1]
    """
    arr = np.asarray(per_viewer_counts)
    if arr.ndim != 1:
        raise ValueError(f"per_viewer_counts must be one-dimensional, got shape {arr.shape}")
    if arr.size and (arr.dtype.kind not in "iuf" or arr.dtype == bool):
        raise TypeError(f"per_viewer_counts must hold integers, got dtype {arr.dtype}")
    if arr.size and arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError("per_viewer_counts must hold whole numbers")
    counts = arr.astype(np.int64)
    if counts.size and counts.min() < 0:
        raise ValueError(f"per_viewer_counts must be >= 0; entry {int(np.argmin(counts))} is {int(counts.min())}")
    f = np.bincount(counts, minlength=1).astype(np.int64)
    f[0] = 0
    return f


def _observed(f: IntArray) -> tuple[int, int, int, int]:
    """(S, f1, f2, n): viewers seen, singletons, doubletons, sampled impressions."""
    f1 = int(f[1]) if f.size > 1 else 0
    f2 = int(f[2]) if f.size > 2 else 0
    return int(f.sum()), f1, f2, int(np.dot(np.arange(f.size), f))


def _no_singleton_interval(s: int, n: int, z: float) -> tuple[float, float, float]:
    """EstimateS's interval when nothing is extrapolated (Colwell 2013, EstimateS 9 User's
    Guide, Appendix B, Eqs. 8 and 14): with P = exp(-n/S), up to S/(1-P) + z sqrt(S P/(1-P));
    the low end is S itself (the viewers seen, and the estimate: EstimateS floors its lower end
    at S, which can leave S/(1-P) - z sqrt(...) above it). Returns (standard error, low, high)."""
    p_miss = np.exp(-n / s)
    half = z * np.sqrt(s * p_miss / (1 - p_miss))
    centre = s / (1 - p_miss)
    return float(np.sqrt(s * p_miss * (1 - p_miss))), float(s), max(float(s), centre + half)


def chao1(
    f: ArrayLike,
    *,
    sample_rate: float | None = None,
    confidence_level: float = 0.95,
) -> CountEstimate:
    """Chao1 lower bound on the number of viewers, with the log-normal interval.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table (``f[k]`` viewers seen k times; ``f[0]`` ignored).
    sample_rate : float, optional, keyword-only
        None (default): the classic bias-corrected Chao1, which knows nothing of how the
        sample was drawn. A rate ``p`` in (0, 1]: the bound for rows kept independently with
        probability ``p`` (see Notes), exact at ``p = 1``.
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate
        ``observed`` is S, the viewers seen.

    Warns
    -----
    DegenerateDataWarning
        Empty table, a single viewer, no singletons (nothing to extrapolate from) or no
        doubletons (classic form: the estimate rests on f1 alone).

    Notes
    -----
    Classic (Chao 1984; bias-corrected form, Chao 2005):

    .. math:: \\hat N = S + \\frac{f_1 (f_1 - 1)}{2 (f_2 + 1)},

    with the variance of Chao (1987), ``f2 [r^2/2 + r^3 + r^4/4]``, ``r = f1/f2``; without
    doubletons EstimateS's bias-corrected form ``f1(f1-1)/2 + f1(2 f1-1)^2/4 - f1^4/(4 N)``;
    without an extrapolated part EstimateS's no-singleton interval (Colwell 2013, Appendix B).
    The interval is log-normal on the unseen part ``f0``:
    ``[S + f0/C, S + f0 C]``, ``C = exp(z sqrt(ln(1 + var/f0^2)))`` (Chao 1987).

    With a known sampling rate, a viewer with ``X`` impressions in the complete log is seen
    ``Y ~ Binomial(X, p)`` times. Cauchy-Schwarz on ``E f0 = sum (1-p)^X``,
    ``E f1 = sum X p (1-p)^(X-1)`` and ``E f2 = sum X(X-1)/2 p^2 (1-p)^(X-2)`` gives

    .. math:: E f_0 \\ge \\frac{(E f_1)^2}{2 E f_2 + \\frac{p}{1-p} E f_1},

    the analogue for Bernoulli row sampling of the without-replacement bound of Chao & Lin
    (2012). The estimate plugs the observed f1, f2 into this bound on the expected unseen count,
    which holds whatever the exposures X of the complete log; it tends to the classic form as
    p -> 0 and is attained when all viewers have the same exposure. The classic form instead
    targets everyone with a positive exposure *rate* (including people the complete log never
    showed) and can exceed the viewers of the complete log when exposures are few and similar. Its
    variance is the delta method with multinomial covariances (which gives Chao's formula in the
    classic case).

    Both are **lower bounds** when exposure is heterogeneous (Cauchy-Schwarz is tight only when
    exposure is equal): with heavy-tailed exposure they can fall far short of the truth.

    References
    ----------
    Chao, A. (1984). Scand. J. Statist. 11:265-270. Chao, A. (1987). Biometrics 43:783-791.
    Chao, A. (2005). Species estimation and applications. Encyclopedia of Statistical Sciences.
    Chao, A. & Lin, C.-W. (2012). Biometrics 68:912-921. Colwell, R. K. (2013). EstimateS 9
    User's Guide, Appendix B.

    Examples
    --------
    >>> from viewaudit.estimators import chao1
    >>> est = chao1([0, 40, 10, 5, 2])
    >>> est.observed, round(est.estimate, 2)
    (57.0, 127.91)
    """
    f = check_frequencies(f)
    p = None if sample_rate is None else check_sample_rate(sample_rate)
    cl = check_confidence_level(confidence_level)
    z = z_value(cl)
    s, f1, f2, n = _observed(f)
    method = "chao1" if p is None else "chao1-sampled"
    if s == 0:
        warn_degenerate(f"{method}: no viewer was seen; nothing to extrapolate from")
        high = np.inf if p is None else empty_sample_bound(p, cl)
        return CountEstimate(0.0, np.nan, ConfidenceInterval(0.0, high), 0.0, method, cl)
    if p == 1:
        return CountEstimate(s, 0.0, ConfidenceInterval(s, s), s, method, cl)
    single = s == 1
    if single:  # the one warning that says it all
        warn_degenerate(f"{method}: a single viewer was seen; the interval rests on one count")
    if p is None:
        unseen, var = _classic(s, f1, f2, method, warn=not single)
    else:
        unseen, var = _sampled(s, f1, f2, p / (1 - p))
    if unseen <= 0:
        if f1 == 0 and not single:
            warn_degenerate(f"{method}: no singletons; nothing is extrapolated (no-singleton interval)")
        se, low, high = _no_singleton_interval(s, n, z)
        return CountEstimate(s, se, ConfidenceInterval(low, high), s, method, cl)
    low, high = lognormal_count_interval(s, unseen, var, z)
    return CountEstimate(s + unseen, np.sqrt(var), ConfidenceInterval(low, high), s, method, cl)


def _classic(s: int, f1: int, f2: int, method: str, *, warn: bool) -> tuple[float, float]:
    unseen = f1 * (f1 - 1) / (2 * (f2 + 1))
    if f1 == 0:
        return 0.0, 0.0
    if f2 > 0:
        r = f1 / f2
        return unseen, f2 * (r**2 / 2 + r**3 + r**4 / 4)
    if warn:
        warn_degenerate(f"{method}: no doubletons; the estimate rests on the singletons alone")
    total = s + unseen
    return unseen, f1 * (f1 - 1) / 2 + f1 * (2 * f1 - 1) ** 2 / 4 - f1**4 / (4 * total)


def _sampled(s: int, f1: int, f2: int, c: float) -> tuple[float, float]:
    """The Bernoulli-sampling bound f1^2 / (2 f2 + c f1) and its delta-method variance."""
    if f1 == 0:
        return 0.0, 0.0
    d = 2 * f2 + c * f1
    unseen = f1 * f1 / d
    # dN/df1 and dN/df2 (N = S + f0, S = sum f_k); dN/df_k = 1 for k >= 3.
    g1 = 1 + (4 * f1 * f2 + c * f1 * f1) / d**2
    g2 = 1 - 2 * f1 * f1 / d**2
    total = s + unseen
    lin = (s - f1 - f2) + g1 * f1 + g2 * f2
    var = (s - f1 - f2) + g1 * g1 * f1 + g2 * g2 * f2 - lin * lin / total
    return unseen, max(var, 0.0)


def good_toulmin(
    f: ArrayLike,
    *,
    sample_rate: float,
    smoothing: Literal["poisson", "binomial"] = "poisson",
    confidence_level: float = 0.95,
) -> CountEstimate:
    """Smoothed Good-Toulmin prediction of the viewers the sample missed.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table (``f[0]`` ignored).
    sample_rate : float, keyword-only
        Row sampling rate ``p``; the extrapolation ratio is ``t = (1 - p) / p``.
    smoothing : {"poisson", "binomial"}, keyword-only
        Law of the random truncation ``L`` (Orlitsky, Suresh & Wu 2016, Table 1).
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate

    Notes
    -----
    For rows kept with probability ``p`` the unseen count has the unbiased linear estimator
    ``U = -sum_k (-t)^k f_k`` (Good & Toulmin 1956: ``sum_k C(X,k) p^k (1-p)^(X-k) (-t)^k``
    sums to ``-(1-p)^X``), whose variance explodes for ``t > 1`` (p < 1/2). The smoothed
    estimator (Orlitsky, Suresh & Wu 2016, PNAS 113:13283-13288) damps the k-th term by
    ``P(L >= k)``:

    .. math:: \\hat U = -\\sum_k (-t)^k P(L \\ge k) f_k,

    with ``L ~ Poisson(r)``, ``r = ln(n (t+1)^2 / (t-1)) / (2t)``, or
    ``L ~ Binomial(K, 2/(t+2))``, ``K = ceil(log_3(n t^2 / (t-1)) / 2)``, ``n`` the sampled
    impressions; for ``t <= 1`` no smoothing is needed (L = infinity). Its error is
    guaranteed small only for ``t`` up to about ``ln n`` (so ``p`` not far below
    ``1 / ln n``); at p = 10 % the smoothing bias can dominate. Variance:
    ``sum_k h_k^2 f_k + U`` with ``h_k`` the weights (each viewer contributes
    ``1(Y >= 1) + h_Y - 1`` to the error, mean about 0); normal interval floored at S.
    A negative prediction (the alternating sum undershooting) is set to 0.
    """
    f = check_frequencies(f)
    p = check_sample_rate(sample_rate)
    check_choice("smoothing", smoothing, ("poisson", "binomial"))
    cl = check_confidence_level(confidence_level)
    s, _, _, n = _observed(f)
    if s == 0:
        warn_degenerate("good-toulmin: no viewer was seen; nothing to extrapolate from")
        return CountEstimate(0.0, np.nan, ConfidenceInterval(0.0, empty_sample_bound(p, cl)), 0.0, "good-toulmin", cl)
    if p == 1:
        return CountEstimate(s, 0.0, ConfidenceInterval(s, s), s, "good-toulmin", cl)
    if s == 1:
        warn_degenerate("good-toulmin: a single viewer was seen; the interval rests on one count")
    h = good_toulmin_weights(f.size - 1, t=(1 - p) / p, n=n, smoothing=smoothing)
    unseen = max(float(np.dot(h, f)), 0.0)
    var = float(np.dot(h * h, f)) + unseen
    half = z_value(cl) * np.sqrt(var)
    est = s + unseen
    return CountEstimate(est, np.sqrt(var), ConfidenceInterval(max(s, est - half), est + half), s, "good-toulmin", cl)


def good_toulmin_weights(k_max: int, *, t: float, n: int, smoothing: str = "poisson") -> np.ndarray:
    """Weights ``h_k = -(-t)^k P(L >= k)``, k = 0..k_max (h_0 = 0), of the smoothed
    Good-Toulmin estimator ``sum_k h_k f_k``; computed in logs (t^k overflows)."""
    k = np.arange(1, k_max + 1)
    if t <= 1:
        log_tail = np.zeros(k.size)
    elif smoothing == "poisson":
        r = max(np.log(max(n, 1) * (t + 1) ** 2 / (t - 1)) / (2 * t), 0.0)
        log_tail = stats.poisson.logsf(k - 1, r) if r > 0 else np.full(k.size, -np.inf)
    else:
        size = max(int(np.ceil(0.5 * np.log(max(n, 1) * t * t / (t - 1)) / np.log(3))), 0)
        log_tail = stats.binom.logsf(k - 1, size, 2 / (t + 2)) if size > 0 else np.full(k.size, -np.inf)
    with np.errstate(over="ignore"):
        magnitude = np.exp(k * np.log(t) + log_tail) if t > 0 else np.zeros(k.size)
    sign = np.where(k % 2 == 1, 1.0, -1.0)  # -(-1)^k
    return np.concatenate([[0.0], sign * np.nan_to_num(magnitude, nan=0.0)])


#: The likelihood-ratio statistic of two classes of Gamma-Poisson exposure against one above which
#: the one class is rejected and the interval of :func:`model_set_reach` takes in the two classes'
#: (chi2 with 3 degrees of freedom, 95 % point: a conventional reference, not an exact one, since
#: at a share of 1 the second class's parameters are not identified).
MIXTURE_TEST_CRITICAL = 7.814727903251179  # float(scipy.stats.chi2.ppf(0.95, 3)), written out: see _deferred
#: Fewer viewers seen at least k times than this (k >= 2), and the interval of k+ reach takes in
#: the exact Poisson interval of their count (:func:`model_set_reach`): below 20 the count's skew
#: (1/sqrt(n) > 0.22) is not small, and the log-normal interval puts its low end too high.
FEW_REPEATS = 20
#: Extrapolation ratios t = (1 - p) / p up to this (p >= 1/4) let the smoothed Good-Toulmin check
#: the exposure models (:func:`model_set_reach`): on the estimator benchmark's Gamma, log-normal
#: and Pareto populations at p = 30 % (t = 2.3) it was within 0.5 % of the truth on average, and
#: at p = 10 % (t = 9) off by up to 9 % (-9.3 to +2.2 %), too biased to judge a model by.
NONPARAMETRIC_RATIO = 3.0


def gamma_poisson_viewers(f: ArrayLike, *, sample_rate: float, confidence_level: float = 0.95) -> CountEstimate:
    """The default unique-viewer estimate: Gamma-Poisson, its interval widened for the choice of
    exposure model (:func:`model_set_reach` at ``k = 1``)."""
    return model_set_reach(f, sample_rate=sample_rate, k=1, confidence_level=confidence_level)


def model_set_reach(f: ArrayLike, *, sample_rate: float, k: int = 1, confidence_level: float = 0.95) -> CountEstimate:
    """Viewers with at least ``k`` impressions in the complete log: the Gamma-Poisson estimate
    (two classes' where the data reject one), with an interval over the exposure models the
    likelihood does not reject (widened, for ``k >= 2``, for a small count of repeat viewers).
    The default of :func:`unique_viewers` (``k = 1``) and :func:`k_plus_reach`.

    The estimate is the Gamma-Poisson one (:func:`gamma_poisson_reach`) unless the two-class
    test below rejects one class. The interval starts from the **likelihood set** of the
    Gamma-Poisson and Poisson-log-normal models (two parameters each, fitted to the same
    zero-truncated table): the range of the reach ``S Q`` over the Gamma-Poisson parameters whose
    log-likelihood is within ``chi2_1(cl) / 2`` of its maximum (the profile-likelihood interval
    of the reach, the shape scanned and the mean profiled out) and over the log-normal ones
    within ``chi2_1(cl) / 2`` of the better model's maximum (in the Wald approximation; nothing
    where the log-normal is worse by more than that). The noise of who was seen (the better
    model's population term) is added in quadrature on the log scale of the unseen part
    (:func:`~._common.combined_count_interval`). The two models extrapolate the unseen viewers
    differently (a Gamma of small shape has many people with almost no exposure; a log-normal
    has fewer and a heavier upper tail) and a sample of a few thousand viewers at p = 10 % often
    cannot choose: on the accuracy benchmark's x-openai-2023 logs (undetected bots with five
    times the exposure) the Gamma-Poisson delta interval of unique viewers alone covered 68 % of
    runs. With 150,000 people sampled from a Gamma-Poisson population the log-normal is outside
    the set and the interval is the Gamma-Poisson one, close to its delta interval. For
    ``k >= 2`` the two models differ in how the repeat viewers the sample thinned to one
    impression spread: the same rule applies.

    The profile likelihood, not the delta method, because the likelihood in the shape is often
    flat toward the log-series or the Poisson limit, where the reach saturates: linearised in
    ``ln a`` the delta method overstates the spread (news-site's 10 % samples: standard error
    5.6 % of the estimate on fits off the bounds, against a 3.8 % spread of the estimates about
    the truth). On the accuracy benchmark's 10 % samples (80 runs per scenario) the pooled
    coverage of unique viewers on the five rungs went from 97.1 / 97.9 / 98.6 / 99.2 / 96.2 %
    (the union of the two models' delta intervals, widened at the shape's bounds) to 95.0 / 96.7
    / 96.3 / 96.6 / 96.2 %, the estimates unchanged. The Gamma-Poisson set is judged against its
    own maximum, never the log-normal's: where no model fits (a Pareto population, the
    log-normal better by thousands of log-likelihood units and every model off the truth) the
    interval keeps spanning the models' disagreement instead of the best misfit's.

    Where the table shows at least six distinct counts and the likelihood-ratio test of two
    classes of Gamma-Poisson exposure against one rejects the one class (the statistic at least
    :data:`MIXTURE_TEST_CRITICAL`), the estimate is the two classes' and the interval also takes
    in theirs (:func:`~.gamma_poisson_mixture.fit_gamma_poisson_mixture`; ``method`` then reads
    ``"gamma-poisson-mixture"``): a few heavily exposed accounts (undetected bots) make the one
    class read the heavy tail as more unseen light viewers and lean high, and neither the
    log-normal nor the one class covers that lean in every run. On the accuracy benchmark's 10 %
    samples (240 runs per scenario) the two classes' estimate took the pooled rendered unique
    viewers' bias from +4.1 to +1.5 % (x-openai-2023: +7.7 to +1.6 %). On Gamma-Poisson
    populations the test rejected one class in 0-18 % of samples (the estimator benchmark),
    where the two classes' estimate is the noisier (``docs/methods.md``). The standard error
    reported with a widened interval is ``(high - low) / (2 z)``.

    For ``k = 1`` and an extrapolation ratio ``t = (1 - p) / p`` of at most
    :data:`NONPARAMETRIC_RATIO` (p >= 1/4), the smoothed Good-Toulmin (:func:`good_toulmin`,
    nearly unbiased there) checks the models: where its interval excludes their estimate, the
    interval takes it in. On a Pareto population at p = 30 % every model leans +6 % and they
    agree: their interval covered 0 of 40 runs of the estimator benchmark, with the check 92 %;
    no Gamma or log-normal row lost coverage. Spanning it always would widen the Gamma
    populations' intervals at 30 % about sevenfold.

    For ``k = 1``, where the one-class Gamma-Poisson fit misfits the singletons and doubletons
    (:func:`low_counts_misfit`), the low end reaches down to the lower limit of the Chao1-type
    bound for Bernoulli row sampling (:func:`chao1` with ``sample_rate``; Chao 1984, 1987; Chao &
    Lin 2012), which holds whatever the exposures. On a closed audience (a finite population the
    complete log mostly reaches, nobody with almost no exposure) every model extrapolates a tail
    of light viewers that is not there (+5 % at p = 20 %) and their interval covered 10 % of runs;
    with the bound 100 % (``docs/methods.md``). Spanning the bound always would widen the Gamma
    populations' intervals several-fold (4 % to 31 % of the truth at p = 10 %). For ``k >= 2`` no
    such bound exists (the Cauchy-Schwarz argument bounds the viewers never seen, not those seen
    fewer than ``k`` times who have ``k`` or more), and where the one class misfits, the models
    can miss either way: the interval then takes in the model-free range
    (:func:`~viewaudit._estimators.model_free.model_free_reach`). On the accuracy benchmark the
    3+ reach of Pareto exposures went from 0 % to 100 % coverage (6-12 % to 74-152 % wide) and
    that of the closed *subscribers* from 2-68 % to 100 % at p >= 10 %; log-normal cells, covered
    before, widened from 5-13 % to 72-156 % of the truth. Gamma cells never misfit and are
    unchanged.

    A table of one viewer, or of viewers all seen once, fits no model (the fit sits on its
    bounds and warns): the interval then takes in the model-free range (one viewer seen five
    times at p = 1 % had [1.0001, 1.56] at every p; now [1, 554]).

    For ``k >= 2`` and fewer than :data:`FEW_REPEATS` viewers seen at least ``k`` times
    (``n``), the interval also takes in the exact (Garwood) Poisson interval of that count:
    where repeats are rare the extrapolation is about proportional to ``n``, so the estimate
    times ``[L(n), U(n)] / n`` (``L``, ``U`` the Garwood limits; the low end not below ``n``).
    The delta method's log-normal interval was too short there, its low end far too high: on
    10 % samples of 15,000 people with rates of about 0.07 and 2 or 3 viewers seen twice, it
    covered 2+ reach in 0-29 % of samples, the widened one in 93-100 %. With many repeat
    viewers the rest of the table pins the extrapolation better than their count alone, and
    the rule is not applied.
    """
    cl = check_confidence_level(confidence_level)
    p = check_sample_rate(sample_rate)
    k = check_positive_int("k", k)
    f = check_frequencies(f)
    if p == 1 or f[1:].sum() == 0:  # exact, or nothing seen: the design-based bound
        return gamma_poisson_reach(f, sample_rate=p, k=k, confidence_level=cl)
    models = _models_reach(f, p, k, cl)
    ci = models.confidence_interval
    if f[1:].sum() == 1 or f[2:].sum() == 0:
        # One viewer, or every viewer seen once: no model can be fitted to such a table (the fit
        # warns), and its interval hangs on the fit's bounds, not on the sample (one viewer seen
        # five times at p = 1 %: [1.0001, 1.56], whatever p). The model-free range is what the
        # sample allows (that viewer and up to 553 more at p = 1 %).
        free = model_free_reach(f, sample_rate=p, k=k, confidence_level=cl)
        low, high = min(ci.low, free.low), max(ci.high, free.high)
        return CountEstimate(
            models.estimate, (high - low) / (2 * z_value(cl)), ConfidenceInterval(low, high), models.observed, models.method, cl
        )
    if not low_counts_misfit(f, sample_rate=p):
        return models
    if k == 1:
        # The models misfit the low counts: the nonparametric lower bound's own lower limit, and
        # the models' low end never above it.
        low, high = min(ci.low, sampled_bound(f, p, cl).confidence_interval.low), ci.high
    else:
        # No Chao1-type bound exists for k >= 2, and where the models misfit they can miss either
        # way (Pareto exposures: 3+ reach 18 % low, covered in no run): the model-free range.
        free = model_free_reach(f, sample_rate=p, k=k, confidence_level=cl)
        low, high = min(ci.low, free.low), max(ci.high, free.high)
    if (low, high) == (ci.low, ci.high):
        return models
    return CountEstimate(
        models.estimate,
        (high - low) / (2 * z_value(cl)),
        ConfidenceInterval(low, high),
        models.observed,
        models.method,
        cl,
    )


def _models_reach(f: IntArray, p: float, k: int, cl: float) -> CountEstimate:
    """:func:`model_set_reach` without the lower bound, remembered (:data:`_REMEMBERED`)."""
    gp_fit = fit_gamma_poisson(f, sample_rate=p)  # warns on degenerate tables
    key = (np.ascontiguousarray(f, dtype=np.int64).tobytes(), p, k, cl)
    if key not in _REMEMBERED:
        _REMEMBERED[key] = _model_set_reach(f, gp_fit, k, cl)
        if len(_REMEMBERED) > 256:
            _REMEMBERED.popitem(last=False)
    else:
        _REMEMBERED.move_to_end(key)  # the least recently used goes first, as in memo_by_table
    return _REMEMBERED[key]


#: :func:`model_set_reach` by (table, rate, k, level): a pure function of them (its warnings are
#: the Gamma-Poisson fit's, issued on every call), and an audit asks for the same table at the
#: same rate once per policy (rendered and valid do not change with it). With the fits remembered
#: (``memo_by_table``) the profile scans of the likelihood set are most of a call's cost.
_REMEMBERED: collections.OrderedDict[tuple[bytes, float, int, float], CountEstimate] = collections.OrderedDict()


def _model_set_reach(f: IntArray, gp_fit: GammaPoissonFit, k: int, cl: float) -> CountEstimate:
    """:func:`model_set_reach` of a checked table with something seen, sampled (``p < 1``)."""
    p = gp_fit.sample_rate
    own: CountEstimate | None = None  # a fit's own result, returned as it is if nothing widens it
    if np.count_nonzero(f[1:]) < 2:  # with one distinct count nothing tells the models apart
        own = gp_fit.k_plus_reach(k, confidence_level=cl)
        estimate, method, intervals = float(own.estimate), own.method, [own.confidence_interval]
    else:
        with warnings.catch_warnings():
            # The log-normal fit only shapes the interval: its own degenerate-table warnings are
            # the Gamma-Poisson fit's, already issued.
            warnings.simplefilter("ignore", DegenerateDataWarning)
            ln_fit = fit_poisson_lognormal(f, sample_rate=p)
        estimate, method = gp_fit._reach_estimate(k), "gamma-poisson"
        intervals = [_likelihood_set_interval(gp_fit, estimate, ln_fit, k, cl)]
    if np.count_nonzero(f[1:]) >= MIN_DISTINCT_COUNTS:
        mix_fit = fit_gamma_poisson_mixture(f, sample_rate=p)
        if 2 * (mix_fit.log_likelihood - gp_fit.log_likelihood) >= MIXTURE_TEST_CRITICAL:
            mix = mix_fit.k_plus_reach(k, confidence_level=cl)
            if np.isfinite(mix.confidence_interval.high):
                own, estimate, method = mix, float(mix.estimate), mix.method
                intervals.append(mix.confidence_interval)
    if k == 1 and (1 - p) / p <= NONPARAMETRIC_RATIO:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)  # the Gamma-Poisson fit's, issued
            check = good_toulmin(f, sample_rate=p, confidence_level=cl).confidence_interval
        if not check.low <= estimate <= check.high:
            # The models' estimate is outside the nonparametric interval: they do not fit, and
            # the interval takes the nonparametric one in.
            intervals.append(check)
    repeats = int(f[k:].sum())
    if k >= 2 and 0 < repeats < FEW_REPEATS:
        alpha = 1.0 - cl
        count_low = stats.chi2.ppf(alpha / 2, 2 * repeats) / 2
        count_high = stats.chi2.ppf(1 - alpha / 2, 2 * repeats + 2) / 2
        intervals.append(ConfidenceInterval(max(repeats, estimate * count_low / repeats), estimate * count_high / repeats))
    low = min(min(ci.low for ci in intervals), estimate)
    high = max(max(ci.high for ci in intervals), estimate)
    if own is not None and (low, high) == (own.confidence_interval.low, own.confidence_interval.high):
        return own
    return CountEstimate(estimate, (high - low) / (2 * z_value(cl)), ConfidenceInterval(low, high), float(repeats), method, cl)


#: The Pearson statistic of the sample's singletons and doubletons against the one-class
#: Gamma-Poisson fit's expected counts at or above which the models are taken not to fit the low
#: counts, and the interval of unique viewers reaches down to the Chao1-type bound
#: (:func:`model_set_reach`): chi2 with 2 degrees of freedom, 99 % point (a conservative reference:
#: the fit's residuals vary less than independent ones).
LOW_COUNTS_CRITICAL = 9.21034037197618  # float(scipy.stats.chi2.ppf(0.99, 2)), written out: see _deferred


def low_counts_misfit(f: ArrayLike, *, sample_rate: float) -> bool:
    """Whether the one-class Gamma-Poisson fit misfits the sample's singletons and doubletons:
    ``sum_{k=1,2} (f_k - E f_k)^2 / E f_k >= LOW_COUNTS_CRITICAL``, ``E f_k`` the fit's
    expected counts (:meth:`GammaPoissonFit.expected_frequencies`). False at ``p = 1``, with
    nothing seen, or with one distinct count."""
    p = check_sample_rate(sample_rate)
    f = check_frequencies(f)
    if p == 1 or np.count_nonzero(f[1:]) < 2:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # the models' fit issues them
        expected = fit_gamma_poisson(f, sample_rate=p).expected_frequencies(2)[1:]
    observed = np.array([f[1] if f.size > 1 else 0, f[2] if f.size > 2 else 0], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (observed - expected) ** 2 / expected, np.where(observed > 0, np.inf, 0.0))
    return bool(terms.sum() >= LOW_COUNTS_CRITICAL)


def sampled_bound(f: IntArray, p: float, cl: float) -> CountEstimate:
    """The Chao1-type lower bound for Bernoulli row sampling (:func:`chao1` with
    ``sample_rate``), its degenerate-table warnings silenced (the models' fit issues them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return chao1(f, sample_rate=p, confidence_level=cl)


def models_above_bound(f: ArrayLike, *, sample_rate: float, confidence_level: float = 0.95) -> bool:
    """Whether the default interval of unique viewers is wide because of the Chao1-type bound:
    the models misfit the low counts (:func:`low_counts_misfit`) and their interval (without
    the bound) lies above the bound's estimate by more than the bound's noise (its low end above
    the bound's upper limit). Then the default interval (:func:`model_set_reach`) reaches down
    to the bound's lower limit."""
    cl = check_confidence_level(confidence_level)
    p = check_sample_rate(sample_rate)
    f = check_frequencies(f)
    if p == 1 or f[1:].sum() == 0 or not low_counts_misfit(f, sample_rate=p):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        models = _models_reach(f, p, 1, cl)
    return bool(models.confidence_interval.low > sampled_bound(f, p, cl).confidence_interval.high)


def _likelihood_set_interval(
    gp_fit: GammaPoissonFit, gp_estimate: float, ln_fit: PoissonLognormalFit, k: int, cl: float
) -> ConfidenceInterval:
    """The interval of k+ reach over the exposure models' likelihood set (:func:`model_set_reach`):
    the range of the reach over the Gamma-Poisson parameters whose log-likelihood is within
    ``chi2_1(cl) / 2`` of its maximum and the log-normal ones within ``chi2_1(cl) / 2`` of the
    better model's maximum, and the noise of who was seen (at the better model's estimate; the
    Gamma-Poisson one is ``gp_estimate``), added in quadrature on the log scale of the unseen
    part."""
    ln_better = bool(ln_fit.log_likelihood > gp_fit.log_likelihood)  # False for a failed (NaN) fit
    ranges = [gp_fit._reach_range(k, cl, gp_fit.log_likelihood)]
    if np.isfinite(ln_fit.log_likelihood):
        ranges.append(ln_fit._reach_range(k, cl, max(gp_fit.log_likelihood, ln_fit.log_likelihood)))
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    center = float(ln_fit.k_plus_reach(k, confidence_level=cl).estimate) if ln_better else gp_estimate
    noise = ln_fit._population_variance(k) if ln_better else gp_fit._population_variance(k)
    low, high = min(low, center), max(high, center)
    observed = float(gp_fit.frequencies[k:].sum())
    low, high = combined_count_interval(observed, center, low, high, noise, z_value(cl))
    return ConfidenceInterval(max(low, observed), high)


def model_averaged_viewers(
    f: ArrayLike,
    *,
    sample_rate: float,
    confidence_level: float = 0.95,
) -> CountEstimate:
    """Viewers of the complete log averaged over the Gamma-Poisson and Poisson-log-normal fits.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table of the sample (``f[0]`` ignored).
    sample_rate : float, keyword-only
        Row sampling rate ``p`` in (0, 1].
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate
        Method ``"model-average"``.

    Notes
    -----
    Both exposure models have two parameters and are fitted to the same zero-truncated table, so
    their Akaike weights are ``w_i = L_i / (L_1 + L_2)`` (``L_i`` the maximised likelihoods).
    The estimate is ``sum w_i N_i``; its standard error is Buckland, Burnham & Augustin's (1997)
    ``sum w_i sqrt(se_i^2 + (N_i - N)^2)``. The interval is the model-averaged tail-area
    (MATA-Wald) interval of Turek & Fletcher (2012) on the log of the unseen part
    ``U_i = N_i - S`` (each model's log-normal interval, as in :func:`chao1`): the limits solve
    ``sum w_i Phi((ln(L - S) - ln U_i) / tau_i) = alpha/2`` (and ``1 - alpha/2``),
    ``tau_i^2 = ln(1 + se_i^2 / U_i^2)``. With clearly separated fits (a large sample) one weight
    is near 1 and this is that model's estimate; where the data cannot tell the models apart the
    interval spans both. It cannot help where neither model extrapolates the unseen viewers well
    (see ``docs/methods.md``).
    """
    cl = check_confidence_level(confidence_level)
    p = check_sample_rate(sample_rate)
    f = check_frequencies(f)
    s = float(f.sum())
    if p == 1:
        return CountEstimate(s, 0.0, ConfidenceInterval(s, s), s, "model-average", cl)
    if s == 0:
        warn_degenerate("model-average: no viewer was seen; nothing to extrapolate from")
        return CountEstimate(0.0, np.nan, ConfidenceInterval(0.0, empty_sample_bound(p, cl)), 0.0, "model-average", cl)
    gp_fit = fit_gamma_poisson(f, sample_rate=p)  # warns on degenerate tables
    gp = gp_fit.unique_viewers(confidence_level=cl)
    if np.count_nonzero(f) < 2:  # one distinct count: both models collapse onto the same limit
        return CountEstimate(gp.estimate, gp.standard_error, gp.confidence_interval, s, "model-average", cl)
    ln_fit = fit_poisson_lognormal(f, sample_rate=p)
    ln = ln_fit.unique_viewers(confidence_level=cl)
    loglik = np.array([gp_fit.log_likelihood, ln_fit.log_likelihood])
    weights = np.exp(loglik - loglik.max())
    weights /= weights.sum()
    ests = np.array([gp.estimate, ln.estimate], dtype=np.float64)
    ses = np.array([gp.standard_error, ln.standard_error], dtype=np.float64)
    estimate = float(weights @ ests)
    se = float(weights @ np.sqrt(ses**2 + (ests - estimate) ** 2))
    unseen = ests - s
    if np.any(unseen <= 0) or not np.all(np.isfinite(ses)) or np.any(ses <= 0):
        low, high = lognormal_count_interval(s, estimate - s, se**2, z_value(cl))
    else:
        low, high = _mata_log_interval(s, unseen, ses, weights, 1 - cl)
    return CountEstimate(estimate, se, ConfidenceInterval(min(low, estimate), max(high, estimate)), s, "model-average", cl)


def _mata_log_interval(s: float, unseen: np.ndarray, ses: np.ndarray, weights: np.ndarray, alpha: float) -> tuple[float, float]:
    """MATA-Wald limits (Turek & Fletcher 2012) on the log of the unseen part, plus ``s``."""
    centre = np.log(unseen)
    tau = np.sqrt(np.log1p(ses**2 / unseen**2))

    def tail(x: float) -> float:
        return float(weights @ stats.norm.cdf((x - centre) / tau))

    lo, hi = float(np.min(centre - 12 * tau)), float(np.max(centre + 12 * tau))
    low = optimize.brentq(lambda x: tail(x) - alpha / 2, lo, hi, xtol=1e-10)
    high = optimize.brentq(lambda x: tail(x) - (1 - alpha / 2), lo, hi, xtol=1e-10)
    return s + float(np.exp(low)), s + float(np.exp(high))


def unique_viewers(
    f: ArrayLike,
    *,
    sample_rate: float,
    method: UniqueMethod = DEFAULT_UNIQUE_METHOD,
    confidence_level: float = 0.95,
) -> CountEstimate:
    """Viewers with at least one impression in the complete log, from a sample's ``f``.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table of the sample (:func:`frequency_counts` of the per-viewer
        counts on the rung; ``f[0]`` ignored).
    sample_rate : float, keyword-only
        Probability with which each row was kept, in (0, 1]; 1 for a complete log.
    method : {"gamma-poisson", "poisson-lognormal", "model-average", "chao1", "chao1-sampled", \
"good-toulmin"}, keyword-only
        See Notes.
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate

    Notes
    -----
    * ``"gamma-poisson"`` (default): the negative-binomial exposure model fitted to ``f``
      (:func:`fit_gamma_poisson`); consistent when exposures are Gamma-Poisson, the model of
      reach and frequency practice, and accurate to a few per cent at p = 10 % in our
      simulations (``docs/methods.md``); it can err either way when the exposure tail is
      heavier than the Gamma's. Its estimate is the Gamma-Poisson one, or two classes of
      Gamma-Poisson exposure's where the data reject one; its interval spans the reach over
      the parameters of the Gamma-Poisson and Poisson-log-normal models that the likelihood
      does not reject (plus the noise of who was seen), the two classes' interval where
      the data reject one class, at p >= 1/4 the smoothed Good-Toulmin interval where it
      excludes the models' estimate, and down to the Chao1-type bound's lower limit where the
      one class misfits the singletons and doubletons (:func:`model_set_reach`).
    * ``"poisson-lognormal"``: the Poisson-log-normal exposure model
      (:func:`~viewaudit._estimators.poisson_lognormal.fit_poisson_lognormal`, Bulmer 1974):
      right where exposure is log-normal, where the Gamma-Poisson fit errs by -7 to +17 %.
    * ``"model-average"``: the two fits above weighed by their Akaike weights, with a
      model-averaged interval (:func:`model_averaged_viewers`): follows whichever model fits
      when the sample can tell them apart and widens when it cannot.
    * ``"chao1"``: classic bias-corrected Chao1, ignoring ``sample_rate`` (except p = 1). A
      lower bound under heterogeneous exposure.
    * ``"chao1-sampled"``: the lower bound for Bernoulli row sampling at rate p
      (:func:`chao1` with ``sample_rate``); never above the truth in expectation.
    * ``"good-toulmin"``: smoothed Good-Toulmin (Poisson smoothing), nonparametric but noisy
      and biased for p well below 1/2.
    """
    check_choice("method", method, UNIQUE_METHODS)
    p = check_sample_rate(sample_rate)
    if method == "gamma-poisson":
        return gamma_poisson_viewers(f, sample_rate=p, confidence_level=confidence_level)
    if method == "poisson-lognormal":
        return poisson_lognormal_viewers(f, sample_rate=p, confidence_level=confidence_level)
    if method == "model-average":
        return model_averaged_viewers(f, sample_rate=p, confidence_level=confidence_level)
    if method == "chao1":
        f_checked = check_frequencies(f)
        if p == 1:
            s = float(f_checked.sum())
            return CountEstimate(s, 0.0, ConfidenceInterval(s, s), s, "chao1", check_confidence_level(confidence_level))
        return chao1(f_checked, confidence_level=confidence_level)
    if method == "chao1-sampled":
        return chao1(f, sample_rate=p, confidence_level=confidence_level)
    return good_toulmin(f, sample_rate=p, confidence_level=confidence_level)


def k_plus_reach(
    f: ArrayLike,
    *,
    k: int,
    sample_rate: float,
    method: Literal["gamma-poisson", "poisson-lognormal", "observed"] = "gamma-poisson",
    confidence_level: float = 0.95,
) -> CountEstimate:
    """Viewers with at least ``k`` impressions in the complete log.

    Parameters
    ----------
    f : array_like of int
        Frequency-of-frequency table of the sample (``f[0]`` ignored).
    k : int, keyword-only
        At least 1 (``k = 1`` is :func:`unique_viewers`).
    sample_rate : float, keyword-only
    method : {"gamma-poisson", "poisson-lognormal", "observed"}, keyword-only
        ``"gamma-poisson"`` (default): ``N P(X >= k)`` under the fitted negative-binomial
        model (:meth:`GammaPoissonFit.k_plus_reach`; two classes' where the data reject one),
        its interval widened to the Poisson-log-normal one where the data do not tell the two
        exposure models apart (:func:`model_set_reach`, as :func:`unique_viewers` does). ``"poisson-lognormal"``:
        the Poisson-log-normal model's own estimate and delta-method interval.
        ``"observed"``: the viewers seen at least k times, ``sum_{j>=k} f_j``, a lower bound
        (a viewer seen j times in the sample has at least j in the complete log), exact when
        p = 1; its interval is [observed, infinity) unless p = 1.
    confidence_level : float, keyword-only

    Returns
    -------
    CountEstimate
    """
    check_choice("method", method, ("gamma-poisson", "poisson-lognormal", "observed"))
    k = check_positive_int("k", k)
    p = check_sample_rate(sample_rate)
    cl = check_confidence_level(confidence_level)
    if method == "gamma-poisson":
        return model_set_reach(f, sample_rate=p, k=k, confidence_level=cl)
    f_checked = check_frequencies(f)
    if method == "poisson-lognormal":
        if p == 1 or f_checked[1:].sum() == 0:  # exact, or nothing seen: as the Gamma-Poisson's edge cases
            edge = gamma_poisson_reach(f_checked, sample_rate=p, k=k, confidence_level=cl)
            return attrs.evolve(edge, method="poisson-lognormal")
        return fit_poisson_lognormal(f_checked, sample_rate=p).k_plus_reach(k, confidence_level=cl)
    seen = float(f_checked[k:].sum())
    high = seen if p == 1 else np.inf
    return CountEstimate(seen, 0.0 if p == 1 else np.nan, ConfidenceInterval(seen, high), seen, "observed", cl)
