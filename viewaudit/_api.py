"""The public entry points: summarize a source, estimate its ladder, audit, compare policies."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._ladder.assumptions import REACH_NOTE, SAMPLED_REACH_NOTE, audit_assumptions
from viewaudit._ladder.figures import ladder_from_statistics
from viewaudit._ladder.strata import strata_count, stratified_undetermined
from viewaudit._policy import PRESETS, Policy, get_policy
from viewaudit._read.validation import OnInvalid
from viewaudit._report.comparison import Comparison
from viewaudit._report.inflation import inflation_columns
from viewaudit._report.results import Audit, Rows, inflation_from_row, ladder_from_row
from viewaudit._scan.distributed import is_dask_collection
from viewaudit._scan.hyperloglog import MAX_PRECISION, MIN_PRECISION
from viewaudit._scan.loop import UNSAMPLED, progress_bar, summarize_source
from viewaudit._scan.packed import Declined, scan_statistics
from viewaudit._scan.statistics import LadderStatistics, ladder_statistics
from viewaudit._scan.summary import Summary
from viewaudit._schema import ColumnMap, Recording, as_column_map

PolicyLike = Policy | str | os.PathLike[str]


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
        if (
            isinstance(population, bool)
            or not isinstance(population, int | float | np.number)
            or not (0 < float(population) < np.inf)
        ):
            raise ValueError(f"population must be a finite number > 0 (people the reach is a share of), got {population!r}")
        population = float(population)
    k = int(frequency) if frequency is not None else (1 if population is not None else 0)
    return k, population


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
    summaries = summarize_source(source, policies, as_column_map(columns), by_t, on_invalid, rejects, progress, recording)
    return summaries if isinstance(policy, list | tuple) else summaries[0]


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
    assumptions = audit_assumptions(summary, overall, confidence_level, whole)
    if frequency:
        assumptions += (REACH_NOTE if whole.sample_rate is None else SAMPLED_REACH_NOTE,)
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
    recording: Recording = UNSAMPLED,
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
        summaries = summarize_source(source, policies, columns, (*by, strata), on_invalid, rejects, progress, recording)
        return [
            estimate(s, confidence_level=confidence_level, strata=strata, frequency=frequency or None, population=population)
            for s in summaries
        ]
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
                lambda total: progress_bar(total, progress),
                precision=hll_precision if sketched else None,
                rounding_ms=recording.rounding_ms,
                sampled=recording.sample_rate is not None,
            )
        except Declined as declined:
            if engine == "packed" or sketched:
                what = "engine='packed'" if not sketched else "unique_viewers='hll'"
                raise ValueError(
                    f"{what} does not take {declined}; use engine='auto' or 'summary' with exact unique viewers"
                ) from None
            source = declined.stream
        else:
            return [_estimate(facts, grouped, whole, float(confidence_level)) for facts, grouped, whole in results]
    summaries = summarize_source(source, policies, columns, by, on_invalid, rejects, progress, recording)
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
        source,
        policies,
        as_column_map(columns),
        by_t,
        on_invalid,
        rejects,
        progress,
        confidence_level,
        engine,
        unique_viewers,
        hll_precision,
        Recording(rounding_ms, sample_rate),
        strata,
        reach,
    )
    return result


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
        source,
        resolved,
        as_column_map(columns),
        (),
        on_invalid,
        None,
        progress,
        confidence_level,
        engine,
        recording=Recording(rounding_ms, sample_rate),
        strata=strata,
        reach=_check_reach(frequency, population),
    )
    return Comparison(tuple(audits))
