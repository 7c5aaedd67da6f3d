"""Which engine reduces a source, decided in one place: Dask, the packed path or the scan loop.

Above the three engines, so that none of them knows of another: a Dask collection is
summarized partition by partition; any other source is opened once, and the packed path takes
it when :func:`~viewaudit._scan.packed.accepts` says so, before a row is reduced; the scan loop
takes the rest.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs

from viewaudit._checks import HLL_NEEDS_PACKED, AuditOptions
from viewaudit._read.granularity import Detection, decide
from viewaudit._read.recorded import look, unit_warnings
from viewaudit._read.sources import open_source, with_schema
from viewaudit._scan.distributed import dask_time_stats, is_dask_collection, summarize_dask
from viewaudit._scan.loop import progress_bar, summarize_stream, wanted_columns
from viewaudit._scan.packed import accepts, scan_statistics
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._scan.summary import Summary
from viewaudit._warnings import GranularityWarning, UnitWarning


@attrs.frozen
class Scanned:
    """One policy's scan: a :class:`Summary` (the reference path), or the facts of the log (a
    summary without rows) with its grouped and whole-log statistics (the packed path)."""

    summary: Summary
    statistics: tuple[LadderStatistics, LadderStatistics] | None = None


def _wanted(options: AuditOptions, by: tuple[str, ...]) -> set[str] | None:
    """The columns to read: all of them when rows may be rejected to a sink, which keeps each
    rejected row whole (docs/schema.md); otherwise those a count needs."""
    return None if options.rejects is not None else wanted_columns(list(options.policies), options.columns, by)


def recorded(source: Any, options: AuditOptions) -> tuple[Any, AuditOptions, Detection | None]:
    """``rounding_ms="auto"`` resolved from a first look at the source's time columns (see
    :mod:`viewaudit._read.recorded`), with a warning for a column that looks like seconds or
    microseconds and for steps that differ; the source to scan is returned too (a one-shot
    stream is put back together). Given a number, nothing is read: (source, options, None)."""
    if options.recording.rounding_ms != "auto":
        return source, options, None
    if is_dask_collection(source):
        totals = dask_time_stats(source, options.columns)
        detection = decide(totals)
    else:
        source, detection, totals = look(source, options.columns)
    units = unit_warnings(totals, options.columns)
    for message, _ in units:
        warnings.warn(message, UnitWarning, stacklevel=4)
    detection = attrs.evolve(detection, units=tuple(note for _, note in units))
    steps = {g.column: g.step_ms for g in detection.columns}
    if detection.files or len(set(steps.values())) > 1:
        found = ", ".join(f"{k} {v:g} ms" for k, v in [*steps.items(), *detection.files])
        warnings.warn(
            f"times were logged in different steps ({found}); all are taken as floored to {detection.step_ms:g} ms "
            "(pass rounding_ms= to choose, or audit the parts apart)",
            GranularityWarning,
            stacklevel=4,
        )
    recording = attrs.evolve(options.recording, rounding_ms=detection.step_ms)
    return source, attrs.evolve(options, recording=recording), detection


def _stated(summary: Summary, detection: Detection | None) -> Summary:
    return summary if detection is None else attrs.evolve(summary, granularity=detection.columns, units=detection.units)


def summaries(source: Any, options: AuditOptions) -> list[Summary]:
    """A :class:`Summary` of the source per policy, grouped by ``options.scanned_by``."""
    source, options, detection = recorded(source, options)
    return [_stated(s, detection) for s in _summaries(source, options)]


def _summaries(source: Any, options: AuditOptions) -> list[Summary]:
    policies, by = list(options.policies), options.scanned_by
    args = (policies, options.columns, by, options.on_invalid, options.rejects)
    if is_dask_collection(source):
        if options.format is not None:
            raise ValueError(f"format={options.format!r} reads files or Arrow objects, not a Dask collection")
        return summarize_dask(source, *args, options.recording)
    stream = open_source(source, columns=options.columns, wanted=_wanted(options, by), format=options.format)
    return summarize_stream(stream, *args, options.progress, options.recording)


def scan(source: Any, options: AuditOptions) -> list[Scanned]:
    """Read the source once and reduce it for each policy, on the packed path where it applies
    (after a look at its time columns for ``rounding_ms="auto"``)."""
    source, options, detection = recorded(source, options)
    return [attrs.evolve(s, summary=_stated(s.summary, detection)) for s in _scan(source, options)]


def _scan(source: Any, options: AuditOptions) -> list[Scanned]:
    sketched = options.unique_viewers == "hll"
    if is_dask_collection(source):
        if sketched:
            raise ValueError(HLL_NEEDS_PACKED)
        return [Scanned(s) for s in _summaries(source, options)]
    packed = options.engine != "summary" and not options.estimate.frequency and options.estimate.strata is None
    if not packed:
        return [Scanned(s) for s in _summaries(source, options)]
    policies, columns, by = list(options.policies), options.columns, options.by
    stream = with_schema(open_source(source, columns=columns, wanted=_wanted(options, by), format=options.format))
    reason = accepts(stream, columns, by, sampled=options.recording.sample_rate is not None, sketched=sketched)
    if reason is None:
        results = scan_statistics(
            stream,
            policies,
            columns,
            by,
            options.on_invalid,
            options.rejects,
            lambda total: progress_bar(total, options.progress),
            precision=options.hll_precision if sketched else None,
            rounding_ms=options.recording.step_ms,
        )
        return [Scanned(facts, (grouped, whole)) for facts, grouped, whole in results]
    if options.engine == "packed" or sketched:
        what = "unique_viewers='hll'" if sketched else "engine='packed'"
        raise ValueError(f"{what} does not take {reason}; use engine='auto' or 'summary' with exact unique viewers")
    summarized = summarize_stream(
        stream, policies, columns, by, options.on_invalid, options.rejects, options.progress, options.recording
    )
    return [Scanned(s) for s in summarized]
