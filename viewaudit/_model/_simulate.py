"""Simulated impression logs with known truth.

The population is cut into fixed-size chunks of accounts (the chunk size depends only on the
model, not on how many rows are wanted or how the caller batches them), and chunk ``i`` draws
from its own generator, ``SeedSequence(seed, spawn_key=(stream, i))``. So a seed fixes the log
whatever the batching, and scaling a model up only appends chunks. Three streams keep concerns
apart: ``0`` draws accounts and their impressions, ``2`` the authors' self-views, and ``1``
what the log keeps of either (measurement, keyed ``(1, stream, chunk)``). Changing the
measurement therefore leaves the complete log, and so the truth, unchanged.

The truth is the core audit of the complete log (every row measured, nothing censored, rounded
or sampled), which reads the chunks as they are drawn, so it follows the audit's rules exactly.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from viewaudit._api import compare
from viewaudit._model._closed_form import ExpectedLadder, account_kinds, expected_ladder, item_shares, self_view_means
from viewaudit._model._params import FeedModel
from viewaudit._policy import Policy, get_policy
from viewaudit._report.results import Audit

PolicyLike = Policy | str | os.PathLike[str]

#: Target impressions per chunk: large enough that numpy's per-call overhead vanishes, small
#: enough that a chunk's arrays stay in cache-friendly tens of megabytes.
CHUNK_IMPRESSIONS = 1 << 17
MAX_CHUNK_ACCOUNTS = 1 << 20
CHUNK_ITEMS = 1 << 16
#: ``simulate`` holds the whole log in memory (about 60 bytes a row): past this many expected
#: rows it refuses and points to ``simulate_batches``.
MAX_IN_MEMORY = 10**8
#: ``run`` (the CLI's ``simulate``) streams the log to its sink, but the truth keeps a row per
#: viewer and the file grows by tens of bytes a row: past this many expected rows it refuses.
MAX_STREAMED = 10**9
#: Chunks drawn ahead of the one being read, on as many threads. numpy releases the GIL while
#: it draws, so the draws run beside the audit and the writing. Each chunk has its own
#: generator, so the threads change nothing in what is drawn.
DRAW_AHEAD = 2
#: Tables handed to the sink's thread and not yet taken: bounds the memory they hold.
SINK_AHEAD = 2

_STREAM_ACCOUNTS, _STREAM_MEASUREMENT, _STREAM_AUTHORS = 0, 1, 2


def _table_eq(a: pa.Table, b: pa.Table) -> bool:
    return bool(a.equals(b))


@attrs.frozen
class Simulation:
    """A simulated log, the truth about it, and what produced it.

    Attributes
    ----------
    log : pyarrow.Table
        The log an auditor gets, in the canonical schema (measurement gaps, censoring,
        rounding and sampling applied).
    truth : Audit
        The core audit of the complete log under ``policy``: exact figures.
    truths : dict
        The same for every policy asked for, by name (``truth`` included).
    model : FeedModel
        The model at the scale simulated.
    seed : int
        ``simulate(model, rng=seed)`` draws the same log again.
    """

    log: pa.Table = attrs.field(eq=attrs.cmp_using(eq=_table_eq), repr=False)
    truth: Audit
    model: FeedModel
    seed: int
    truths: Mapping[str, Audit] = attrs.field(repr=False)

    @property
    def policy(self) -> Policy:
        return self.truth.policy

    def expected(self, policy: PolicyLike | None = None) -> ExpectedLadder:
        """The closed-form expectation of :attr:`truth` (or of another policy's truth)."""
        return expected_ladder(self.model, policy=self.policy if policy is None else get_policy(policy))


def as_seed(rng: Any) -> int:
    """A root seed (int) from a Generator, a SeedSequence, an int or ``None`` (fresh entropy)."""
    if rng is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]  # fresh entropy is one int
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0])
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, got {rng!r}")
        return int(rng)
    raise TypeError(f"rng must be a numpy Generator, a SeedSequence, an int seed or None, got {rng!r}")


def alias_table(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction) for drawing indices with these shares.

    Index ``j = floor(u * n)`` is kept when ``u * n - j < keep[j]`` and replaced by
    ``alias[j]`` otherwise: O(1) per draw where a binary search over the CDF costs a cache
    miss per level. Built once per run in O(n).
    """
    n = shares.size
    scaled = shares * n
    keep = np.ones(n)
    alias = np.arange(n)
    small = [int(j) for j in np.flatnonzero(scaled < 1.0)]
    large = [int(j) for j in np.flatnonzero(scaled >= 1.0)]
    while small and large:
        s, big = small.pop(), large[-1]
        keep[s], alias[s] = scaled[s], big
        scaled[big] -= 1.0 - scaled[s]
        if scaled[big] < 1.0:
            small.append(large.pop())
    return keep, alias


def draw_alias(rng: np.random.Generator, keep: np.ndarray, alias: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn from an :func:`alias_table` (one uniform per draw)."""
    u = rng.random(n) * keep.size
    j = u.astype(np.int64)
    np.minimum(j, keep.size - 1, out=j)
    return np.where(u - j < keep[j], j, alias[j])


def _generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@attrs.frozen(eq=False)  # arrays inside: compared by identity, never by value
class _Plan:
    """What every chunk needs, computed once per run."""

    model: FeedModel
    seed: int
    bot_share: float
    chunk_accounts: int
    item_alias: tuple[np.ndarray, np.ndarray] | None
    self_views: np.ndarray
    agents: pa.Array

    @classmethod
    def of(cls, model: FeedModel, seed: int) -> _Plan:
        kinds = account_kinds(model)
        per_account = float(np.sum(kinds.share * kinds.mean))
        chunk = int(min(MAX_CHUNK_ACCOUNTS, max(1, CHUNK_IMPRESSIONS // max(per_account, 1e-12))))
        alias = alias_table(item_shares(model)) if model.items > 1 else None
        return cls(
            model=model,
            seed=seed,
            bot_share=model.bots.account_share,
            chunk_accounts=chunk,
            item_alias=alias,
            self_views=self_view_means(model) if model.self_view_share > 0 else np.zeros(0),
            agents=pa.array([*model.user_agents, *model.bots.user_agents], pa.string()),
        )

    @property
    def account_chunks(self) -> int:
        return -(-self.model.viewers // self.chunk_accounts)

    @property
    def author_chunks(self) -> int:
        return -(-self.self_views.size // CHUNK_ITEMS) if self.self_views.size else 0


def schema(model: FeedModel, *, complete: bool = False) -> pa.Schema:
    """The schema of a simulated log (``complete``: of the complete log, never weighted)."""
    fields = [
        pa.field("item_id", pa.int64()),
        pa.field("viewer_id", pa.int64()),
        pa.field("ts", pa.timestamp("ms", tz="UTC")),
        pa.field("dwell_ms", pa.float64()),
        pa.field("dwell_censored", pa.bool_()),
        pa.field("in_view_ms", pa.float64()),
        pa.field("visible_fraction", pa.float64()),
        pa.field("is_bot", pa.bool_()),
        # Dictionary-encoded: a log holds a handful of distinct user agents, and long strings
        # repeated per row would be most of its memory.
        pa.field("user_agent", pa.dictionary(pa.int32(), pa.string())),
        pa.field("author_id", pa.int64()),
    ]
    if model.measurement.sampling_rate < 1 and not complete:
        fields.append(pa.field("weight", pa.float64()))
    fields += [pa.field(i.column, pa.bool_()) for i in model.interactions]
    return pa.schema(fields)


def dictionary_columns(model: FeedModel) -> list[str]:
    """The log's columns worth dictionary-encoding in Parquet: those with few distinct values.

    Ids of accounts, times and visible fractions (and dwell times, unless rounded) hardly repeat
    within a chunk. Parquet's writer tries a dictionary on every column by default and drops it
    when it grows too large; for the news-site log that trying was half the time spent writing.
    """
    spread = {"viewer_id", "ts", "visible_fraction"}
    if model.measurement.rounding_ms == 0:
        spread |= {"dwell_ms", "in_view_ms"}
    return [name for name in schema(model).names if name not in spread]


def author_ids(item: np.ndarray) -> np.ndarray:
    """The author of item ``j`` is account ``-(j + 1)``: negative ids keep authors apart from
    the population (ids 0 to viewers - 1) whatever its size."""
    return -1 - item.astype(np.int64)


def _impressions(
    plan: _Plan,
    rng: np.random.Generator,
    viewer: np.ndarray,
    bot: np.ndarray,
    flagged: np.ndarray,
    agent: np.ndarray,
    item: np.ndarray | None,
) -> pa.Table:
    """The complete-log rows of the impressions whose accounts are given row by row."""
    model = plan.model
    n = viewer.size
    if item is None:
        item = np.zeros(n, np.int64) if plan.item_alias is None else draw_alias(rng, *plan.item_alias, n)
    period_ms = model.period_days * 86_400_000
    ts = model.start_ms + np.floor(rng.random(n) * period_ms).astype(np.int64)
    if bot.any():
        dwell_s = np.empty(n)
        dwell_s[~bot] = model.dwell.sample(rng, n - int(np.count_nonzero(bot)))
        dwell_s[bot] = model.bots.dwell.sample(rng, int(np.count_nonzero(bot)))
    else:
        dwell_s = model.dwell.sample(rng, n)
    visible = rng.beta(model.visibility.alpha, model.visibility.beta, n)
    dwell_ms = dwell_s * 1000.0
    columns: dict[str, Any] = {
        "item_id": item.astype(np.int64),
        "viewer_id": viewer,
        "ts": pa.array(ts, pa.timestamp("ms", tz="UTC")),
        "dwell_ms": dwell_ms,
        "dwell_censored": np.zeros(n, dtype=bool),
        "in_view_ms": dwell_ms * model.visibility.in_view_share,
        "visible_fraction": visible,
        "is_bot": flagged,
        "user_agent": pa.DictionaryArray.from_arrays(pa.array(agent, pa.int32()), plan.agents),
        "author_id": author_ids(item),
    }
    for i in model.interactions:
        p = np.where(dwell_s >= i.attention_s, i.attended, i.not_attended)
        columns[i.column] = rng.random(n) < p
    return pa.table(columns, schema=schema(model, complete=True))


def _account_chunk(plan: _Plan, chunk: int) -> pa.Table:
    """Impressions of accounts ``chunk * C`` to ``(chunk + 1) * C - 1`` (stream 0)."""
    model, bots = plan.model, plan.model.bots
    rng = _generator(plan.seed, _STREAM_ACCOUNTS, chunk)
    lo = chunk * plan.chunk_accounts
    n = min(plan.chunk_accounts, model.viewers - lo)
    bot = rng.random(n) < plan.bot_share
    mean = np.where(bot, model.exposure.mean * bots.activity, model.exposure.mean)
    shape = model.exposure.shape
    # numpy's gamma(shape, scale) is scale * standard_gamma(shape), draw for draw: the same
    # numbers, without the slower loop over an array of scales.
    counts = rng.poisson(rng.standard_gamma(shape, n) * (mean / shape))
    # Only accounts that saw something need the rest of their draws (most, in a sparse feed,
    # saw nothing).
    seen = np.flatnonzero(counts)
    m = seen.size
    bot, counts = bot[seen], counts[seen]
    flagged = bot & (rng.random(m) < bots.flagged)
    declared = bot & (rng.random(m) < bots.with_user_agent)
    people_agents = len(model.user_agents)
    agent = np.where(
        declared,
        people_agents + rng.integers(0, len(bots.user_agents), m),
        rng.integers(0, people_agents, m),
    )
    rows = np.repeat(np.arange(m), counts)
    return _impressions(plan, rng, lo + seen[rows].astype(np.int64), bot[rows], flagged[rows], agent[rows], None)


def _author_chunk(plan: _Plan, chunk: int) -> pa.Table:
    """Self-views of the authors of items ``chunk * CHUNK_ITEMS ...`` (stream 2)."""
    model = plan.model
    rng = _generator(plan.seed, _STREAM_AUTHORS, chunk)
    lo = chunk * CHUNK_ITEMS
    mu = plan.self_views[lo : lo + CHUNK_ITEMS]
    agent = rng.integers(0, len(model.user_agents), mu.size)
    counts = rng.poisson(mu)
    rows = np.repeat(np.arange(mu.size), counts)
    item = (lo + rows).astype(np.int64)
    none = np.zeros(rows.size, dtype=bool)
    return _impressions(plan, rng, author_ids(item), none, none, agent[rows], item)


def _measure(plan: _Plan, stream: int, chunk: int, complete: pa.Table) -> pa.Table:
    """What the log keeps of a chunk of the complete log (stream 1, keyed by the chunk)."""
    m = plan.model.measurement
    if m.complete:
        return complete
    rng = _generator(plan.seed, _STREAM_MEASUREMENT, stream, chunk)
    n = complete.num_rows
    measured = rng.random(n) < m.measurable
    dwell = complete["dwell_ms"].to_numpy()
    in_view = complete["in_view_ms"].to_numpy()
    censored = np.zeros(n, dtype=bool)
    if m.censoring_mean_s is not None:
        left = rng.exponential(m.censoring_mean_s * 1000.0, n)
        censored = dwell > left
        dwell = np.minimum(dwell, left)
        in_view = np.minimum(in_view, left)
    if m.rounding_ms > 0:
        dwell = np.floor(dwell / m.rounding_ms) * m.rounding_ms
        in_view = np.floor(in_view / m.rounding_ms) * m.rounding_ms
    hidden = ~measured
    out = complete.set_column(3, "dwell_ms", pa.array(dwell, mask=hidden))
    out = out.set_column(4, "dwell_censored", pa.array(censored & measured))
    out = out.set_column(5, "in_view_ms", pa.array(in_view, mask=hidden))
    out = out.set_column(6, "visible_fraction", pa.array(complete["visible_fraction"].to_numpy(), mask=hidden))
    if m.sampling_rate < 1:
        keep = rng.random(n) < m.sampling_rate
        out = out.filter(pa.array(keep))
        out = out.add_column(10, "weight", pa.array(np.full(out.num_rows, 1.0 / m.sampling_rate)))
    return out


def _drawn(plan: _Plan, *, measure: bool = True) -> Iterator[tuple[pa.Table, pa.Table]]:
    """(complete rows, what the log keeps of them) for every chunk, accounts first, then
    authors, in that order: drawn :data:`DRAW_AHEAD` chunks ahead on threads. Without
    ``measure``, the second table is the first."""

    def draw(task: tuple[Callable[[_Plan, int], pa.Table], int, int]) -> tuple[pa.Table, pa.Table]:
        draw_chunk, stream, chunk = task
        complete = draw_chunk(plan, chunk)
        return complete, _measure(plan, stream, chunk, complete) if measure and complete.num_rows else complete

    tasks = [(_account_chunk, _STREAM_ACCOUNTS, c) for c in range(plan.account_chunks)]
    tasks += [(_author_chunk, _STREAM_AUTHORS, c) for c in range(plan.author_chunks)]
    pending: deque[Future[tuple[pa.Table, pa.Table]]] = deque()
    with ThreadPoolExecutor(max_workers=DRAW_AHEAD, thread_name_prefix="viewaudit-draw") as pool:
        try:
            for task in tasks:
                pending.append(pool.submit(draw, task))
                if len(pending) > DRAW_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # the reader stopped early, or a draw failed: draw nothing more
            for future in pending:
                future.cancel()


class _SinkThread:
    """Calls ``sink`` on a thread of its own, in the order given, while the next chunk is
    drawn. At most :data:`SINK_AHEAD` tables wait; a failure is raised at the next call or on
    exit."""

    def __init__(self, sink: Callable[[pa.Table], None]) -> None:
        self._sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="viewaudit-sink")
        self._pending: deque[Future[None]] = deque()

    def __call__(self, table: pa.Table) -> None:
        self._pending.append(self._pool.submit(self._sink, table))
        while len(self._pending) > SINK_AHEAD or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()

    def __enter__(self) -> _SinkThread:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None:
                while self._pending:
                    self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _check(model: Any, impressions: Any, viewers: Any) -> FeedModel:
    if not isinstance(model, FeedModel):
        raise TypeError(f"model must be a FeedModel, got {model!r}")
    if impressions is not None and viewers is not None:
        raise ValueError(f"give impressions or viewers, not both; got impressions={impressions!r}, viewers={viewers!r}")
    if impressions is not None:
        if isinstance(impressions, bool) or not isinstance(impressions, int | float) or not 0 < impressions < math.inf:
            raise ValueError(f"impressions must be a finite number > 0, got {impressions!r}")
        return model.scaled(impressions=impressions)
    if viewers is not None:
        return attrs.evolve(model, viewers=viewers)
    return model


def _count(rows: float) -> str:
    """A row count for a message: in full, or in e-notation where it would run to many digits."""
    return f"{rows:,.0f}" if rows < 1e15 else f"{rows:.3g}"


def check_streamable(model: FeedModel) -> None:
    """Raise unless :func:`run` can write the model's log: at most :data:`MAX_STREAMED` expected rows."""
    expected_rows = model.viewers * model.impressions_per_viewer
    if not expected_rows <= MAX_STREAMED:
        raise ValueError(
            f"impressions: this model expects {_count(expected_rows)} impressions, more than the {MAX_STREAMED:,} "
            "a simulated log and its truth can be written with; ask for fewer"
        )


def run(
    model: FeedModel,
    *,
    seed: int,
    policies: Sequence[Policy],
    sink: Callable[[pa.Table], None],
    frequency: int | None = None,
) -> dict[str, Audit]:
    """Draw the whole log, hand each measured chunk to ``sink``, and return the truths.

    The truths are :func:`viewaudit.compare` of the complete log (with k+ reach up to
    ``frequency``), streamed to it chunk by chunk as it reads: the core audit, by its own rules,
    in one pass, and memory bounded by a chunk plus the audit's own state.
    """
    check_streamable(model)
    plan = _Plan.of(model, seed)

    with _SinkThread(sink) as write:

        def complete_batches() -> Iterator[pa.RecordBatch]:
            for complete, measured in _drawn(plan):
                if complete.num_rows:
                    write(measured)
                    yield from complete.to_batches()

        reader = pa.RecordBatchReader.from_batches(schema(model, complete=True), complete_batches())
        # rounding_ms=0: the complete log's times are exact by construction (drawn from
        # continuous laws, never floored), which is what "auto" would read from its first
        # million rows, at a tenth of the truth's cost and before the scan could start.
        audits = compare(reader, policies=list(policies), frequency=frequency, progress=False, rounding_ms=0).audits
    return {a.policy.name: a for a in audits}


def simulate(
    model: FeedModel,
    *,
    impressions: float | None = None,
    viewers: int | None = None,
    policy: PolicyLike = "mrc-display",
    compare: Sequence[PolicyLike] | None = None,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    frequency: int | None = None,
) -> Simulation:
    """Draw an impression log from a feed model, with the truth about it.

    Parameters
    ----------
    model
        The feed model.
    impressions
        Expected rendered impressions: the population is scaled to give this many on average
        (:meth:`FeedModel.scaled`). The count drawn varies around it.
    viewers
        Or the number of accounts. Neither: the model's own population. The log is held in
        memory, so more than 10^8 expected impressions raise ``ValueError``: stream those
        with :func:`simulate_batches`.
    policy
        The policy of :attr:`Simulation.truth` (a :class:`~viewaudit.Policy`, preset name or
        ``.toml`` file).
    compare
        More policies whose truth to compute too (:attr:`Simulation.truths`), e.g.
        ``viewaudit.PRESETS``; the complete log is read once for all.
    rng
        A ``numpy.random.Generator``, a ``SeedSequence``, an int seed, or ``None`` for fresh
        entropy. Generators are consumed (one draw); an int reproduces the log exactly.
    frequency
        The truths' k+ reach on every rung, k = 1 .. ``frequency`` (as :func:`viewaudit.audit`'s
        ``frequency=``): the truth an audit's k+ reach of the log is checked against.

    Returns
    -------
    Simulation
        ``log`` (canonical schema: ``item_id``, ``viewer_id``, ``ts``, ``dwell_ms``,
        ``dwell_censored``, ``in_view_ms``, ``visible_fraction``, ``is_bot``, ``user_agent``,
        ``author_id``, ``weight`` when sampled, then the interaction columns), ``truth``,
        ``truths``, ``model`` and ``seed``.

    Notes
    -----
    Account ``i`` has id ``i``; the author of item ``j`` has id ``-(j + 1)``. Rows are
    grouped by account, not sorted by time. The log depends only on the model and the seed,
    never on batching: chunks of accounts of a size fixed by the model each draw from
    ``SeedSequence(seed, spawn_key=(stream, chunk))``.

    Examples
    --------
    >>> import viewaudit as va
    >>> sim = va.simulate(va.FeedModel(viewers=2_000), rng=1)
    >>> va.audit(sim.log).ladder == sim.truth.ladder  # complete log: the audit is the truth
    True
    """
    model = _check(model, impressions, viewers)
    expected_rows = model.viewers * model.impressions_per_viewer
    if expected_rows > MAX_IN_MEMORY:
        raise ValueError(
            f"simulate holds the log in memory and this model expects {_count(expected_rows)} impressions "
            f"(more than {MAX_IN_MEMORY:,}); pass impressions= to scale it down, or stream it with simulate_batches"
        )
    policies = [get_policy(policy), *(get_policy(p) for p in (compare or ()))]
    policies = list({p.name: p for p in reversed(policies)}.values())[::-1]  # first wins, order kept
    seed = as_seed(rng)
    tables: list[pa.Table] = []
    truths = run(model, seed=seed, policies=policies, sink=tables.append, frequency=frequency)
    log = pa.concat_tables(tables) if tables else schema(model).empty_table()
    first = get_policy(policy).name
    return Simulation(log=log, truth=truths[first], model=model, seed=seed, truths=truths)


def simulate_batches(
    model: FeedModel,
    *,
    impressions: float | None = None,
    viewers: int | None = None,
    complete: bool = False,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The log of :func:`simulate` as record batches, one chunk at a time (bounded memory).

    With the same ``rng`` seed, the batches concatenate to ``simulate(...).log``; with
    ``complete=True`` they are the complete log the truth is computed from (no measurement
    gaps, censoring, rounding or sampling). Pass them to :func:`viewaudit.audit` through
    ``pyarrow.RecordBatchReader.from_batches(schema, batches)``.
    """
    model = _check(model, impressions, viewers)
    plan = _Plan.of(model, as_seed(rng))
    for table, measured in _drawn(plan, measure=not complete):
        if table.num_rows:
            yield from measured.to_batches()


__all__ = [
    "Simulation",
    "as_seed",
    "check_streamable",
    "dictionary_columns",
    "run",
    "schema",
    "simulate",
    "simulate_batches",
]
