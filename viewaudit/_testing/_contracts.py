"""The estimator contracts: what is drawn for each, and what must hold on it.

An estimator maps an impression log (a pyarrow Table) to a number. Its ``kind`` says which
laws it must obey:

* ``count`` (impressions on a rung, say): non-negative, at most the rows, row-order invariant,
  additive over disjoint logs, doubled when every row is duplicated;
* ``unique`` (distinct viewers): non-negative, row-order invariant, unchanged when rows are
  duplicated, and for a union at least the larger and at most the sum of its parts;
* ``rate`` (a share): in [0, 1], row-order invariant, unchanged when every row is duplicated.

Optional contracts: monotonicity in a threshold, and a bound by a rung's exact count under a
policy (from the plain-Python reference rules, ``viewaudit._strategies.reference_ladder``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

from viewaudit._policy import Policy
from viewaudit._rungs import Level
from viewaudit._strategies._drawn_values import FRACTION_EDGES, TIME_EDGES, straddle
from viewaudit._strategies.reference_ladder import rung_upper_bounds
from viewaudit._testing._tables import format_log

Kind = Literal["count", "unique", "rate"]
KINDS: tuple[Kind, ...] = ("count", "unique", "rate")


@attrs.frozen
class Threshold:
    """A keyword of the estimator, and how the estimate must move as it grows."""

    name: str
    direction: Literal["increasing", "decreasing"]
    low: float
    high: float
    #: Log columns whose values are worth drawing as thresholds (where an estimate changes).
    columns: tuple[str, ...] = ("dwell_ms", "in_view_ms")


@attrs.frozen
class Options:
    """Normalised arguments of :func:`check_estimator`."""

    kind: Kind
    logs: st.SearchStrategy[pa.Table]
    threshold: Threshold | None
    at_most: Level | None
    policy: Policy
    allow_nan: bool
    rtol: float
    atol: float


class Broken(Exception):
    """A contract does not hold on the drawn case; the message says how."""


@attrs.frozen(repr=False)
class Case:
    """What one example of a contract is made of: labelled logs and a note (reordering,
    thresholds) for the message."""

    logs: tuple[tuple[str, pa.Table], ...]
    note: str = ""
    data: Any = None

    def __getitem__(self, label: str) -> pa.Table:
        return dict(self.logs)[label]

    def describe(self) -> str:
        parts = [f"{label}: {format_log(log)}" for label, log in self.logs]
        return "\n".join([*parts, *([self.note] if self.note else [])])

    def __repr__(self) -> str:  # hypothesis prints this in its "Falsifying example" note
        return "Case(" + ", ".join(f"{label}={log.num_rows} rows" for label, log in self.logs) + ")"


def call(estimator: Callable[..., Any], log: pa.Table, options: Options, **keywords: float) -> float:
    """The estimate as a float; a crash, a non-number, infinity or a forbidden NaN breaks the
    contract being checked."""
    try:
        value = estimator(log, **keywords)
    except Exception as err:
        raise Broken(f"the estimator raised {type(err).__name__}: {err}") from err
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise Broken(f"the estimator returned {value!r} ({type(value).__name__}), not a real number")
    out = float(value)
    if math.isinf(out):
        raise Broken(f"the estimator returned {out!r}")
    if math.isnan(out) and not options.allow_nan:
        raise Broken("the estimator returned NaN (pass allow_nan=True if NaN means 'cannot be determined')")
    return out


def _tol(options: Options, *values: float) -> float:
    return options.atol + options.rtol * max((abs(v) for v in values), default=0.0)


def same(x: float, y: float, options: Options) -> bool:
    """Equal within tolerance; NaN equals only NaN."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= _tol(options, x, y)


def at_most(x: float, y: float, options: Options) -> bool:
    """``x <= y`` within tolerance; NaN ("cannot be determined") is exempt from order laws."""
    return math.isnan(x) or math.isnan(y) or x <= y + _tol(options, x, y)


# --- what each contract draws -------------------------------------------------------------


def _single(options: Options) -> st.SearchStrategy[Case]:
    return options.logs.map(lambda log: Case((("log", log),)))


def _reordered(options: Options) -> st.SearchStrategy[Case]:
    def build(log: pa.Table, seed: int) -> Case:
        order = np.random.default_rng(seed).permutation(log.num_rows)
        shown = f"{order.tolist()}" if log.num_rows <= 30 else f"a shuffle (numpy seed {seed})"
        return Case((("log", log),), note=f"reordered: rows taken in the order {shown}", data=order)

    return st.builds(build, options.logs, st.integers(0, 2**32 - 1))


def _split(options: Options) -> st.SearchStrategy[Case]:
    """A log and a partition of its rows into two parts (a repeating in/out pattern)."""

    def build(log: pa.Table, pattern: list[bool]) -> Case:
        mask = np.resize(np.array(pattern, dtype=bool), log.num_rows)
        a, b = log.filter(pa.array(mask)), log.filter(pa.array(~mask))
        return Case((("part a", a), ("part b", b)), data=log)

    return st.builds(build, options.logs, st.lists(st.booleans(), min_size=1, max_size=8))


def _with_thresholds(options: Options) -> st.SearchStrategy[Case]:
    threshold = options.threshold
    assert threshold is not None
    edges = straddle(FRACTION_EDGES if threshold.columns == ("visible_fraction",) else TIME_EDGES)

    @st.composite
    def build(draw: Any) -> Case:
        log = draw(options.logs)
        # Thresholds at the log's own values are where an estimate changes: draw those often.
        seen = {v for c in threshold.columns if c in log.column_names for v in log[c].to_pylist() if v is not None}
        candidates = sorted(v for v in {*edges, *seen} if threshold.low <= v <= threshold.high)
        values = st.one_of(
            st.sampled_from(candidates) if candidates else st.nothing(),
            st.floats(min_value=threshold.low, max_value=threshold.high),
        )
        t1, t2 = sorted((draw(values), draw(values)))
        return Case((("log", log),), note=f"thresholds: {threshold.name}={t1!r} and {threshold.name}={t2!r}", data=(t1, t2))

    return build()


# --- what must hold -------------------------------------------------------------------------


def _non_negative(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    value = call(estimator, case["log"], options)
    if not at_most(0.0, value, options):
        raise Broken(f"f(log) = {value!r} < 0")


def _at_most_rows(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    log = case["log"]
    value = call(estimator, log, options)
    if not at_most(value, float(log.num_rows), options):
        raise Broken(f"f(log) = {value!r} > {log.num_rows} rows")


def _in_unit_interval(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    value = call(estimator, case["log"], options)
    if not (at_most(0.0, value, options) and at_most(value, 1.0, options)):
        raise Broken(f"f(log) = {value!r} is outside [0, 1]")


def _row_order(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    log = case["log"]
    before = call(estimator, log, options)
    after = call(estimator, log.take(pa.array(case.data, pa.int64())), options)
    if not same(before, after, options):
        raise Broken(f"f(log) = {before!r} but f(reordered log) = {after!r}")


def _duplicated_rows(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    log = case["log"]
    once = call(estimator, log, options)
    twice = call(estimator, log.take(pa.array(np.repeat(np.arange(log.num_rows), 2), pa.int64())), options)
    if options.kind == "count":
        if not same(twice, 2 * once, options):
            raise Broken(f"f(log) = {once!r}, so f(every row twice) should be {2 * once!r}, but it is {twice!r}")
    elif not same(twice, once, options):
        raise Broken(f"f(log) = {once!r} but f(every row twice) = {twice!r}")


def _additive(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    a, b = case["part a"], case["part b"]
    fa, fb = call(estimator, a, options), call(estimator, b, options)
    whole = call(estimator, case.data, options)
    if math.isnan(whole) or math.isnan(fa) or math.isnan(fb):
        return
    if not same(whole, fa + fb, options):
        raise Broken(f"f(a and b together) = {whole!r} but f(a) + f(b) = {fa!r} + {fb!r} = {fa + fb!r}")


def _union_bounds(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    a, b = case["part a"], case["part b"]
    fa, fb = call(estimator, a, options), call(estimator, b, options)
    whole = call(estimator, case.data, options)
    if math.isnan(whole) or math.isnan(fa) or math.isnan(fb):
        return
    if not at_most(max(fa, fb), whole, options):
        raise Broken(f"f(a and b together) = {whole!r} < max(f(a), f(b)) = max({fa!r}, {fb!r})")
    if not at_most(whole, fa + fb, options):
        raise Broken(f"f(a and b together) = {whole!r} > f(a) + f(b) = {fa!r} + {fb!r}")


def _threshold_monotone(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    threshold = options.threshold
    assert threshold is not None
    log, (t1, t2) = case["log"], case.data
    f1 = call(estimator, log, options, **{threshold.name: t1})
    f2 = call(estimator, log, options, **{threshold.name: t2})
    name = threshold.name
    if threshold.direction == "decreasing" and not at_most(f2, f1, options):
        raise Broken(f"{name}={t1!r} gives {f1!r} but the higher {name}={t2!r} gives more, {f2!r}")
    if threshold.direction == "increasing" and not at_most(f1, f2, options):
        raise Broken(f"{name}={t1!r} gives {f1!r} but the higher {name}={t2!r} gives less, {f2!r}")


def _ladder_bound(estimator: Callable[..., Any], case: Case, options: Options) -> None:
    log, level = case["log"], options.at_most
    assert level is not None
    value = call(estimator, log, options)
    impressions, viewers = rung_upper_bounds(log, options.policy)[level]
    bound, what = (impressions, "impressions") if options.kind == "count" else (viewers, "unique viewers")
    if bound is not None and not at_most(value, float(bound), options):
        raise Broken(
            f"f(log) = {value!r} but at most {bound} {what} are or may be {level!r} under policy {options.policy.name!r}"
        )


@attrs.frozen
class Contract:
    name: str
    kinds: tuple[Kind, ...]
    statement: str
    cases: Callable[[Options], st.SearchStrategy[Case]]
    check: Callable[[Callable[..., Any], Case, Options], None]


#: Every contract, in the order they run.
CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        Contract("non_negative", ("count", "unique"), "the estimate is >= 0", _single, _non_negative),
        Contract("at_most_rows", ("count",), "the estimate is at most the number of rows", _single, _at_most_rows),
        Contract("in_unit_interval", ("rate",), "the estimate is in [0, 1]", _single, _in_unit_interval),
        Contract("row_order", KINDS, "the estimate does not depend on the order of the rows", _reordered, _row_order),
        Contract(
            "duplicated_rows",
            KINDS,
            "duplicating every row doubles a count and leaves unique viewers and rates unchanged",
            _single,
            _duplicated_rows,
        ),
        Contract("additive", ("count",), "the estimate of two disjoint logs together is the sum of theirs", _split, _additive),
        Contract(
            "union_bounds",
            ("unique",),
            "the estimate of two logs together is at least the larger and at most the sum of theirs",
            _split,
            _union_bounds,
        ),
        Contract(
            "threshold_monotone",
            KINDS,
            "the estimate moves in one direction as the threshold grows",
            _with_thresholds,
            _threshold_monotone,
        ),
        Contract(
            "ladder_bound",
            ("count", "unique"),
            "the estimate never exceeds what is or may be on the rung under the policy",
            _single,
            _ladder_bound,
        ),
    )
}

#: Contracts that run only when their option is given.
OPTIONAL = {"threshold_monotone": "threshold", "ladder_bound": "at_most"}
