"""The public entry points: summarize a source, estimate its ladder, audit, compare policies."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa

from ._crossings import supported_until
from ._distributed import is_dask_collection, scan_dask
from ._estimating import LadderStatistics, ladder_from_statistics, ladder_statistics, undeterminable_levels
from ._inflation import inflation_columns
from ._packed import Declined, scan_statistics
from ._policy import PRESETS, Policy, get_policy
from ._propensity import MIN_VIEWERS
from ._reading import Stream, open_source
from ._rejects import RejectsWriter
from ._result import Audit, Rows, inflation_from_row, ladder_from_row
from ._rungs import ESTIMATED_LEVELS
from ._schema import CANONICAL_COLUMNS, DEFAULT_INTERACTIONS, ColumnMap, Recording, as_column_map
from ._sketch import MAX_PRECISION, MIN_PRECISION
from ._strata import strata_count, stratified_undetermined
from ._summary import Summary, interaction_columns, merge, summarize_table
from ._validation import OnInvalid, check_schema, validate_batch

#: Merge the per-batch summaries once they hold this many (group, viewer) rows in all.
_COMPACT_ROWS = 1 << 22

PolicyLike = Policy | str | os.PathLike[str]

#: A log recorded in full: times not rounded, rows not sampled.
_UNSAMPLED = Recording()


def _check_args(
    policy: PolicyLike | Sequence[PolicyLike],
    by: str | Sequence[str] | None,
    on_invalid: str,
    confidence_level: float,
) -> tuple[list[Policy], tuple[str, ...]]:
    policies = [get_policy(p) for p in policy] if isinstance(policy, list | tuple) else [get_policy(policy)]  # type: ignore[arg-type]
    if not policies:
        raise ValueError("policies must name at least one policy")
    if by is None:
        by_t: tuple[str, ...] = ()
    elif isinstance(by, str):
        by_t = (by,)
    else:
        by_t = tuple(by)
    for name in by_t:
        if not isinstance(name, str):
            raise TypeError(f"by must be a column name or a list of them, got {name!r}")
        if name == "viewer_id":
            raise ValueError("by='viewer_id' is not supported: unique viewers per viewer are 1 by definition")
    if on_invalid not in ("reject", "raise"):
        raise ValueError(f"on_invalid must be 'reject' or 'raise', got {on_invalid!r}")
    if not (isinstance(confidence_level, float | int) and 0 < confidence_level < 1):
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    return policies, by_t


def _check_reach(frequency: int | None, population: float | None) -> tuple[int, float | None]:
    """(K, population): k+ reach is reported for k = 1 .. K (0: none; 1 when only a population
    is given, whose share of it the unique viewers are)."""
    if frequency is not None and (isinstance(frequency, bool) or not isinstance(frequency, int | np.integer) or frequency < 1):
        raise ValueError(f"frequency must be a whole number >= 1 (report viewers reached 1+ .. k+ times), got {frequency!r}")
    if population is not None:
        if isinstance(population, bool) or not isinstance(population, int | float | np.number) or not (0 < float(population) < np.inf):
            raise ValueError(f"population must be a finite number > 0 (people the reach is a share of), got {population!r}")
        population = float(population)
    k = int(frequency) if frequency is not None else (1 if population is not None else 0)
    return k, population


def _progress(total: int | None, enabled: bool | None) -> Any:
    from tqdm import tqdm

    # disable=None turns the bar off when stderr is not a terminal.
    return tqdm(total=total, unit=" rows", unit_scale=True, disable=enabled if enabled is None else not enabled, leave=False)


def summarize(
    source: Any,
    *,
    policy: PolicyLike | Sequence[PolicyLike] = "mrc-display",
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    by: str | Sequence[str] | None = None,
    on_invalid: OnInvalid = "reject",
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None = None,
    progress: bool | None = False,
    rounding_ms: float = 0.0,
    sample_rate: float | None = None,
) -> Summary | list[Summary]:
    """Read a source once and return its mergeable :class:`Summary` (one per policy if a list
    of policies is given). Parameters as in :func:`audit`."""
    policies, by_t = _check_args(policy, by, on_invalid, 0.95)
    recording = Recording(rounding_ms, sample_rate)
    summaries = _scan(source, policies, as_column_map(columns), by_t, on_invalid, rejects, progress, recording)
    return summaries if isinstance(policy, list | tuple) else summaries[0]


def _scan(
    source: Any,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress: bool | None,
    recording: Recording = _UNSAMPLED,
) -> list[Summary]:
    if is_dask_collection(source):
        summaries, rejected = scan_dask(source, policies, columns, by, on_invalid, recording)
        writer = RejectsWriter.open(rejects)
        if writer is not None:
            if rejected is not None:
                writer.write(rejected)
            writer.close()
        return summaries
    wanted = {columns.source_name(c) for c in CANONICAL_COLUMNS} | set(by) | set(DEFAULT_INTERACTIONS)
    for p in policies:
        wanted |= set(p.interactions or ())
    # A Stream is a source the packed path opened and handed back (its first batch replayed).
    stream = source if isinstance(source, Stream) else open_source(source, columns=columns, wanted=wanted)
    parts: list[list[Summary]] = [[] for _ in policies]
    pending = 0
    row = 0
    extra: list[str] | None = None
    interactions: list[tuple[str, ...]] = []
    writer = RejectsWriter.open(rejects)
    bar = _progress(stream.total_rows, progress)
    try:
        for raw in stream.batches:
            if extra is None:
                check_schema(raw.schema.names, columns)
                if recording.sample_rate is not None and columns.source_name("weight") in raw.schema.names:
                    raise ValueError(
                        f"sample_rate={recording.sample_rate} and a weight column "
                        f"({columns.source_name('weight')!r}) both say how the log was sampled; give one"
                    )
                names = [*raw.schema.names, *CANONICAL_COLUMNS]
                interactions = [interaction_columns(p, names) for p in policies]
                canon = set(CANONICAL_COLUMNS)
                extra = [b for b in by if b not in canon]
                extra += [f"?{c}" for c in dict.fromkeys(c for cols in interactions for c in cols)]
            checked = validate_batch(raw, columns=columns, extra=extra, on_invalid=on_invalid, first_row=row)
            row += raw.num_rows
            accepted = checked.accepted
            if recording.sample_rate is not None:
                accepted = accepted.append_column("weight", pa.array(np.full(accepted.num_rows, 1 / recording.sample_rate)))
            if checked.rejected.num_rows and writer is not None:
                writer.write(checked.rejected)
            for k, p in enumerate(policies):
                parts[k].append(
                    summarize_table(
                        accepted,
                        policy=p,
                        by=by,
                        interactions=interactions[k],
                        rows_read=raw.num_rows,
                        rejected=checked.reasons,
                        rounding_ms=recording.rounding_ms,
                    )
                )
            pending += parts[0][-1].table.num_rows
            if pending > _COMPACT_ROWS:
                parts = [[merge(*ps)] for ps in parts]
                pending = parts[0][0].table.num_rows
            bar.update(raw.num_rows)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if extra is None:  # an empty source: no batch, so no schema was ever seen
        return [_empty_summary(p, by, recording) for p in policies]
    return [merge(*ps) for ps in parts]


def _empty_summary(policy: Policy, by: tuple[str, ...], recording: Recording) -> Summary:
    columns = {"item_id": pa.array([], pa.int64()), **{b: pa.array([], pa.string()) for b in by if b != "item_id"}}
    return summarize_table(pa.table(columns), policy=policy, by=by, rows_read=0, rounding_ms=recording.rounding_ms)


def _assumptions(summary: Summary, table: pa.Table, confidence_level: float, whole: LadderStatistics) -> tuple[str, ...]:
    out = [f"Intervals are {confidence_level:.0%} intervals; exact figures have low = high = estimate."]
    undetermined = {level: int(np.sum(table[f"{level}_undetermined"].to_numpy())) for level in ESTIMATED_LEVELS}
    crossing = {level: int(whole.crossings[level][2].sum()) for level in ESTIMATED_LEVELS}
    missing = undeterminable_levels(summary)
    for level in missing:
        out.append(
            f"{level}: cannot be determined from this log (a column the policy needs is absent); "
            "the estimate is null and the interval spans 0 to the rung above."
        )
    if any(crossing[k] for k in crossing if k not in missing):
        how = (
            "the life table (product-limit estimate) of the valid visible rows' times, on 2.3 %-wide bins"
            if summary.rounding_ms == 0
            else f"the dwell model (glance/read mixture chosen by AIC) fitted to the valid visible rows' times floored to {summary.rounding_ms:g} ms"
            + (
                ", the chance from whole second to whole second being a life table's on whole seconds (the model says "
                "only where inside a second a time lies)"
                if summary.rounding_ms == 1000
                else ""
            )
            + "; where a floored interval holds the threshold, the interval spans every value the data allow"
        )
        bounds = (
            " Where the data only bound a count, its interval covers every value between the bounds at the "
            "confidence level (Imbens-Manski: the critical value falls from two-sided to one-sided as the bounds "
            "part, since a value near one bound can be missed only on its side)."
        )
        out.append(
            "Impressions whose time was censored or rounded across a threshold "
            f"({crossing['viewable']:,} for viewable, {crossing['attended']:,} for attended) are resolved by "
            f"{how}: a row censored at c reaches tau with probability S(tau)/S(c) (censoring taken as independent "
            "of the time, and the time distribution as shared by all groups). For attended, in-view time and "
            "dwell are taken as co-monotone (one time where they are equal; an in-view time cut with a censored "
            "dwell, or ended before it, conditions the dwell's chance), the interval reaching down to "
            "independent ones and to the dwell's own chance." + bounds
        )
        thresholds = {"viewable": summary.policy.min_in_view_ms, "attended": summary.policy.attention_ms}
        for level, hist in whole.histograms.items():
            end = supported_until(hist)
            if crossing[level] and level not in missing and thresholds[level] > end:
                out.append(
                    f"{level}: no time was observed as long as the {thresholds[level] / 1000:.3g} s threshold (the last "
                    f"at {end / 1000:.3g} s or later): the chance that a censored row reached it is bounded (0 to the chance of "
                    "lasting to the last observed time), not estimated; the point estimate extrapolates the dwell model."
                )
    if any(undetermined[k] - crossing[k] for k in undetermined if k not in missing):
        out.append(
            "Impressions whose dwell or visibility was not measured "
            f"({undetermined['viewable'] - crossing['viewable']:,} for viewable, "
            f"{undetermined['attended'] - crossing['attended']:,} for attended) are assumed missing at random "
            "within their group: their share on the rung is the share among the measured valid impressions "
            "(Jeffreys interval, with the binomial noise of the unmeasured rows added in quadrature)."
        )
    if any(undetermined[k] for k in undetermined if k not in missing):
        out.append(
            "A viewer whose only impressions on a rung are undetermined is counted with the chance that one of "
            "them is on it given who they are: viewers' own chances for a rung are a distribution estimated "
            "from the determined impressions (a nonparametric binomial mixture, per group and exposure class "
            "of 1, 2-3, 4-7, ... impressions), conditioned on the viewer's determined impressions off the "
            "rung. Unmeasured impressions take the viewer's chance (missing at random within a viewer); "
            "impressions whose time crosses a threshold take the time distribution's, shifted by the "
            "viewer's odds ratio against the group (every viewer's time below the threshold taken to end "
            "alike; that a row lasted until it was cut is not used, which leaves the count low where it "
            "tells viewers apart). Where the data do not tell a class's viewers apart (fewer than "
            f"{MIN_VIEWERS} viewers with two determined impressions, or a likelihood ratio against one "
            "shared chance below the chi-square(1) 95 % point), each takes the class's chance. A group with "
            f"fewer than {MIN_VIEWERS} viewers with determined impressions, and HyperLogLog counts, take a "
            "viewer's impressions as independent given the group's chance, which overstates unique viewers "
            "when viewers differ."
        )
    if summary.by:
        out.append(
            "A group with no determined valid impression takes the pooled share of all groups "
            "for its undetermined ones (group shares taken as exchangeable)."
        )
    if summary.weighted and whole.sample_rate is not None:
        out.append(
            f"The log is a sample that kept each row independently with probability {whole.sample_rate:.4g}: "
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
            "it excludes the models' estimate; "
            "a heavy tail (a few accounts with very many impressions) biases the estimate upward (see "
            "the accuracy benchmark)."
        )
    elif summary.weighted:
        out.append(
            "Rows carry weights that differ: the log is taken as a Poisson sample with inclusion probability "
            "1/weight; impressions are Horvitz-Thompson totals with normal intervals (variance sum w(w-1)), "
            "undetermined rows at the weighted share of the determined ones; unique viewers are those seen "
            "in the sample, a lower bound on the complete log's (upper end: the impressions' upper end)."
        )
    if "viewer_id" not in summary.columns_seen:
        out.append("No viewer_id column: unique viewers cannot be determined.")
    out.append(
        "Inflation intervals divide the interval ends of their figures, which is conservative "
        "when both figures are uncertain."
    )
    return tuple(out)


def estimate(
    summary: Summary,
    *,
    confidence_level: float = 0.95,
    strata: str | None = None,
    frequency: int | None = None,
    population: float | None = None,
) -> Audit:
    """Estimate the ladder, inflation and groups of a :class:`Summary`.

    ``strata``: one of the summary's group keys whose values are strata, not groups: the
    audit is grouped by the other keys and unmeasured impressions are estimated within each
    stratum (see :func:`audit`). ``frequency`` and ``population`` as in :func:`audit`."""
    _check_args(summary.policy, summary.by, "reject", confidence_level)
    reach = _check_reach(frequency, population)
    stratified: tuple[Any, Any] | None = None
    if strata is not None:
        if strata not in summary.by:
            raise ValueError(f"strata={strata!r} must be one of the summary's group keys {summary.by!r}")
        cells = summary
        summary = summary.regrouped(tuple(b for b in summary.by if b != strata))
    grouped = ladder_statistics(summary, frequencies=reach[0] > 0)
    overall = ladder_statistics(summary.ungrouped(), frequencies=reach[0] > 0) if summary.by else grouped
    if strata is not None:
        stratified = (
            stratified_undetermined(cells, strata, grouped.n_groups, float(confidence_level)),
            stratified_undetermined(cells.regrouped((strata,)), strata, 1, float(confidence_level)),
        )
    audit = _estimate(summary, grouped, overall, float(confidence_level), stratified, reach)
    if strata is not None:
        note = (
            f"Unmeasured impressions are estimated within each stratum of {strata!r} ({strata_count(cells, strata):,} "
            "strata), missing at random within a stratum, and summed (half-widths in quadrature)."
        )
        audit = attrs.evolve(audit, assumptions=(*audit.assumptions, note))
    return audit


def _estimate(
    summary: Summary,
    grouped: LadderStatistics,
    whole: LadderStatistics,
    confidence_level: float,
    stratified: tuple[Any, Any] | None = None,
    reach: tuple[int, float | None] = (0, None),
) -> Audit:
    """The audit of a log from its facts (``summary``; its table is not read) and statistics;
    ``stratified``: the (grouped, whole-log) undetermined estimates made within strata;
    ``reach``: (K, population) of :func:`_check_reach`."""
    by_group, by_log = stratified if stratified is not None else (None, None)
    frequency, population = reach
    table = ladder_from_statistics(grouped, summary, confidence_level=confidence_level, stratified=by_group, frequency=frequency)
    for name, values in inflation_columns(table).items():
        table = table.append_column(name, pa.array(values))
    if summary.by:
        overall = ladder_from_statistics(
            whole, attrs.evolve(summary, by=()), confidence_level=confidence_level, stratified=by_log, frequency=frequency
        )
        for name, values in inflation_columns(overall).items():
            overall = overall.append_column(name, pa.array(values))
    else:
        overall = table
    top = overall.slice(0, 1).to_pylist()[0]
    assumptions = _assumptions(summary, overall, confidence_level, whole)
    if frequency:
        assumptions += (_REACH_NOTE if whole.sample_rate is None else _SAMPLED_REACH_NOTE,)
    if grouped.relative_error:
        assumptions += (
            "Unique viewers are HyperLogLog estimates (relative standard error "
            f"{grouped.relative_error:.2%}, in their intervals); a viewer with only undetermined "
            "impressions on a rung is taken to have one.",
        )
    return Audit(
        rows=Rows(read=summary.rows_read, accepted=summary.rows_accepted, rejected=summary.rejected),
        policy=summary.policy,
        ladder=ladder_from_row(top, population),
        inflation=inflation_from_row(top),
        by=summary.by,
        excluded=summary.excluded,
        interactions=summary.interactions,
        assumptions=assumptions,
        confidence_level=confidence_level,
        table=table if summary.by else overall,
        population=population,
    )


_REACH_NOTE = (
    "k+ reach: a viewer with t determined impressions on a rung and u undetermined ones reaches k with "
    "probability P(t + Binomial(u, p) >= k), p the group's chance for an undetermined row (a viewer's "
    "impressions independent given p; unlike unique viewers, k >= 2 does not yet use the viewer's own "
    "chance, so it can overstate k+ reach when viewers differ)."
)
_SAMPLED_REACH_NOTE = (
    "k+ reach of the complete log: the Gamma-Poisson estimate from the sample's per-viewer counts (two "
    "Gamma-Poisson classes' where the data reject one), its interval spanning the Poisson-log-normal "
    "model's where the data do not reject it, the two classes' where they are used, and the exact "
    "Poisson interval of fewer than 20 viewers seen k times (viewaudit.estimators.k_plus_reach), for the "
    "whole log; per group only k = 1 (unique viewers) "
    "is estimated, k >= 2 is bounded by 0 and the group's unique viewers."
)

Engine = Literal["auto", "packed", "summary"]
_ENGINES = ("auto", "packed", "summary")


def _audits(
    source: Any,
    policies: list[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress: bool | None,
    confidence_level: float,
    engine: str,
    unique_viewers: str = "exact",
    hll_precision: int = 10,
    recording: Recording = _UNSAMPLED,
    strata: str | None = None,
    reach: tuple[int, float | None] = (0, None),
) -> list[Audit]:
    """Scan once and audit under each policy, on the packed path where it applies."""
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, _ENGINES))}, got {engine!r}")
    frequency, population = reach
    if frequency and (engine == "packed" or unique_viewers == "hll"):
        raise ValueError(
            "frequency= and population= need per-viewer counts: the summary engine (engine='auto' or 'summary', "
            "exact unique viewers)"
        )
    if strata is not None:
        if not isinstance(strata, str) or strata in by or strata == "viewer_id":
            raise ValueError(f"strata must be a column name other than viewer_id and the by columns, got {strata!r}")
        if engine == "packed" or unique_viewers == "hll":
            raise ValueError("strata= needs the summary engine (engine='auto' or 'summary', exact unique viewers)")
        summaries = _scan(source, policies, columns, (*by, strata), on_invalid, rejects, progress, recording)
        return [estimate(s, confidence_level=confidence_level, strata=strata, frequency=frequency or None, population=population) for s in summaries]
    if unique_viewers not in ("exact", "hll"):
        raise ValueError(f"unique_viewers must be 'exact' or 'hll', got {unique_viewers!r}")
    sketched = unique_viewers == "hll"
    if sketched:
        if not (isinstance(hll_precision, int) and MIN_PRECISION <= hll_precision <= MAX_PRECISION):
            raise ValueError(f"hll_precision must be an integer from {MIN_PRECISION} to {MAX_PRECISION}, got {hll_precision!r}")
        if engine == "summary" or is_dask_collection(source):
            raise ValueError("unique_viewers='hll' needs the packed engine (engine='auto' or 'packed', not a Dask source)")
    if engine != "summary" and not frequency and not is_dask_collection(source):
        try:
            results = scan_statistics(
                source,
                policies,
                columns,
                by,
                on_invalid,
                rejects,
                lambda total: _progress(total, progress),
                precision=hll_precision if sketched else None,
                rounding_ms=recording.rounding_ms,
                sampled=recording.sample_rate is not None,
            )
        except Declined as declined:
            if engine == "packed" or sketched:
                what = "engine='packed'" if not sketched else "unique_viewers='hll'"
                raise ValueError(f"{what} does not take {declined}; use engine='auto' or 'summary' with exact unique viewers") from None
            source = declined.stream
        else:
            return [_estimate(facts, grouped, whole, float(confidence_level)) for facts, grouped, whole in results]
    summaries = _scan(source, policies, columns, by, on_invalid, rejects, progress, recording)
    return [estimate(s, confidence_level=confidence_level, frequency=frequency or None, population=population) for s in summaries]


def audit(
    source: Any,
    *,
    policy: PolicyLike = "mrc-display",
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    by: str | Sequence[str] | None = None,
    on_invalid: OnInvalid = "reject",
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None = None,
    confidence_level: float = 0.95,
    progress: bool | None = False,
    engine: Engine = "auto",
    unique_viewers: Literal["exact", "hll"] = "exact",
    hll_precision: int = 10,
    rounding_ms: float = 0.0,
    sample_rate: float | None = None,
    strata: str | None = None,
    frequency: int | None = None,
    population: float | None = None,
) -> Audit:
    """Audit an impression log: the view ladder under a policy, with intervals.

    Parameters
    ----------
    source
        A Parquet, CSV or JSON Lines file, a directory or glob of them, a list of paths, or any
        object exporting an Arrow stream (pyarrow Table or RecordBatchReader, pandas or polars
        DataFrame, DuckDB relation). Read in record batches.
    policy
        A :class:`Policy`, a preset name (see :data:`viewaudit.PRESETS`) or a ``.toml`` file.
    columns
        Canonical name -> source column name, e.g. ``{"item_id": "post_id"}``.
    by
        Column(s) to group by (``"item_id"``, a surface, a day column, ...).
    on_invalid
        ``"reject"`` (default) drops a bad row and counts it under its reason;
        ``"raise"`` raises ``ValueError`` naming the row, the column and the value.
    rejects
        Where rejected rows go: a ``.parquet``/``.csv``/``.jsonl`` path, or a callable taking
        a pyarrow Table; each row keeps its raw values (as text), ``_row`` and ``_reason``.
    confidence_level
        Of every interval.
    progress
        Show a progress bar on stderr (``None``: only when stderr is a terminal).
    engine
        How the log is reduced; every engine gives the same audit. ``"summary"`` builds the
        mergeable per-viewer :class:`Summary` (what :func:`summarize` returns) and estimates
        from it. ``"packed"`` goes straight to the statistics the estimates need, with
        (group, viewer) pairs packed in 64-bit keys, in two threads: several times faster and
        lighter on large logs; it takes integer viewer ids and at most one ``by`` column.
        ``"auto"`` (default) uses ``"packed"`` where it applies and ``"summary"`` elsewhere.
    unique_viewers
        ``"exact"`` (default) counts distinct viewers exactly: memory grows with the number of
        distinct (group, viewer) pairs. ``"hll"`` counts them with HyperLogLog sketches of
        ``m = 2**hll_precision`` registers per group and rung: memory is bounded by
        ``groups * 7 * m`` bytes whatever the number of rows or viewers, the relative standard
        error is ``1.04 / sqrt(m)`` (3.3 % at the default precision 10, 1.6 % at 12) and the
        unique-viewer intervals include it. Impressions stay exact. Needs the packed engine.
    hll_precision
        Of the sketches, from 4 to 16.
    rounding_ms
        The logger floored ``dwell_ms`` and ``in_view_ms`` to multiples of this (1000 for a
        whole-second logger; default 0: not rounded). A row whose interval
        ``[value, value + rounding_ms)`` contains a policy threshold is then resolved by the
        dwell model, like a row censored below it, instead of being counted as missing it.
    sample_rate
        The log is a sample that kept each row of the complete log independently with this
        probability (instead of a ``weight`` column): impressions are Horvitz-Thompson totals
        and unique viewers are estimated for the complete log (the unseen included).
    strata
        A column (surface, client, ...) within whose values unmeasured impressions are taken
        as missing at random: their viewable and attended shares are estimated per stratum
        (and group) and summed, instead of from all measured rows of the group. Uses the
        summary engine.
    frequency
        Also report each rung's k+ reach, the viewers with at least k impressions on it, for
        k = 1 .. ``frequency`` (``Rung.reach``; k = 1 is the unique viewers). Uses the summary
        engine.
    population
        The number of people reach is a share of (an audience, a country): each k+ reach gets
        its share of it (k = 1 only, unless ``frequency`` is given). Uses the summary engine.

    Returns
    -------
    Audit
        ``rows.read == rows.accepted + sum(rows.rejected.values())`` always.
    """
    policies, by_t = _check_args(policy, by, on_invalid, confidence_level)
    reach = _check_reach(frequency, population)
    (result,) = _audits(
        source, policies, as_column_map(columns), by_t, on_invalid, rejects, progress, confidence_level, engine,
        unique_viewers, hll_precision, Recording(rounding_ms, sample_rate), strata, reach,
    )
    return result


@attrs.frozen
class Comparison:
    """One log audited under several policies: "what would its views be under each rule"."""

    audits: tuple[Audit, ...]

    def __getitem__(self, name: str) -> Audit:
        for a in self.audits:
            if a.policy.name == name:
                return a
        raise KeyError(f"no policy {name!r} in this comparison")

    def to_arrow(self) -> pa.Table:
        """One row per policy: its view rung, views and every rung's impressions."""
        rows = []
        for a in self.audits:
            row: dict[str, Any] = {
                "policy": a.policy.name,
                "counts_as_view": a.policy.counts_as_view,
                "views": a.views.estimate,
                "views_low": a.views.low,
                "views_high": a.views.high,
            }
            for r in a.ladder:
                row[f"{r.level}_impressions"] = r.impressions.estimate
            rows.append(row)
        return pa.Table.from_pylist(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"policies": [a.to_dict() for a in self.audits]}

    def to_markdown(self) -> str:
        head = "| policy | a view is | views | rule |\n|---|---|---|---|"
        body = [f"| {a.policy.name} | {a.policy.counts_as_view} | {a.views} | {a.policy.description} |" for a in self.audits]
        return "\n".join([head, *body])

    def __str__(self) -> str:
        width = max(len(str(a.views)) for a in self.audits) + 2
        lines = [f"{'policy':<17}{'a view is':<11}{'views':<{width}}"]
        lines += [f"{a.policy.name:<17}{a.policy.counts_as_view:<11}{a.views!s:<{width}}" for a in self.audits]
        return "\n".join(lines)


def compare(
    source: Any,
    *,
    policies: Sequence[PolicyLike] | None = None,
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    on_invalid: OnInvalid = "reject",
    confidence_level: float = 0.95,
    progress: bool | None = False,
    engine: Engine = "auto",
    rounding_ms: float = 0.0,
    sample_rate: float | None = None,
    strata: str | None = None,
    frequency: int | None = None,
    population: float | None = None,
) -> Comparison:
    """Audit one log under several policies in one read (default: every preset).
    ``engine``, ``rounding_ms``, ``sample_rate``, ``strata``, ``frequency`` and ``population``
    as in :func:`audit`."""
    chosen = list(PRESETS.values()) if policies is None else list(policies)
    resolved, _ = _check_args(chosen, None, on_invalid, confidence_level)
    audits = _audits(
        source, resolved, as_column_map(columns), (), on_invalid, None, progress, confidence_level, engine,
        recording=Recording(rounding_ms, sample_rate), strata=strata, reach=_check_reach(frequency, population),
    )
    return Comparison(tuple(audits))
