"""The public entry points: summarize a source, estimate its ladder, audit, compare policies.

Each is check -> scan -> estimate -> assemble: :mod:`viewaudit._checks` normalises the
arguments, :mod:`viewaudit._scan.dispatch` reads the source, :mod:`viewaudit._report.assemble`
estimates and puts the :class:`Audit` together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs
import pyarrow as pa

from viewaudit._checks import Engine, PolicyLike, SourceFormat, check_audit, check_compare, check_estimate, check_summarize
from viewaudit._policy import PRESETS
from viewaudit._read.rejects import rejects_sink
from viewaudit._report.assemble import audit_from_summary, audit_of
from viewaudit._report.comparison import Comparison
from viewaudit._report.results import Audit
from viewaudit._scan.dispatch import scan, summaries
from viewaudit._scan.summary import Summary
from viewaudit._schema import ColumnMap, OnInvalid, Rounding

__all__ = ["Engine", "PolicyLike", "audit", "compare", "estimate", "summarize"]


def summarize(
    source: Any,
    *,
    policy: PolicyLike | Sequence[PolicyLike] = "mrc-display",
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    by: str | Sequence[str] | None = None,
    on_invalid: OnInvalid = "reject",
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None = None,
    progress: bool | None = None,
    rounding_ms: Rounding = "auto",
    sample_rate: float | None = None,
    format: SourceFormat | None = None,
) -> Summary | list[Summary]:
    """Read a source once and return its mergeable :class:`Summary` (one per policy if a list
    of policies is given). Parameters as in :func:`audit`."""
    options = check_summarize(
        policy=policy,
        columns=columns,
        by=by,
        on_invalid=on_invalid,
        rejects=rejects,
        progress=progress,
        rounding_ms=rounding_ms,
        sample_rate=sample_rate,
        format=format,
    )
    with rejects_sink(options.rejects, source) as sink:
        result = summaries(source, attrs.evolve(options, rejects=sink))
    return result if isinstance(policy, list | tuple) else result[0]


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
    options = check_estimate(
        summary.policy, summary.by, confidence_level=confidence_level, strata=strata, frequency=frequency, population=population
    )
    return audit_from_summary(summary, options)


def audit(
    source: Any,
    *,
    policy: PolicyLike = "mrc-display",
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    by: str | Sequence[str] | None = None,
    on_invalid: OnInvalid = "reject",
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None = None,
    confidence_level: float = 0.95,
    progress: bool | None = None,
    engine: Engine = "auto",
    unique_viewers: Literal["exact", "hll"] = "exact",
    hll_precision: int = 10,
    rounding_ms: Rounding = "auto",
    sample_rate: float | None = None,
    strata: str | None = None,
    frequency: int | None = None,
    population: float | None = None,
    format: SourceFormat | None = None,
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
        Show a progress bar of rows read on stderr. ``None`` (the default): only when stderr is a
        terminal, so scripts and notebooks that capture stderr get no bar.
    engine
        How the log is reduced; every engine gives the same audit. ``"summary"`` builds the
        mergeable per-viewer :class:`Summary` (what :func:`summarize` returns) and estimates
        from it. ``"packed"`` goes straight to the statistics the estimates need, with
        (group, viewer) pairs packed in 64-bit keys, in two threads: several times faster and
        lighter on large logs; it takes integer or text viewer ids (text ids get exact codes),
        at most one ``by`` column, and no sampled log. ``"auto"`` (default) uses ``"packed"``
        where it applies and ``"summary"`` elsewhere.
    unique_viewers
        ``"exact"`` (default) counts distinct viewers exactly: memory grows with the number of
        distinct (group, viewer) pairs. ``"hll"`` counts them with HyperLogLog sketches of
        ``m = 2**hll_precision`` registers per group and rung: memory is bounded by
        ``groups * 7 * m`` bytes whatever the number of rows or viewers, the relative standard
        error is ``1.04 / sqrt(m)`` (3.3 % at the default precision 10, 1.6 % at 12) and the
        unique-viewer intervals include it. Impressions stay exact. Needs the packed engine; text
        viewer ids are sketched by a 64-bit hash of their text, and a source whose text ids may
        come after integer ones (a JSON Lines file) is refused.
    hll_precision
        Of the sketches, from 4 to 16; checked even when ``unique_viewers="exact"`` does not use it.
    rounding_ms
        The logger floored ``dwell_ms`` and ``in_view_ms`` to multiples of this (1000 for a
        whole-second logger; 0: not rounded, the values are exact). A row whose interval
        ``[value, value + rounding_ms)`` contains a policy threshold is then resolved by the
        dwell model, like a row censored below it, instead of being counted as missing it.
        ``"auto"`` (default) reads the step from the values before the scan (whole seconds,
        tenths or hundredths, from at least 30 nonzero values; see ``docs/schema.md``) and
        the report says what it found.
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
    format
        ``"ebnerd"``: the source is EB-NeRD's ``behaviors.parquet`` (any split, or a directory
        of them), read as one impression per article in view, with read times in whole seconds
        (``rounding_ms`` 1000). ``columns`` is then left out. See ``docs/byo-log.md``.

    Returns
    -------
    Audit
        ``rows.read == rows.accepted + sum(rows.rejected.values())`` always.
    """
    options = check_audit(
        policy=policy,
        columns=columns,
        by=by,
        on_invalid=on_invalid,
        rejects=rejects,
        confidence_level=confidence_level,
        progress=progress,
        engine=engine,
        unique_viewers=unique_viewers,
        hll_precision=hll_precision,
        rounding_ms=rounding_ms,
        sample_rate=sample_rate,
        strata=strata,
        frequency=frequency,
        population=population,
        format=format,
    )
    # The rejects file is put in place only once the audit is done: a failure leaves the old one.
    with rejects_sink(options.rejects, source) as sink:
        (scanned,) = scan(source, attrs.evolve(options, rejects=sink))
        return audit_of(scanned, options.estimate)


def compare(
    source: Any,
    *,
    policies: Sequence[PolicyLike] | None = None,
    columns: Mapping[str, str] | ColumnMap | str | None = None,
    on_invalid: OnInvalid = "reject",
    confidence_level: float = 0.95,
    progress: bool | None = None,
    engine: Engine = "auto",
    rounding_ms: Rounding = "auto",
    sample_rate: float | None = None,
    strata: str | None = None,
    frequency: int | None = None,
    population: float | None = None,
    format: SourceFormat | None = None,
    by: str | Sequence[str] | None = None,
) -> Comparison:
    """Audit one log under several policies in one read (default: every preset).
    ``by``, ``engine``, ``rounding_ms``, ``sample_rate``, ``strata``, ``frequency``,
    ``population`` and ``format`` as in :func:`audit`; with ``by``, each policy's audit is
    grouped and :meth:`Comparison.to_arrow` has a row per policy and group."""
    options = check_compare(
        policies=policies,
        presets=list(PRESETS.values()),
        columns=columns,
        on_invalid=on_invalid,
        confidence_level=confidence_level,
        progress=progress,
        engine=engine,
        rounding_ms=rounding_ms,
        sample_rate=sample_rate,
        strata=strata,
        frequency=frequency,
        population=population,
        format=format,
        by=by,
    )
    return Comparison(tuple(audit_of(scanned, options.estimate) for scanned in scan(source, options)))
