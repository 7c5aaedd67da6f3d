"""What the ladder's estimates need from a log, reduced to arrays over groups.

Both engines end here: the summary engine through :func:`ladder_statistics`, the packed
engine directly. Everything downstream (:mod:`viewaudit._ladder`) reads only these.
"""

from __future__ import annotations

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS
from viewaudit._scan.crossing_codes import CODE_BITS, empty_histograms
from viewaudit._scan.summary import WEIGHT_SCALE, Summary


def _group_index(summary: Summary) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Distinct group keys, and for each row of the summary's table and of its crossing
    counts the index of its group."""
    crossings = summary.crossings
    n_crossings = 0 if crossings is None else crossings.num_rows
    if not summary.by:
        return pa.table({}), np.zeros(summary.table.num_rows, dtype=np.int64), np.zeros(n_crossings, dtype=np.int64)
    table = summary.table.select(list(summary.by))
    if n_crossings:
        assert crossings is not None
        table = pa.concat_tables([table, crossings.select(list(summary.by))], promote_options="permissive")
    # Each group collects the indices of its rows (a null key is a group like any other, which
    # a join would not match), then groups are put in key order.
    rows = table.select(list(summary.by)).append_column("__r", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    grouped = rows.group_by(list(summary.by), use_threads=False).aggregate([("__r", "list")])
    order = pc.sort_indices(grouped, [(k, "ascending") for k in summary.by])
    grouped = grouped.take(order)
    members = grouped["__r_list"]
    g = np.empty(table.num_rows, dtype=np.int64)
    g[pc.list_flatten(members).to_numpy()] = np.repeat(
        np.arange(grouped.num_rows, dtype=np.int64), pc.list_value_length(members).to_numpy()
    )
    n = summary.table.num_rows
    return grouped.select(list(summary.by)), g[:n], g[n:]


def _col(summary: Summary, name: str) -> np.ndarray:
    return np.asarray(summary.table[name].to_numpy(), dtype=np.int64)


@attrs.frozen
class LadderStatistics:
    """What the ladder estimates need from a log, reduced to arrays over groups.

    Everything is exact and integral (float arrays of whole numbers below 2**53): group totals
    of the counter columns, the number of viewers with at least one impression on each rung,
    and, per estimated rung, the sorted distinct ``(group, u)`` pairs of the viewers whose only
    impressions on it are undetermined (``u`` of them) with how many viewers share each pair.
    A :class:`Summary` reduces to it (:func:`ladder_statistics`); so can a faster scan that
    never builds the per-viewer table, or one that counts viewers with sketches.
    """

    groups: pa.Table  # distinct group keys, sorted ascending (no columns when ungrouped)
    n_groups: int
    totals: dict[str, np.ndarray]  # counter column (n_*, u_*, and w_*/uw_* when weighted) -> per group
    certain: dict[str, np.ndarray]  # level -> viewers with at least one impression on it
    #: Sketched viewers only (exact engines give ``viewer_rows`` and leave it empty): per
    #: estimated rung, the (g, u, count) of the viewers whose only impressions on it are
    #: undetermined, resolved as if viewers were alike.
    open_viewers: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    #: Relative standard error of ``certain`` and ``open_viewers`` when they are sketch
    #: estimates (HyperLogLog), 0 when exact; unique-viewer intervals are widened by it.
    relative_error: float = 0.0
    #: Per estimated rung, the rows whose time crosses its threshold as distinct
    #: ``(group, code, count)`` (codes of :mod:`viewaudit._ladder.crossings`), and the time
    #: histograms they are resolved with.
    crossings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = attrs.field(factory=lambda: no_crossings())
    histograms: dict[str, DwellHistogram] = attrs.field(factory=empty_histograms)
    #: Sampled logs with one sampling rate: that rate, and per rung the (group, count) of every
    #: (group, viewer) pair with a viewer (determined impressions on the rung), from which the
    #: complete log's unique viewers are estimated (with ``viewer_rows`` for the undetermined
    #: ones). None: not sampled, or rates that vary.
    sample_rate: float | None = None
    viewer_counts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    #: Per rung, the viewers' (group, determined, undetermined) counts for k+ reach
    #: (:mod:`viewaudit._ladder.reach`); None unless asked for.
    frequencies: dict[str, Frequencies] | None = None
    #: Per estimated rung, the viewers' (group, on, off, undetermined) row counts
    #: (:mod:`viewaudit._ladder.propensity`), from which viewers with only undetermined rows are
    #: resolved with each viewer's own propensity; None (sketched viewers): independence.
    viewer_rows: dict[str, ViewerRows] | None = None


def no_crossings() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    empty = np.zeros(0, dtype=np.int64)
    return {level: (empty, empty, empty) for level in ESTIMATED_LEVELS}


def distinct_crossings(
    g: np.ndarray, level: np.ndarray, code: np.ndarray, count: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Sorted distinct (group, code) pairs with summed counts, per estimated rung (level 0 is
    viewable, 1 attended): sorted so that float sums over them do not depend on row order."""
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k, name in enumerate(ESTIMATED_LEVELS):
        mine = level == k
        # One int64 key per pair (codes are below 2**21): a 1-d unique sorts several times
        # faster than a unique over stacked columns.
        keys, inverse = np.unique((g[mine] << CODE_BITS) | code[mine], return_inverse=True)
        counts = np.rint(np.bincount(inverse.ravel(), weights=count[mine], minlength=keys.size)).astype(np.int64)
        out[name] = (keys >> CODE_BITS, keys & ((1 << CODE_BITS) - 1), counts)
    return out


def ladder_statistics(summary: Summary, *, frequencies: bool = False) -> LadderStatistics:
    """Reduce a summary's (group, viewer) table to :class:`LadderStatistics` (with the per-viewer
    counts k+ reach needs when ``frequencies``)."""
    groups, g, g_crossing = _group_index(summary)
    n_groups = max(groups.num_rows, 1) if summary.by else 1
    if summary.by and groups.num_rows == 0:
        n_groups = 0

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values, minlength=n_groups).astype(float)

    has_viewer = np.asarray(pc.is_valid(summary.table["viewer_id"]), dtype=bool)
    names = [c for c in summary.table.column_names if c not in summary.keys]
    # As floats: the squared-weight sums are float64 (the others int64, summed as float64 anyway).
    totals = {name: total(np.asarray(summary.table[name].to_numpy(), dtype=np.float64)) for name in names}
    certain: dict[str, np.ndarray] = {}
    viewer_rows: dict[str, ViewerRows] = {}
    n_valid = _col(summary, "n_valid")
    for level in LEVELS:
        n_level = _col(summary, f"n_{level}")
        certain[level] = total(((n_level > 0) & has_viewer).astype(np.int64))
        if level in ESTIMATED_LEVELS:
            u = _col(summary, f"u_{level}")
            viewer_rows[level] = distinct_viewer_rows(
                g[has_viewer], n_level[has_viewer], (n_valid - n_level - u)[has_viewer], u[has_viewer]
            )
    crossings = no_crossings()
    if summary.crossings is not None and summary.crossings.num_rows:
        c = summary.crossings
        crossings = distinct_crossings(g_crossing, _col_of(c, "level"), _col_of(c, "code"), _col_of(c, "count"))
    histograms: dict[str, DwellHistogram] = (
        empty_histograms() if summary.histograms is None else dict(zip(ESTIMATED_LEVELS, summary.histograms, strict=True))
    )
    rate: float | None = None
    counts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    if summary.weighted:
        rate = _one_sample_rate(_col(summary, "n_rendered"), _col(summary, "w_rendered"))
        if rate is not None:
            counts = {level: (g[has_viewer], _col(summary, f"n_{level}")[has_viewer]) for level in LEVELS}
    per_viewer: dict[str, Frequencies] | None = None
    if frequencies:
        per_viewer = {}
        for level in LEVELS:
            t = _col(summary, f"n_{level}")[has_viewer]
            u = _col(summary, f"u_{level}")[has_viewer] if level in ESTIMATED_LEVELS else np.zeros_like(t)
            per_viewer[level] = distinct_frequencies(g[has_viewer], t, u)
    return LadderStatistics(
        groups,
        n_groups,
        totals,
        certain,
        {},
        crossings=crossings,
        histograms=histograms,
        sample_rate=rate,
        viewer_counts=counts,
        frequencies=per_viewer,
        viewer_rows=viewer_rows,
    )


def _one_sample_rate(n: np.ndarray, w: np.ndarray) -> float | None:
    """The sampling rate when every row weighs the same (fixed-point weight sums are then
    exactly ``n * w0``), else None."""
    rows = n > 0
    if not rows.any():
        return None
    n, w = n[rows], w[rows]
    w0 = w[0] // n[0]
    if w0 <= 0 or not np.array_equal(w, n * w0):
        return None
    return min(WEIGHT_SCALE / float(w0), 1.0)


def _col_of(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(), dtype=np.int64)


#: A viewer's rows on one rung, as distinct (group, on, off, undetermined, viewers) arrays:
#: ``t`` determined on the rung, ``f`` determined off it, ``u`` undetermined.
ViewerRows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def distinct_viewer_rows(
    g: np.ndarray, t: np.ndarray, f: np.ndarray, u: np.ndarray, count: np.ndarray | None = None
) -> ViewerRows:
    """Sorted distinct (group, t, f, u) of the viewers with a valid row, with how many share each
    (each given row is one viewer, or ``count`` of them): sorted so that float sums over them do
    not depend on row order or on how the viewers were split before."""
    keep = (t + f + u) > 0
    if not keep.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, empty
    # Columns filtered only when some viewer has no valid row: at scale these are millions of
    # rows, and every copy counts against the exact engine's memory.
    everyone = bool(keep.all())
    columns = [np.asarray(x) if everyone else np.asarray(x)[keep] for x in (g, t, f, u)]
    weights = None if count is None else np.asarray(count, dtype=np.int64)[keep]
    spans = [int(c.max()) + 1 for c in columns]
    counted = _by_counting(columns, spans, weights)
    if counted is not None:
        return counted
    if float(np.prod(spans, dtype=float)) < 2.0**62:
        # One int64 key per viewer, built and sorted in place: a 1-d sort is far faster than a
        # unique over stacked columns, and needs one array, not five.
        key = columns[0].astype(np.int64)
        for c, span in zip(columns[1:], spans[1:], strict=True):
            key *= span
            key += c
        if weights is None:
            key.sort()
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            counts = np.diff(np.r_[starts, len(key)])
            distinct = key[starts]
        else:
            # Weighted rows come as sorted runs (partitions' tables, concatenated): a stable sort
            # (timsort) merges runs in a few linear passes, where np.unique sorted them afresh.
            order = np.argsort(key, kind="stable")
            key = key[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            distinct = key[starts]
            # Exact: integer sums (np.add.reduceat of int64), the counts np.bincount gave.
            counts = np.add.reduceat(weights[order], starts)
        del key
        out = []
        for span in reversed(spans[1:]):
            out.append(distinct % span)
            distinct = distinct // span
        rows = [distinct, out[2], out[1], out[0]]
    else:
        stacked, inverse, counts = np.unique(
            np.stack([c.astype(np.int64) for c in columns]), axis=1, return_inverse=True, return_counts=True
        )
        rows = list(stacked)
        if weights is not None:
            # Exact: integer weights summed as float64, far below 2**53.
            counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(rows[0])).astype(np.int64)
    return rows[0], rows[1], rows[2], rows[3], counts


#: :func:`distinct_viewer_rows` counts in a table, not by sorting, when the (t, f, u) values
#: span at most this many cells or one per row, and the (group, distinct triple) cells at most
#: this many or four per row.
_TABLE_CELLS, _CELLS_PER_ROW = 1 << 20, 4


def _by_counting(columns: list[np.ndarray], spans: list[int], weights: np.ndarray | None) -> ViewerRows | None:
    """:func:`distinct_viewer_rows` by counting in a table of (group, distinct triple) cells,
    or None when the table would be large beside the rows.

    Viewers hold few rows a pair on most logs, so few distinct (t, f, u) triples: 107 to 132
    on a 5M-row log of 2M viewers, where sorting the 585k keys of a partition cost 29 ms, 52 ns
    a key on the 2-core benchmark machine. The cells come out in key order, (group, t, f, u),
    so the rows are the same, in the same order, as the sort gives."""
    g, t, f, u = columns
    if int(g.min()) < 0:  # groups are never negative; no table then (rank_triples checks t, f, u)
        return None
    keyed = triple_keys(g, spans[0], t, f, u, _CELLS_PER_ROW)
    if keyed is None:
        return None
    key, triples = keyed
    n_triples = len(triples.values)
    cells = np.bincount(key, minlength=spans[0] * n_triples)
    filled = np.flatnonzero(cells)
    if weights is None:
        counts = cells[filled].astype(np.int64)
    else:
        # Exact: integer weights summed as float64, far below 2**53.
        counts = np.bincount(key, weights=weights, minlength=spans[0] * n_triples)[filled].astype(np.int64)
    del key, cells
    group = filled // n_triples
    return group, *triples.unpack(filled % n_triples), counts


@attrs.frozen
class Triples:
    """The distinct (t, f, u) triples present, in (t, f, u) order, each packed into one integer
    (``t * span_f * span_u + f * span_u + u``)."""

    values: np.ndarray
    span_f: int
    span_u: int

    def unpack(self, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (t, f, u) of the triples of ranks ``rank``."""
        packed = self.values[rank]
        return packed // (self.span_f * self.span_u), (packed // self.span_u) % self.span_f, packed % self.span_u


def rank_triples(t: np.ndarray, f: np.ndarray, u: np.ndarray, limit: int) -> tuple[np.ndarray, Triples] | None:
    """Each row's rank among the distinct (t, f, u) triples present, in (t, f, u) order, and
    those triples, found in a table over the values' spans; None when a value is negative or
    the spans hold more than ``limit`` cells (then sort). Counting in such a table replaces a
    sort of one key per row where viewers hold few rows a pair."""
    if not len(t) or min(int(x.min()) for x in (t, f, u)) < 0:
        return None
    span_t, span_f, span_u = (int(x.max()) + 1 for x in (t, f, u))
    if span_t * span_f * span_u > limit:
        return None
    triple = t.astype(np.int64) * span_f
    triple += f
    triple *= span_u
    triple += u
    present = np.bincount(triple, minlength=span_t * span_f * span_u) > 0
    rank = (np.cumsum(present) - 1)[triple]
    return rank, Triples(np.flatnonzero(present), span_f, span_u)


def triple_keys(
    group: np.ndarray, groups: int, t: np.ndarray, f: np.ndarray, u: np.ndarray, cells_per_row: int
) -> tuple[np.ndarray, Triples] | None:
    """Each row's cell in a table of (group, distinct triple) cells, ``group * n + rank`` for
    the n distinct (t, f, u) triples (:func:`rank_triples`), and those triples; None where
    counting in a table would not pay: :func:`rank_triples` declines, or ``groups`` groups (the
    span of ``group``) make more cells than :data:`_TABLE_CELLS` and ``cells_per_row`` a row."""
    n = len(group)
    ranked = rank_triples(t, f, u, max(_TABLE_CELLS, n))
    if ranked is None:
        return None
    rank, triples = ranked
    if groups * len(triples.values) > max(_TABLE_CELLS, cells_per_row * n):
        return None
    key = group.astype(np.int64) * len(triples.values)
    key += rank
    return key, triples


#: A viewer's counts on a rung, as distinct (group, determined, undetermined, viewers) arrays.
Frequencies = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def distinct_frequencies(g: np.ndarray, t: np.ndarray, u: np.ndarray) -> Frequencies:
    """Sorted distinct (group, t, u) triples of the viewers with an impression (t + u > 0), with
    how many viewers share each: sorted so that float sums over them do not depend on row order."""
    keep = (t + u) > 0
    if not keep.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    triples, count = np.unique(np.stack([g[keep], t[keep], u[keep]]), axis=1, return_counts=True)
    return triples[0], triples[1], triples[2], count
