"""An :class:`Audit` put together from a scan: the ladder tables, inflation and assumptions.

The scan gives, per policy, either a :class:`Summary` (the reference path), whose statistics
are computed here, or the facts and statistics straight from the packed path; both end in
:func:`audit_from_statistics`.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._checks import EstimateOptions
from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._ladder.assumptions import assumption_context, state_assumptions
from viewaudit._ladder.figures import ladder_from_statistics
from viewaudit._ladder.reach import usable_frequency
from viewaudit._ladder.strata import strata_count, stratified_undetermined
from viewaudit._report.dwell_view import measured_times
from viewaudit._report.inflation import inflation_columns
from viewaudit._report.results import Audit
from viewaudit._report.values import Rows, inflation_from_row, ladder_from_row
from viewaudit._rungs import LEVELS
from viewaudit._scan.dispatch import Scanned
from viewaudit._scan.statistics import LadderStatistics, ladder_statistics
from viewaudit._scan.summary import Summary, crossings_possible, unchecked_rules


def audit_of(scanned: Scanned, options: EstimateOptions) -> Audit:
    """The audit of one policy's scan."""
    if scanned.statistics is None:
        return audit_from_summary(scanned.summary, options)
    grouped, whole = scanned.statistics
    return audit_from_statistics(scanned.summary, grouped, whole, options)


def audit_from_summary(summary: Summary, options: EstimateOptions) -> Audit:
    """Estimate the ladder, inflation and groups of a :class:`Summary` (``options.strata``: one
    of its group keys, whose values are strata within which unmeasured impressions are estimated)."""
    strata, level, reach = options.strata, options.confidence_level, options.frequency > 0
    cells = summary
    if strata is not None:
        summary = summary.regrouped(tuple(b for b in summary.by if b != strata))
    grouped = ladder_statistics(summary, frequencies=reach)
    whole = ladder_statistics(summary.ungrouped(), frequencies=reach) if summary.by else grouped
    stratified = None
    if strata is not None:
        stratified = (
            stratified_undetermined(cells, strata, grouped.n_groups, level),
            stratified_undetermined(cells.regrouped((strata,)), strata, 1, level),
        )
    return audit_from_statistics(
        summary,
        grouped,
        whole,
        options,
        stratified=stratified,
        strata_count=strata_count(cells, strata) if strata is not None else 0,
    )


def _with_inflation(table: pa.Table) -> pa.Table:
    for name, values in inflation_columns(table).items():
        table = table.append_column(name, pa.array(values))
    return table


def audit_from_statistics(
    summary: Summary,
    grouped: LadderStatistics,
    whole: LadderStatistics,
    options: EstimateOptions,
    *,
    stratified: tuple[Any, Any] | None = None,
    strata_count: int = 0,
) -> Audit:
    """The audit of a log from its facts (``summary``; its table is not read) and statistics;
    ``stratified``: the (grouped, whole-log) undetermined estimates made within the
    ``strata_count`` strata of ``options.strata``."""
    by_group, by_log = stratified if stratified is not None else (None, None)
    level, population = options.confidence_level, options.population
    # k beyond every viewer's count has reach 0: report up to the first such k, not to a huge K.
    frequency = usable_frequency(whole.frequencies, options.frequency)
    table = ladder_from_statistics(grouped, summary, confidence_level=level, stratified=by_group, frequency=frequency)
    if summary.by:
        overall = _with_inflation(
            ladder_from_statistics(
                whole, attrs.evolve(summary, by=()), confidence_level=level, stratified=by_log, frequency=frequency
            )
        )
        table = _with_inflation(_viewers_within_whole(table, overall))
    else:
        table = overall = _with_inflation(table)
    top = overall.slice(0, 1).to_pylist()[0]
    context = assumption_context(
        summary,
        overall,
        whole,
        level,
        frequency=frequency,
        frequency_asked=options.frequency,
        relative_error=grouped.relative_error,
        strata=options.strata,
        strata_count=strata_count,
    )
    stated = state_assumptions(context)
    return Audit(
        rows=Rows(read=summary.rows_read, accepted=summary.rows_accepted, rejected=summary.rejected, nulled=summary.nulled),
        policy=summary.policy,
        ladder=ladder_from_row(top, population),
        inflation=inflation_from_row(top),
        by=summary.by,
        excluded=summary.excluded,
        interactions=summary.interactions,
        assumptions=tuple(a.text for a in stated),
        confidence_level=level,
        table=table if summary.by else overall,
        population=population,
        dwell=_dwell(whole),
        dwell_exact=not crossings_possible(summary.columns_seen, summary.rounding_ms),
        assumption_details=stated,
        unchecked=unchecked_rules(summary),
        excluded_rows=int(whole.totals["n_rendered"].sum() - whole.totals["n_valid"].sum()),
    )


def _viewers_within_whole(table: pa.Table, overall: pa.Table) -> pa.Table:
    """Each group's unique viewers at most the whole log's, estimate and ends: a group's viewers
    are among the log's. Estimated apart (a sampled log's groups borrow from their class), a
    group could come out above the whole: a new user's 10 % sample showed one item with 623
    [559, 702] viewers, the whole log 603 [600, 610]."""
    for level in LEVELS:
        for part in ("estimate", "low", "high"):
            name = f"{level}_unique_viewers_{part}"
            if name not in table.column_names:
                continue
            whole = overall[name][0].as_py()
            if whole is None or (isinstance(whole, float) and math.isnan(whole)):
                continue
            values = np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)
            clipped = np.fmin(values, whole)
            if not np.array_equal(clipped, values, equal_nan=True):
                kept = pa.array(clipped).cast(table.schema.field(name).type)
                table = table.set_column(table.column_names.index(name), name, kept)
    return table


def _dwell(whole: LadderStatistics) -> DwellHistogram | None:
    """The whole log's dwell histogram, or None when the scan binned no dwell time."""
    hist = whole.histograms.get("attended")
    return hist if hist is not None and measured_times(hist) > 0 else None
