"""From a summary to the estimated ladder: impressions and unique viewers per rung, per group.

Everything here works on the summary's (group, viewer) table, never on rows, and is vectorised
over groups. Figures that a complete, fully measured, unsampled log determines are exact
(low = high = estimate). Three things make a figure an estimate:

* **undetermined rows**: those whose time was censored or floored across a threshold are
  resolved by the log's time distribution (:mod:`viewaudit._ladder.crossings`); those not measured
  take the share on the rung of the group's measured valid rows (missing at random), see
  :func:`~viewaudit._estimators.intervals.predicted_count_interval`;
* **unique viewers with only undetermined rows**: a viewer with ``u`` undetermined impressions
  and none determined on the rung is on it with the chance their own propensity gives
  (:mod:`viewaudit._ladder.propensity`), or ``1 - (1 - p)**u`` where the log does not tell viewers
  apart (sketched viewers, small groups: impressions of one viewer independent given the share
  ``p``);
* **weights** (sampled logs): Horvitz-Thompson totals with the Poisson-sampling variance
  ``sum w (w - 1)`` and a normal interval; unique viewers of the complete log from the
  per-viewer counts (:mod:`viewaudit._ladder.sampled_viewers`) when all rows weigh the same, else those seen
  in the sample, a lower bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import pyarrow as pa
from scipy.stats import binom

from viewaudit._estimators.intervals import _z, jeffreys_interval, partially_identified_z, predicted_count_interval
from viewaudit._ladder.crossings import Resolution, resolve
from viewaudit._ladder.propensity import UndeterminedChances, heterogeneous_viewers
from viewaudit._ladder.reach import k_plus_reach_with_undetermined, sampled_k_plus_reach
from viewaudit._ladder.sampled_viewers import complete_log_viewers
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS, PARENT
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._scan.summary import WEIGHT2_SCALE, WEIGHT_SCALE, Summary
from viewaudit._warnings import DegenerateDataWarning

#: Figures in the ladder table, in order, for every level.
FIGURES = ("impressions", "unique_viewers")
#: (estimate, low, high) per group; a viewer figure of the complete log from the sample's
#: per-viewer counts on a rung and their groups (for the imputation, :func:`_imputed`).
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]
Figure = Callable[[np.ndarray, np.ndarray], Triple]
PARTS = ("estimate", "low", "high")


def ladder_from_statistics(
    stats: LadderStatistics,
    summary: Summary,
    *,
    confidence_level: float = 0.95,
    stratified: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
    frequency: int = 0,
) -> pa.Table:
    """One row per group (one row in all when ungrouped) with every ladder figure.

    Columns: the group keys, then ``<level>_<figure>_<part>`` for each level, figure
    (impressions, unique_viewers) and part (estimate, low, high), and
    ``<level>_undetermined`` (impressions whose membership was not determined).

    ``summary`` supplies only the facts about the log (policy, grouping, columns seen,
    interactions, weights); its table is not read. ``stratified`` replaces, per estimated
    rung, the estimate (with low and high) of how many of each group's undetermined rows are
    on it by one made within strata (see :mod:`viewaudit._ladder.strata`). ``frequency`` K adds
    ``<level>_reach_<k>_<part>`` for k = 1 .. K (:mod:`viewaudit._ladder.reach`; ``stats`` must have
    its ``frequencies``).
    """
    groups, n_groups = stats.groups, stats.n_groups
    z = _z(confidence_level)

    out: dict[str, np.ndarray] = {}
    T = {level: stats.totals[f"n_{level}"] for level in LEVELS}
    U = {level: stats.totals[f"u_{level}"] for level in ESTIMATED_LEVELS}
    resolved = resolve(stats.crossings, stats.histograms, summary.policy, summary.rounding_ms, n_groups)
    for level in LEVELS:
        certain = stats.certain[level]
        if level in ESTIMATED_LEVELS:
            # Rows whose time crosses the threshold are resolved by the log's time distribution
            # (viewaudit._ladder.crossings); the rest of the undetermined rows (not measured) take the
            # share of the rows that were.
            res: Resolution = resolved[level]
            missing = U[level] - res.crossing
            determined = T["valid"] - missing
            true = T[level] + res.expected
            # A group with nothing determined borrows the pooled share of all groups (group
            # shares taken as exchangeable); only a log with nothing determined at all is left
            # to the uninformative prior.
            borrow = (determined == 0) & (missing > 0)
            if borrow.any():
                pooled_true, pooled_determined = true.sum(), determined.sum()
                true = np.where(borrow, pooled_true, true)
                determined = np.where(borrow, pooled_determined, determined)
            add, add_low, add_high = predicted_count_interval(true, determined, missing, confidence_level=confidence_level)
            resolved_sd = z * np.sqrt(res.row_variance + res.model_variance)
            # Half-widths of the noise (at z) below and above, and the bounds the crossing rows
            # allow around the estimate (res.low_slack, res.high_slack): kept apart, since noise
            # and bounds do not add in quadrature (BoundedCount).
            noise_low, noise_high = np.hypot(add - add_low, resolved_sd), np.hypot(add_high - add, resolved_sd)
            add = res.expected + add
            slack_low, slack_high = res.low_slack, res.high_slack
            if stratified is not None:
                # The strata's intervals hold their bounds and noise together.
                add, add_low, add_high = stratified[level]
                noise_low, noise_high = add - add_low, add_high - add
                slack_low = slack_high = np.zeros(n_groups)
            bounded = BoundedCount(
                T[level] + add, T[level] + add - slack_low, T[level] + add + slack_high, noise_low / z, noise_high / z
            )
            imp_low, imp_high = bounded.interval(confidence_level)
            imp_low, imp_high = np.clip(imp_low, T[level], T[level] + U[level]), np.clip(imp_high, T[level], T[level] + U[level])
            # Unweighted counts are whole numbers: widen the interval ends to the nearest ones.
            imp = (bounded.estimate, np.floor(imp_low + 1e-9), np.ceil(imp_high - 1e-9))
            # Per undetermined row of the group: the chance it is on the rung, with an interval
            # from the share's and the time distribution's uncertainty (the rows' own noise is
            # added per viewer).
            share_low, share_high = jeffreys_interval(true, determined, confidence_level=confidence_level)
            model_sd = z * np.sqrt(res.model_variance)
            with np.errstate(divide="ignore", invalid="ignore"):
                per_row = np.where(U[level] > 0, add / U[level], 0.0)
                per_row_low = np.where(
                    U[level] > 0, (np.maximum(res.expected - model_sd - res.low_slack, 0) + missing * share_low) / U[level], 0.0
                )
                per_row_high = np.where(
                    U[level] > 0,
                    (np.minimum(res.expected + model_sd + res.high_slack, res.crossing) + missing * share_high) / U[level],
                    0.0,
                )
                if stratified is not None:
                    # The strata's intervals include the rows' own noise: conservative here.
                    per_row_low = np.where(U[level] > 0, add_low / U[level], 0.0)
                    per_row_high = np.where(U[level] > 0, add_high / U[level], 0.0)
            if stats.viewer_rows is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    crossing_low = np.maximum(res.expected - model_sd - res.low_slack, 0)
                    crossing_high = np.minimum(res.expected + model_sd + res.high_slack, res.crossing)
                    crossing = tuple(
                        np.where(res.crossing > 0, x / res.crossing, 0.0) for x in (res.expected, crossing_low, crossing_high)
                    )
                    measured = (np.where(determined > 0, true / determined, 0.5), share_low, share_high)
                    if stratified is not None:
                        # The strata give the chance per undetermined row; what is not the crossing
                        # rows' is the unmeasured rows' share.
                        crossing = (crossing[0],) * 3
                        measured = tuple(
                            np.where(missing > 0, np.clip((x * U[level] - res.expected) / missing, 0.0, 1.0), m)
                            for x, m in zip((per_row, per_row_low, per_row_high), measured, strict=True)
                        )
                    chances = UndeterminedChances(
                        unmeasured=np.where(U[level] > 0, missing / U[level], 1.0),
                        measured_share=measured,
                        crossing=crossing,
                        determined_share=np.where(T["valid"] > U[level], T[level] / (T["valid"] - U[level]), 0.0),
                    )
                uniq = heterogeneous_viewers(stats.viewer_rows[level], n_groups, chances, z)
            else:
                uniq = _uncertain_viewers(
                    stats.open_viewers[level], n_groups, per_row, per_row_low, per_row_high, confidence_level
                )
            uniq = (certain + uniq[0], certain + np.floor(uniq[1] + 1e-9), certain + np.ceil(uniq[2] - 1e-9))
            if stratified is None and level not in undeterminable_levels(summary) and np.any((determined == 0) & (missing > 0)):
                warnings.warn(
                    f"{level}: the log has undetermined rows but no determined valid row to "
                    "estimate their share from; the estimate assumes half and its interval spans 0 to all",
                    DegenerateDataWarning,
                    stacklevel=3,
                )
            out[f"{level}_undetermined"] = U[level]
        else:
            imp = (T[level], T[level], T[level])
            uniq = (certain, certain, certain)
            out[f"{level}_undetermined"] = np.zeros(n_groups)
            per_row = per_row_low = per_row_high = np.zeros(n_groups)
        reach = []
        if frequency:
            assert stats.frequencies is not None
            for k in range(2, frequency + 1):
                est, low, high = k_plus_reach_with_undetermined(
                    stats.frequencies[level], n_groups, k, per_row, per_row_low, per_row_high, z
                )
                # Counts of viewers are whole numbers: widen the interval ends to the nearest ones.
                reach.append((est, np.floor(low + 1e-9), np.ceil(high - 1e-9)))
        if stats.relative_error:
            # Sketched counts: add the sketch's error (normal, relative) in quadrature.
            half = z * stats.relative_error * uniq[0]
            uniq = (
                uniq[0],
                np.maximum(np.floor(uniq[0] - np.hypot(uniq[0] - uniq[1], half)), 0),
                np.ceil(uniq[0] + np.hypot(uniq[2] - uniq[0], half)),
            )
        if summary.weighted:
            if stats.sample_rate is not None and level in ESTIMATED_LEVELS:
                scaled = bounded.scaled_up(stats.sample_rate)
                imp = (scaled.estimate, *scaled.interval(confidence_level))
            else:
                imp = _weighted_impressions(stats.totals, level, z)
            if stats.sample_rate is not None and stats.viewer_counts is not None and "viewer_id" in summary.columns_seen:
                # (Without viewers there is nothing to extrapolate: the figures are n/a below.)
                ks = range(2, frequency + 1) if n_groups == 1 else range(0)
                chance = (per_row, per_row_low, per_row_high)
                uniq, whole_reach = _complete_log_figures(stats, level, chance, ks, confidence_level)
                if reach and n_groups == 1:
                    reach = whole_reach
                elif reach:
                    # A group's few viewers do not identify its exposure distribution.
                    reach = [(np.full(n_groups, np.nan), np.zeros(n_groups), uniq[2]) for _ in reach]
            else:
                # Weights that vary: what the sample shows is a lower bound on the complete
                # log's viewers, and no viewer has fewer than one impression.
                uniq = (uniq[0], uniq[1], imp[2])
                reach = [(r[0], r[1], imp[2]) for r in reach]
        for figure, values in (("impressions", imp), ("unique_viewers", uniq)):
            for part, v in zip(PARTS, values, strict=True):
                out[f"{level}_{figure}_{part}"] = np.asarray(v, dtype=float)
        for k, values in enumerate(reach, start=2):
            for part, v in zip(PARTS, values, strict=True):
                out[f"{level}_reach_{k}_{part}"] = np.asarray(v, dtype=float)
    reach_figures = [f"reach_{k}" for k in range(2, frequency + 1)]
    for level in undeterminable_levels(summary):
        for figure in (*FIGURES, *reach_figures):
            out[f"{level}_{figure}_estimate"] = np.full(n_groups, np.nan)
            out[f"{level}_{figure}_low"] = np.zeros(n_groups)
            out[f"{level}_{figure}_high"] = out[f"{PARENT[level]}_{figure}_high"].copy()
    if "viewer_id" not in summary.columns_seen:
        for level in LEVELS:
            for figure in ("unique_viewers", *reach_figures):
                out[f"{level}_{figure}_estimate"] = np.full(n_groups, np.nan)
                out[f"{level}_{figure}_high"] = out[f"{level}_impressions_high"].copy()
    _enforce_ladder_order(out, frequency)
    columns = {name: groups[name] for name in summary.by} if summary.by else {}
    columns.update({k: pa.array(v) for k, v in out.items()})
    return pa.table(columns)


def _complete_log_figures(
    stats: LadderStatistics,
    level: str,
    chance: tuple[np.ndarray, np.ndarray, np.ndarray],
    ks: range,
    confidence_level: float,
) -> tuple[Triple, list[Triple]]:
    """Unique viewers of the complete log on a rung (:func:`viewaudit._ladder.sampled_viewers.complete_log_viewers`)
    and, for k in ``ks``, its k+ reach (:func:`viewaudit._ladder.reach.sampled_k_plus_reach`; one group),
    from the sampled log's per-viewer counts on the rung. Where some of them hide in undetermined
    rows they are imputed (:func:`_imputed`, from ``stats.viewer_rows``) with each undetermined
    row's ``chance`` (per group: estimate, low, high) of being on the rung, the same draws
    serving every figure."""
    assert stats.sample_rate is not None
    assert stats.viewer_counts is not None
    p, n_groups = stats.sample_rate, stats.n_groups
    figures = [(_viewers_figure(n_groups, p, confidence_level), 1), *((_reach_figure(k, p, confidence_level), k) for k in ks)]
    if level in ESTIMATED_LEVELS and stats.viewer_rows is not None and stats.viewer_rows[level][3].any():
        g, t, _, u, count = stats.viewer_rows[level]
        g, t, u = (np.repeat(x, count) for x in (g, t, u))  # one entry per viewer again
        out = _imputed(g, t, u, chance, n_groups, figures, confidence_level)
    else:
        g, counts = stats.viewer_counts[level]
        out = [figure(counts, g) for figure, _ in figures]
    return out[0], out[1:]


def _viewers_figure(n_groups: int, sample_rate: float, confidence_level: float) -> Figure:
    """Unique viewers of the complete log per group as a :data:`Figure`
    (:func:`viewaudit._ladder.sampled_viewers.complete_log_viewers`)."""

    def viewers(y: np.ndarray, g: np.ndarray) -> Triple:
        return complete_log_viewers(y, g, n_groups, sample_rate=sample_rate, confidence_level=confidence_level)

    return viewers


def _reach_figure(k: int, sample_rate: float, confidence_level: float) -> Figure:
    """The whole log's k+ reach as a :data:`Figure` (one group)."""

    def reach(y: np.ndarray, _: np.ndarray) -> Triple:
        return tuple(np.array([x]) for x in sampled_k_plus_reach(y, k, sample_rate, confidence_level))  # type: ignore[return-value]

    return reach


#: Imputations of a sampled log's undetermined rows (multiple imputation, Rubin 1987), seeded so
#: that an audit's figures are the same on every run. Each costs one fit of the complete log's
#: viewers, and for a whole log that fit (the Gamma-Poisson and Poisson-log-normal models, and
#: two Gamma-Poisson classes) takes 0.1 to 1 s: 5 draws, Rubin's own advice, the imputation
#: noise then adding a fifth of the between-draw variance; the chance interval's ends reuse the
#: first draw's uniforms.
IMPUTATIONS = 5
_END_IMPUTATIONS = 1
IMPUTATION_SEED = 20231118


def _imputed(
    g: np.ndarray,
    determined: np.ndarray,
    undetermined: np.ndarray,
    chance: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_groups: int,
    figures: Sequence[tuple[Figure, int]],
    confidence_level: float,
) -> list[Triple]:
    """Complete-log viewer figures on a rung, from a sampled log with undetermined rows: each of
    ``figures`` is a :data:`Figure` with the fewest determined rows ``at_least`` that put a viewer
    in it for certain (1 for unique viewers, k for k+ reach).

    The sample's true counts on the rung, per viewer, are a thinning of the complete log's at
    exactly the sampling rate (rows are kept whatever their times), but a viewer's undetermined
    rows hide part of them. Each imputation draws them: every undetermined row is on the rung
    with its group's per-row chance (``chance``: estimate, low, high per group; viewers of a
    group alike). Each draw's counts give every figure (drawn once for all); the draws combine by
    Rubin's rules (mean of the estimates; the ends widened in quadrature by ``z`` times the
    between-draw standard deviation, ``sqrt((1 + 1/M) B)``). The chance's own interval widens the
    ends too, in quadrature: imputations at its low and its high end (with the same uniforms, so
    that the difference is the chance's, not the draws') give how far either moves each end
    outward. The low end is never below the viewers with ``at_least`` determined rows on the rung
    (1 for unique viewers, k for k+ reach): the sample's rows are the complete log's.
    """
    z = _z(confidence_level)
    # Viewers in a canonical order (viewers with equal counts are interchangeable), so that the
    # draws do not depend on the order in which the viewers come (the log's parts, or rows
    # sorted with counts the draws do not use).
    order = np.lexsort((undetermined, determined, g))
    g, determined, undetermined = g[order], determined[order], undetermined[order]
    open_ = np.flatnonzero(undetermined > 0)
    n_open = undetermined[open_]
    # One uniform per viewer with undetermined rows and draw, turned into a binomial count by
    # its quantile function: counts rise with the chance for the same uniform.
    uniform = np.random.default_rng(IMPUTATION_SEED).random((IMPUTATIONS, open_.size))

    def counts(c: np.ndarray, m: int) -> np.ndarray:
        y = determined.astype(np.int64)  # a copy
        y[open_] += np.maximum(binom.ppf(uniform[m], n_open, np.clip(c, 0.0, 1.0)[g[open_]]), 0).astype(np.int64)  # ppf(0) is -1
        return y

    k = _END_IMPUTATIONS
    # A warning about degenerate counts is the data's when every draw at the estimated chance
    # gives it (for one figure); in some draws only, it is the imputation's noise, and at the ends
    # of the chance's interval (a chance of 0 sees no viewer) it is the interval's.
    caught: list[list[warnings.WarningMessage]] = [[] for _ in figures]
    draws: list[list[Triple]] = [[] for _ in figures]
    for m in range(IMPUTATIONS):
        y = counts(chance[0], m)
        for i, (figure, _) in enumerate(figures):
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always", DegenerateDataWarning)
                draws[i].append(figure(y, g))
            caught[i] += record
    # The ends at either end of the chance's interval: more rows on the rung mean more viewers
    # seen but fewer unseen ones, so either can move either end.
    at_ends: list[list[list[Triple]]] = [[[] for _ in chance[1:]] for _ in figures]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for e, c in enumerate(chance[1:]):
            for m in range(k):
                y = counts(c, m)
                for i, (figure, _) in enumerate(figures):
                    at_ends[i][e].append(figure(y, g))
    seen = set()
    for record in caught:
        for w in record:
            if not issubclass(w.category, DegenerateDataWarning) and (str(w.message), w.category) not in seen:
                seen.add((str(w.message), w.category))
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)  # not ours to judge: passed on
        messages = [str(w.message) for w in record if issubclass(w.category, DegenerateDataWarning)]
        for message in dict.fromkeys(messages):
            if messages.count(message) >= IMPUTATIONS:
                note = f"{message} (in every imputation of the sample's undetermined rows)"
                warnings.warn(note, DegenerateDataWarning, stacklevel=4)
    return [
        _combined(np.array(draws[i]), at_ends[i], np.bincount(g[determined >= at_least], minlength=n_groups), z)
        for i, (_, at_least) in enumerate(figures)
    ]


def _combined(draws: np.ndarray, at_ends: list[list[Triple]], certain: np.ndarray, z: float) -> Triple:
    """Rubin's rules over one figure's draws ``(draw, part, group)``, the chance's ends
    (:func:`_imputed`) and the viewers in it for certain."""
    # A figure a draw does not identify (NaN estimate: no viewer seen twice, for k+ reach) is
    # not identified: NaN, bounded by what is certain and no more.
    unidentified = ~np.isfinite(draws[:, 0]).all(axis=0) | ~np.isfinite(draws[:, 2]).all(axis=0)
    with np.errstate(invalid="ignore"):  # inf - inf where a figure is not identified
        ends = [np.mean(end, axis=0) - draws[:_END_IMPUTATIONS].mean(axis=0) for end in at_ends]
        estimate = draws[:, 0].mean(axis=0)
        between = z * np.sqrt((1 + 1 / IMPUTATIONS) * draws[:, 0].var(axis=0, ddof=1))
        # The chance's own error is another source, independent of the sample's and the draws':
        # added in quadrature like them (added outright, it made 99.5 % intervals of 95 % ones).
        low_shift = np.minimum(np.minimum(ends[0][1], ends[1][1]), 0.0)
        high_shift = np.maximum(np.maximum(ends[0][2], ends[1][2]), 0.0)
        low = estimate - np.sqrt((estimate - draws[:, 1].mean(axis=0)) ** 2 + between**2 + low_shift**2)
        high = estimate + np.sqrt((draws[:, 2].mean(axis=0) - estimate) ** 2 + between**2 + high_shift**2)
    if unidentified.any():
        estimate = np.where(unidentified, np.nan, estimate)
        low = np.where(unidentified, certain, low)
        high = np.where(unidentified, np.inf, high)
    return estimate, np.maximum(low, certain), high


def undeterminable_levels(summary: Summary) -> list[str]:
    """Rungs the log cannot determine at all because a column the policy needs is absent."""
    seen, policy = summary.columns_seen, summary.policy
    has_time = bool({"dwell_ms", "in_view_ms"} & seen)
    out = []
    if (policy.min_visible_fraction > 0 and "visible_fraction" not in seen) or (policy.min_in_view_ms > 0 and not has_time):
        out += ["viewable", "attended"]
    elif policy.attention_ms > 0 and "dwell_ms" not in seen:
        out.append("attended")
    if not summary.interactions:
        out.append("engaged")
    return out


def _uncertain_viewers(
    open_viewers: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_groups: int,
    share: np.ndarray,
    share_low: np.ndarray,
    share_high: np.ndarray,
    confidence_level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected number (with interval) of viewers on the rung among those with only
    undetermined impressions on it, given as sorted distinct (group, u) pairs with counts,
    when each undetermined row of a group is on the rung with probability ``share`` (per
    group, with an interval)."""
    zeros = np.zeros(n_groups)
    if not len(open_viewers[0]):
        return zeros, zeros, zeros
    share, share_low, share_high = (np.clip(x, 0.0, 1.0) for x in (share, share_low, share_high))
    gi = np.asarray(open_viewers[0], dtype=np.int64)
    ui = np.asarray(open_viewers[1], dtype=float)
    ci = np.asarray(open_viewers[2], dtype=float)

    def expected(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = -np.expm1(ui * np.log1p(-np.minimum(p[gi], 1 - 1e-16)))
        q = np.where(p[gi] >= 1, 1.0, q)
        return (
            np.bincount(gi, weights=ci * q, minlength=n_groups),
            np.bincount(gi, weights=ci * q * (1 - q), minlength=n_groups),
        )

    est, var = expected(share)
    low, _ = expected(share_low)
    high, _ = expected(share_high)
    z = _z(confidence_level)
    bound = np.bincount(gi, weights=ci, minlength=n_groups)
    lo = est - np.sqrt((est - low) ** 2 + z * z * var)
    hi = est + np.sqrt((high - est) ** 2 + z * z * var)
    return est, np.clip(lo, 0, bound), np.clip(hi, 0, bound)


@attrs.frozen
class BoundedCount:
    """A count known up to noise and, beyond it, only between two bounds (elementwise).

    ``estimate`` lies in ``[low_bound, high_bound]``, the range the data allow for the rows
    whose membership they cannot decide (a time straddling the threshold inside a whole second,
    a censoring time known to its second). ``sd_low`` and ``sd_high`` are the standard
    deviations of the noise at the low and the high bound (shares, the time distribution), and
    ``sampling`` the variance a sample adds per impression counted (0 for a complete log).

    A union of noise and bounds, ``low_bound - z sd``, covers values near the bounds at
    ``1 - alpha / 2`` and those between them at about 1: :meth:`interval` uses the critical
    value of :func:`~viewaudit._estimators.intervals.partially_identified_z` instead. (Adding the bounds'
    slack to the noise in quadrature is no interval: where the slack is wide, its end sits on
    the bound, covering a count at that bound about half the time.)
    """

    estimate: np.ndarray
    low_bound: np.ndarray
    high_bound: np.ndarray
    sd_low: np.ndarray
    sd_high: np.ndarray
    sampling: float = 0.0

    def interval(self, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
        """The ends ``low_bound - d_low`` and ``high_bound + d_high``.

        Sampling variance grows with the count: each margin ``d`` is the score interval's,
        solving ``d**2 = c**2 (sd**2 + sampling * (bound -+ d))`` (the variance of the count at
        the interval's end, not at the bound: as Wilson's interval does for a proportion, this
        keeps a low sample count from claiming too little noise)."""
        k, low, high = self.sampling, np.maximum(self.low_bound, 0), self.high_bound
        # A sample estimates the width too (about (w - 1) per impression between the bounds):
        # its one-sided lower limit stands in for it, so that noise cannot shrink c where the
        # bounds nearly meet (Stoye 2009: the width as estimated is safe only when superefficient).
        width = np.maximum(high - low, 0)
        one_sided = _z(2 * confidence_level - 1)
        width = np.maximum(width - one_sided * np.sqrt(k * width), 0)
        c = partially_identified_z(
            width, np.sqrt(np.maximum(self.sd_low**2 + k * low, self.sd_high**2 + k * high)), confidence_level=confidence_level
        )
        c2k = c * c * k
        d_low = (np.sqrt(c2k * c2k + 4 * c * c * (self.sd_low**2 + k * low)) - c2k) / 2
        d_high = (np.sqrt(c2k * c2k + 4 * c * c * (self.sd_high**2 + k * high)) + c2k) / 2
        return np.maximum(low - d_low, 0), high + d_high

    def scaled_up(self, rate: float) -> BoundedCount:
        """Horvitz-Thompson count of a log sampled at one ``rate``, from the sample's count.

        Every row weighs ``w = 1 / rate``: the estimate, the bounds and the noise are ``w``
        times the sample's, and a count ``N`` of the complete log gains the sampling variance
        ``w (w - 1)`` per sampled impression, ``(w - 1) N`` (Poisson sampling)."""
        w = 1.0 / rate
        return BoundedCount(
            w * self.estimate, w * self.low_bound, w * self.high_bound, w * self.sd_low, w * self.sd_high, sampling=w - 1.0
        )


def _weighted_impressions(totals: dict[str, np.ndarray], level: str, z: float) -> tuple[np.ndarray, ...]:
    """Horvitz-Thompson impressions of a sampled log, with a normal interval."""

    def wsum(name: str, scale: int) -> np.ndarray:
        return totals[name] / scale

    tw, tw2 = wsum(f"w_{level}", WEIGHT_SCALE), wsum(f"w2_{level}", WEIGHT2_SCALE)
    # Poisson sampling with inclusion probability 1/w: Var(HT total) = sum w (w - 1).
    var = np.maximum(tw2 - tw, 0)
    est = tw
    if level in ESTIMATED_LEVELS:
        uw, uw2 = wsum(f"uw_{level}", WEIGHT_SCALE), wsum(f"uw2_{level}", WEIGHT2_SCALE)
        dw = wsum("w_valid", WEIGHT_SCALE) - uw
        dw2 = wsum("w2_valid", WEIGHT2_SCALE) - uw2
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(dw > 0, tw / dw, 0.5)
            var_p = np.where(dw > 0, p * (1 - p) * dw2 / dw**2, 0.25)
        est = tw + uw * p
        var = var + p * p * np.maximum(uw2 - uw, 0) + uw * uw * var_p + p * (1 - p) * uw2
    half = z * np.sqrt(var)
    return est, np.maximum(est - half, 0), est + half


def _enforce_ladder_order(out: dict[str, np.ndarray], frequency: int = 0) -> None:
    """No rung above its parent, no unique count above the rung's impressions, no k+ reach above
    the (k-1)+ reach (in place); ``reach_1`` is then the unique viewers.

    An undeterminable estimate (NaN) propagates to the rungs below it; interval ends ignore it.
    """
    figures = (*FIGURES, *(f"reach_{k}" for k in range(2, frequency + 1)))
    for level in LEVELS:
        parent = PARENT[level]
        for i, figure in enumerate(figures):
            for part in PARTS:
                key = f"{level}_{figure}_{part}"
                clip = np.minimum if part == "estimate" else np.fmin
                if parent is not None:
                    out[key] = clip(out[key], out[f"{parent}_{figure}_{part}"])
                if i > 0:  # unique viewers below impressions, k+ reach below (k-1)+ reach
                    out[key] = clip(out[key], out[f"{level}_{figures[i - 1]}_{part}"])
        if frequency:
            for part in PARTS:
                out[f"{level}_reach_1_{part}"] = out[f"{level}_unique_viewers_{part}"]
        for figure in figures:
            est = out[f"{level}_{figure}_estimate"]
            out[f"{level}_{figure}_low"] = np.fmin(out[f"{level}_{figure}_low"], est)
            out[f"{level}_{figure}_high"] = np.fmax(out[f"{level}_{figure}_high"], est)
