"""The assumptions an audit's figures rest on, as the report states them: one table.

Each entry of :data:`ASSUMPTIONS` has a name, a condition on the audit (an
:class:`AssumptionContext`) and a short template filled in with the audit's values;
:func:`render_assumptions` renders the entries that apply, in the table's order. The methods
behind them are explained in ``docs/methods.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._estimators.model_free import model_free_reach
from viewaudit._estimators.unseen import frequency_counts, models_above_bound
from viewaudit._ladder.crossings import supported_until
from viewaudit._ladder.figures import undeterminable_reasons
from viewaudit._ladder.propensity import MIN_VIEWERS
from viewaudit._read.granularity import MIN_VALUES, Granularity
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._scan.summary import Summary


@attrs.frozen
class AssumptionContext:
    """What the assumptions' conditions and values are read from (see :func:`assumption_context`)."""

    summary: Summary  # the log's facts (its table is not read)
    whole: LadderStatistics  # statistics of the whole log
    confidence_level: float
    undetermined: Mapping[str, int]  # per estimated rung: undetermined impressions in the whole log
    crossing: Mapping[str, int]  # per estimated rung: impressions whose time crosses its threshold
    missing: Mapping[str, str]  # rungs the log cannot determine, and why (a column is absent or empty)
    frequency: int = 0  # k+ reach reported for k = 1 .. frequency
    frequency_asked: int = 0  # the frequency asked for (above ``frequency`` when clamped)
    relative_error: float = 0.0  # of HyperLogLog unique viewers (0: exact)
    strata: str | None = None
    strata_count: int = 0
    level: str = ""  # the rung of a per-rung entry, while it is rendered

    @property
    def measured(self) -> list[str]:
        """The estimated rungs the log can determine."""
        return [level for level in ESTIMATED_LEVELS if level not in self.missing]


def assumption_context(
    summary: Summary,
    table: pa.Table,
    whole: LadderStatistics,
    confidence_level: float,
    *,
    frequency: int = 0,
    frequency_asked: int = 0,
    relative_error: float = 0.0,
    strata: str | None = None,
    strata_count: int = 0,
) -> AssumptionContext:
    """The context of an audit: ``table`` is the whole log's ladder table (one row)."""
    return AssumptionContext(
        summary=summary,
        whole=whole,
        confidence_level=confidence_level,
        undetermined={level: int(np.sum(table[f"{level}_undetermined"].to_numpy())) for level in ESTIMATED_LEVELS},
        crossing={level: int(whole.crossings[level][2].sum()) for level in ESTIMATED_LEVELS},
        missing={str(level): why for level, why in undeterminable_reasons(summary, whole).items()},
        frequency=frequency,
        frequency_asked=max(frequency_asked, frequency),
        relative_error=relative_error,
        strata=strata,
        strata_count=strata_count,
    )


@attrs.frozen
class Assumption:
    """One entry of the table: rendered as ``template.format(**values(context))`` where
    ``applies(context)``; with ``levels``, once per rung it lists (``context.level`` set)."""

    name: str
    applies: Callable[[AssumptionContext], bool]
    template: str
    values: Callable[[AssumptionContext], Mapping[str, Any]] = lambda context: {}
    levels: Callable[[AssumptionContext], Sequence[str]] | None = None


def render_assumptions(context: AssumptionContext, table: Sequence[Assumption] | None = None) -> tuple[str, ...]:
    """The entries of ``table`` (default :data:`ASSUMPTIONS`) that apply, rendered, in order."""
    out = []
    for entry in ASSUMPTIONS if table is None else table:
        levels = [context.level] if entry.levels is None else entry.levels(context)
        for level in levels:
            at = attrs.evolve(context, level=level) if entry.levels is not None else context
            if entry.applies(at):
                out.append(entry.template.format(**entry.values(at)))
    return tuple(out)


# -- the values some entries need -------------------------------------------------------------


def _some_figure_uncertain(context: AssumptionContext) -> bool:
    """Whether any figure of the ladder has an interval (else every inflation factor is exact)."""
    return bool(
        any(context.undetermined[level] for level in context.measured)
        or any(level in context.missing for level in ESTIMATED_LEVELS)
        or context.summary.weighted
        or context.whole.sample_rate is not None
        or context.relative_error
        or "viewer_id" not in context.summary.columns_seen
    )


def _crossing_method(context: AssumptionContext) -> str:
    """How rows whose time crosses a threshold are resolved: a life table, or the dwell model
    on floored times."""
    rounding_ms = context.summary.rounding_ms
    if rounding_ms == 0:
        return LIFE_TABLE
    return DWELL_MODEL.format(rounding_ms=rounding_ms, whole_seconds=WHOLE_SECONDS if rounding_ms == 1000 else "")


_TIME_WORDS = {"dwell_ms": "dwell", "in_view_ms": "in-view time"}


def _granularity(context: AssumptionContext) -> Granularity:
    """The detection of the column an entry is rendered for (``context.level`` holds its name)."""
    return next(g for g in context.summary.granularity if g.column == context.level)


def _detected(context: AssumptionContext) -> bool:
    return _granularity(context).step_ms > 0


def _too_few(context: AssumptionContext) -> bool:
    found = _granularity(context)
    return found.step_ms == 0 and 0 < found.values < MIN_VALUES and found.multiples == found.values


def _step_values(context: AssumptionContext) -> dict[str, Any]:
    found = _granularity(context)
    share = "all" if found.multiples == found.values else f"{found.multiples:,} of"
    return {
        "what": _TIME_WORDS[found.column],
        "words": found.words,
        "share": share,
        "values": found.values,
        "step": found.step_ms,
        "used": context.summary.rounding_ms,
        "min_values": MIN_VALUES,
    }


def _threshold(context: AssumptionContext) -> float:
    policy = context.summary.policy
    return {"viewable": policy.min_in_view_ms, "attended": policy.attention_ms}[context.level]


def _beyond_support(context: AssumptionContext) -> bool:
    level = context.level
    end = supported_until(context.whole.histograms[level])
    return bool(context.crossing[level]) and level not in context.missing and _threshold(context) > end


def _models_above_bound(context: AssumptionContext) -> list[str]:
    """The rungs of a row sample whose whole-log unique viewers the exposure models put above the
    Chao1-type bound by more than its noise (:func:`~viewaudit._estimators.unseen.models_above_bound`)."""
    rate, counts = context.whole.sample_rate, context.whole.viewer_counts
    if rate is None or counts is None or not context.summary.weighted:
        return []
    levels = [level for level in LEVELS if level not in context.missing and level in counts]
    return [
        level
        for level in levels
        if models_above_bound(frequency_counts(counts[level][1]), sample_rate=rate, confidence_level=context.confidence_level)
    ]


def _model_free_ranges(context: AssumptionContext) -> list[str]:
    """Per rung of a row sample whose per-viewer counts are all determined, the range of the
    complete log's unique viewers that the sample allows with no exposure model
    (:func:`~viewaudit._estimators.model_free.model_free_reach`), as ``"rendered 11,900 to 30,700"``.
    Rungs with undetermined impressions are left out: their determined counts alone would bound
    fewer viewers than the rung has."""
    rate, counts = context.whole.sample_rate, context.whole.viewer_counts
    if rate is None or counts is None or not context.summary.weighted:
        return []
    out = []
    for level in LEVELS:
        if level in context.missing or level not in counts or context.undetermined.get(level, 0):
            continue
        found = model_free_reach(frequency_counts(counts[level][1]), sample_rate=rate, confidence_level=context.confidence_level)
        out.append(f"{level} {found.low:,.0f} to {found.high:,.0f}")
    return out


def _unmeasured(context: AssumptionContext) -> dict[str, int]:
    return {level: context.undetermined[level] - context.crossing[level] for level in ESTIMATED_LEVELS}


LIFE_TABLE = "the life table (product-limit estimate) of the valid visible rows' times, on 2.3 %-wide bins"
DWELL_MODEL = (
    "the dwell model (glance/read mixture chosen by AIC) fitted to the valid visible rows' times floored to "
    "{rounding_ms:g} ms{whole_seconds}; where a floored interval holds the threshold, the interval spans every value "
    "the data allow"
)
WHOLE_SECONDS = (
    ", the chance from whole second to whole second being a life table's on whole seconds (the model says "
    "only where inside a second a time lies)"
)

# -- the table ----------------------------------------------------------------------------------

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "intervals",
        lambda c: True,
        "Intervals are {confidence_level:.0%} intervals; exact figures have low = high = estimate.",
        lambda c: {"confidence_level": c.confidence_level},
    ),
    # Per time column whose step was read from the log: ``levels`` lists the columns' names.
    Assumption(
        "logged step",
        _detected,
        "{what} logged in {words} ({share} {values:,} nonzero measured values are multiples of {step:,g} ms): "
        "times are read as floored to {used:,g} ms, as rounding_ms={used:g} would (rounding_ms=0 takes them as exact).",
        _step_values,
        levels=lambda c: [g.column for g in c.summary.granularity],
    ),
    Assumption(
        "too few values for a step",
        _too_few,
        "{what}: all {values:,} nonzero measured values are whole seconds, too few (under {min_values}) to tell a "
        "whole-second logger from chance; taken as exact (rounding_ms=1000 if they are whole seconds).",
        _step_values,
        levels=lambda c: [g.column for g in c.summary.granularity],
    ),
    Assumption(
        "undeterminable rung",
        lambda c: True,
        "{level}: cannot be determined from this log ({reason}); "
        "the estimate is null and the interval spans 0 to the rung above.",
        lambda c: {"level": c.level, "reason": c.missing[c.level]},
        levels=lambda c: list(c.missing),
    ),
    Assumption(
        "threshold crossings",
        lambda c: any(c.crossing[level] for level in c.measured),
        "Impressions whose time was censored or rounded across a threshold "
        "({viewable:,} for viewable, {attended:,} for attended) are resolved by "
        "{method}: a row censored at c reaches tau with probability S(tau)/S(c) (censoring taken as independent "
        "of the time, and the time distribution as shared by all groups). For attended, in-view time and "
        "dwell are taken as co-monotone (one time where they are equal; an in-view time cut with a censored "
        "dwell, or ended before it, conditions the dwell's chance), the interval reaching down to "
        "independent ones and to the dwell's own chance. Where the data only bound a count, its interval covers "
        "every value between the bounds at the confidence level (Imbens-Manski: the critical value falls from "
        "two-sided to one-sided as the bounds part, since a value near one bound can be missed only on its side).",
        lambda c: {**c.crossing, "method": _crossing_method(c)},
    ),
    Assumption(
        "threshold beyond the observed times",
        _beyond_support,
        "{level}: no time was observed as long as the {threshold_s:.3g} s threshold (the last "
        "at {end_s:.3g} s or later): the chance that a censored row reached it is bounded (0 to the chance of "
        "lasting to the last observed time), not estimated; the point estimate extrapolates the dwell model.",
        lambda c: {
            "level": c.level,
            "threshold_s": _threshold(c) / 1000,
            "end_s": supported_until(c.whole.histograms[c.level]) / 1000,
        },
        levels=lambda c: list(c.whole.histograms),
    ),
    Assumption(
        "missing at random",
        lambda c: any(_unmeasured(c)[level] for level in c.measured),
        "Impressions whose dwell or visibility was not measured "
        "({viewable:,} for viewable, {attended:,} for attended) are assumed missing at random "
        "within their group: their share on the rung is the share among the measured valid impressions "
        "(Jeffreys interval, with the binomial noise of the unmeasured rows added in quadrature).",
        _unmeasured,
    ),
    Assumption(
        "viewers' own chances",
        lambda c: any(c.undetermined[level] for level in c.measured),
        "A viewer whose only impressions on a rung are undetermined is counted with the chance that one of "
        "them is on it given who they are: viewers' own chances for a rung are a distribution estimated "
        "from the determined impressions (a nonparametric binomial mixture, per group and exposure class "
        "of 1, 2-3, 4-7, ... impressions), conditioned on the viewer's determined impressions off the "
        "rung. Unmeasured impressions take the viewer's chance (missing at random within a viewer); "
        "impressions whose time crosses a threshold take the time distribution's, shifted by the "
        "viewer's odds ratio against the group (every viewer's time below the threshold taken to end "
        "alike; that a row lasted until it was cut is not used, which leaves the count low where it "
        "tells viewers apart). Where the data do not tell a class's viewers apart (fewer than "
        "{min_viewers} viewers with two determined impressions, or a likelihood ratio against one "
        "shared chance below the chi-square(1) 95 % point), each takes the class's chance. A group with "
        "fewer than {min_viewers} viewers with determined impressions, and HyperLogLog counts, take a "
        "viewer's impressions as independent given the group's chance, which overstates unique viewers "
        "when viewers differ.",
        lambda c: {"min_viewers": MIN_VIEWERS},
    ),
    Assumption(
        "exchangeable groups",
        lambda c: bool(c.summary.by),
        "A group with no determined valid impression takes the pooled share of all groups "
        "for its undetermined ones (group shares taken as exchangeable).",
    ),
    Assumption(
        "row sample",
        lambda c: c.summary.weighted and c.whole.sample_rate is not None,
        "The log is a sample that kept each row independently with probability {sample_rate:.4g}: "
        "impressions are Horvitz-Thompson totals with normal intervals (sampling variance w(w-1) per "
        "impression; for viewable and attended a score interval, the variance taken at the interval's end). "
        "Unique viewers are estimated for the complete log, unseen viewers included, from "
        "the per-viewer counts: zero-truncated Gamma-Poisson (negative binomial) exposure, one shape for "
        "all groups, a group's mean shrunk toward groups with as many viewers seen; for viewable and "
        "attended the sample's undetermined impressions are imputed (5 seeded draws, each row on the rung "
        "with its group's chance, viewers of a group alike; draws combined by Rubin's rules), and so are "
        "they for the whole log's k+ reach (not estimated where no viewer is seen twice; with fewer than 20 "
        "seen k times its interval also spans the exact Poisson interval of that count). "
        "Where the data reject one class of Gamma-Poisson exposure for two (likelihood-ratio test, 5 %), the "
        "whole log's estimates (unique viewers and k+ reach) are the two classes' and their intervals span them. "
        "The whole log's intervals span the reach over the Gamma-Poisson and Poisson-log-normal "
        "parameters the likelihood does not reject (profile likelihood, within chi2_1/2 of the better "
        "model's maximum; the Gamma-Poisson within it of its own), with the noise of who was seen added, "
        "and, where the sample kept a quarter of the rows or more, the smoothed Good-Toulmin interval where "
        "it excludes the models' estimate; the low end of unique viewers (whole log and per group) reaches "
        "down to the lower limit of the Chao1-type bound for row sampling, which holds whatever the exposures, "
        "where the Gamma-Poisson fit misfits the singletons and doubletons; "
        "a heavy tail (a few accounts with very many impressions) biases the estimate upward (see "
        "the accuracy benchmark).",
        lambda c: {"sample_rate": c.whole.sample_rate},
    ),
    Assumption(
        "models above the bound",
        lambda c: bool(_models_above_bound(c)),
        "Unique viewers{rungs}: the Gamma-Poisson fit misfits the sample's singletons and doubletons and the "
        "exposure models' interval lies above the Chao1-type lower bound by more than the bound's noise; "
        "they disagree, so the interval reaches down to the bound's lower limit and "
        "is wide (the models are right where many people have very few impressions, the bound nearer where "
        "nearly everyone the log could reach has several, as in a subscriber base).",
        lambda c: {"rungs": " (" + ", ".join(_models_above_bound(c)) + ")"},
    ),
    Assumption(
        "model-free range",
        lambda c: bool(_model_free_ranges(c)),
        "Unique viewers of the complete log rest on the exposure models. Without them, the sample alone "
        "allows {ranges} (at least {confidence_level:.0%} confidence; it assumes only that rows were kept "
        "independently with the same chance). The range is wide because a sample cannot tell a few light "
        "viewers from many.",
        lambda c: {"ranges": "; ".join(_model_free_ranges(c)), "confidence_level": c.confidence_level},
    ),
    Assumption(
        "weights",
        lambda c: c.summary.weighted and c.whole.sample_rate is None,
        "Rows carry weights that differ: the log is taken as a Poisson sample with inclusion probability "
        "1/weight; impressions are Horvitz-Thompson totals with normal intervals (variance sum w(w-1)), "
        "undetermined rows at the weighted share of the determined ones; unique viewers are those seen "
        "in the sample, a lower bound on the complete log's (upper end: the impressions' upper end).",
    ),
    Assumption(
        "no viewer ids",
        lambda c: "viewer_id" not in c.summary.columns_seen,
        "No viewer_id column: unique viewers cannot be determined.",
    ),
    Assumption(
        "inflation intervals",
        lambda c: _some_figure_uncertain(c),
        "Inflation intervals divide the interval ends of their figures, which is conservative when both figures are uncertain.",
    ),
    Assumption(
        "k+ reach",
        lambda c: bool(c.frequency) and c.whole.sample_rate is None,
        "k+ reach: a viewer with t determined impressions on a rung and u undetermined ones reaches k with "
        "probability P(t + Binomial(u, p) >= k), p the group's chance for an undetermined row (a viewer's "
        "impressions independent given p; unlike unique viewers, k >= 2 does not yet use the viewer's own "
        "chance, so it can overstate k+ reach when viewers differ).",
    ),
    Assumption(
        "k+ reach of a sample",
        lambda c: bool(c.frequency) and c.whole.sample_rate is not None,
        "k+ reach of the complete log: the Gamma-Poisson estimate from the sample's per-viewer counts (two "
        "Gamma-Poisson classes' where the data reject one), its interval spanning the Poisson-log-normal "
        "model's where the data do not reject it, the two classes' where they are used, and the exact "
        "Poisson interval of fewer than 20 viewers seen k times (viewaudit.estimators.k_plus_reach), for the "
        "whole log; per group only k = 1 (unique viewers) "
        "is estimated, k >= 2 is bounded by 0 and the group's unique viewers.",
    ),
    Assumption(
        "k+ reach clamped",
        lambda c: c.frequency_asked > c.frequency,
        "k+ reach is reported for k = 1 .. {frequency:,} of the {asked:,} asked for: no viewer{of} has "
        "more than {most:,} impressions on any rung, so {beyond}.",
        lambda c: {
            "frequency": c.frequency,
            "asked": c.frequency_asked,
            "most": c.frequency - 1,
            "of": " of the sample" if c.whole.sample_rate is not None else "",
            "beyond": (
                f"the complete log's reach is not estimated beyond k = {c.frequency:,}"
                if c.whole.sample_rate is not None
                else f"k+ reach is 0 from k = {c.frequency:,} on"
            ),
        },
    ),
    Assumption(
        "HyperLogLog",
        lambda c: bool(c.relative_error),
        "Unique viewers are HyperLogLog estimates (relative standard error "
        "{relative_error:.2%}, in their intervals); a viewer with only undetermined "
        "impressions on a rung is taken to have one.",
        lambda c: {"relative_error": c.relative_error},
    ),
    Assumption(
        "strata",
        lambda c: c.strata is not None,
        "Unmeasured impressions are estimated within each stratum of {strata!r} ({strata_count:,} "
        "strata), missing at random within a stratum, and summed (half-widths in quadrature).",
        lambda c: {"strata": c.strata, "strata_count": c.strata_count},
    ),
)
