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

import math
import warnings
from collections.abc import Sequence

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._estimators.intervals import _z, jeffreys_interval, predicted_count_interval
from viewaudit._ladder.bounded import BoundedCount
from viewaudit._ladder.crossings import Resolution, resolve
from viewaudit._ladder.imputation import Triple, complete_log_figures
from viewaudit._ladder.propensity import UndeterminedChances, heterogeneous_viewers
from viewaudit._ladder.reach import k_plus_reach_with_undetermined
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS, PARENT, Level
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._scan.summary import WEIGHT2_SCALE, WEIGHT_SCALE, Summary, rung_inputs
from viewaudit._warnings import DegenerateDataWarning

#: Figures in the ladder table, in order, for every level.
FIGURES = ("impressions", "unique_viewers")
PARTS = ("estimate", "low", "high")
#: The degenerate-share warning is attributed to the caller of the caller of
#: :func:`ladder_from_statistics` (frames: :func:`_estimated_rung`, :func:`_rung_columns`,
#: :func:`ladder_from_statistics`, its caller, theirs).
_NO_SHARE_STACKLEVEL = 5


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
    resolutions = resolve(stats.crossings, stats.histograms, summary.policy, summary.rounding_ms, stats.n_groups)
    columns: dict[str, np.ndarray] = {}
    for level in LEVELS:
        resolution = resolutions[level] if level in ESTIMATED_LEVELS else None
        stratified_level = stratified[level] if stratified is not None and level in ESTIMATED_LEVELS else None
        columns.update(_rung_columns(stats, summary, level, resolution, stratified_level, frequency, confidence_level))
    _mark_undeterminable(columns, summary, stats, frequency)
    _enforce_ladder_order(columns, frequency)
    table = {name: stats.groups[name] for name in summary.by} if summary.by else {}
    table.update({name: pa.array(values) for name, values in columns.items()})
    return pa.table(table)


@attrs.frozen
class RungFigures:
    """One rung's figures per group as the rows show them, before weights and sketches."""

    undetermined: np.ndarray  # impressions whose membership was not determined
    impressions: Triple
    unique_viewers: Triple
    #: Per undetermined row, the chance it is on the rung (estimate, low, high).
    row_chance: Triple
    #: Estimated rungs: the impressions with their bounds and noise (scaled up for a sample).
    bounded_impressions: BoundedCount | None = None


def _rung_columns(
    stats: LadderStatistics,
    summary: Summary,
    level: str,
    resolution: Resolution | None,
    stratified_level: Triple | None,
    frequency: int,
    confidence_level: float,
) -> dict[str, np.ndarray]:
    """A rung's columns of the ladder table: its undetermined impressions and every figure."""
    z = _z(confidence_level)
    if resolution is None:
        rung = _counted_rung(stats, level)
    else:
        rung = _estimated_rung(stats, summary, level, resolution, stratified_level, confidence_level)
    reach = _k_plus_reach(stats, level, rung.row_chance, frequency, z)
    impressions = rung.impressions
    unique_viewers = _with_sketch_error(rung.unique_viewers, stats.relative_error, z)
    if summary.weighted:
        impressions, unique_viewers, reach = _sampled_log_figures(
            stats, summary, level, rung, unique_viewers, reach, frequency, confidence_level
        )
    columns = {f"{level}_undetermined": rung.undetermined}
    figures = [("impressions", impressions), ("unique_viewers", unique_viewers)]
    figures += [(f"reach_{k}", values) for k, values in enumerate(reach, start=2)]
    for figure, values in figures:
        for part, value in zip(PARTS, values, strict=True):
            columns[f"{level}_{figure}_{part}"] = np.asarray(value, dtype=float)
    return columns


def _counted_rung(stats: LadderStatistics, level: str) -> RungFigures:
    """A rung every row's membership decides: exact counts (low = high = estimate)."""
    impressions = stats.totals[f"n_{level}"]
    viewers = stats.certain[level]
    zeros = np.zeros(stats.n_groups)
    return RungFigures(
        undetermined=zeros,
        impressions=(impressions, impressions, impressions),
        unique_viewers=(viewers, viewers, viewers),
        row_chance=(zeros, zeros, zeros),
    )


@attrs.frozen
class DeterminedShare:
    """What a rung's determined rows say about its undetermined ones, per group.

    Rows whose time crosses the threshold are resolved by the log's time distribution
    (:mod:`viewaudit._ladder.crossings`); the rest of the undetermined rows (not measured) take
    the share on the rung of the valid rows that were.
    """

    resolution: Resolution
    unmeasured: np.ndarray  # undetermined rows that do not cross the threshold
    determined: np.ndarray  # valid rows, less the unmeasured ones
    on_rung: np.ndarray  # of those, the ones on the rung (crossing rows at their expected count)
    share_low: np.ndarray  # Jeffreys interval of on_rung / determined
    share_high: np.ndarray


def _determined_share(
    totals: dict[str, np.ndarray], level: str, resolution: Resolution, confidence_level: float
) -> DeterminedShare:
    """The rung's share among the determined rows (:class:`DeterminedShare`)."""
    unmeasured = totals[f"u_{level}"] - resolution.crossing
    determined = totals["n_valid"] - unmeasured
    on_rung = totals[f"n_{level}"] + resolution.expected
    # A group with nothing determined borrows the pooled share of all groups (group shares
    # taken as exchangeable); only a log with nothing determined at all is left to the
    # uninformative prior.
    borrow = (determined == 0) & (unmeasured > 0)
    if borrow.any():
        pooled_on_rung, pooled_determined = on_rung.sum(), determined.sum()
        on_rung = np.where(borrow, pooled_on_rung, on_rung)
        determined = np.where(borrow, pooled_determined, determined)
    share_low, share_high = jeffreys_interval(on_rung, determined, confidence_level=confidence_level)
    return DeterminedShare(resolution, unmeasured, determined, on_rung, share_low, share_high)


def _by_measurement_pattern(
    share: DeterminedShare, patterns: dict[str, int], level: str, inputs: int, n_groups: int, confidence_level: float
) -> tuple[DeterminedShare, Triple]:
    """The unmeasured rows on the rung where some rows measured part of its inputs: the share of
    the rows measured in full does not hold for them.

    A row that measured part of what the rung needs (``Summary.measurement_patterns``) is
    undetermined only where it meets every rule it measured. Its chance is that of a row
    measured in full meeting the same rules: the rows measured in full on the rung, over those
    measured in full that meet them (missing at random given what was measured). Per pattern,
    that share's prediction interval (:func:`predicted_count_interval`); the patterns' half-widths
    add (they share the rows on the rung). Counted over the whole log: for one group, its
    figures; for many, each group's count from its own share is scaled so that the groups add up
    to the whole log's (the patterns taken to mix alike across groups), between that count's low
    end and all of its unmeasured rows.
    """
    full = (1 << inputs) - 1
    met = {int(k.split(":d")[1]): n for k, n in patterns.items() if k.startswith(f"{level}:d")}
    on = met.get(full, 0)
    estimate = low = high = 0.0
    # Sorted, and added exactly (fsum): the figures may not hang on the order batches or groups came in.
    for key, rows in sorted(patterns.items()):
        if not key.startswith(f"{level}:u"):
            continue
        measured = int(key.split(":u")[1])
        meeting = math.fsum(n for t, n in met.items() if t & measured == measured)
        e, lo, hi = (
            float(x[0])
            for x in predicted_count_interval(
                np.array([on]), np.array([meeting]), np.array([rows]), confidence_level=confidence_level
            )
        )
        estimate, low, high = estimate + e, low + (e - lo), high + (hi - e)
    unmeasured = share.unmeasured.astype(np.float64)
    if n_groups == 1:
        on_rung = np.array([estimate])
        on_low, on_high = np.array([max(estimate - low, 0.0)]), np.array([min(estimate + high, float(unmeasured[0]))])
    else:
        naive, naive_low, _ = predicted_count_interval(
            share.on_rung, share.determined, share.unmeasured, confidence_level=confidence_level
        )
        total = math.fsum(naive)
        scale = estimate / total if total > 0 else 1.0
        on_rung = np.clip(naive * scale, naive_low, unmeasured)
        on_low, on_high = np.minimum(naive_low, on_rung), unmeasured
    some = unmeasured > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = attrs.evolve(
            share,
            on_rung=np.where(some, on_rung, share.on_rung),
            determined=np.where(some, unmeasured, share.determined),
            share_low=np.where(some, on_low / unmeasured, share.share_low),
            share_high=np.where(some, on_high / unmeasured, share.share_high),
        )
    return adjusted, (on_rung, on_low, on_high)


def _estimated_rung(
    stats: LadderStatistics,
    summary: Summary,
    level: str,
    resolution: Resolution,
    stratified_level: Triple | None,
    confidence_level: float,
) -> RungFigures:
    """A rung some rows' membership leaves undetermined: impressions and unique viewers
    estimated, with intervals."""
    z = _z(confidence_level)
    counted = stats.totals[f"n_{level}"]
    undetermined = stats.totals[f"u_{level}"]
    share = _determined_share(stats.totals, level, resolution, confidence_level)
    unmeasured_on: Triple | None = None
    patterns = summary.measurement_patterns
    if patterns.get(f"{level}:p", 0) and np.any(share.unmeasured > 0) and level not in undeterminable_levels(summary, stats):
        inputs = len(rung_inputs(summary.policy, level))
        share, unmeasured_on = _by_measurement_pattern(share, patterns, level, inputs, stats.n_groups, confidence_level)
        if stratified_level is not None:
            # The strata's shares are those of all their rows measured in full: a low end here.
            stratified_level = (stratified_level[0], stratified_level[1], np.maximum(stratified_level[2], undetermined))
    undetermined_on_rung, bounded = _bounded_impressions(counted, share, stratified_level, confidence_level, unmeasured_on)
    impressions = _whole_impressions(bounded, counted, undetermined, confidence_level)
    row_chance = _row_chance(share, undetermined, undetermined_on_rung, stratified_level, z)
    unique_viewers = _estimated_unique_viewers(stats, level, share, row_chance, stratified_level is not None, confidence_level)
    nothing_determined = np.any((share.determined == 0) & (share.unmeasured > 0))
    if stratified_level is None and level not in undeterminable_levels(summary, stats) and nothing_determined:
        warnings.warn(
            f"{level}: the log has undetermined rows but no determined valid row to "
            "estimate their share from; the estimate assumes half and its interval spans 0 to all",
            DegenerateDataWarning,
            stacklevel=_NO_SHARE_STACKLEVEL,
        )
    return RungFigures(undetermined, impressions, unique_viewers, row_chance, bounded)


def _bounded_impressions(
    counted: np.ndarray,
    share: DeterminedShare,
    stratified_level: Triple | None,
    confidence_level: float,
    unmeasured_on: Triple | None = None,
) -> tuple[np.ndarray, BoundedCount]:
    """How many undetermined rows are on the rung, and the rung's impressions as a
    :class:`~viewaudit._ladder.bounded.BoundedCount` (``unmeasured_on``: how many unmeasured rows
    are on it, when not from ``share``)."""
    resolution = share.resolution
    z = _z(confidence_level)
    on_rung, on_rung_low, on_rung_high = predicted_count_interval(
        share.on_rung, share.determined, share.unmeasured, confidence_level=confidence_level
    )
    if unmeasured_on is not None:
        on_rung, on_rung_low, on_rung_high = unmeasured_on
    resolved_sd = z * np.sqrt(resolution.row_variance + resolution.model_variance)
    # Half-widths of the noise (at z) below and above, and the bounds the crossing rows allow
    # around the estimate (low_slack, high_slack): kept apart, since noise and bounds do not add
    # in quadrature (BoundedCount).
    noise_low, noise_high = np.hypot(on_rung - on_rung_low, resolved_sd), np.hypot(on_rung_high - on_rung, resolved_sd)
    on_rung = resolution.expected + on_rung
    slack_low, slack_high = resolution.low_slack, resolution.high_slack
    if stratified_level is not None:
        # The strata's intervals hold their bounds and noise together.
        on_rung, on_rung_low, on_rung_high = stratified_level
        noise_low, noise_high = on_rung - on_rung_low, on_rung_high - on_rung
        slack_low = slack_high = np.zeros(len(counted))
    bounded = BoundedCount(
        counted + on_rung, counted + on_rung - slack_low, counted + on_rung + slack_high, noise_low / z, noise_high / z
    )
    return on_rung, bounded


def _whole_impressions(bounded: BoundedCount, counted: np.ndarray, undetermined: np.ndarray, confidence_level: float) -> Triple:
    """The impressions' estimate and interval, the interval within what the rows allow and
    widened to whole numbers (unweighted counts are whole)."""
    low, high = bounded.interval(confidence_level)
    low, high = np.clip(low, counted, counted + undetermined), np.clip(high, counted, counted + undetermined)
    return bounded.estimate, np.floor(low + 1e-9), np.ceil(high - 1e-9)


def _row_chance(
    share: DeterminedShare,
    undetermined: np.ndarray,
    undetermined_on_rung: np.ndarray,
    stratified_level: Triple | None,
    z: float,
) -> Triple:
    """Per undetermined row of the group: the chance it is on the rung, with an interval from the
    share's and the time distribution's uncertainty (the rows' own noise is added per viewer)."""
    resolution = share.resolution
    model_sd = z * np.sqrt(resolution.model_variance)
    some = undetermined > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(some, undetermined_on_rung / undetermined, 0.0)
        if stratified_level is not None:
            # The strata's intervals include the rows' own noise: conservative here.
            return (
                chance,
                np.where(some, stratified_level[1] / undetermined, 0.0),
                np.where(some, stratified_level[2] / undetermined, 0.0),
            )
        crossing_low, crossing_high = _crossing_on_rung_interval(resolution, model_sd)
        chance_low = np.where(some, (crossing_low + share.unmeasured * share.share_low) / undetermined, 0.0)
        chance_high = np.where(some, (crossing_high + share.unmeasured * share.share_high) / undetermined, 0.0)
    return chance, chance_low, chance_high


def _crossing_on_rung_interval(resolution: Resolution, model_sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How few and how many of the crossing rows may be on the rung: the model's noise and the
    bounds beyond it, within 0 and all of them."""
    low = np.maximum(resolution.expected - model_sd - resolution.low_slack, 0)
    high = np.minimum(resolution.expected + model_sd + resolution.high_slack, resolution.crossing)
    return low, high


def _estimated_unique_viewers(
    stats: LadderStatistics,
    level: str,
    share: DeterminedShare,
    row_chance: Triple,
    stratified: bool,
    confidence_level: float,
) -> Triple:
    """Unique viewers on an estimated rung: those with a determined impression on it, and those
    with only undetermined ones, each on it with the chance their rows give, widened to whole
    numbers."""
    certain = stats.certain[level]
    if stats.viewer_rows is not None:
        chances = _undetermined_chances(stats.totals, level, share, row_chance, stratified, confidence_level)
        uncertain = heterogeneous_viewers(stats.viewer_rows[level], stats.n_groups, chances, _z(confidence_level))
    else:
        uncertain = _uncertain_viewers(stats.open_viewers[level], stats.n_groups, *row_chance, confidence_level)
    return certain + uncertain[0], certain + np.floor(uncertain[1] + 1e-9), certain + np.ceil(uncertain[2] - 1e-9)


def _undetermined_chances(
    totals: dict[str, np.ndarray],
    level: str,
    share: DeterminedShare,
    row_chance: Triple,
    stratified: bool,
    confidence_level: float,
) -> UndeterminedChances:
    """What an undetermined row's chance is made of, per group, for viewers told apart
    (:class:`~viewaudit._ladder.propensity.UndeterminedChances`)."""
    resolution = share.resolution
    undetermined = totals[f"u_{level}"]
    model_sd = _z(confidence_level) * np.sqrt(resolution.model_variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_low, crossing_high = _crossing_on_rung_interval(resolution, model_sd)
        crossing_estimate, crossing_low, crossing_high = (
            np.where(resolution.crossing > 0, x / resolution.crossing, 0.0)
            for x in (resolution.expected, crossing_low, crossing_high)
        )
        crossing = (crossing_estimate, crossing_low, crossing_high)
        measured_share = np.where(share.determined > 0, share.on_rung / share.determined, 0.5)
        measured: Triple = (measured_share, share.share_low, share.share_high)
        if stratified:
            # The strata give the chance per undetermined row; what is not the crossing rows' is
            # the unmeasured rows' share.
            crossing = (crossing_estimate, crossing_estimate, crossing_estimate)
            measured = _unmeasured_share(row_chance, measured, undetermined, share)
        valid = totals["n_valid"]
        return UndeterminedChances(
            unmeasured=np.where(undetermined > 0, share.unmeasured / undetermined, 1.0),
            measured_share=measured,
            crossing=crossing,
            determined_share=np.where(valid > undetermined, totals[f"n_{level}"] / (valid - undetermined), 0.0),
        )


def _unmeasured_share(row_chance: Triple, measured: Triple, undetermined: np.ndarray, share: DeterminedShare) -> Triple:
    """The unmeasured rows' share on the rung that the strata's chance per row leaves once the
    crossing rows have theirs (the measured rows' share where nothing is unmeasured)."""
    estimate, low, high = (
        np.where(
            share.unmeasured > 0,
            np.clip((chance * undetermined - share.resolution.expected) / share.unmeasured, 0.0, 1.0),
            fallback,
        )
        for chance, fallback in zip(row_chance, measured, strict=True)
    )
    return estimate, low, high


def _k_plus_reach(stats: LadderStatistics, level: str, row_chance: Triple, frequency: int, z: float) -> list[Triple]:
    """The viewers with at least k impressions on the rung, for k = 2 .. ``frequency``
    (:func:`~viewaudit._ladder.reach.k_plus_reach_with_undetermined`), widened to whole numbers."""
    if not frequency:
        return []
    assert stats.frequencies is not None
    reach = []
    for k in range(2, frequency + 1):
        estimate, low, high = k_plus_reach_with_undetermined(stats.frequencies[level], stats.n_groups, k, *row_chance, z)
        reach.append((estimate, np.floor(low + 1e-9), np.ceil(high - 1e-9)))
    return reach


def _with_sketch_error(unique_viewers: Triple, relative_error: float, z: float) -> Triple:
    """Sketched counts: the sketch's error (normal, relative) added in quadrature to the interval."""
    if not relative_error:
        return unique_viewers
    estimate, low, high = unique_viewers
    half = z * relative_error * estimate
    return (
        estimate,
        np.maximum(np.floor(estimate - np.hypot(estimate - low, half)), 0),
        np.ceil(estimate + np.hypot(high - estimate, half)),
    )


def _sampled_log_figures(
    stats: LadderStatistics,
    summary: Summary,
    level: str,
    rung: RungFigures,
    unique_viewers: Triple,
    reach: list[Triple],
    frequency: int,
    confidence_level: float,
) -> tuple[Triple, Triple, list[Triple]]:
    """A weighted log's impressions, unique viewers and k+ reach: those of the complete log the
    sample stands for (Horvitz-Thompson), or bounds where the weights do not identify them."""
    n_groups = stats.n_groups
    if stats.sample_rate is not None and rung.bounded_impressions is not None:
        scaled = rung.bounded_impressions.scaled_up(stats.sample_rate)
        impressions = (scaled.estimate, *scaled.interval(confidence_level))
    else:
        impressions = _weighted_impressions(stats.totals, level, _z(confidence_level))
    unknowable = "viewer_id" not in summary.columns_seen or level in undeterminable_levels(summary, stats)
    if stats.sample_rate is None or stats.viewer_counts is None or unknowable:
        # Weights that vary: what the sample shows is a lower bound on the complete log's
        # viewers, and no viewer has fewer than one impression. (Without viewers, or on a rung
        # the log cannot determine, there is nothing to extrapolate from, and no model is fitted
        # to warn about it: the figures are n/a, see _mark_undeterminable.)
        return impressions, (unique_viewers[0], unique_viewers[1], impressions[2]), [(r[0], r[1], impressions[2]) for r in reach]
    ks = range(2, frequency + 1) if n_groups == 1 else range(0)
    unique_viewers, whole_reach = complete_log_figures(stats, level, rung.row_chance, ks, confidence_level)
    # Viewers are whole: an interval for them loses no coverage, and gains some, when its ends go
    # out to whole numbers. Where few viewers are unseen it matters: a closed audience of 600,
    # 599 of them seen in a 10 % sample, had 600.6 as its low end.
    unique_viewers = _whole_ends(unique_viewers)
    whole_reach = [_whole_ends(r) for r in whole_reach]
    if reach and n_groups == 1:
        reach = whole_reach
    elif reach:
        # A group's few viewers do not identify its exposure distribution.
        reach = [(np.full(n_groups, np.nan), np.zeros(n_groups), unique_viewers[2]) for _ in reach]
    return impressions, unique_viewers, reach


def _whole_ends(figure: Triple) -> Triple:
    """A count's interval with its ends out to whole numbers (NaN and infinite ends kept)."""
    estimate, low, high = figure
    with np.errstate(invalid="ignore"):
        return estimate, np.floor(low + 1e-9), np.ceil(high - 1e-9)


def _mark_undeterminable(columns: dict[str, np.ndarray], summary: Summary, stats: LadderStatistics, frequency: int) -> None:
    """Figures the log cannot determine (in place): NaN estimates, from 0 to the parent rung's
    high end; without viewers, every viewer figure a NaN estimate up to the impressions."""
    n_groups = stats.n_groups
    reach_figures = [f"reach_{k}" for k in range(2, frequency + 1)]
    for level in undeterminable_levels(summary, stats):
        for figure in (*FIGURES, *reach_figures):
            columns[f"{level}_{figure}_estimate"] = np.full(n_groups, np.nan)
            columns[f"{level}_{figure}_low"] = np.zeros(n_groups)
            columns[f"{level}_{figure}_high"] = columns[f"{PARENT[level]}_{figure}_high"].copy()
    if "viewer_id" in summary.columns_seen:
        return
    for level in LEVELS:
        for figure in ("unique_viewers", *reach_figures):
            columns[f"{level}_{figure}_estimate"] = np.full(n_groups, np.nan)
            columns[f"{level}_{figure}_high"] = columns[f"{level}_impressions_high"].copy()


def undeterminable_levels(summary: Summary, stats: LadderStatistics) -> list[Level]:
    """Rungs the log cannot determine at all: a column the policy needs is absent or holds no value."""
    return list(undeterminable_reasons(summary, stats))


def undeterminable_reasons(summary: Summary, stats: LadderStatistics) -> dict[Level, str]:
    """Each rung the log cannot determine, with why, in words.

    A rung needs a column the log lacks; or one it has, holding no value (``summary.empty_columns``),
    while some rows' membership hangs on it. Such a column measured nothing: taking it as
    present would give those rows the share of the rows another rule settled (all of them off
    the rung when only the visibility was measured). Where every row is settled without it, the
    figures are exact, as they are."""
    seen, policy = summary.columns_seen, summary.policy
    valued = seen - summary.empty_columns
    open_rows = {level: bool(np.sum(stats.totals[f"u_{level}"])) for level in ESTIMATED_LEVELS}
    out: dict[Level, str] = {}
    time = ("dwell_ms", "in_view_ms")
    if policy.min_visible_fraction > 0 and "visible_fraction" not in seen:
        out["viewable"] = "no visible_fraction column"
    elif policy.min_in_view_ms > 0 and not set(time) & seen:
        out["viewable"] = "no dwell_ms or in_view_ms column"
    elif policy.min_visible_fraction > 0 and "visible_fraction" not in valued and open_rows["viewable"]:
        out["viewable"] = "visible_fraction holds no value"
    elif policy.min_in_view_ms > 0 and not set(time) & valued and open_rows["viewable"]:
        out["viewable"] = "dwell_ms and in_view_ms hold no value"
    if "viewable" in out:
        out["attended"] = "it needs the viewable rung"
    elif policy.attention_ms > 0 and "dwell_ms" not in seen:
        out["attended"] = "no dwell_ms column"
    elif policy.attention_ms > 0 and "dwell_ms" not in valued and open_rows["attended"]:
        out["attended"] = "dwell_ms holds no value"
    if not summary.interactions:
        out["engaged"] = "no interaction column the policy counts"
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
    group = np.asarray(open_viewers[0], dtype=np.int64)
    undetermined = np.asarray(open_viewers[1], dtype=float)
    viewers = np.asarray(open_viewers[2], dtype=float)

    def expected(row_chance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per group, the expected viewers on the rung and the variance of their number."""
        chance = row_chance[group]
        on_rung = -np.expm1(undetermined * np.log1p(-np.minimum(chance, 1 - 1e-16)))
        on_rung = np.where(chance >= 1, 1.0, on_rung)
        return (
            np.bincount(group, weights=viewers * on_rung, minlength=n_groups),
            np.bincount(group, weights=viewers * on_rung * (1 - on_rung), minlength=n_groups),
        )

    estimate, variance = expected(share)
    at_low, _ = expected(share_low)
    at_high, _ = expected(share_high)
    z = _z(confidence_level)
    bound = np.bincount(group, weights=viewers, minlength=n_groups)
    low = estimate - np.sqrt((estimate - at_low) ** 2 + z * z * variance)
    high = estimate + np.sqrt((at_high - estimate) ** 2 + z * z * variance)
    return estimate, np.clip(low, 0, bound), np.clip(high, 0, bound)


def _weighted_impressions(totals: dict[str, np.ndarray], level: str, z: float) -> Triple:
    """Horvitz-Thompson impressions of a sampled log, with a normal interval."""

    def weight_sum(name: str, scale: int) -> np.ndarray:
        return totals[name] / scale

    on_rung, on_rung_sq = weight_sum(f"w_{level}", WEIGHT_SCALE), weight_sum(f"w2_{level}", WEIGHT2_SCALE)
    # Poisson sampling with inclusion probability 1/w: Var(HT total) = sum w (w - 1).
    variance = np.maximum(on_rung_sq - on_rung, 0)
    estimate = on_rung
    if level in ESTIMATED_LEVELS:
        undetermined = weight_sum(f"uw_{level}", WEIGHT_SCALE)
        undetermined_sq = weight_sum(f"uw2_{level}", WEIGHT2_SCALE)
        determined = weight_sum("w_valid", WEIGHT_SCALE) - undetermined
        determined_sq = weight_sum("w2_valid", WEIGHT2_SCALE) - undetermined_sq
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(determined > 0, on_rung / determined, 0.5)
            share_variance = np.where(determined > 0, share * (1 - share) * determined_sq / determined**2, 0.25)
        estimate = on_rung + undetermined * share
        variance = (
            variance
            + share * share * np.maximum(undetermined_sq - undetermined, 0)
            + undetermined * undetermined * share_variance
            + share * (1 - share) * undetermined_sq
        )
    half = z * np.sqrt(variance)
    return estimate, np.maximum(estimate - half, 0), estimate + half


def _enforce_ladder_order(columns: dict[str, np.ndarray], frequency: int = 0) -> None:
    """No rung above its parent, no unique count above the rung's impressions, no k+ reach above
    the (k-1)+ reach (in place); ``reach_1`` is then the unique viewers.

    An undeterminable estimate (NaN) propagates to the rungs below it; interval ends ignore it.
    """
    figures = (*FIGURES, *(f"reach_{k}" for k in range(2, frequency + 1)))
    for level in LEVELS:
        _clip_to_parent_and_previous(columns, level, figures)
        if frequency:
            for part in PARTS:
                columns[f"{level}_reach_1_{part}"] = columns[f"{level}_unique_viewers_{part}"]
        for figure in figures:
            estimate = columns[f"{level}_{figure}_estimate"]
            columns[f"{level}_{figure}_low"] = np.fmin(columns[f"{level}_{figure}_low"], estimate)
            columns[f"{level}_{figure}_high"] = np.fmax(columns[f"{level}_{figure}_high"], estimate)


def _clip_to_parent_and_previous(columns: dict[str, np.ndarray], level: Level, figures: Sequence[str]) -> None:
    """Each of a rung's figures at most its parent rung's and the previous figure's (in place):
    NaN estimates propagate, interval ends ignore NaN."""
    parent = PARENT[level]
    for i, figure in enumerate(figures):
        for part in PARTS:
            key = f"{level}_{figure}_{part}"
            clip = np.minimum if part == "estimate" else np.fmin
            if parent is not None:
                columns[key] = clip(columns[key], columns[f"{parent}_{figure}_{part}"])
            if i > 0:  # unique viewers below impressions, k+ reach below (k-1)+ reach
                columns[key] = clip(columns[key], columns[f"{level}_{figures[i - 1]}_{part}"])
