"""Rows whose time on screen is known only as an interval across a policy threshold.

A dwell (or in-view time) logged as censored at ``c`` says only that the true time exceeds
``c``; one floored by a whole-second logger to ``v`` says it lies in ``[v, v + r)``. Where that
interval contains the policy's threshold ``tau`` (``c < tau``, or ``v < tau < v + r``) the row's
rung membership is undetermined, and it is *not* missing at random: a row censored at 0.5 s is
far less likely to reach 2 s than a row censored at 1.9 s, and censoring removes long
impressions more than short ones. Such rows are resolved by the log's own time distribution:

* a **viewable** crossing row (valid, visible, in-view time across ``min_in_view_ms``) is on
  the rung with probability ``S(tau) / S(c)`` (censored at ``c``), ``S`` the survival function of
  the in-view time of the valid visible rows;
* an **attended** crossing row (viewable or a viewable crossing, dwell across ``attention_ms``
  or certain) needs both conditions: the estimate is the smaller of the two probabilities (one
  time decides both where the in-view time is the dwell), and the interval reaches down to
  their product (independent times) where the two times differ. Where the in-view time says
  more about a censored dwell -- cut with it at ``c`` (in view until ``c``), or measured and
  ended before it -- the two times are taken as co-monotone (:func:`_comonotone`), the interval
  reaching to the dwell's own chance ``S_D(tau) / S_D(c)``.

``S`` is the life table (:class:`_LifeTable`, product-limit, no parametric assumption) when
times are exact, and the dwell model (:class:`_Parametric`, the glance/read mixture chosen by
AIC, :func:`~viewaudit.estimators.select_dwell_model`) when they are floored: the model is what
says where inside ``[v, v + r)`` a time lies, and since the data cannot check it, such rows get
the bounds the data allow (0 and 1 for a time straddling the threshold). Whole seconds identify
``S`` from second to second without it: there the chance between whole seconds is a life
table's on whole seconds, and the model only places a time inside its second
(:class:`_WholeSeconds`). Censoring is taken as independent of the time, and the time
distribution as shared by all groups.

Per batch, :func:`batch_crossings` bins the population's times (a mergeable
:class:`~viewaudit.estimators.DwellHistogram` per rung) and gives each crossing row a code: the
bin of its censoring time, or :data:`ROUNDED`. Codes are counted per group; at estimation,
:func:`resolve` turns the counts into expected rung members with variances (the rows' own
Bernoulli noise, and the survival function's: Greenwood's, or the model's by the delta method)
and the slack the bounds add.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Callable, Mapping

import attrs
import numpy as np

from viewaudit._estimators.dwell import DwellFit, select_dwell_model
from viewaudit._estimators.dwell_likelihood import UNIT_NODES, UNIT_WEIGHTS, survival_at
from viewaudit._estimators.histogram import CENSORING_POINT_MS, DWELL_EDGES_MS, MAX_SECONDS, N_BINS, DwellHistogram, _bin_of
from viewaudit._policy import Policy
from viewaudit._scan.crossing_codes import CERTAIN, IN_VIEW_ENDED, RADIX, ROUNDED, SAME_TIME, floored_value
from viewaudit._warnings import DegenerateDataWarning

# -- estimation ------------------------------------------------------------------------------


@attrs.frozen
class Resolution:
    """Crossing rows of one rung resolved by the dwell model, per group."""

    crossing: np.ndarray  # crossing rows
    expected: np.ndarray  # expected rung members among them
    row_variance: np.ndarray  # sum of p (1 - p) over identified rows: their Bernoulli noise
    model_variance: np.ndarray  # delta-method variance from the fitted parameters
    low_slack: np.ndarray  # how far below the estimate the interval must reach beyond that noise
    high_slack: np.ndarray  # and above it (unidentified rows; the viewable-attended dependence)

    @classmethod
    def none(cls, n_groups: int) -> Resolution:
        z = np.zeros(n_groups)
        return cls(z, z, z, z, z, z)


#: Times past the last observed one (exact, censored or floored) are beyond the data's support:
#: the product-limit estimate is undefined there (flat after a last censored time, 0 after a
#: last event, with no variance either way), so the survival function is bounded, not
#: estimated. Our benchmark's 30 s threshold under sessions of a mean 5 s had nobody at risk.
MIN_AT_RISK = 1


def supported_until(hist: DwellHistogram) -> float:
    """The largest bin edge ``t`` with at least :data:`MIN_AT_RISK` times observed at or beyond
    it, i.e. the start of the bin of the last observed time (0 when there is none).

    Past it, ``S(tau) / S(c)`` is only known to lie in ``[0, S(t) / S(c)]``: the life table
    would stay flat after a last censored time, or drop to 0 after a last event; a parametric
    model would extrapolate its shape."""
    per_bin = hist.exact + hist.censored
    # Floored times (exact or censored): one counts at an edge when its interval [s, s + 1) s
    # starts at or after it.
    starts = np.arange(MAX_SECONDS) * 1000.0
    floored = hist.seconds + hist.censored_seconds
    per_bin = per_bin + np.bincount(_bin_of(starts), weights=floored, minlength=N_BINS).astype(np.int64)
    at_or_after = np.cumsum(per_bin[::-1])[::-1]  # times in bins >= b, i.e. >= DWELL_EDGES_MS[b]
    supported = np.flatnonzero(at_or_after >= MIN_AT_RISK)
    return float(DWELL_EDGES_MS[supported[-1]]) if supported.size else 0.0


def _beyond_support(
    ratio_at_support: np.ndarray, c: np.ndarray, supported_ms: float, est: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) for rows censored at ``c`` when the threshold lies past the
    support: ``high`` is the chance of lasting to the support's end (1 from a censoring time
    already past it), ``low`` 0, and the model's estimate is kept inside them."""
    high = np.where(c < supported_ms, ratio_at_support, 1.0)
    return np.minimum(est, high), np.zeros(c.size), high


def _fit(hist: DwellHistogram, what: str) -> DwellFit | None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        best = select_dwell_model(hist).best
    if not np.all(np.isfinite(best.parameters)) or not np.all(np.isfinite(best.covariance)):
        reason = "; ".join(str(w.message) for w in caught) or "no data"
        warnings.warn(
            f"{what}: the time model could not be fitted ({reason}); rows whose time crosses the "
            "threshold are treated as unmeasured (missing at random)",
            DegenerateDataWarning,
            stacklevel=5,
        )
        return None
    return best


class _LifeTable:
    """The product-limit (actuarial life-table) survival function of a histogram's exact and
    right-censored times, on its 2.3 %-wide bins, with Greenwood's variance.

    Used where times are not rounded: ``S(tau) / S(c)`` is then identified without any
    parametric assumption, up to :func:`supported_until` (past it: bounds, with the dwell
    model's extrapolation as the point estimate). In bin ``b`` with ``n_b`` times at risk,
    ``d_b`` exact and ``c_b`` censored ones (censored at the bin's middle), the hazard is ``d_b / (n_b - c_b / 2)``;
    ``log S`` is interpolated linearly in ``log t`` inside a bin. Greenwood (1926); the
    actuarial correction: Cutler & Ederer (1958), J. Chronic Diseases 8:699-712.
    """

    name = "life table (product-limit, Greenwood variance)"

    def __init__(self, hist: DwellHistogram, what: str = "time") -> None:
        self.hist, self.what = hist, what
        exact, cens = hist.exact.astype(float), hist.censored.astype(float)
        if hist.censored_seconds.any():
            # Not made by the audit for unrounded times; if given, censored at the earliest
            # time they can have been (what is certain).
            starts = np.arange(MAX_SECONDS) * 1000.0
            cens = cens + np.bincount(_bin_of(starts), weights=hist.censored_seconds, minlength=N_BINS)
        at_risk = np.cumsum((exact + cens)[::-1])[::-1]
        n_eff = at_risk - cens / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(n_eff > 0, exact / n_eff, 0.0)
            log_keep = np.log1p(-np.minimum(h, 1.0))
            gamma = np.where((n_eff > 0) & (h < 1), h / ((1 - h) * n_eff), 0.0)
        total = at_risk[0] + hist.zeros
        start = np.log1p(-hist.zeros / total) if total > 0 else 0.0
        self.log_s = np.concatenate([[start], start + np.cumsum(log_keep)])
        self.greenwood = np.concatenate([[0.0], np.cumsum(gamma)])
        self.supported_ms = supported_until(hist)
        self.at_risk = at_risk  # times in bin b or later

    def _at(self, table: np.ndarray, t: np.ndarray) -> np.ndarray:
        b = _bin_of(t)
        lo, hi = DWELL_EDGES_MS[b], DWELL_EDGES_MS[b + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(b == 0, t / hi, np.log(t / lo) / np.log(hi / lo))
        frac = np.clip(np.nan_to_num(frac), 0.0, 1.0)
        a, z = table[b], table[b + 1]
        with np.errstate(invalid="ignore"):
            # S falls to 0 inside the bin where z is -inf: log S is -inf past its start.
            return np.where(frac == 0, a, np.where(np.isneginf(z), -np.inf, a + frac * (z - a)))

    def probabilities(self, tau: float, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        est, low, high = np.ones(parts.size), np.ones(parts.size), np.ones(parts.size)
        cens = parts < N_BINS
        if cens.any():
            c = CENSORING_POINT_MS[parts[cens]]
            log_c = self._at(self.log_s, c)

            def ratio(t: float) -> np.ndarray:
                log_t = self._at(self.log_s, np.array([t]))[0]
                with np.errstate(invalid="ignore"):
                    return np.where(np.isfinite(log_c), np.exp(np.minimum(log_t - log_c, 0.0)), 0.0)

            est[cens] = low[cens] = high[cens] = ratio(tau)
            if tau > self.supported_ms:
                # Past the data the life table says nothing (flat after a last censored time,
                # 0 after a last event): the point estimate is the dwell model's extrapolation,
                # fitted to the same histogram, inside the bounds.
                fit = _cached_fit(self.hist, self.what)
                if fit is not None:
                    est[cens] = _ratio(fit, np.asarray(fit.parameters, dtype=float), tau, parts[cens], 0.0)[0]
                est[cens], low[cens], high[cens] = _beyond_support(ratio(self.supported_ms), c, self.supported_ms, est[cens])
        return est, low, high

    def log_survival(self, parts: np.ndarray) -> np.ndarray:
        """``log S(c)`` at the censoring point of each censored code in ``parts``."""
        return self.log_survival_at(CENSORING_POINT_MS[parts])

    def log_survival_at(self, t: np.ndarray) -> np.ndarray:
        return self._at(self.log_s, np.asarray(t, dtype=float))

    def variance(self, tau: float, g: np.ndarray, parts: np.ndarray, weight: np.ndarray, n_groups: int) -> np.ndarray:
        """Var of ``sum weight * P`` per group (``weight`` = count x P): ``log P`` of the rows
        of a group share the bins between their censoring times and ``tau``, so Greenwood's
        variance is ``sum_b gamma_b (sum of the weights of the rows censored before b)**2``.

        Greenwood's variance is too small where many censored times intervene between the last
        events and ``tau`` and few remain at risk (Dorey & Korn 1987, Stat. Med. 6:679-687):
        each group takes the larger of it and Peto's, ``P**2 (1 - P) / n(tau)`` per row with
        ``n(tau)`` the times at risk at ``tau`` (Peto et al. 1977, Br. J. Cancer 35:1-39),
        summed over the group's rows as fully dependent (they share the tail)."""
        keep = (parts < N_BINS) & (weight > 0)
        g, parts, weight = g[keep], parts[keep], weight[keep]
        if not g.size:
            return np.zeros(n_groups)
        # Past the support the bounds speak, not Greenwood (whose terms vanish where nobody
        # is at risk): the variance runs from each censoring time to the support's end.
        end = min(tau, self.supported_ms)
        at_c = np.minimum(self._at(self.greenwood, CENSORING_POINT_MS[parts]), self._at(self.greenwood, np.array([end]))[0])
        at_tau = float(self._at(self.greenwood, np.array([end]))[0])
        n_end = max(float(self.at_risk[_bin_of(np.array([end]))[0]]), 1.0)
        log_c = self._at(self.log_s, CENSORING_POINT_MS[parts])
        with np.errstate(invalid="ignore"):
            r = np.where(np.isfinite(log_c), np.exp(np.minimum(self._at(self.log_s, np.array([end]))[0] - log_c, 0.0)), 0.0)
        return _shared_tail_variance(g, weight, at_c, at_tau, r, n_end, n_groups)


def _shared_tail_variance(
    g: np.ndarray, weight: np.ndarray, at_c: np.ndarray, at_tau: float, r: np.ndarray, n_end: float, n_groups: int
) -> np.ndarray:
    """Per group, the variance of ``sum weight * P`` for rows whose chances ``P = S(tau) / S(c)``
    share the life table's steps between their own start and ``tau``: Greenwood's, ``sum over
    steps of gamma (weights of the rows started before the step)**2`` (``at_c`` and ``at_tau``:
    Greenwood's cumulative sum at a row's start and at ``tau``), at least Peto's, the rows' ``P**2
    (1 - P) / n(tau)`` summed as fully dependent (``r``: each row's ``P``; ``n_end``: the times at
    risk at ``tau``)."""
    order = np.lexsort((at_c, g))
    g, at_c, weight, r = g[order], at_c[order], weight[order], r[order]
    cum = np.cumsum(weight)
    first = np.r_[True, g[1:] != g[:-1]]
    offset = np.maximum.accumulate(np.where(first, cum - weight, 0.0))
    running = cum - offset  # within-group cumulative weight
    last = np.r_[g[1:] != g[:-1], True]
    nxt = np.where(last, at_tau, np.r_[at_c[1:], at_tau])
    greenwood = np.bincount(g, weights=running**2 * np.maximum(nxt - at_c, 0.0), minlength=n_groups)
    peto = np.bincount(g, weights=weight * np.sqrt((1 - r) / n_end), minlength=n_groups) ** 2
    return np.maximum(greenwood, peto)


class _Parametric:
    """The fitted glance/read dwell model: used where times are rounded (it is what pins the
    survival function between the logged multiples), with delta-method variances."""

    def __init__(self, fit: DwellFit, rounding_ms: float, supported_ms: float) -> None:
        self.fit = fit
        self.rounding_ms = rounding_ms
        self.supported_ms = supported_ms
        self.name = f"{fit.family} mixture of {fit.components} (AIC-selected)"

    def probabilities(self, tau: float, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _ratio(self.fit, np.asarray(self.fit.parameters, dtype=float), tau, parts, self.rounding_ms, self.supported_ms)

    def log_survival(self, parts: np.ndarray) -> np.ndarray:
        """``log S(c)`` at the censoring point of each censored code in ``parts`` (floored logs: the
        middle of the step the censoring time lies in)."""
        c = CENSORING_POINT_MS[parts]
        if self.rounding_ms > 0:
            c = floored_value(parts, self.rounding_ms) + 0.5 * self.rounding_ms
        return self.log_survival_at(c)

    def log_survival_at(self, t: np.ndarray) -> np.ndarray:
        theta = np.asarray(self.fit.parameters, dtype=float)
        with np.errstate(divide="ignore"):
            log_survival: np.ndarray = np.log(np.asarray(survival_at(theta, self.fit._layout(), np.asarray(t, dtype=float))))
        return log_survival

    def variance(self, tau: float, g: np.ndarray, parts: np.ndarray, weight: np.ndarray, n_groups: int) -> np.ndarray:
        """Delta method: the gradient of ``sum count * P`` per group in the fit's parameters
        (``weight`` = count x P; P's gradient by central differences)."""
        theta = np.asarray(self.fit.parameters, dtype=float)
        est = self.probabilities(tau, parts)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            count = np.where(est > 0, weight / est, 0.0)
        # Past the support the bounds speak: the gradient is that of the chance to reach its end.
        tau = min(tau, max(self.supported_ms, 1.0))
        G = np.zeros((n_groups, theta.size))
        for i in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[i]))
            step = np.zeros(theta.size)
            step[i] = h
            up = _ratio(self.fit, theta + step, tau, parts, self.rounding_ms)[0]
            down = _ratio(self.fit, theta - step, tau, parts, self.rounding_ms)[0]
            G[:, i] = np.bincount(g, weights=count * (up - down) / (2 * h), minlength=n_groups)
        variance: np.ndarray = np.maximum(np.einsum("gi,ij,gj->g", G, self.fit.covariance, G), 0.0)
        return variance


class _WholeSeconds(_Parametric):
    """Whole-second times: the dwell model says where inside a second a time or a censoring time
    lies, and a life table on whole seconds says the rest.

    Floored times identify ``S`` at whole seconds but for where inside a second the rows cut in
    it were cut: second ``k`` has ``n_k`` times at risk (logged at ``k`` s or later), ``d_k``
    ended in it and ``w_k`` cut in it, of which the model's share ``m_k`` (:meth:`_lasting`)
    would have lasted to ``k + 1``, so ``S(k + 1) / S(k) = 1 - (d_k + w_k (1 - m_k)) / n_k``
    (Greenwood's variance, at least Peto's; the actuarial life table of Cutler & Ederer 1958
    counts each cut row at risk for half the second instead). A row censored in ``[c, c + 1)``
    s reaches a whole-second threshold ``tau`` with ``S(tau) / S(c + 1)`` (the table) times its
    chance of lasting to ``c + 1`` (the model's average over the step, inside the bounds
    ``S(c + 1) / S(c)`` and 1 the table gives). Thresholds inside a second, and past the times
    observed, are the model's, as in :class:`_Parametric`. The model's tail alone put the 30 s
    TrueView count of short-video logs cut after 5 s on average +11 % high, inside its interval
    in 57 % of runs (docs/benchmarks.md)."""

    def __init__(self, fit: DwellFit, hist: DwellHistogram, supported_ms: float) -> None:
        super().__init__(fit, 1000.0, supported_ms)
        ended = hist.seconds.astype(float)
        ended[0] += hist.zeros
        cut = hist.censored_seconds.astype(float)
        # Times past MAX_SECONDS (binned, not per second) are at risk in every second before it.
        beyond = float(hist.exact.sum() + hist.censored.sum())
        at_risk = np.cumsum((ended + cut)[::-1])[::-1] + beyond
        # Of the rows at risk at k, those that end in the second are the d_k logged there and the
        # part of the w_k cut in it that would have ended before k + 1: each cut row lasts to
        # k + 1 with the model's chance. The actuarial rule (half a second at risk per cut row)
        # leaned 0.6 % further on the benchmark's 3 s count where most times end inside the
        # first seconds.
        lasting = np.ones(MAX_SECONDS)
        seconds = np.flatnonzero(cut > 0)
        if seconds.size:
            lasting[seconds] = self._lasting(seconds)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(at_risk > 0, (ended + cut * (1 - lasting)) / at_risk, 0.0)
            gamma = np.where((at_risk > 0) & (h < 1), h / ((1 - h) * at_risk), 0.0)
            log_keep = np.log1p(-np.minimum(h, 1.0))
        self.log_s = np.concatenate([[0.0], np.cumsum(log_keep)])  # log S(k), k = 0 .. MAX_SECONDS
        self.greenwood = np.concatenate([[0.0], np.cumsum(gamma)])
        self.at_risk = np.concatenate([at_risk, [beyond]])  # at risk at the start of second k

    def _by_table(self, tau: float) -> bool:
        return tau > 0 and tau % 1000.0 == 0 and tau <= min(self.supported_ms, MAX_SECONDS * 1000.0)

    def _seconds(self, parts: np.ndarray) -> np.ndarray:
        """The whole second each censored code was logged at."""
        return np.rint(floored_value(parts, 1000.0) / 1000.0).astype(np.int64)

    def probabilities(self, tau: float, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        est, low, high = super().probabilities(tau, parts)  # what the table does not change
        cens = parts < N_BINS
        if not self._by_table(tau) or not cens.any():
            return est, low, high
        k, c = int(tau / 1000.0), self._seconds(parts[cens])
        with np.errstate(invalid="ignore"):
            to_tau = np.exp(np.minimum(self.log_s[k] - self.log_s[c + 1], 0.0))  # S(tau) / S(c + 1)
            step = np.exp(np.minimum(self.log_s[c + 1] - self.log_s[c], 0.0))  # S(c + 1) / S(c)
        to_tau, step = np.nan_to_num(to_tau), np.nan_to_num(step)
        est[cens] = to_tau * np.clip(self._lasting(c), step, 1.0)
        low[cens], high[cens] = to_tau * step, to_tau
        return est, low, high

    def _lasting(self, c: np.ndarray) -> np.ndarray:
        """The model's chance that a row cut in second ``c`` lasts to ``c + 1``: S(c + 1) over S's
        average over the second (the censoring time, given the row was cut, has density
        proportional to S there; see :func:`_censored_in_interval`)."""
        theta = np.asarray(self.fit.parameters, dtype=float)
        layout = self.fit._layout()

        def surv(t: np.ndarray) -> np.ndarray:
            return np.asarray(survival_at(theta, layout, np.asarray(t, dtype=float)))

        start = np.asarray(c, dtype=float) * 1000.0
        chance: np.ndarray = np.minimum(_censored_in_interval(surv, start + 1000.0, surv(start + 1000.0), start, 1000.0), 1.0)
        return chance

    def variance(self, tau: float, g: np.ndarray, parts: np.ndarray, weight: np.ndarray, n_groups: int) -> np.ndarray:
        """Greenwood's variance of ``sum weight * S(tau) / S(c + 1)`` per group (the rows of a
        group share the seconds between their ``c + 1`` and ``tau``), at least Peto's, as
        :meth:`_LifeTable.variance`; the step's own chance is bounded, not given a variance."""
        if not self._by_table(tau):
            return super().variance(tau, g, parts, weight, n_groups)
        keep = (parts < N_BINS) & (weight > 0)
        g, parts, weight = g[keep], parts[keep], weight[keep]
        if not g.size:
            return np.zeros(n_groups)
        k = int(tau / 1000.0)
        start = np.minimum(self._seconds(parts) + 1, k)
        with np.errstate(invalid="ignore"):
            r = np.nan_to_num(np.exp(np.minimum(self.log_s[k] - self.log_s[start], 0.0)))
        n_end = max(float(self.at_risk[k]), 1.0)
        return _shared_tail_variance(g, weight, self.greenwood[start], float(self.greenwood[k]), r, n_end, n_groups)


def _ratio(
    fit: DwellFit, theta: np.ndarray, tau: float, parts: np.ndarray, rounding_ms: float, supported_ms: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(time >= tau | what the row's code says) under the fitted model: estimate and the
    bounds the data allow whatever the model (equal to the estimate where the model's value
    is identified); 1 for CERTAIN.

    * censored at ``c``: ``S(tau) / S(c)``. If the log is floored to ``r``, the censoring time
      lies somewhere in ``[c, c + r)``: the bounds are ``S(tau) / S(c)`` and
      ``min(1, S(tau) / S(c + r))`` (S at multiples of ``r`` is what the whole-``r`` data pin
      down) and the estimate averages ``S(tau) / S(x)`` over the censoring times ``x`` in it
      (:func:`_censored_in_interval`);
    * ROUNDED (``v < tau < v + r``): ``(S(tau) - S(v + r)) / (S(v) - S(v + r))``, bounds 0 and 1;
    * ``tau`` past ``supported_ms`` (:func:`supported_until`): the model's estimate, bounded by
      0 and the chance of lasting to ``supported_ms``.
    """
    layout = fit._layout()

    def surv(t: np.ndarray) -> np.ndarray:
        return np.asarray(survival_at(theta, layout, np.asarray(t, dtype=float)))

    s_tau = float(surv(np.array([tau]))[0])
    est, low, high = np.ones(parts.size), np.ones(parts.size), np.ones(parts.size)

    def ratio(s_c: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s_c > 0, np.minimum(s_tau / s_c, 1.0), 0.0)

    cens = parts < N_BINS
    if cens.any():
        c = CENSORING_POINT_MS[parts[cens]]
        if rounding_ms > 0:
            c = floored_value(parts[cens], rounding_ms)
            lo, hi = ratio(surv(c)), ratio(surv(c + rounding_ms))
            est[cens] = np.clip(_censored_in_interval(surv, tau, s_tau, c, rounding_ms), lo, hi)
            low[cens], high[cens] = lo, hi
        else:
            est[cens] = low[cens] = high[cens] = ratio(surv(c))
        if tau > supported_ms:
            s_star = float(surv(np.array([supported_ms]))[0])
            s_c = surv(c + rounding_ms)  # the latest the censoring time can be: the larger chance
            with np.errstate(divide="ignore", invalid="ignore"):
                reach = np.where(s_c > 0, np.minimum(s_star / s_c, 1.0), 1.0)
            est[cens], low[cens], high[cens] = _beyond_support(reach, c, supported_ms, est[cens])
    rounded = parts == ROUNDED
    if rounded.any():
        v = np.floor(tau / rounding_ms) * rounding_ms if rounding_ms > 0 else tau
        s_v, s_top = surv(np.array([v, v + rounding_ms]))
        mass = s_v - s_top
        est[rounded] = np.clip((s_tau - s_top) / mass, 0.0, 1.0) if mass > 0 else 0.5
        low[rounded], high[rounded] = 0.0, 1.0
    return est, low, high


def _censored_in_interval(
    surv: Callable[[np.ndarray], np.ndarray], tau: float | np.ndarray, s_tau: float | np.ndarray, c: np.ndarray, r: float
) -> np.ndarray:
    """P(T >= tau | T censored at an unknown time x in [c, c + r)) (``tau`` and ``s_tau = S(tau)``
    one for all rows, or one per row).

    A row is censored at x only if it lasts to x, so with censoring times spread evenly over the
    interval (their density about flat across one rounding step), x given censoring has density
    proportional to S(x) there, and the chance is ``int S(max(tau, x)) dx / int S(x) dx`` over
    ``[c, c + r)``, the same average the dwell likelihood gives such a row. Taking x at the
    interval's middle instead ignores that selection (it put every row censored in [0, 1) s past
    a 300 ms threshold).
    """
    below = np.clip(tau - c, 0.0, r)  # the part of the interval before tau: S(max(tau, x)) = S(tau)
    start = c + below
    width = r - below

    def integral(a: np.ndarray, w: np.ndarray) -> np.ndarray:
        x = a[:, None] + w[:, None] * UNIT_NODES
        area: np.ndarray = surv(x.ravel()).reshape(x.shape) @ UNIT_WEIGHTS * w
        return area

    above = integral(start, width)
    total = integral(c, np.full(c.size, r))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (s_tau * below + above) / total, 0.0)


_TimeModel = _LifeTable | _Parametric  # _WholeSeconds is a _Parametric


#: Dwell-model fits by histogram: an audit resolves its groups and its whole log (and, with
#: strata, its cells) from the same pooled histograms, and four candidate fits cost tens of ms.
_FITS: collections.OrderedDict[bytes, DwellFit] = collections.OrderedDict()
_FITS_KEPT = 16


def _histogram_key(hist: DwellHistogram) -> bytes:
    arrays = (hist.exact, hist.censored, hist.seconds, hist.censored_seconds)
    return b"".join(np.ascontiguousarray(a, dtype=np.int64).tobytes() for a in arrays) + (
        np.array([hist.zeros], dtype=np.int64).tobytes()
    )


def _cached_fit(hist: DwellHistogram, what: str) -> DwellFit | None:
    key = _histogram_key(hist)
    fit = _FITS.get(key)
    if fit is None:
        fit = _fit(hist, what)  # a failed fit is not kept: its warning is issued every time
        if fit is None:
            return None
        _FITS[key] = fit
        if len(_FITS) > _FITS_KEPT:
            _FITS.popitem(last=False)
    return fit


def _time_model(hist: DwellHistogram, rounding_ms: float, what: str) -> _TimeModel | None:
    if rounding_ms == 0:
        return _LifeTable(hist, what)
    fit = _cached_fit(hist, what)
    if fit is None:
        return None
    if rounding_ms == 1000:  # the histogram keeps per-second counts for whole seconds only
        return _WholeSeconds(fit, hist, supported_until(hist))
    return _Parametric(fit, rounding_ms, supported_until(hist))


def _comonotone(
    p_a: tuple[np.ndarray, np.ndarray, np.ndarray],
    cut: np.ndarray,
    ended: np.ndarray,
    in_view_parts: np.ndarray,
    dwell_parts: np.ndarray,
    tau: float,
    model_v: _TimeModel,
    model_a: _TimeModel,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dwell condition's chance for attended rows whose in-view time says more about the dwell
    than that it was censored at ``c`` (codes ``dwell_parts``).

    In-view time is part of the dwell (``V <= D``). Taken as co-monotone -- the in-view time an
    increasing function of the dwell, ``S_V(V) = S_D(D)``, which is what "one time decides both"
    says where they are the same column -- it tells:

    * ``cut``: the in-view time was cut with the dwell (both at ``c``), so the row was in view
      until ``c``: ``P(D >= tau | V >= c) = S_D(tau) / S_V(c)``, the dwell's own
      ``S_D(tau) / S_D(c)`` times ``S_D(c) / S_V(c) >= 1``, at most 1;
    * ``ended``: a measured in-view time ``v`` (code ``in_view_parts``) ended before the censored
      dwell: the dwell is ``S_D^-1(S_V(v))``, which reaches ``tau`` when ``S_V(v) <= S_D(tau)``.

    Co-monotone is the strongest positive dependence there is (the Frechet upper bound); the
    dwell's own chance (the in-view time telling nothing more) stays inside the interval, so the
    interval spans the two. Past the dwell's support ``S_D(tau)`` is only bounded, and rows that
    ``ended`` keep the dwell's own chance.
    """
    est, low, high = (x.copy() for x in p_a)
    if cut.any():
        with np.errstate(invalid="ignore"):
            log_factor = model_a.log_survival(dwell_parts[cut]) - model_v.log_survival(dwell_parts[cut])
        factor = np.where(np.isfinite(log_factor), np.exp(np.maximum(log_factor, 0.0)), 1.0)
        est[cut] = np.minimum(est[cut] * factor, 1.0)
        high[cut] = np.minimum(high[cut] * factor, 1.0)
    if ended.any() and tau <= model_a.supported_ms:
        log_s_tau = model_a.log_survival_at(np.array([tau]))[0]
        reaches = (model_v.log_survival(in_view_parts[ended]) <= log_s_tau).astype(float)
        est[ended] = reaches
        low[ended] = np.minimum(low[ended], reaches)
        high[ended] = np.maximum(high[ended], reaches)
    return est, low, high


def resolve(
    crossings: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    histograms: Mapping[str, DwellHistogram],
    policy: Policy,
    rounding_ms: float,
    n_groups: int,
) -> dict[str, Resolution]:
    """Per estimated rung, the expected members among its crossing rows per group.

    ``crossings[level]`` is ``(group, code, count)`` (distinct pairs). A rung whose model cannot
    be fitted gets :meth:`Resolution.none` (its crossing rows stay undetermined, missing at
    random), with a warning.

    An attended crossing row needs both its viewable and its dwell condition. In-view time is
    part of the dwell, so the two are strongly dependent: the estimate takes the smaller of the
    two probabilities (their joint probability when one implies the other), and the interval
    reaches down to their product (independence). Where the in-view time was cut with the dwell,
    or a measured in-view time ended before a censored dwell, the dwell's chance is conditioned on
    the in-view time too (:func:`_comonotone`).
    """
    v_codes = crossings["viewable"][1]
    a_codes = crossings["attended"][1]
    a_coupling, a_view, a_dwell = a_codes // (RADIX * RADIX), (a_codes // RADIX) % RADIX, a_codes % RADIX
    # The in-view time's survival function also serves rows cut with their dwell (_comonotone).
    need_v = v_codes.size > 0 or bool(np.any((a_view != CERTAIN) | ((a_coupling == SAME_TIME) & (a_dwell < N_BINS))))
    need_a = bool(np.any(a_dwell != CERTAIN))
    model_v = _time_model(histograms["viewable"], rounding_ms, "viewable") if need_v and policy.min_in_view_ms > 0 else None
    model_a = _time_model(histograms["attended"], rounding_ms, "attended") if need_a and policy.attention_ms > 0 else None

    def resolution(
        g: np.ndarray, count: np.ndarray, p: tuple[np.ndarray, np.ndarray, np.ndarray], variance: np.ndarray
    ) -> Resolution:
        est, low, high = p

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(g, weights=count * values, minlength=n_groups)

        # Rows with bounds 0 and 1 are covered by them; the others add their Bernoulli noise.
        known = ~((low == 0) & (high == 1))
        return Resolution(
            crossing=total(np.ones(est.size)),
            expected=total(est),
            row_variance=total(np.where(known, est * (1 - est), 0.0)),
            model_variance=variance,
            low_slack=total(est - low),
            high_slack=total(high - est),
        )

    out = {}
    g, code, count = crossings["viewable"]
    count = count.astype(float)
    if model_v is None or not code.size:
        out["viewable"] = Resolution.none(n_groups)
    else:
        p = model_v.probabilities(policy.min_in_view_ms, code)
        known = ~((p[1] == 0) & (p[2] == 1))
        var = model_v.variance(policy.min_in_view_ms, g, code, np.where(known, count * p[0], 0.0), n_groups)
        out["viewable"] = resolution(g, count, p, var)

    g, code, count = crossings["attended"]
    count = count.astype(float)
    v_needed, d_needed = a_view != CERTAIN, a_dwell != CERTAIN
    if not code.size or (v_needed.any() and model_v is None) or (d_needed.any() and model_a is None):
        out["attended"] = Resolution.none(n_groups)
        return out
    ones = np.ones(code.size)
    ended = a_coupling == IN_VIEW_ENDED
    viewable_parts = np.where(ended, CERTAIN, a_view)  # viewable is certain there; a_view holds the in-view time
    p_v = model_v.probabilities(policy.min_in_view_ms, viewable_parts) if model_v is not None else (ones, ones, ones)
    p_a = model_a.probabilities(policy.attention_ms, a_dwell) if model_a is not None else (ones, ones, ones)
    same = a_coupling == SAME_TIME
    pinned = np.zeros(code.size, dtype=bool)  # rows whose in-view time pins the dwell down
    if model_v is not None and model_a is not None:
        p_a = _comonotone(p_a, same & (a_dwell < N_BINS), ended, a_view, a_dwell, policy.attention_ms, model_v, model_a)
        pinned = ended & (policy.attention_ms <= model_a.supported_ms)
    # Both conditions: one time decides both where the in-view time is the dwell (the smaller
    # probability is then the joint one); otherwise the two times are strongly but not
    # perfectly dependent, and the interval reaches down to independence (the product).
    est = np.minimum(p_v[0], p_a[0])
    low = np.where(same | ended, np.minimum(p_v[1], p_a[1]), np.minimum(est, p_v[1] * p_a[1]))
    joint = (est, low, np.maximum(est, np.minimum(p_v[2], p_a[2])))
    known = ~((joint[1] == 0) & (joint[2] == 1))
    by_view = p_v[0] < p_a[0]
    var = np.zeros(n_groups)
    for model, tau, parts, mine in (
        (model_v, policy.min_in_view_ms, viewable_parts, by_view),
        (model_a, policy.attention_ms, a_dwell, ~by_view),
    ):
        if model is not None:
            # Pinned rows have a 0 or 1 chance, the rest of their interval the bounds' (no model
            # variance of their own).
            var += model.variance(tau, g, parts, np.where(known & mine & ~pinned, count * est, 0.0), n_groups)
    out["attended"] = resolution(g, count, joint, var)
    return out
