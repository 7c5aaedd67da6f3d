"""Per-batch sufficient statistics of the view ladder, and how they merge.

A :class:`Summary` holds one row per (group keys, viewer) with the number of impressions on each
rung, the number whose ``viewable`` / ``attended`` status could not be determined, and, for
sampled logs, fixed-point sums of weights. Everything the estimators need (impressions, unique
viewers, per-viewer undetermined counts) is a function of that table, and two summaries merge
by concatenating their tables and summing again, so ``merge`` is associative and commutative and
``summarize(a + b) == merge(summarize(a), summarize(b))`` holds exactly (integer sums).

Logs with censored or floored times also keep, per group, the counts of rows whose time crosses
a threshold (by the code of their censoring time) and the dwell histograms those rows are
resolved with (:mod:`viewaudit._ladder.crossings`); both merge by adding counts. Logs with
exact times keep the dwell histogram only, which the report draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._hypothesis_plugin import register_type
from viewaudit._policy import Policy
from viewaudit._policy.bots import bot_regex
from viewaudit._read.granularity import Granularity
from viewaudit._read.validation import group_labels
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS
from viewaudit._scan.crossing_codes import batch_crossings, exact_histograms
from viewaudit._schema import DEFAULT_INTERACTIONS

#: Fixed-point scale of weight sums: weights are resolved to 1/65536 so that sums are exact
#: integers and do not depend on batch order or size.
WEIGHT_SCALE = 1 << 16
#: Fixed-point scale of squared-weight sums (used for variances only). They are held as float64:
#: exact (whole numbers) below 2**53, about 5.6e14 in squared weight, and a relative 1e-16 off
#: beyond, where int64 would overflow (one row of weight 7.6e8 does).
WEIGHT2_SCALE = 1 << 4
#: The largest sum of weights on one rung (estimated impressions, 2**46 = 7.04e13) the int64
#: fixed-point sums hold, with a factor 2 to spare for the float check of :func:`check_weight_sums`.
MAX_WEIGHT_SUM = float(2**62 // WEIGHT_SCALE)

#: Counter columns: n_<level> = impressions on the rung; u_<level> = impressions whose membership
#: could not be determined (dwell or visibility not measured, dwell censored below threshold).
COUNT_COLUMNS: tuple[str, ...] = (
    *(f"n_{level}" for level in LEVELS),
    "u_viewable",
    "u_attended",
)
WEIGHT_COLUMNS: tuple[str, ...] = tuple(f"w_{c[2:]}" if c.startswith("n_") else f"uw_{c[2:]}" for c in COUNT_COLUMNS) + tuple(
    f"w2_{c[2:]}" if c.startswith("n_") else f"uw2_{c[2:]}" for c in COUNT_COLUMNS
)


def _frozen_names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(names)


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


def _freeze_counts(value: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(value.items())}


def _table_eq(a: pa.Table, b: pa.Table) -> bool:
    return bool(a.equals(b))


def _optional_table_eq(a: pa.Table | None, b: pa.Table | None) -> bool:
    return a is b if a is None or b is None else bool(a.equals(b))


#: Crossing-count table columns after the group keys.
CROSSING_KEYS = ("level", "code")


@attrs.frozen
class Summary:
    """Mergeable sufficient statistics of one log (or one batch of it) under one policy."""

    policy: Policy
    by: tuple[str, ...]
    table: pa.Table = attrs.field(eq=attrs.cmp_using(eq=_table_eq), repr=False)
    rows_read: int
    rejected: dict[str, int] = attrs.field(converter=_freeze_counts)
    excluded: dict[str, int] = attrs.field(converter=_freeze_counts)
    columns_seen: frozenset[str] = attrs.field(converter=_frozen_names)
    interactions: tuple[str, ...] = attrs.field(converter=_names)
    weighted: bool = False
    #: The log's dwell and in-view times are floored to multiples of this (0: not rounded).
    rounding_ms: float = 0.0
    #: Rows whose time crosses a threshold, counted per (group keys, ``level``, ``code``):
    #: level 0 is viewable, 1 attended; codes as in :mod:`viewaudit._ladder.crossings`. None: none.
    crossings: pa.Table | None = attrs.field(default=None, eq=attrs.cmp_using(eq=_optional_table_eq), repr=False)
    #: The time histograms (viewable, attended) the crossing rows are resolved with; where no time
    #: is censored or rounded, only the dwell's, for the report (None: no batch was summarized).
    histograms: tuple[DwellHistogram, DwellHistogram] | None = attrs.field(default=None, repr=False)
    #: Measurement columns present but holding no value in the whole log: a rung they leave
    #: undetermined cannot be determined (:func:`~viewaudit._ladder.figures.undeterminable_reasons`).
    empty_columns: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_names)
    #: Values of accepted rows that could not be read and were made null (``ts``), per reason.
    nulled: dict[str, int] = attrs.field(factory=dict, converter=_freeze_counts)
    #: How ``rounding_ms`` was read from the log's time columns (empty: it was given, not read).
    granularity: tuple[Granularity, ...] = ()
    #: Time columns whose values look like another unit than ms, in words (the warnings of the
    #: first look at the times; empty where the unit was declared or the look not taken).
    units: tuple[str, ...] = ()
    #: Per estimated rung, the valid rows by what they measured of the rung's inputs
    #: (:func:`measurement_patterns`).
    measurement_patterns: dict[str, int] = attrs.field(factory=dict, converter=_freeze_counts)

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - sum(self.rejected.values())

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.by, "viewer_id")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickle the table as Arrow IPC read back into pool-allocated (64-byte aligned) memory:
        # a plainly unpickled table may be misaligned, which Acero's group-by warns about.
        fields = {a.name: getattr(self, a.name) for a in attrs.fields(Summary) if a.name not in ("table", "crossings")}
        crossings = None if self.crossings is None else _table_to_ipc(self.crossings)
        return (_unpickle_summary, (fields, _table_to_ipc(self.table), crossings))

    def canonical(self) -> Summary:
        """The same summary with its tables compacted and sorted by keys (for comparison)."""
        table = compact(self.table, self.keys)
        order = pc.sort_indices(table, [(k, "ascending") for k in self.keys])
        crossings = self.crossings
        if crossings is not None:
            keys = (*self.by, *CROSSING_KEYS)
            crossings = compact(crossings, keys)
            crossings = crossings.take(pc.sort_indices(crossings, [(k, "ascending") for k in keys])).combine_chunks()
        return attrs.evolve(self, table=table.take(order).combine_chunks(), crossings=crossings)

    def ungrouped(self) -> Summary:
        """The summary of the whole log (group keys dropped, counts summed per viewer)."""
        return self.regrouped(())

    def regrouped(self, by: Sequence[str]) -> Summary:
        """The summary grouped by ``by``, a subset of its group keys (the others dropped and
        the counts summed)."""
        by = tuple(by)
        if by == self.by:
            return self
        if not set(by) <= set(self.by):
            raise ValueError(f"can only regroup by a subset of {self.by!r}, got {by!r}")
        dropped = [b for b in self.by if b not in by]
        crossings = self.crossings
        if crossings is not None:
            crossings = compact(crossings.drop_columns(dropped), (*by, *CROSSING_KEYS))
        table = compact(self.table.drop_columns(dropped), (*by, "viewer_id"))
        return attrs.evolve(self, by=by, table=table, crossings=crossings)


def _table_to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _table_from_ipc(ipc: bytes) -> pa.Table:
    buffer = pa.allocate_buffer(len(ipc))
    memoryview(buffer).cast("B")[:] = ipc
    return pa.ipc.open_stream(buffer).read_all()


def aligned(table: pa.Table) -> pa.Table:
    """A copy of ``table`` in Arrow's pool memory (64-byte aligned buffers).

    Tables built zero-copy on unpickled numpy arrays (a Dask partition) can be misaligned.
    """
    return _table_from_ipc(_table_to_ipc(table))


def _unpickle_summary(fields: dict[str, Any], ipc: bytes, crossings: bytes | None = None) -> Summary:
    return Summary(table=_table_from_ipc(ipc), crossings=None if crossings is None else _table_from_ipc(crossings), **fields)


def _counter_names(weighted: bool) -> list[str]:
    return [*COUNT_COLUMNS, *WEIGHT_COLUMNS] if weighted else list(COUNT_COLUMNS)


def compact(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Sum the counter columns of rows that share their keys."""
    counters = [c for c in table.column_names if c not in keys]
    if table.num_rows == 0:
        return table
    out = table.group_by(list(keys), use_threads=False).aggregate([(c, "sum") for c in counters])
    return out.rename_columns([f[:-4] if f.endswith("_sum") else f for f in out.column_names]).select([*keys, *counters])


def _add_weights(table: pa.Table) -> pa.Table:
    """Give an unweighted table the fixed-point weight columns of weight 1."""
    if "w_rendered" in table.column_names:
        return table
    extra = {}
    for c in COUNT_COLUMNS:
        stem = c[2:]
        w, w2 = ("w_", "w2_") if c.startswith("n_") else ("uw_", "uw2_")
        extra[w + stem] = pc.multiply(table[c], WEIGHT_SCALE)
        extra[w2 + stem] = pc.multiply(table[c], WEIGHT2_SCALE).cast(pa.float64())
    for name in WEIGHT_COLUMNS:
        table = table.append_column(name, extra[name])
    return table


def _common_key_types(tables: list[pa.Table], keys: Sequence[str]) -> list[pa.Table]:
    """Where parts disagree on a key's type beyond integer widths (ids read as text from a CSV
    file and as integers from a Parquet file), every part gets that key as text."""
    for key in keys:
        types = {t.schema.field(key).type for t in tables}
        if len(types) > 1 and not all(pa.types.is_integer(k) or pa.types.is_null(k) for k in types):
            tables = [t.set_column(t.schema.get_field_index(key), key, t[key].cast(pa.string())) for t in tables]
    return tables


def merge(*summaries: Summary) -> Summary:
    """Merge summaries of disjoint parts of one log (associative and commutative)."""
    if not summaries:
        raise ValueError("merge needs at least one summary")
    first = summaries[0]
    for s in summaries[1:]:
        if s.policy != first.policy:
            raise ValueError(f"cannot merge summaries under different policies: {first.policy.name!r} and {s.policy.name!r}")
        if s.by != first.by:
            raise ValueError(f"cannot merge summaries grouped by {first.by!r} and {s.by!r}")
        if s.rounding_ms != first.rounding_ms:
            raise ValueError(f"cannot merge summaries of logs rounded to {first.rounding_ms} ms and {s.rounding_ms} ms")
    weighted = any(s.weighted for s in summaries)
    tables = [_add_weights(s.table) if weighted else s.table for s in summaries]
    # An empty part adds nothing, and its key types (say, int64 ids of a part that never saw a
    # row) need not match the others'.
    tables = _common_key_types([t for t in tables if t.num_rows] or tables[:1], first.keys)
    if weighted:
        check_weight_sums(tables)
    table = compact(pa.concat_tables(tables, promote_options="permissive"), first.keys)
    rejected: dict[str, int] = {}
    excluded: dict[str, int] = {}
    nulled: dict[str, int] = {}
    patterns: dict[str, int] = {}
    for s in summaries:
        for k, v in s.measurement_patterns.items():
            patterns[k] = patterns.get(k, 0) + v
        for k, v in s.rejected.items():
            rejected[k] = rejected.get(k, 0) + v
        for k, v in s.nulled.items():
            nulled[k] = nulled.get(k, 0) + v
        for k, v in s.excluded.items():
            excluded[k] = excluded.get(k, 0) + v
    crossing_tables = [s.crossings for s in summaries if s.crossings is not None]
    crossings = None
    if crossing_tables:
        crossing_tables = _common_key_types([t for t in crossing_tables if t.num_rows] or crossing_tables[:1], first.by)
        crossings = compact(pa.concat_tables(crossing_tables, promote_options="permissive"), (*first.by, *CROSSING_KEYS))
    histograms = [s.histograms for s in summaries if s.histograms is not None]
    merged_histograms = None
    if histograms:
        merged_histograms = (
            histograms[0][0].merge(*(h[0] for h in histograms[1:])),
            histograms[0][1].merge(*(h[1] for h in histograms[1:])),
        )
    return Summary(
        policy=first.policy,
        by=first.by,
        table=table,
        rounding_ms=first.rounding_ms,
        crossings=crossings,
        histograms=merged_histograms,
        rows_read=sum(s.rows_read for s in summaries),
        rejected=rejected,
        nulled=nulled,
        excluded=excluded,
        columns_seen=frozenset().union(*(s.columns_seen for s in summaries)),
        empty_columns=merged_empty_columns((s.columns_seen, s.empty_columns) for s in summaries),
        interactions=sorted(set().union(*(s.interactions for s in summaries))),
        weighted=weighted,
        granularity=first.granularity if all(s.granularity == first.granularity for s in summaries) else (),
        units=first.units if all(s.units == first.units for s in summaries) else (),
        measurement_patterns=patterns,
    )


def check_weight_sums(tables: Sequence[pa.Table]) -> None:
    """Raise where the weights of the tables' rows sum past :data:`MAX_WEIGHT_SUM`, which the
    int64 fixed-point sums cannot hold (every rung's rows are among the rendered ones)."""
    total = sum(float(pc.sum(t["w_rendered"].cast(pa.float64())).as_py() or 0.0) for t in tables) / WEIGHT_SCALE
    if total > MAX_WEIGHT_SUM:
        raise ValueError(
            f"column 'weight': the weights of one rung sum to {total:.4g}, above the {MAX_WEIGHT_SUM:.4g} (2**46) "
            "impressions an audit holds exactly; audit the log in parts"
        )


#: Columns that measure an impression: a rung that needs one is undeterminable without it.
MEASUREMENT_COLUMNS = ("dwell_ms", "in_view_ms", "visible_fraction")


def empty_measurements(log: pa.Table) -> frozenset[str]:
    """The measurement columns of ``log`` that hold no value at all (every row null)."""
    return frozenset(n for n in MEASUREMENT_COLUMNS if n in log.column_names and log[n].null_count == len(log[n]))


def merged_empty_columns(parts: Iterable[tuple[frozenset[str], frozenset[str]]]) -> frozenset[str]:
    """Of (columns seen, empty columns) per part, the columns empty in the whole log: empty in
    some part and holding a value in none."""
    empty: set[str] = set()
    valued: set[str] = set()
    for seen, part_empty in parts:
        empty |= part_empty
        valued |= seen - part_empty
    return frozenset(empty - valued)


def interaction_columns(policy: Policy, names: Iterable[str]) -> tuple[str, ...]:
    """The interaction columns a policy uses on a source with these column names."""
    if policy.interactions is not None:
        return policy.interactions
    present = set(names)
    return tuple(c for c in DEFAULT_INTERACTIONS if c in present)


def _at_least(values: pa.Array | None, threshold: float, censored: pa.Array | None, rounding_ms: float = 0.0) -> pa.Array | None:
    """``values >= threshold`` with nulls where unmeasured, censored below the threshold, or
    floored to a multiple of ``rounding_ms`` whose interval ``[v, v + rounding_ms)`` contains it."""
    if values is None:
        return None
    meets = pc.greater_equal(values, threshold)
    if rounding_ms > 0:
        straddles = pc.and_(pc.invert(meets), pc.greater(pc.add(values, rounding_ms), threshold))
        meets = pc.if_else(straddles, None, meets)
    if censored is not None:
        # A censored value is a lower bound: reaching the threshold is certain, missing it is not.
        meets = pc.if_else(pc.and_(censored, pc.invert(pc.fill_null(meets, False))), None, meets)
    return meets


def rung_masks(log: pa.Table, policy: Policy, interactions: Sequence[str], rounding_ms: float = 0.0) -> dict[str, Any]:
    """Per-row rung membership: booleans for rendered/valid/engaged, three-valued (null =
    undetermined) for viewable/attended; the per-rule exclusion masks; and, under ``timing``,
    what :func:`~viewaudit._scan.crossing_codes.batch_crossings` needs to resolve rows whose time
    crosses a threshold (``rounding_ms``: the log's times are floored to multiples of it)."""
    n = log.num_rows
    cols = set(log.column_names)
    false = pa.array(np.zeros(n, dtype=bool))

    def col(name: str) -> pa.Array | None:
        return log[name].combine_chunks() if name in cols else None

    by_flag = col("is_bot") if policy.use_bot_flag and "is_bot" in cols else false
    ua = col("user_agent")
    if ua is not None and policy.bot_user_agents:
        # Match each distinct user agent once: a log holds few of them, and the regex costs
        # hundreds of ns per row where the hashing costs tens (same result, nulls included).
        distinct = ua.dictionary_encode() if not pa.types.is_dictionary(ua.type) else ua
        hits = pc.match_substring_regex(distinct.dictionary, bot_regex(policy.bot_user_agents))
        by_agent = pc.fill_null(pc.take(hits, distinct.indices), False)
    else:
        by_agent = false
    if policy.exclude_self_views and "viewer_id" in cols and "author_id" in cols:
        viewer, author = log["viewer_id"].combine_chunks(), log["author_id"].combine_chunks()
        if viewer.type != author.type:
            viewer, author = viewer.cast(pa.string()), author.cast(pa.string())
        by_self = pc.fill_null(pc.equal(viewer, author), False)
    else:
        by_self = false
    valid = pc.invert(pc.or_(pc.or_(by_flag, by_agent), by_self))

    censored = col("dwell_censored")
    dwell = col("dwell_ms")
    in_view = col("in_view_ms")
    if in_view is not None and dwell is not None:
        in_view = pc.coalesce(in_view, dwell)
    elif in_view is None:
        in_view = dwell
    # dwell_censored says the dwell is a lower bound. The in-view time is one too only where it
    # lasted to the end of the logged dwell (in view when the session ended); a shorter in-view
    # time ended before the session did and is complete.
    in_view_censored = censored
    if censored is not None and in_view is not None and dwell is not None:
        in_view_censored = pc.and_(censored, pc.fill_null(pc.greater_equal(in_view, dwell), True))

    true = pa.array(np.ones(n, dtype=bool))
    if policy.min_visible_fraction > 0:
        fraction = col("visible_fraction")
        visible = pc.greater_equal(fraction, policy.min_visible_fraction) if fraction is not None else pa.nulls(n, pa.bool_())
    else:
        visible = true
    if policy.min_in_view_ms > 0:
        long_enough = _at_least(in_view, policy.min_in_view_ms, in_view_censored, rounding_ms)
        if long_enough is None:
            long_enough = pa.nulls(n, pa.bool_())
    else:
        long_enough = true
    viewable = pc.and_kleene(valid, pc.and_kleene(visible, long_enough))
    if policy.attention_ms > 0:
        attentive = _at_least(dwell, policy.attention_ms, censored, rounding_ms)
        if attentive is None:
            attentive = pa.nulls(n, pa.bool_())
    else:
        attentive = true
    attended = pc.and_kleene(viewable, attentive)

    engaged = false
    for name in interactions:
        engaged = pc.or_(engaged, col(name))
    engaged = pc.and_(valid, engaged)

    def times(values: pa.Array | None) -> np.ndarray:
        if values is None:
            return np.full(n, np.nan)
        return np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)

    def flags(mask: pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(mask, False), dtype=bool)

    def open_(mask: pa.Array) -> np.ndarray:
        return np.asarray(pc.is_null(mask), dtype=bool)

    def inputs() -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
        # Per estimated rung that reads two inputs or more (the only ones whose patterns are
        # counted), what it reads, each as (measured, meets its rule) per row: the visible share,
        # the in-view time, the dwell (a rule at 0 reads nothing). An input read by two rungs is
        # converted once.
        def measured(values: pa.Array | None) -> np.ndarray:
            return np.zeros(n, dtype=bool) if values is None else np.asarray(pc.is_valid(values), dtype=bool)

        read = {
            "visible_fraction": (col("visible_fraction"), visible),
            "in_view": (in_view, long_enough),
            "dwell": (dwell, attentive),
        }
        done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

        def converted(name: str) -> tuple[np.ndarray, np.ndarray]:
            if name not in done:
                done[name] = (measured(read[name][0]), flags(read[name][1]))
            return done[name]

        names = {level: rung_inputs(policy, level) for level in ESTIMATED_LEVELS}
        return {level: [converted(name) for name in names[level]] for level in ESTIMATED_LEVELS if len(names[level]) >= 2}

    return {
        "valid": valid,
        "viewable": viewable,
        "attended": attended,
        "engaged": engaged,
        "excluded": {"is_bot": by_flag, "user_agent": by_agent, "self_view": by_self},
        "inputs": inputs,
        # Computed on demand: most logs have no censored or rounded times to resolve.
        "visible_dwell": lambda: (times(dwell), flags(pc.and_kleene(valid, visible))),
        "timing": lambda: {
            "in_view": times(in_view),
            "dwell": times(dwell),
            "in_view_is_dwell": "in_view_ms" not in cols,
            "censored": flags(censored) if censored is not None else np.zeros(n, dtype=bool),
            "in_view_censored": flags(in_view_censored) if in_view_censored is not None else np.zeros(n, dtype=bool),
            "visible": flags(pc.and_kleene(valid, visible)),
            "viewable": flags(viewable),
            "in_view_open": open_(long_enough),
            "dwell_open": open_(attentive),
            "dwell_met": flags(attentive),
        },
    }


def _as_int(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False), dtype=np.int64)


def summarize_table(
    log: pa.Table,
    *,
    policy: Policy,
    by: Sequence[str] = (),
    interactions: Sequence[str] | None = None,
    rows_read: int | None = None,
    rejected: Mapping[str, int] | None = None,
    rounding_ms: float = 0.0,
    nulled: Mapping[str, int] | None = None,
) -> Summary:
    """Summarize validated canonical rows (the output of validation) under one policy."""
    if interactions is None:
        interactions = interaction_columns(policy, log.column_names)
    by = tuple(by)
    n = log.num_rows
    # A canonical column grouped by (by="visible_fraction") is read as a number, not a label.
    labels = {name: group_labels(log[name]) for name in by}
    masks = rung_masks(log, policy, interactions, rounding_ms)
    crossings = histograms = None
    codes: dict[str, np.ndarray] | None = None
    if crossings_possible(log.column_names, rounding_ms):
        hists, codes = batch_crossings(masks["timing"](), policy, rounding_ms)
        histograms = (hists["viewable"], hists["attended"])
        parts = []
        for level_code, level in enumerate(("viewable", "attended")):
            rows = np.flatnonzero(codes[level] >= 0)
            part = {name: labels[name].take(pa.array(rows)) for name in by}
            part["level"] = pa.array(np.full(rows.size, level_code, dtype=np.int8))
            part["code"] = pa.array(codes[level][rows])
            part["count"] = pa.array(np.ones(rows.size, dtype=np.int64))
            parts.append(pa.table(part))
        crossings = compact(pa.concat_tables(parts), (*by, *CROSSING_KEYS))
    else:
        dwell, visible = masks["visible_dwell"]()
        hists = exact_histograms(dwell, visible, policy)
        histograms = (hists["viewable"], hists["attended"])
    counts: dict[str, np.ndarray] = {
        "n_rendered": np.ones(n, dtype=np.int64),
        "n_valid": _as_int(masks["valid"]),
        "n_viewable": _as_int(masks["viewable"]),
        "n_attended": _as_int(masks["attended"]),
        "n_engaged": _as_int(masks["engaged"]),
        "u_viewable": np.asarray(pc.is_null(masks["viewable"]), dtype=np.int64),
        "u_attended": np.asarray(pc.is_null(masks["attended"]), dtype=np.int64),
    }
    weighted = "weight" in log.column_names
    if weighted:
        w = np.asarray(log["weight"].combine_chunks().to_numpy(zero_copy_only=False), dtype=np.float64)
        # Validation holds weights to [1, MAX_WEIGHT]: wq fits int64, w2q is a float.
        wq = np.rint(w * WEIGHT_SCALE).astype(np.int64)
        w2q = np.rint(w * w * WEIGHT2_SCALE)
        for c in COUNT_COLUMNS:
            stem = c[2:]
            w_name, w2_name = ("w_", "w2_") if c.startswith("n_") else ("uw_", "uw2_")
            counts[w_name + stem] = counts[c] * wq
            counts[w2_name + stem] = counts[c] * w2q
        counts = {name: counts[name] for name in _counter_names(True)}
    keys: dict[str, pa.Array] = dict(labels)
    keys["viewer_id"] = log["viewer_id"] if "viewer_id" in log.column_names else pa.nulls(n, pa.int64())
    table = pa.table({**keys, **{k: pa.array(v) for k, v in counts.items()}})
    if weighted:
        check_weight_sums([table])
    excluded = {rule: int(np.count_nonzero(_as_int(mask))) for rule, mask in masks["excluded"].items()}
    return Summary(
        policy=policy,
        by=by,
        table=compact(table, (*by, "viewer_id")),
        rows_read=n if rows_read is None else rows_read,
        rejected=dict(rejected or {}),
        nulled=dict(nulled or {}),
        excluded=excluded,
        measurement_patterns=measurement_patterns(masks, None if codes is None else {k: c >= 0 for k, c in codes.items()}),
        columns_seen=frozenset(log.column_names),
        empty_columns=empty_measurements(log),
        interactions=interactions,
        weighted=weighted,
        rounding_ms=float(rounding_ms),
        crossings=crossings,
        histograms=histograms,
    )


def unchecked_rules(summary: Summary) -> dict[str, str]:
    """The policy's invalid-traffic rules the log could not apply, each with why: a rule reads a
    column the log lacks, or holds no value in. Their count of 0 is no evidence of none."""
    valued = summary.columns_seen - summary.empty_columns
    policy = summary.policy
    out = {}
    if policy.use_bot_flag and "is_bot" not in valued:
        out["is_bot"] = "no is_bot column"
    if policy.bot_user_agents and "user_agent" not in valued:
        out["user_agent"] = "no user_agent column"
    if policy.exclude_self_views and not {"viewer_id", "author_id"} <= valued:
        out["self_view"] = "no author_id column" if "viewer_id" in valued else "no viewer_id column"
    return out


def rung_inputs(policy: Policy, level: str) -> list[str]:
    """What an estimated rung reads under ``policy``, in the order of the bits of
    :func:`measurement_patterns`: the visible share, the in-view time, the dwell (a rule at 0
    reads nothing)."""
    viewable = [
        *(["visible_fraction"] if policy.min_visible_fraction > 0 else []),
        *(["in_view"] if policy.min_in_view_ms > 0 else []),
    ]
    return [*viewable, *(["dwell"] if policy.attention_ms > 0 else [])] if level == "attended" else viewable


def measurement_patterns(
    masks: Mapping[str, Any],
    crossing: Mapping[str, np.ndarray] | None,
    rows: tuple[np.ndarray, Mapping[str, np.ndarray]] | None = None,
) -> dict[str, int]:
    """Per estimated rung that reads two inputs or more, the valid rows by what they measured.

    Inputs are numbered in the order of ``masks["inputs"]`` (visible share, in-view time, dwell);
    a set of them is a bit mask. Keys: ``"{level}:p"``, the rows that measured some of the inputs
    but not all; ``"{level}:u{M}"``, the undetermined rows that measured the set ``M`` (not all),
    their crossing rows (``crossing``: per rung, resolved by the time histograms) left out;
    ``"{level}:d{T}"``, the rows that measured every input, by the set ``T`` of the rules they
    meet. An undetermined row meets every rule it measured: its chance of being on the rung is
    that of a row measured in full that meets them (:func:`viewaudit._ladder.figures`).

    ``rows``: the rows' validity and, per rung, whether it is open (its mask null), when the
    caller has them as arrays already (converting the masks again costs more than the counts).
    """
    valid = np.asarray(pc.fill_null(masks["valid"], False), dtype=bool) if rows is None else rows[0]
    out: dict[str, int] = {}
    for level, inputs in masks["inputs"]().items():
        if len(inputs) < 2:
            continue
        full = (1 << len(inputs)) - 1
        # One small code per row, counted by one bincount: the inputs measured (bits 0-2), the
        # rules met among them (bits 3-5), and the row's state (below). uint8 and one pass per
        # input keep this at a few operations a row.
        code = np.zeros(valid.size, dtype=np.uint8)
        for i, (m, ok) in enumerate(inputs):
            code |= m.view(np.uint8) << np.uint8(i)
            code |= (m & ok).view(np.uint8) << np.uint8(3 + i)
        # State: 0 determined, 1 open but resolved by the time histograms (a crossing row),
        # 2 undetermined; 3 an invalid row, not counted.
        open_ = np.asarray(pc.is_null(masks[level]), dtype=bool) if rows is None else rows[1][level]
        state = open_.view(np.uint8) << np.uint8(1)
        if crossing is not None:
            state -= (open_ & crossing[level]).view(np.uint8)
        state[~valid] = 3
        counts = np.bincount(code | (state << np.uint8(6)), minlength=256)[:192].reshape(3, 8, 8)
        by_code = counts.sum(axis=0).sum(axis=0)  # per set of inputs measured, any state or rule
        out[f"{level}:p"] = int(by_code[1:full].sum())
        by_measured = counts[2].sum(axis=0)[: full + 1].copy()
        by_measured[full] = 0
        by_met = counts[0, :, full][: full + 1]
        out.update({f"{level}:u{m}": int(c) for m, c in enumerate(by_measured) if c})
        out.update({f"{level}:d{t}": int(c) for t, c in enumerate(by_met) if c})
    return out


def crossings_possible(columns: Iterable[str], rounding_ms: float) -> bool:
    """Whether a log with these columns can hold rows whose time crosses a threshold."""
    return rounding_ms > 0 or "dwell_censored" in set(columns)


# So that ``st.from_type(Summary)`` works when Hypothesis was imported first.
register_type(Summary)
