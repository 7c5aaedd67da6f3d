"""Packed (group, viewer) keys of the fast scan, and the unique-viewer statistics sorted keys give.

A pair is one ``uint64``: [viewer-hash partition | group code | viewer code]; bag keys (valid
rows, counted) add four flags below it, set keys (invalid and engaged rows) the OR-able rung
bits. Keys of a
partition are deduplicated and merged by sorting; the statistics fall out of the sorted order.
Used by :mod:`viewaudit._scan.packed`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np

from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS
from viewaudit._scan.statistics import ViewerRows, distinct_viewer_rows, triple_keys

#: Rung bits of a row. The first four are "on the rung"; the last two "undetermined".
VALID, VIEWABLE, ATTENDED, ENGAGED, U_VIEWABLE, U_ATTENDED = 1, 2, 4, 8, 16, 32


LEVEL_BIT = {"rendered": 0, "valid": VALID, "viewable": VIEWABLE, "attended": ATTENDED, "engaged": ENGAGED}


UNDETERMINED_BIT = {"viewable": U_VIEWABLE, "attended": U_ATTENDED}


#: Compact the pending keys into sorted runs once they are this many (32 MB), or an eighth of
#: the keys held if more. A compaction concatenates and sorts the pending keys (a second copy of
#: them): compacting when pending keys matched the held ones put the 20M-row scan's peak at
#: 1.1 GB; an eighth keeps the copy a fraction of the keys.
_COMPACT_KEYS = 1 << 22


#: Bits of a key taken by the rung bits (set of pairs) and by a valid row's flags (bag): on
#: viewable, on attended, undetermined for viewable, undetermined for attended.
_LOW_A, _LOW_B = 4, 4


#: Keys are split by a hash of the viewer into 2**_PART_BITS partitions, kept as the top bits of
#: the pair, so that each partition is sorted, merged and reduced on its own (in two threads):
#: temporaries are a fraction of the whole, and a viewer's pairs all land in one partition.
_PART_BITS = 3


#: Bits of a pair: [partition][group code][viewer code]. Set keys add 4 low bits, bag keys 2.
_PAIR_BITS = 60


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier (Knuth, TAOCP 6.4)


@attrs.frozen
class _Layout:
    """How (group code, viewer code) is packed into a pair; the partition comes from the viewer."""

    group_bits: int

    @property
    def viewer_bits(self) -> int:
        return _PAIR_BITS - _PART_BITS - self.group_bits

    def pair(self, g: np.ndarray, v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64)
        out = (v * _GOLDEN) >> np.uint64(64 - _PART_BITS)
        out <<= np.uint64(_PAIR_BITS - _PART_BITS)
        out |= g.astype(np.uint64) << np.uint64(self.viewer_bits)
        out |= v
        return out

    def split(self, pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.group(pair), self.viewer(pair)

    def group(self, pair: np.ndarray) -> np.ndarray:
        g = pair >> np.uint64(self.viewer_bits)
        g &= np.uint64((1 << self.group_bits) - 1)
        return g.astype(np.int64)

    def viewer(self, pair: np.ndarray) -> np.ndarray:
        return (pair & np.uint64((1 << self.viewer_bits) - 1)).astype(np.int64)


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    head = np.empty(len(keys), dtype=bool)
    head[0] = True
    np.not_equal(keys[1:], keys[:-1], out=head[1:])
    return np.flatnonzero(head)


#: Sorted runs a partition holds before they are merged into its settled keys (see _Keys).
_MAX_RUNS = 8


class _Keys:
    """Sorted distinct uint64 keys per partition (with counts when ``counted``), plus pending
    unsorted keys; ``low`` bits below the pair.

    A compaction sorts the pending keys and leaves each partition's share as one more sorted
    run of distinct keys; the runs are merged into the partition's settled keys only when
    asked for (:meth:`partition`, in the statistics' threads) or when a partition holds
    :data:`_MAX_RUNS` of them. Merging every compaction into the settled keys (a binary search
    of each fresh key and a copy of the partition) cost 1.5 s of the main thread's time on a
    20M-row log of few repeated pairs; one merge of a partition's few runs at the end is a
    stable sort of a handful of sorted runs, in two threads."""

    def __init__(self, low: int, *, counted: bool) -> None:
        self.low = low
        self.counted = counted
        self.keys = [np.empty(0, dtype=np.uint64) for _ in range(1 << _PART_BITS)]
        # int32: no (group, viewer) pair has 2**31 rows, and the counts are half the bag's memory.
        self.counts = [np.empty(0, dtype=np.int32) for _ in range(1 << _PART_BITS)]
        self.runs: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(1 << _PART_BITS)]
        self.pending: list[np.ndarray] = []
        self.n_pending = 0
        self.size = 0

    def add(self, keys: np.ndarray) -> None:
        self.pending.append(keys)
        self.n_pending += len(keys)
        if self.n_pending > max(_COMPACT_KEYS, self.size // 8):
            self.compact()

    def compact(self) -> None:
        if not self.pending:
            return
        fresh = np.concatenate(self.pending)
        self.pending, self.n_pending = [], 0
        # Stable: timsort merges the runs of keys the workers sorted in one pass each.
        fresh.sort(kind="stable")
        shift = _PAIR_BITS - _PART_BITS + self.low
        bounds = np.searchsorted(fresh, np.arange(1, 1 << _PART_BITS, dtype=np.uint64) << np.uint64(shift))
        for p, chunk in enumerate(np.split(fresh, bounds)):
            if len(chunk):
                starts = _run_starts(chunk)
                added = np.diff(np.r_[starts, len(chunk)]).astype(np.int32) if self.counted else _NO_COUNTS
                self.runs[p].append((chunk[starts], added))
                if len(self.runs[p]) >= _MAX_RUNS:
                    self._settle(p)
        self.size = sum(len(k) for k in self.keys) + sum(len(k) for runs in self.runs for k, _ in runs)

    def _settle(self, p: int) -> None:
        """Merge partition ``p``'s runs into its settled keys (summing the counts of equal keys).

        Written for memory (it runs in two threads at once, at the end of a scan): inputs are
        let go as soon as they are copied, and runs with no key in common are not copied again."""
        runs, self.runs[p] = self.runs[p], []
        if not runs:
            return
        held, held_counts = self.keys[p], self.counts[p]
        if not len(held) and len(runs) == 1:
            self.keys[p], self.counts[p] = runs[0] if self.counted else (runs[0][0], held_counts)
            return
        self.keys[p], self.counts[p] = _NO_KEYS, _NO_COUNTS
        keys = np.concatenate([held, *(k for k, _ in runs)])
        del held
        if not self.counted:
            del runs
            keys.sort(kind="stable")  # sorted runs: timsort merges them
            starts = _run_starts(keys)
            self.keys[p] = keys if len(starts) == len(keys) else keys[starts]
            return
        counts = np.concatenate([held_counts, *(c for _, c in runs)])
        del runs, held_counts
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        counts = counts[order]
        del order
        starts = _run_starts(keys)
        if len(starts) == len(keys):  # no key in two runs (few repeated pairs): nothing to add up
            self.keys[p], self.counts[p] = keys, counts
            return
        self.keys[p] = keys[starts]
        del keys
        self.counts[p] = np.add.reduceat(counts, starts, dtype=np.int32)

    def partition(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """Partition ``p``'s sorted distinct keys and their counts, the pending keys compacted
        first (:meth:`compact`, not thread-safe: call it before asking from several threads;
        distinct partitions may then be asked for at once)."""
        self._settle(p)
        return self.keys[p], self.counts[p]

    def settle(self) -> None:
        self.compact()
        for p in range(len(self.keys)):
            self._settle(p)

    def remap(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        """Apply an order-preserving map to the pair part of every key."""
        low, mask = np.uint64(self.low), np.uint64((1 << self.low) - 1)

        def apply(k: np.ndarray) -> np.ndarray:
            return (fn(k >> low) << low) | (k & mask)

        self.keys = [apply(k) for k in self.keys]
        self.runs = [[(apply(k), c) for k, c in runs] for runs in self.runs]
        self.pending = [apply(k) for k in self.pending]

    def rebuild(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        """Apply any map to the pair part of every key, and sort again."""
        self.settle()
        low, mask = np.uint64(self.low), np.uint64((1 << self.low) - 1)
        keys, counts = np.concatenate(self.keys), np.concatenate(self.counts)
        keys = (fn(keys >> low) << low) | (keys & mask)
        self.__init__(self.low, counted=self.counted)  # type: ignore[misc]  # reset in place: holders keep this object
        if self.counted:  # counts cannot go through add(): repeat each key count times
            keys = np.repeat(keys, counts)
        self.add(keys)
        self.settle()

    def pairs(self) -> list[np.ndarray]:
        """The distinct pair parts of all keys (for rebuilding viewer codes)."""
        self.settle()
        return [k >> np.uint64(self.low) for k in self.keys]


_NO_KEYS = np.empty(0, dtype=np.uint64)
_NO_COUNTS = np.empty(0, dtype=np.int32)


class _Viewers:
    """Viewer codes: the integer id itself while ids fit the key, else a dictionary index."""

    def __init__(self) -> None:
        self.ids: np.ndarray | None = None  # sorted distinct ids, in dictionary mode
        self.codes: np.ndarray | None = None  # their codes (order of arrival)
        self.low = 0
        self.high = 0

    @property
    def direct(self) -> bool:
        return self.ids is None

    def bits_needed(self) -> int:
        top = self.high if self.ids is None else len(self.ids) - 1
        return max(int(top).bit_length(), 1)

    def observe(self, v: np.ndarray) -> None:
        if len(v):
            self.low = min(self.low, int(v.min()))
            self.high = max(self.high, int(v.max()))

    def to_dictionary(self, ids: np.ndarray) -> None:
        self.ids = np.unique(ids)
        self.codes = np.arange(len(self.ids), dtype=np.int64)

    def lookup(self, v: np.ndarray) -> np.ndarray:
        assert self.ids is not None
        assert self.codes is not None
        return self.codes[np.searchsorted(self.ids, v)]

    def ids_of(self, codes: np.ndarray) -> np.ndarray:
        """The ids behind viewer codes."""
        if self.ids is None or self.codes is None:
            return codes
        by_code = np.empty(len(self.ids), dtype=self.ids.dtype)
        by_code[self.codes] = self.ids
        out: np.ndarray = by_code[codes]
        return out

    def encode(self, v: np.ndarray) -> np.ndarray:
        if self.ids is None or self.codes is None:
            return v
        distinct = np.unique(v)
        pos = np.searchsorted(self.ids, distinct)
        known = np.zeros(len(distinct), dtype=bool)
        inside = pos < len(self.ids)
        known[inside] = self.ids[pos[inside]] == distinct[inside]
        new = distinct[~known]
        if len(new):
            at = np.searchsorted(self.ids, new)
            self.ids = np.insert(self.ids, at, new)
            self.codes = np.insert(self.codes, at, np.arange(len(self.codes), len(self.codes) + len(new)))
        return self.lookup(v)


def _viewer_keys(pair: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bag keys (pair, row flags) of the valid rows: each viewer's rows on, off and undetermined
    per estimated rung (:mod:`viewaudit._ladder.propensity`), which also say who is valid, viewable and
    attended; set keys (pair, rung bits) of the rows that leaves out: invalid rows (a pair with
    only those is rendered) and engaged ones."""
    valid = (bits & VALID) != 0
    rest = ~valid | ((bits & ENGAGED) != 0)
    on = pair[rest] << np.uint64(_LOW_A)
    on |= (bits[rest] & 15).astype(np.uint64)
    flags = ((bits[valid] >> 1) & 3) | ((bits[valid] >> 2) & 12)
    return on, (pair[valid] << np.uint64(_LOW_B)) | flags.astype(np.uint64)


class _ExactViewers:
    """Per policy: the bag of valid rows' (pair, flags) and the set of the other rows' and the
    engaged rows' (pair, rung bits)."""

    def __init__(self) -> None:
        self.on = _Keys(_LOW_A, counted=False)
        self.valid = _Keys(_LOW_B, counted=True)

    def add(self, on: np.ndarray, valid: np.ndarray) -> None:
        if len(on):
            self.on.add(on)
        if len(valid):
            self.valid.add(valid)

    def structures(self) -> tuple[_Keys, _Keys]:
        return self.on, self.valid


Rows = dict[str, tuple[np.ndarray, ...]]  # level -> distinct (group, on, off, undetermined, viewers) of viewers with valid rows


@attrs.frozen
class _PartStats:
    """Unique-viewer statistics of one partition of the keys."""

    certain: dict[str, np.ndarray]  # level -> viewers on it, per group
    rows: Rows
    certain_all: dict[str, int]  # level -> viewers on it, whole log
    rows_all: Rows  # as ``rows``, per viewer of the whole log (group 0)


def _or_runs(keys: np.ndarray, low: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``keys >> low`` of sorted keys, and the OR of their low bits."""
    starts = _run_starts(keys >> np.uint64(low))
    if not len(keys):
        return keys, np.empty(0, dtype=np.uint8)
    bits = np.bitwise_or.reduceat((keys & np.uint64((1 << low) - 1)).astype(np.uint8), starts)
    return keys[starts] >> np.uint64(low), bits


def _rows_per_pair(flags: np.ndarray, counts: np.ndarray, starts: np.ndarray, bit: int) -> np.ndarray:
    """Per pair, its valid rows with flag ``bit`` set (flags: the bag's, per row)."""
    if not len(flags):
        return np.zeros(0, dtype=np.int32)
    return np.add.reduceat(np.where((flags & (1 << bit)) != 0, counts, 0), starts, dtype=np.int32)


def _viewers_per_group(
    bit: int, group: np.ndarray, bits: np.ndarray, set_group: np.ndarray, set_bits: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group, the pairs with rung ``bit`` set (every pair when 0): the bag's and the set's own."""
    if not bit:
        return np.bincount(group, minlength=n_groups) + np.bincount(set_group, minlength=n_groups)
    return np.bincount(group[(bits & bit) != 0], minlength=n_groups) + np.bincount(
        set_group[(set_bits & bit) != 0], minlength=n_groups
    )


#: :func:`_rows_by_group` counts in tables when the (group, triple) cells are at most 8 per
#: pair (or statistics' table bound, :func:`~viewaudit._scan.statistics.triple_keys`) ...
_CELLS_PER_PAIR = 8
#: ... in tables of at most this many cells at once (8 MB).
_CHUNK_CELLS = 1 << 20


def _rows_by_group(code: np.ndarray, rank: np.ndarray, t: np.ndarray, f: np.ndarray, u: np.ndarray) -> ViewerRows | None:
    """``distinct_viewer_rows(rank[code], t, f, u)`` of a partition's pairs (one viewer each,
    every one with a valid row) by counting, not sorting; None when the (t, f, u) triples or the
    (group, triple) cells are too many for tables, or a pair has no valid row.

    ``code`` is the pairs' group codes, never decreasing (the pairs are sorted). The distinct
    triples are ranked in a table, and (group, triple) cells counted in tables of consecutive
    groups (at most :data:`_CHUNK_CELLS` cells each), so the counts come out in (code, triple)
    order; the groups' blocks are then put in ``rank`` order. On a 20M-row log of few repeated
    pairs a partition holds 2.07M pairs and 660-740 distinct triples: sorting one key per pair
    took 110 ms or more a level (55 ns a key on the 2-core benchmark machine)."""
    n = len(code)
    if not n or not np.all((t + f + u) > 0):
        return None
    first, last = int(code[0]), int(code[-1])
    keyed = triple_keys(code, last - first + 1, t, f, u, _CELLS_PER_PAIR)
    if keyed is None:
        return None
    key, triples = keyed
    n_triples = len(triples.values)
    per_chunk = max(1, _CHUNK_CELLS // n_triples)  # groups a table holds
    heads = np.arange(first, last + 1, per_chunk)
    bounds = [*np.searchsorted(code, heads).tolist(), n]
    cells, counts = [], []
    for head, lo, hi in zip(heads.tolist(), bounds[:-1], bounds[1:], strict=True):
        if lo == hi:
            continue
        base = head * n_triples
        table = np.bincount(key[lo:hi] - base, minlength=min(per_chunk, last + 1 - head) * n_triples)
        filled = np.flatnonzero(table)
        counts.append(table[filled])
        cells.append(filled + base)
    del key
    cell, count = np.concatenate(cells), np.concatenate(counts).astype(np.int64)
    group_code, kind = cell // n_triples, cell % n_triples
    # Blocks of one group each, in code order: put them in rank (key) order.
    starts = _run_starts(group_code)
    lengths = np.diff(np.r_[starts, len(cell)])
    order = np.argsort(rank[group_code[starts]])
    moved = lengths[order]
    new_starts = np.cumsum(moved) - moved
    take = np.repeat(starts[order] - new_starts, moved) + np.arange(len(cell))
    return (rank[group_code[take]].astype(np.int64), *triples.unpack(kind[take]), count[take])


def _partition_stats(
    on: np.ndarray, bag: np.ndarray, counts: np.ndarray, layout: _Layout, rank: np.ndarray, n_groups: int, whole: bool
) -> _PartStats:
    # Written for memory: a partition holds millions of pairs, two are reduced at once, and each
    # array per pair costs 4 or 8 bytes per pair. Counts are int32 (no pair or viewer has 2**31
    # rows) and temporaries are dropped as soon as they are used.
    #
    # Valid rows on, off and undetermined per pair and level (the bag's keys are sorted pairs,
    # then flags: bit i on level i, bit 2 + i undetermined for it).
    pairs = bag >> np.uint64(_LOW_B)
    starts = _run_starts(pairs)
    pairs = pairs[starts]
    flags = (bag & np.uint64(15)).astype(np.uint8)

    valid = np.add.reduceat(counts, starts, dtype=np.int32) if len(bag) else np.zeros(0, dtype=np.int32)
    t: dict[str, np.ndarray] = {level: _rows_per_pair(flags, counts, starts, i) for i, level in enumerate(ESTIMATED_LEVELS)}
    u: dict[str, np.ndarray] = {level: _rows_per_pair(flags, counts, starts, 2 + i) for i, level in enumerate(ESTIMATED_LEVELS)}
    del starts, flags
    # Rung bits per pair: the bag's pairs from their counts, OR those of the set's keys (invalid
    # or engaged rows); the set's pairs with no valid row are kept apart (few beside the bag's).
    bits = np.full(len(pairs), VALID, dtype=np.uint8)
    bits[t["viewable"] > 0] |= VIEWABLE
    bits[t["attended"] > 0] |= ATTENDED
    set_pairs, set_bits = _or_runs(on, _LOW_A)
    at = np.searchsorted(pairs, set_pairs)
    in_bag = at < len(pairs)
    in_bag[in_bag] = pairs[at[in_bag]] == set_pairs[in_bag]
    bits[at[in_bag]] |= set_bits[in_bag]  # distinct pairs: no index repeats
    only_set, only_set_bits = set_pairs[~in_bag], set_bits[~in_bag]
    del at, in_bag, set_pairs, set_bits
    code = layout.group(pairs)  # never decreasing: the pairs are sorted, the group above the viewer
    g = rank[code]
    g_set = rank[layout.group(only_set)]

    certain: dict[str, np.ndarray] = {
        level: _viewers_per_group(LEVEL_BIT[level], g, bits, g_set, only_set_bits, n_groups) for level in LEVELS
    }
    # Reduced to distinct (group, t, f, u) here, in the partition's thread: a few thousand rows
    # instead of one per pair.
    rows: Rows = {}
    for level in ESTIMATED_LEVELS:
        f = valid - t[level] - u[level]
        by_group = _rows_by_group(code, rank, t[level], f, u[level])
        rows[level] = by_group if by_group is not None else distinct_viewer_rows(g, t[level], f, u[level])
    del g, g_set, code
    if not whole:
        return _PartStats(certain, rows, {}, {})
    # The whole log: a viewer is on a rung if any of their pairs is; rows add up.
    vb, vs = layout.viewer(pairs), layout.viewer(only_set)
    del pairs
    dense = _dense_viewers(vb, vs)
    if dense is None:
        return _PartStats(certain, rows, *_whole_by_sorting(vb, vs, bits, only_set_bits, valid, t, u))
    cb, cs, n_viewers = dense
    del vb, vs
    certain_all: dict[str, int] = {}
    for level in LEVELS:
        bit = LEVEL_BIT[level]
        if not bit:
            certain_all[level] = n_viewers
            continue
        on = np.zeros(n_viewers, dtype=bool)
        on[cb[(bits & bit) != 0]] = True
        on[cs[(only_set_bits & bit) != 0]] = True
        certain_all[level] = int(np.count_nonzero(on))
    del bits

    def per_viewer(x: np.ndarray) -> np.ndarray:
        # Integer sums in float64 are exact (far below 2**53 rows); the set's own pairs have no
        # valid row, so only the bag's pairs count.
        return np.bincount(cb, weights=x, minlength=n_viewers).astype(np.int32)

    vvalid = per_viewer(valid)
    rows_all: Rows = {}
    for level in ESTIMATED_LEVELS:
        vt, vu = per_viewer(t[level]), per_viewer(u[level])
        rows_all[level] = distinct_viewer_rows(np.zeros(n_viewers, dtype=np.int32), vt, vvalid - vt - vu, vu)
    return _PartStats(certain, rows, certain_all, rows_all)


#: The whole-log statistics index viewers through a table as long as the largest viewer code
#: (5 bytes an entry) when it is at most this long or this many times the partition's pairs;
#: sparser ids are sorted instead.
_DENSE_VIEWERS, _DENSE_PER_PAIR = 1 << 22, 8


def _dense_viewers(vb: np.ndarray, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Codes 0..n-1 of the viewers of a partition's bag and set pairs (in viewer order), or None
    when the viewer codes are too sparse for a table.

    A table of the codes present and their running count replaces a sort of all pairs by
    viewer: two passes over the pairs and one over the table, where the sort cost 40 ms a
    partition of 585k pairs (a 5M-row log of 2M viewers)."""
    n = len(vb) + len(vs)
    if not n:
        return None
    top = max(int(vb.max()) if len(vb) else 0, int(vs.max()) if len(vs) else 0) + 1
    if top > max(_DENSE_VIEWERS, _DENSE_PER_PAIR * n):
        return None
    seen = np.zeros(top, dtype=bool)
    seen[vb] = True
    seen[vs] = True
    code = np.cumsum(seen, dtype=np.int32)
    n_viewers = int(code[-1])
    code -= 1
    return code[vb], code[vs], n_viewers


def _whole_by_sorting(
    vb: np.ndarray,
    vs: np.ndarray,
    bits: np.ndarray,
    set_bits: np.ndarray,
    valid: np.ndarray,
    t: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
) -> tuple[dict[str, int], Rows]:
    """The whole log's certain viewers and viewer rows of a partition, by one sort of all its
    pairs (the bag's, then the set's own) by viewer: for viewer codes too sparse for a table."""
    v = np.concatenate([vb, vs])
    order = np.argsort(v)  # sums and ORs within a viewer do not depend on the order of its pairs
    v = v[order]
    vstarts = _run_starts(v)
    del v
    all_bits = np.concatenate([bits, set_bits])
    vbits = np.bitwise_or.reduceat(all_bits[order], vstarts) if len(order) else all_bits
    del all_bits
    certain_all: dict[str, int] = {
        level: int(np.count_nonzero(vbits & LEVEL_BIT[level])) if LEVEL_BIT[level] else len(vstarts) for level in LEVELS
    }
    n_bag = len(valid)

    def per_viewer(x: np.ndarray) -> np.ndarray:
        if not len(order):
            return np.zeros(0, dtype=np.int32)
        full = np.zeros(len(order), dtype=np.int32)
        full[:n_bag] = x  # the set's own pairs have no valid row
        return np.add.reduceat(full[order], vstarts, dtype=np.int32)

    vvalid = per_viewer(valid)
    rows_all: Rows = {}
    for level in ESTIMATED_LEVELS:
        vt, vu = per_viewer(t[level]), per_viewer(u[level])
        rows_all[level] = distinct_viewer_rows(np.zeros(len(vvalid), dtype=np.int32), vt, vvalid - vt - vu, vu)
    return certain_all, rows_all


def _distinct_rows(parts: list[_PartStats], field: str, level: str) -> Any:
    """The partitions' distinct (group, t, f, u) tables of ``level`` merged into one (counts of
    equal rows summed)."""
    g, t, f, u, count = (np.concatenate([getattr(p, field)[level][i] for p in parts]) for i in range(5))
    return distinct_viewer_rows(g, t, f, u, count)


def _viewer_statistics(
    viewers: _ExactViewers, layout: _Layout, rank: np.ndarray, n_groups: int, *, whole: bool, pool: ThreadPoolExecutor
) -> tuple[
    tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]], tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]
]:
    """(certain, no open triples, viewer rows) per group and, if ``whole``, of the whole log."""
    viewers.on.compact()
    viewers.valid.compact()

    def one(p: int) -> _PartStats:
        # Each partition's runs are merged in its own thread, just before its statistics.
        on, _ = viewers.on.partition(p)
        bag, counts = viewers.valid.partition(p)
        return _partition_stats(on, bag, counts, layout, rank, n_groups, whole)

    parts = list(pool.map(one, range(1 << _PART_BITS)))
    certain: dict[str, np.ndarray] = {
        level: sum((s.certain[level] for s in parts), np.zeros(n_groups, dtype=np.int64)).astype(float) for level in LEVELS
    }
    # No open-viewer triples: those are for sketched viewers; the viewer rows resolve them here.
    rows: dict[str, Any] = {level: _distinct_rows(parts, "rows", level) for level in ESTIMATED_LEVELS}
    if not whole:
        return (certain, {}, rows), (certain, {}, rows)
    certain_all: dict[str, np.ndarray] = {level: np.array([float(sum(s.certain_all[level] for s in parts))]) for level in LEVELS}
    rows_all: dict[str, Any] = {level: _distinct_rows(parts, "rows_all", level) for level in ESTIMATED_LEVELS}
    return (certain, {}, rows), (certain_all, {}, rows_all)
