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
from viewaudit._scan.summary import Summary, unchecked_rules


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
    ``applies(context)``; with ``levels``, once per rung it lists (``context.level`` set).
    ``method`` is the docs section that explains it (``page.md#anchor``)."""

    name: str
    applies: Callable[[AssumptionContext], bool]
    template: str
    values: Callable[[AssumptionContext], Mapping[str, Any]] = lambda context: {}
    levels: Callable[[AssumptionContext], Sequence[str]] | None = None
    method: str = "methods.md#in-the-audit"


@attrs.frozen
class StatedAssumption:
    """One rendered entry: the table entry's ``name``, its ``text`` and its ``method`` section."""

    name: str
    text: str
    method: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "text": self.text, "method": self.method}


def state_assumptions(context: AssumptionContext, table: Sequence[Assumption] | None = None) -> tuple[StatedAssumption, ...]:
    """The entries of ``table`` (default :data:`ASSUMPTIONS`) that apply, rendered, in order."""
    out = []
    for entry in ASSUMPTIONS if table is None else table:
        levels = [context.level] if entry.levels is None else entry.levels(context)
        for level in levels:
            at = attrs.evolve(context, level=level) if entry.levels is not None else context
            if entry.applies(at):
                out.append(StatedAssumption(entry.name, entry.template.format(**entry.values(at)), entry.method))
    return tuple(out)


def render_assumptions(context: AssumptionContext, table: Sequence[Assumption] | None = None) -> tuple[str, ...]:
    """The texts of :func:`state_assumptions`."""
    return tuple(stated.text for stated in state_assumptions(context, table))


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
    return WHOLE_SECONDS if rounding_ms == 1000 else DWELL_MODEL.format(rounding_ms=rounding_ms)


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


def _model_free_levels(context: AssumptionContext) -> list[str]:
    """The rungs of a row sample whose per-viewer counts are all determined. Rungs with
    undetermined impressions are left out: their determined counts alone would bound fewer
    viewers than the rung has."""
    rate, counts = context.whole.sample_rate, context.whole.viewer_counts
    if rate is None or counts is None or not context.summary.weighted:
        return []
    return [
        level for level in LEVELS if level not in context.missing and level in counts and not context.undetermined.get(level, 0)
    ]


def _model_free_ranges(context: AssumptionContext) -> str:
    """Per rung of :func:`_model_free_levels`, the range of the complete log's unique viewers that
    the sample allows with no exposure model
    (:func:`~viewaudit._estimators.model_free.model_free_reach`), as ``"rendered 11,900 to 30,700"``."""
    rate, counts = context.whole.sample_rate, context.whole.viewer_counts
    if rate is None or counts is None:  # no row sample: _model_free_levels lists nothing
        return ""
    out = []
    for level in _model_free_levels(context):
        found = model_free_reach(frequency_counts(counts[level][1]), sample_rate=rate, confidence_level=context.confidence_level)
        out.append(f"{level} {found.low:,.0f} to {found.high:,.0f}")
    return "; ".join(out)


def _partly_measured(context: AssumptionContext) -> dict[str, int]:
    """Per rung the log can determine and with unmeasured rows: the valid rows that measured part
    of its inputs (their chance is taken per pattern of what was measured)."""
    patterns = context.summary.measurement_patterns
    unmeasured = _unmeasured(context)
    return {
        level: patterns[f"{level}:p"] for level in context.measured if patterns.get(f"{level}:p", 0) and unmeasured[level] > 0
    }


#: A rung with at least this share of the valid rows undetermined is named in a line: its
#: figure is then mostly what the estimation makes of them, not what the log measured.
MOSTLY_ESTIMATED = 0.9


def _mostly_estimated(context: AssumptionContext) -> dict[str, tuple[int, int]]:
    """Per rung the log can determine with at least :data:`MOSTLY_ESTIMATED` of its valid rows
    undetermined: (undetermined, valid) rows."""
    valid = int(np.sum(context.whole.totals["n_valid"]))
    return {
        level: (context.undetermined[level], valid)
        for level in context.measured
        if valid > 0 and context.undetermined[level] >= MOSTLY_ESTIMATED * valid
    }


def _estimated_shares(context: AssumptionContext) -> str:
    """``"viewable 95% (5,517 of 5,783)"`` per rung of :func:`_mostly_estimated`; the share is
    rounded down: 99.6 % shown as 100 % would read as nothing measured at all."""
    return "; ".join(
        f"{level} {100 * u // valid}% ({u:,} of {valid:,})" for level, (u, valid) in _mostly_estimated(context).items()
    )


def _unmeasured(context: AssumptionContext) -> dict[str, int]:
    return {level: context.undetermined[level] - context.crossing[level] for level in ESTIMATED_LEVELS}


LIFE_TABLE = "the life table of the logged times"
DWELL_MODEL = "the dwell model fitted to the times floored to {rounding_ms:g} ms"
WHOLE_SECONDS = "a whole-second life table and, within a second, the dwell model"

_INTERVALS = "ladder.md#intervals-and-the-ladders-order"
_CANNOT = "ladder.md#determined-undetermined-cannot-be-determined"
_STEP = "schema.md#whole-seconds-the-loggers-step"
_SAMPLED = "methods.md#sampled-and-weighted-logs"
_REACH = "methods.md#k-reach"

# -- the table ----------------------------------------------------------------------------------
# One short plain line each, with the audit's figures; the derivation is in the docs section
# that ``method`` names (tests/report/test_assumption_lines.py checks the sections exist).

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "intervals",
        lambda c: True,
        "Intervals are {confidence_level:.0%} intervals; exact figures have low = high = estimate.",
        lambda c: {"confidence_level": c.confidence_level},
        method=_INTERVALS,
    ),
    # Per time column whose step was read from the log: ``levels`` lists the columns' names.
    Assumption(
        "logged step",
        _detected,
        "{what} logged in {words} ({share} {values:,} nonzero measured values are multiples of {step:,g} ms): "
        "times are read as floored to {used:,g} ms (rounding_ms=0 would take them as exact).",
        _step_values,
        levels=lambda c: [g.column for g in c.summary.granularity],
        method=_STEP,
    ),
    Assumption(
        "too few values for a step",
        _too_few,
        "{what}: all {values:,} nonzero measured values are whole seconds, too few (under {min_values}) to tell "
        "a whole-second logger from chance; taken as exact (pass rounding_ms=1000 if they are whole seconds).",
        _step_values,
        levels=lambda c: [g.column for g in c.summary.granularity],
        method=_STEP,
    ),
    Assumption(
        "undeterminable rung",
        lambda c: True,
        "{level}: cannot be determined from this log ({reason}); the estimate is null and the interval spans 0 "
        "to the rung above.",
        lambda c: {"level": c.level, "reason": c.missing[c.level]},
        levels=lambda c: list(c.missing),
        method=_CANNOT,
    ),
    Assumption(
        "mostly estimated",
        lambda c: bool(_mostly_estimated(c)),
        "Figures mostly estimated, not measured (valid rows undetermined on the rung): {shares}. They rest on the "
        "assumptions below more than on the log.",
        lambda c: {"shares": _estimated_shares(c)},
        method="methods.md#unmeasured-rows",
    ),
    Assumption(
        # meta-3s and trueview: a viewable row was in view >= 3 s (30 s), so it dwelt that long.
        "attended as viewable",
        lambda c: "attended" not in c.missing and 0 < c.summary.policy.attention_ms <= c.summary.policy.min_in_view_ms,
        "attended: the same as viewable by construction, since the attention threshold ({attention_s:,g} s of "
        "dwell) is at or below the viewability one ({in_view_s:,g} s in view) and a row's dwell is at least its "
        "time in view.",
        lambda c: {"attention_s": c.summary.policy.attention_ms / 1000, "in_view_s": c.summary.policy.min_in_view_ms / 1000},
        method="policies.md#presets",
    ),
    Assumption(
        "threshold crossings",
        lambda c: any(c.crossing[level] for level in c.measured),
        "Impressions cut short or rounded across a threshold ({viewable:,} for viewable, {attended:,} for "
        "attended) count with their chance of passing it, from {method}; where only bounds are known, the "
        "interval spans them.",
        lambda c: {**c.crossing, "method": _crossing_method(c)},
        method="methods.md#times-that-cross-a-threshold",
    ),
    Assumption(
        "threshold beyond the observed times",
        _beyond_support,
        "{level}: no time was observed as long as the {threshold_s:.3g} s threshold (the last at {end_s:.3g} s "
        "or later), so a row cut short counts between 0 and its chance of lasting {end_s:.3g} s; the estimate "
        "extrapolates the dwell model.",
        lambda c: {
            "level": c.level,
            "threshold_s": _threshold(c) / 1000,
            "end_s": supported_until(c.whole.histograms[c.level]) / 1000,
        },
        levels=lambda c: list(c.whole.histograms),
        method="methods.md#a-threshold-past-the-observed-times",
    ),
    Assumption(
        "missing at random",
        lambda c: any(_unmeasured(c)[level] for level in c.measured),
        "Impressions whose dwell or visibility was not measured ({viewable:,} for viewable, {attended:,} for "
        "attended) are taken as missing at random: on the rung in the same share as their group's measured ones.",
        _unmeasured,
        method="methods.md#unmeasured-rows",
    ),
    Assumption(
        "viewers' own chances",
        lambda c: any(c.undetermined[level] for level in c.measured),
        "A viewer whose impressions on a rung are all undetermined counts with their own chance of being on it; "
        "groups with under {min_viewers} viewers with determined impressions use one shared chance, which can "
        "overstate unique viewers.",
        lambda c: {"min_viewers": MIN_VIEWERS},
        method="methods.md#unique-viewers-with-undetermined-impressions",
    ),
    Assumption(
        "exchangeable groups",
        lambda c: bool(c.summary.by),
        "A group with no determined valid impression takes the pooled share of all groups for its undetermined ones.",
        method="methods.md#unmeasured-rows",
    ),
    Assumption(
        "row sample",
        lambda c: c.summary.weighted and c.whole.sample_rate is not None,
        "The log kept each row independently with probability {sample_rate:.4g}. Impressions are scaled up; "
        "unique viewers, unseen viewers included, come from exposure models. Where the rules caught bots, they "
        "stand for those missed; other very heavy accounts bias the figures up.",
        lambda c: {"sample_rate": c.whole.sample_rate},
        method=_SAMPLED,
    ),
    Assumption(
        "models above the bound",
        lambda c: bool(_models_above_bound(c)),
        "Unique viewers{rungs}: the exposure models fit the viewers seen once or twice poorly and sit well above "
        "a bound that needs no model, so the interval reaches down to that bound and is wide.",
        lambda c: {"rungs": " (" + ", ".join(_models_above_bound(c)) + ")"},
        method="methods.md#closed-audiences-and-the-chao1-type-bound",
    ),
    Assumption(
        "model-free range",
        lambda c: bool(_model_free_levels(c)),  # cheap: the linear programs run once, for the values
        "With no exposure model, the sample alone puts the complete log's unique viewers at {ranges} (at least "
        "{confidence_level:.0%} confidence): wide, since a sample cannot tell a few light viewers from many.",
        lambda c: {"ranges": _model_free_ranges(c), "confidence_level": c.confidence_level},
        method="methods.md#the-model-free-range",
    ),
    Assumption(
        "weights",
        lambda c: c.summary.weighted and c.whole.sample_rate is None,
        "Rows carry weights that differ, each taken as kept with probability 1/weight: impressions are weighted "
        "totals; unique viewers are those seen, a lower bound on the complete log's.",
        method=_SAMPLED,
    ),
    Assumption(
        "no viewer ids",
        lambda c: "viewer_id" not in c.summary.columns_seen,
        "No viewer_id column: unique viewers cannot be determined.",
        method=_CANNOT,
    ),
    Assumption(
        "inflation intervals",
        lambda c: _some_figure_uncertain(c),
        "Inflation intervals divide the interval ends of their figures, which is conservative when both figures are uncertain.",
        method="ladder.md#inflation",
    ),
    Assumption(
        "k+ reach",
        lambda c: bool(c.frequency) and c.whole.sample_rate is None,
        "k+ reach for k >= 2 takes a viewer's undetermined impressions as independent at the group's chance, not "
        "the viewer's own, so it can overstate when viewers differ.",
        method=_REACH,
    ),
    Assumption(
        "k+ reach of a sample",
        lambda c: bool(c.frequency) and c.whole.sample_rate is not None,
        "k+ reach of the complete log comes from exposure models for the whole log, widened to the model-free "
        "range where they misfit; per group only k = 1 (unique viewers) is estimated, and k >= 2 is bounded by 0 "
        "and the group's unique viewers.",
        method=_REACH,
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
        method=_REACH,
    ),
    Assumption(
        "HyperLogLog",
        lambda c: bool(c.relative_error),
        "Unique viewers are HyperLogLog estimates (relative standard error {relative_error:.2%}, in their "
        "intervals); a viewer with only undetermined impressions on a rung counts as having just one.",
        lambda c: {"relative_error": c.relative_error},
        method="methods.md#hyperloglog-counts",
    ),
    Assumption(
        "unchecked rules",
        lambda c: bool(unchecked_rules(c.summary)),
        "Invalid traffic not checked for: {rules}. Their 0 rows excluded is no evidence that there were none.",
        lambda c: {"rules": "; ".join(f"{rule} ({why})" for rule, why in unchecked_rules(c.summary).items())},
        method="policies.md#invalid-traffic",
    ),
    Assumption(
        "time unit",
        lambda c: bool(c.summary.units),
        "Check the unit of the times: {units}. Every rung that reads them rests on it.",
        lambda c: {"units": "; ".join(c.summary.units)},
        method="schema.md#units-of-time-columns",
    ),
    Assumption(
        "partly measured",
        lambda c: bool(_partly_measured(c)),
        "Rows measured in part (a visible share but no time, or the reverse): {partly}. Each takes the share on "
        "the rung of the rows measured in full that pass what it measured (missing at random given what was "
        "measured).",
        lambda c: {"partly": "; ".join(f"{level} {n:,}" for level, n in _partly_measured(c).items())},
        method="methods.md#unmeasured-rows",
    ),
    Assumption(
        "strata",
        lambda c: c.strata is not None,
        "Unmeasured impressions are estimated within each stratum of {strata!r} ({strata_count:,} strata), "
        "missing at random within a stratum, and summed.",
        lambda c: {"strata": c.strata, "strata_count": c.strata_count},
        method="methods.md#unmeasured-rows",
    ),
)
