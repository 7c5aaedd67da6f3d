"""Argument checks of the public functions, one per function, so that their bodies have none.

Each ``check_*`` raises the error a bad argument deserves and returns the arguments normalised
(policies resolved, ``by`` as a tuple, ``columns`` as a :class:`ColumnMap`, ...) in one frozen
options object, which the scan and the estimates take as it is. Only base modules are imported
here: the checks run before anything is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
import numpy as np

from viewaudit._estimators.hyperloglog import MAX_PRECISION, MIN_PRECISION
from viewaudit._policy import Policy, get_policy
from viewaudit._schema import ColumnMap, OnInvalid, Recording, Rounding, as_column_map

if TYPE_CHECKING:
    import pyarrow as pa


PolicyLike = Policy | str | os.PathLike[str]
Engine = Literal["auto", "packed", "summary"]
ENGINES = ("auto", "packed", "summary")
UniqueViewers = Literal["exact", "hll"]
#: Datasets whose rows the reader maps to impressions (``format=``); None: rows are impressions.
SourceFormat = Literal["ebnerd"]
FORMATS = ("ebnerd",)


@attrs.frozen
class EstimateOptions:
    """How a summary's ladder is estimated: the normalised arguments of :func:`viewaudit.estimate`."""

    confidence_level: float = 0.95
    #: A group key whose values are strata (None: no strata).
    strata: str | None = None
    #: k+ reach is reported for k = 1 .. ``frequency`` (0: none).
    frequency: int = 0
    #: The people reach is a share of, or None.
    population: float | None = None


@attrs.frozen
class AuditOptions:
    """Everything an audit is run with but the source: the normalised arguments of
    :func:`viewaudit.audit`, :func:`viewaudit.compare` and :func:`viewaudit.summarize`."""

    policies: tuple[Policy, ...]
    columns: ColumnMap
    by: tuple[str, ...] = ()
    on_invalid: OnInvalid = "reject"
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None = None
    progress: bool | None = False
    engine: Engine = "auto"
    unique_viewers: UniqueViewers = "exact"
    hll_precision: int = 10
    recording: Recording = attrs.field(factory=Recording)
    estimate: EstimateOptions = attrs.field(factory=EstimateOptions)
    format: SourceFormat | None = None

    @property
    def confidence_level(self) -> float:
        return self.estimate.confidence_level

    @property
    def scanned_by(self) -> tuple[str, ...]:
        """The group keys the scan summarizes by: ``by`` and the strata column."""
        strata = self.estimate.strata
        return self.by if strata is None else (*self.by, strata)


# -- shared pieces ------------------------------------------------------------------------------


def _policies(policy: PolicyLike | Sequence[PolicyLike]) -> tuple[Policy, ...]:
    chosen: Sequence[PolicyLike] = list(policy) if isinstance(policy, list | tuple) else [cast("PolicyLike", policy)]
    policies = tuple(get_policy(p) for p in chosen)
    if not policies:
        raise ValueError("policies must name at least one policy")
    return policies


def _by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        names: tuple[str, ...] = ()
    elif isinstance(by, str):
        names = (by,)
    elif isinstance(by, bytes | bytearray):  # iterated, it would be a list of numbers
        raise TypeError(f"by must be a column name (str) or a list of them, got {by!r}")
    else:
        names = tuple(by)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"by must be a column name or a list of them, got {name!r}")
        if name == "viewer_id":
            raise ValueError("by='viewer_id' is not supported: unique viewers per viewer are 1 by definition")
        if names.count(name) > 1:
            raise ValueError(f"by must name each column once, got {name!r} {names.count(name)} times in {list(names)!r}")
    return names


def _on_invalid(on_invalid: str) -> OnInvalid:
    if on_invalid == "reject":
        return "reject"
    if on_invalid == "raise":
        return "raise"
    raise ValueError(f"on_invalid must be 'reject' or 'raise', got {on_invalid!r}")


def _confidence_level(confidence_level: float) -> float:
    if not (isinstance(confidence_level, float | int) and 0 < confidence_level < 1):
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    return float(confidence_level)


def _at_least_one(number: float | np.number[Any]) -> bool:
    """Whether ``number`` is finite and >= 1 as a float (an int too large for one is not)."""
    try:
        return 1 <= float(number) < np.inf
    except OverflowError:
        return False


def _reach(frequency: int | None, population: float | None) -> tuple[int, float | None]:
    """(K, population): k+ reach is reported for k = 1 .. K (0: none; 1 when only a population
    is given, whose share of it the unique viewers are)."""
    if frequency is not None and (isinstance(frequency, bool) or not isinstance(frequency, int | np.integer) or frequency < 1):
        raise ValueError(f"frequency must be a whole number >= 1 (report viewers reached 1+ .. k+ times), got {frequency!r}")
    if population is not None:
        if isinstance(population, bool) or not isinstance(population, int | float | np.number) or not _at_least_one(population):
            raise ValueError(
                f"population must be a finite number > 0, at least 1 (people the reach is a share of), got {population!r}"
            )
        population = float(population)
    k = int(frequency) if frequency is not None else (1 if population is not None else 0)
    return k, population


def _format(
    format: str | None, columns: Mapping[str, str] | ColumnMap | str | None, rounding_ms: Rounding, sample_rate: float | None
) -> tuple[SourceFormat | None, Recording]:
    """The format and how its log was recorded: EB-NeRD's read times are whole seconds."""
    recording = Recording(rounding_ms, sample_rate)
    if format is None:
        return None, recording
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(map(repr, FORMATS))} or None, got {format!r}")
    if as_column_map(columns).mapping:
        raise ValueError(f"format={format!r} names the columns itself: leave columns= out, got {columns!r}")
    # "auto" (the default) reads whole seconds from the read times; EB-NeRD says so itself.
    if recording.rounding_ms not in ("auto", 0.0, 1000.0):
        raise ValueError(
            f"format={format!r} logs read times in whole seconds: leave rounding_ms out (or 'auto', or 1000), got {rounding_ms!r}"
        )
    return "ebnerd", attrs.evolve(recording, rounding_ms=1000.0)


def _engine(engine: str) -> Engine:
    if engine in ENGINES:
        return cast("Engine", engine)
    raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")


def _engine_options(
    engine: str, unique_viewers: str, hll_precision: int, by: tuple[str, ...], strata: str | None, frequency: int
) -> tuple[Engine, UniqueViewers, str | None]:
    """Checks of the engine and what needs which engine (a Dask source is checked by the scan)."""
    checked = _engine(engine)
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
    if unique_viewers not in ("exact", "hll"):
        raise ValueError(f"unique_viewers must be 'exact' or 'hll', got {unique_viewers!r}")
    # Checked with exact counting too: a bad value must not pass until someone turns HLL on.
    if not (isinstance(hll_precision, int) and MIN_PRECISION <= hll_precision <= MAX_PRECISION):
        raise ValueError(f"hll_precision must be an integer from {MIN_PRECISION} to {MAX_PRECISION}, got {hll_precision!r}")
    if unique_viewers == "hll" and engine == "summary":
        raise ValueError(HLL_NEEDS_PACKED)
    return checked, "hll" if unique_viewers == "hll" else "exact", strata


#: Raised for ``unique_viewers="hll"`` with the summary engine, here, and with a Dask source, by the scan.
HLL_NEEDS_PACKED = "unique_viewers='hll' needs the packed engine (engine='auto' or 'packed', not a Dask source)"


# -- one check per public function --------------------------------------------------------------


def check_summarize(
    *,
    policy: PolicyLike | Sequence[PolicyLike],
    columns: Mapping[str, str] | ColumnMap | str | None,
    by: str | Sequence[str] | None,
    on_invalid: str,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress: bool | None,
    rounding_ms: Rounding,
    sample_rate: float | None,
    format: str | None = None,
) -> AuditOptions:
    """The arguments of :func:`viewaudit.summarize`, normalised."""
    policies, by_t, checked = _policies(policy), _by(by), _on_invalid(on_invalid)
    fmt, recording = _format(format, columns, rounding_ms, sample_rate)
    return AuditOptions(
        policies, as_column_map(columns), by_t, checked, rejects, progress, engine="summary", recording=recording, format=fmt
    )


def check_estimate(
    policy: Policy,
    by: tuple[str, ...],
    *,
    confidence_level: float,
    strata: str | None,
    frequency: int | None,
    population: float | None,
) -> EstimateOptions:
    """The arguments of :func:`viewaudit.estimate`, normalised; ``policy`` and ``by`` are the
    summary's (passed apart so that the checks need nothing from the scan)."""
    _policies(policy)
    _by(by)
    level = _confidence_level(confidence_level)
    k, people = _reach(frequency, population)
    if strata is not None and strata not in by:
        raise ValueError(f"strata={strata!r} must be one of the summary's group keys {by!r}")
    return EstimateOptions(level, strata, k, people)


def check_audit(
    *,
    policy: PolicyLike,
    columns: Mapping[str, str] | ColumnMap | str | None,
    by: str | Sequence[str] | None,
    on_invalid: str,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    confidence_level: float,
    progress: bool | None,
    engine: str,
    unique_viewers: str,
    hll_precision: int,
    rounding_ms: Rounding,
    sample_rate: float | None,
    strata: str | None,
    frequency: int | None,
    population: float | None,
    format: str | None = None,
) -> AuditOptions:
    """The arguments of :func:`viewaudit.audit`, normalised (checked in the order they always were)."""
    policies, by_t, checked = _policies(policy), _by(by), _on_invalid(on_invalid)
    level = _confidence_level(confidence_level)
    k, people = _reach(frequency, population)
    column_map = as_column_map(columns)
    fmt, recording = _format(format, columns, rounding_ms, sample_rate)
    engine_t, viewers, strata = _engine_options(engine, unique_viewers, hll_precision, by_t, strata, k)
    return AuditOptions(
        policies,
        column_map,
        by_t,
        checked,
        rejects,
        progress,
        engine_t,
        viewers,
        hll_precision,
        recording,
        EstimateOptions(level, strata, k, people),
        fmt,
    )


def check_compare(
    *,
    policies: Sequence[PolicyLike] | None,
    presets: Sequence[Policy],
    columns: Mapping[str, str] | ColumnMap | str | None,
    on_invalid: str,
    confidence_level: float,
    progress: bool | None,
    engine: str,
    rounding_ms: Rounding,
    sample_rate: float | None,
    strata: str | None,
    frequency: int | None,
    population: float | None,
    format: str | None = None,
    by: str | Sequence[str] | None = None,
) -> AuditOptions:
    """The arguments of :func:`viewaudit.compare`, normalised (``presets``: the policies when
    ``policies`` is None)."""
    chosen = list(presets) if policies is None else list(policies)
    resolved, checked = _policies(chosen), _on_invalid(on_invalid)
    level = _confidence_level(confidence_level)
    column_map = as_column_map(columns)
    fmt, recording = _format(format, columns, rounding_ms, sample_rate)
    k, people = _reach(frequency, population)
    by_t = _by(by)
    engine_t, viewers, strata = _engine_options(engine, "exact", 10, by_t, strata, k)
    return AuditOptions(
        resolved,
        column_map,
        by_t,
        checked,
        None,
        progress,
        engine_t,
        viewers,
        10,
        recording,
        EstimateOptions(level, strata, k, people),
        fmt,
    )
