"""Impression logs in the canonical schema, valid by construction.

A log is drawn as at most ``MAX_DISTINCT_ROWS`` distinct rows, each repeated some number of
times: a few draws make a log of thousands of rows ("very large counts") and shrinking removes
repeats and rows one by one. Ids come from small pools, so viewers see several items, authors
view their own items and one-viewer logs are common. For every kind of special row (null
viewer, bot, censored dwell, unmeasured row) a log is drawn as having none, some or (where the
share allows) all of them; the share bounds are kept while drawing, not checked afterwards.
Every column is drawn and the ones the log keeps are chosen last, so that shrinking drops
columns without disturbing the others' values.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Iterable
from typing import Any, cast

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from viewaudit._schema import DEFAULT_INTERACTIONS
from viewaudit._strategies._drawn_values import (
    ALLOWED_COLUMNS,
    BOT_AGENTS,
    DEFAULT_MAX_SIZE,
    FRACTION_EDGES,
    HUMAN_AGENTS,
    MAX_DISTINCT_ROWS,
    OPTIONAL_COLUMNS,
    TIME_EDGES,
    straddle,
)
from viewaudit._strategies._policies import as_strategy
from viewaudit._strategies._policies import policies as _policies
from viewaudit._strategies.reference_ladder import LadderTruth, reference_ladder

_EPOCH_MS_2100 = 4_102_444_800_000
_COIN = st.booleans()
# Inverse inclusion probabilities, round and awkward (for the weight sums): at least 1 (a
# smaller weight is a bad row), up to a large one.
_WEIGHTS = st.sampled_from((1.0, 2.0, 10.0, 3.0, 1.5, 1 / 0.3, 1e6, 1234.5678, 1e4))
_TIMES = st.integers(0, _EPOCH_MS_2100)
_TS_TYPES = st.sampled_from((pa.int64(), pa.timestamp("ms", tz="UTC")))
_HUMANS, _BOTS = st.sampled_from(HUMAN_AGENTS), st.sampled_from(BOT_AGENTS)
_GAPS = st.sets(st.sampled_from(("dwell_ms", "visible_fraction")), min_size=1)
_SIGNALS = st.sampled_from(("flag", "agent", "both"))
_INTERACTIONS = {base: st.integers(0, base ** len(DEFAULT_INTERACTIONS) - 1) for base in (2, 4)}
#: Time on screen is drawn up to about 11.5 days: large values, still physically possible.
_MAX_MS = 1e9


def _check_names(names: Iterable[Any], argument: str) -> frozenset[str]:
    names = list(names)
    for name in names:
        if not isinstance(name, str):
            raise InvalidArgument(f"{argument} must hold column names (str), got {name!r}")
    unknown = sorted(set(names) - ALLOWED_COLUMNS)
    if unknown:
        raise InvalidArgument(
            f"{argument} names unknown column(s) {', '.join(map(repr, unknown))}; expected canonical "
            f"columns or interactions: {', '.join(sorted(ALLOWED_COLUMNS))}"
        )
    return frozenset(names)


def column_sets(*, required: Collection[str] = (), optional: Collection[str] | None = None) -> st.SearchStrategy[frozenset[str]]:
    """Sets of column names for :func:`impression_logs`: ``item_id``, every ``required`` name
    and any subset of ``optional`` (default: every canonical column and the default
    interactions ``liked, replied, reposted, clicked, expanded``).

    Each optional column is kept about half the time; shrinks towards the fewest columns.
    """

    def build() -> st.SearchStrategy[frozenset[str]]:
        if isinstance(required, str) or (optional is not None and isinstance(optional, str)):
            raise InvalidArgument("required= and optional= take collections of column names, not a str")
        must = _check_names(required, "required") | {"item_id"}
        maybe = OPTIONAL_COLUMNS if optional is None else tuple(sorted(_check_names(optional, "optional")))
        maybe = tuple(c for c in maybe if c not in must)
        if not maybe:
            return st.just(must)

        # A few small integers, a bit per column: each column is kept about half the time,
        # the shrinker clears bits (drops columns) one at a time, and few choices make for a
        # fast shrink. (A switch for "every column" would make the bits irrelevant while it is
        # on, and the shrinker could then not turn it off.)
        chunks = [maybe[i : i + 4] for i in range(0, len(maybe), 4)]

        def pick(bits: tuple[int, ...]) -> frozenset[str]:
            return must | {c for chunk, b in zip(chunks, bits, strict=True) for k, c in enumerate(chunk) if b >> k & 1}

        return st.tuples(*(st.integers(0, 2 ** len(chunk) - 1) for chunk in chunks)).map(pick)

    return st.deferred(build)


def _share(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidArgument(f"{argument} must be a number in [0, 1], got {value!r}")
    return float(value)


def _sizes(min_size: Any, max_size: Any) -> tuple[int, int]:
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise InvalidArgument(f"min_size must be an integer >= 0, got {min_size!r}")
    if max_size is None:
        return min_size, max(min_size, DEFAULT_MAX_SIZE)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < min_size:
        raise InvalidArgument(f"max_size must be None or an integer >= min_size={min_size}, got {max_size!r}")
    return min_size, max_size


def _id_type(value: Any) -> type:
    if value not in (int, str):
        raise InvalidArgument(f"id_types must draw int or str, got {value!r}")
    return cast(type, value)


def _id_types(value: Any) -> st.SearchStrategy[type]:
    if value is None:
        return st.sampled_from((int, str))
    if isinstance(value, st.SearchStrategy):
        return value.map(_id_type)
    if isinstance(value, type):
        return st.just(_id_type(value))
    if isinstance(value, Collection) and value:
        return st.sampled_from(tuple(_id_type(v) for v in value))
    raise InvalidArgument(f"id_types must be int, str, a collection of them or a strategy, got {value!r}")


def _columns(value: Any) -> st.SearchStrategy[frozenset[str]]:
    if value is None:
        return column_sets()
    if isinstance(value, st.SearchStrategy):
        return value.map(lambda names: _check_names(names, "columns") | {"item_id"})
    if isinstance(value, str) or not isinstance(value, Collection):
        raise InvalidArgument(f"columns must be a collection of column names or a strategy, got {value!r}")
    return st.just(_check_names(value, "columns") | {"item_id"})


def _ids(kind: type) -> st.SearchStrategy[Any]:
    if kind is int:
        return st.integers(min_value=-(2**63), max_value=2**63 - 1)
    return st.text(max_size=8)


def _durations(edges: tuple[float, ...]) -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(edges), st.floats(min_value=0.0, max_value=_MAX_MS))


def _in_view_given_dwell(edges: tuple[float, ...]) -> st.SearchStrategy[tuple[str, float]]:
    """How in-view time relates to a measured dwell (in view at most as long as on screen):
    the same, a threshold capped at the dwell, a share of it, or not logged (dwell stands in)."""
    return st.one_of(
        st.just(("same", 1.0)),
        st.tuples(st.just("edge"), st.sampled_from(edges)),
        st.tuples(st.just("share"), st.floats(min_value=0.0, max_value=1.0)),
        st.just(("null", 0.0)),
    )


@functools.lru_cache(maxsize=64)
def _values(time_edges: tuple[float, ...], fraction_edges: tuple[float, ...]) -> tuple[st.SearchStrategy[Any], ...]:
    """Strategies for the measurements, built once per set of thresholds (building a strategy
    costs more than drawing from it, and shrinking draws thousands of logs)."""
    durations = _durations(time_edges)
    fractions = st.one_of(st.sampled_from(fraction_edges), st.floats(min_value=0.0, max_value=1.0))
    return durations, _in_view_given_dwell(time_edges), st.one_of(st.none(), durations), fractions


def _pool(draw: Any, kind: type, most: int) -> list[Any]:
    """Up to ``most`` distinct ids: one drawn value and its successors (0, 1, 2 or "", "1",
    "2" once shrunk), so that a pool costs two choices whatever its size."""
    size = draw(st.integers(1, most))
    first = draw(_ids(kind))
    if kind is int:  # successors wrap around within int64
        return [(first + i + 2**63) % 2**64 - 2**63 for i in range(size)]
    return [first + (str(i) if i else "") for i in range(size)]


def _in_view(dwell: float, how: tuple[str, float]) -> float | None:
    kind, value = how
    if kind == "null":
        return None
    if kind == "edge":
        return min(value, dwell)
    return dwell * value


class _Budget:
    """Running counts of special rows against their caps, so a drawn log never exceeds a share.

    One mode (none, some or all) per group of kinds: the four null columns share theirs, so
    "all logged out" comes with null authors, agents and times (each capped on its own).
    """

    def __init__(self, draw: Any, rows: int, shares: dict[str, float], kinds: Iterable[str]) -> None:
        self.draw = draw
        self.caps = {k: math.floor(shares[k.split(":")[0]] * rows + 1e-9) for k in kinds}
        self.used = dict.fromkeys(self.caps, 0)
        self.modes: dict[str, str] = {}
        for group in dict.fromkeys(k.split(":")[0] for k in self.caps):
            cap = min(c for k, c in self.caps.items() if k.split(":")[0] == group)
            options = ["none"] if cap == 0 else ["none", "some", "all"] if cap >= rows else ["none", "some"]
            self.modes[group] = draw(st.sampled_from(options)) if len(options) > 1 else "none"

    def take(self, kind: str, count: int) -> bool:
        """Whether the next distinct row (repeated ``count`` times) is of this special kind."""
        mode = self.modes.get(kind.split(":")[0], "none")
        if mode == "none" or self.used[kind] + count > self.caps[kind]:
            return False
        if mode == "some" and not self.draw(_COIN):
            return False
        self.used[kind] += count
        return True


def _multiplicities(draw: Any, low: int, high: int) -> list[int]:
    """How often each distinct row repeats: never, a few times, or (for one row) up to the
    whole size budget, which is where "very large counts" come from."""
    distinct = draw(st.integers(min(low, MAX_DISTINCT_ROWS), min(high, MAX_DISTINCT_ROWS)))
    counts = [1] * distinct
    repeats = draw(st.sampled_from(("none", "few", "many"))) if distinct and distinct < high else "none"
    if repeats != "none":
        few = st.integers(0, 3)
        for i in range(distinct):
            counts[i] += min(draw(few), high - sum(counts))
        if repeats == "many":
            heavy = draw(st.integers(0, distinct - 1))
            counts[heavy] += draw(st.integers(0, high - sum(counts)))
    if sum(counts) < low:  # the last row makes up the rest of min_size
        counts[-1] += low - sum(counts)
    return counts


def _draw_log(
    draw: Any,
    *,
    columns: st.SearchStrategy[frozenset[str]],
    sizes: tuple[int, int],
    id_types: st.SearchStrategy[type],
    shares: dict[str, float],
    time_edges: tuple[float, ...] = straddle(TIME_EDGES),
    fraction_edges: tuple[float, ...] = straddle(FRACTION_EDGES),
) -> pa.Table:
    # Every column is drawn and the columns to keep are drawn last: dropping a column while
    # shrinking then leaves every other value as it was, so failures shrink to narrow tables.
    # Dropping a column never raises a share (a row flagged only through a dropped column is no
    # longer special), except in_view_ms left without its stand-in, which is filled below.
    item_type, people_type = draw(id_types), draw(id_types)
    items = _pool(draw, item_type, 4)
    people = _pool(draw, people_type, 5)
    ts_type = draw(_TS_TYPES)
    counted = draw(_COIN)  # interactions as counts, not flags
    counts = _multiplicities(draw, *sizes)
    kinds = [f"null:{c}" for c in ("viewer_id", "author_id", "user_agent", "ts")]
    budget = _Budget(draw, sum(counts), shares, [*kinds, "bot", "censored", "unmeasured"])

    pick_item, pick_person = st.sampled_from(items), st.sampled_from(people)
    durations, in_view_how, maybe_duration, fractions = _values(time_edges, fraction_edges)
    # One choice for all five interactions (a digit each: base 4 as counts, base 2 as flags).
    base = 4 if counted else 2
    interacted = _INTERACTIONS[base]

    table: dict[str, list[Any]] = {c: [] for c in ("item_id", *OPTIONAL_COLUMNS)}
    for count in counts:
        row: dict[str, Any] = {"item_id": draw(pick_item)}
        for name in ("viewer_id", "author_id"):
            row[name] = None if budget.take(f"null:{name}", count) else draw(pick_person)
        row["ts"] = None if budget.take("null:ts", count) else draw(_TIMES)
        signal = draw(_SIGNALS) if budget.take("bot", count) else None
        row["is_bot"] = signal in ("flag", "both")
        if signal in ("agent", "both"):
            row["user_agent"] = draw(_BOTS)
        else:
            row["user_agent"] = None if budget.take("null:user_agent", count) else draw(_HUMANS)
        missing = draw(_GAPS) if budget.take("unmeasured", count) else set()
        dwell = row["dwell_ms"] = None if "dwell_ms" in missing else draw(durations)
        row["dwell_censored"] = dwell is not None and budget.take("censored", count)
        # In view at most as long as on screen; where dwell is not measured, either.
        row["in_view_ms"] = draw(maybe_duration) if dwell is None else _in_view(dwell, draw(in_view_how))
        row["visible_fraction"] = None if "visible_fraction" in missing else draw(fractions)
        row["weight"] = draw(_WEIGHTS)
        digits = draw(interacted)
        for k, name in enumerate(DEFAULT_INTERACTIONS):
            digit = digits // base**k % base
            row[name] = digit if counted else bool(digit)
        for name, value in row.items():
            table[name].append(value)

    keep = draw(columns)
    if "in_view_ms" in keep and "dwell_ms" not in keep:
        # Without dwell_ms nothing stands in for a missing in_view_ms: a measured row keeps its
        # time as in_view_ms, so that only unmeasured rows have it null.
        table["in_view_ms"] = [d if v is None else v for v, d in zip(table["in_view_ms"], table["dwell_ms"], strict=True)]
    types = {
        "item_id": pa.int64() if item_type is int else pa.string(),
        "viewer_id": pa.int64() if people_type is int else pa.string(),
        "author_id": pa.int64() if people_type is int else pa.string(),
        "ts": ts_type,
        "dwell_ms": pa.float64(),
        "dwell_censored": pa.bool_(),
        "in_view_ms": pa.float64(),
        "visible_fraction": pa.float64(),
        "is_bot": pa.bool_(),
        "user_agent": pa.string(),
        "weight": pa.float64(),
        **{c: pa.int64() if counted else pa.bool_() for c in DEFAULT_INTERACTIONS},
    }
    distinct = pa.table({c: pa.array(v, type=types[c]) for c, v in table.items() if c in keep})
    return distinct.take(pa.array(np.repeat(np.arange(len(counts)), counts), pa.int64()))


def impression_logs(
    *,
    columns: Collection[str] | st.SearchStrategy[Collection[str]] | None = None,
    min_size: int = 0,
    max_size: int | None = None,
    id_types: type | Collection[type] | st.SearchStrategy[type] | None = None,
    max_null_share: float = 1.0,
    max_bot_share: float = 1.0,
    max_censored_share: float = 1.0,
    max_unmeasured_share: float = 1.0,
) -> st.SearchStrategy[pa.Table]:
    """Impression logs: pyarrow Tables in the canonical schema that validate with no rejects.

    Parameters
    ----------
    columns
        Which columns the log holds: a collection of canonical names and interaction columns
        (``liked, replied, reposted, clicked, expanded``), or a strategy of such collections
        (see :func:`column_sets`). ``item_id`` is always present. Default: any subset.
    min_size, max_size
        Bounds on the number of rows. ``max_size=None`` draws at most 10 000 rows.
    id_types
        ``int`` or ``str`` ids (``item_id`` one type; ``viewer_id`` and ``author_id``
        another, shared): a type, a collection of types or a strategy of them. Default both.
    max_null_share
        Largest share of rows with a null ``viewer_id`` (a logged-out viewer), and likewise for
        ``author_id``, ``user_agent`` and ``ts``, each on its own.
    max_bot_share
        Largest share of invalid traffic: ``is_bot`` true or a ``user_agent`` that the default
        bot patterns match.
    max_censored_share
        Largest share of rows with ``dwell_censored`` true.
    max_unmeasured_share
        Largest share of rows with a measurement missing: ``dwell_ms`` or
        ``visible_fraction`` null, or ``in_view_ms`` null where there is no ``dwell_ms``.

    Every share is in [0, 1]: 0 draws no such row, 1 (the default) may draw a log of nothing
    else. Edge cases come by default: the empty log, one viewer, all bots, all logged out, all
    unmeasured, one row repeated thousands of times, ids at the ends of int64, dwell exactly at
    and just below each preset's threshold. Examples shrink towards few rows and few columns.
    """

    def build() -> st.SearchStrategy[pa.Table]:
        sizes = _sizes(min_size, max_size)
        shares = {
            "null": _share(max_null_share, "max_null_share"),
            "bot": _share(max_bot_share, "max_bot_share"),
            "censored": _share(max_censored_share, "max_censored_share"),
            "unmeasured": _share(max_unmeasured_share, "max_unmeasured_share"),
        }
        names = _columns(columns)
        kinds = _id_types(id_types)

        @st.composite
        def logs(draw: Any) -> pa.Table:
            return _draw_log(draw, columns=names, sizes=sizes, id_types=kinds, shares=shares)

        return logs()

    return st.deferred(build)


def impression_logs_with_truth(
    *,
    policies: st.SearchStrategy[Any] | None = None,
    columns: Collection[str] | st.SearchStrategy[Collection[str]] | None = None,
    min_size: int = 0,
    max_size: int | None = None,
    id_types: type | Collection[type] | st.SearchStrategy[type] | None = None,
    max_null_share: float = 1.0,
    max_bot_share: float = 1.0,
) -> st.SearchStrategy[tuple[pa.Table, LadderTruth]]:
    """Complete, fully measured logs with their exact view ladder: ``(log, truth)``.

    A policy is drawn from ``policies`` (default :func:`policies`) and the log's durations and
    pixel shares straddle that policy's thresholds. The log has no censored or unmeasured row
    and no ``weight`` (it is not a sample), so every rung is either exact or, where a column the
    policy needs is absent, cannot be determined. ``truth`` (a ``LadderTruth``) is computed
    row by row in plain Python from the rules as documented (``viewaudit._strategies.reference_ladder``), not by
    viewaudit's own code path. The log always holds the interaction columns the policy names.
    Other parameters as in :func:`impression_logs`.
    """

    def build() -> st.SearchStrategy[tuple[pa.Table, LadderTruth]]:
        sizes = _sizes(min_size, max_size)
        shares = {
            "null": _share(max_null_share, "max_null_share"),
            "bot": _share(max_bot_share, "max_bot_share"),
            "censored": 0.0,
            "unmeasured": 0.0,
        }
        unsampled = [c for c in OPTIONAL_COLUMNS if c != "weight"]
        names = column_sets(optional=unsampled) if columns is None else _columns(columns)
        drawn_policies = _policies() if policies is None else as_strategy(policies, "policies")
        kinds = _id_types(id_types)

        @st.composite
        def logs(draw: Any) -> tuple[pa.Table, LadderTruth]:
            policy = draw(drawn_policies)
            needed = set(policy.interactions or ())
            times = straddle((*TIME_EDGES, policy.min_in_view_ms, policy.attention_ms))
            fractions = straddle((*FRACTION_EDGES, policy.min_visible_fraction))
            log = _draw_log(
                draw,
                columns=names.map(lambda chosen: frozenset(chosen) | needed),
                sizes=sizes,
                id_types=kinds,
                shares=shares,
                time_edges=times,
                fraction_edges=fractions,
            )
            if "weight" in log.column_names:
                raise InvalidArgument("impression_logs_with_truth draws complete logs: columns may not hold 'weight'")
            return log, reference_ladder(log, policy)

        return logs()

    return st.deferred(build)
