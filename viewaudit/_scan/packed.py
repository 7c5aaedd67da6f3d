"""The fast path of an audit: rows straight to ladder statistics, with packed 64-bit keys.

The reference path (:func:`viewaudit.summarize`, then :func:`viewaudit.estimate`) keeps one row
per (group, viewer) with seven exact counters, built with Arrow's hash group-by on every batch
and again at every merge. In a feed log nearly every (item, viewer) pair is distinct, so that is
a hash table the size of the log, with seven aggregates, built twice. The ladder needs less
(:class:`~viewaudit._scan.statistics.LadderStatistics`):

* impressions per group and rung: a histogram, per group, of the rows' rung bit patterns
  (six bits, so 64 patterns; ``np.bincount`` over the batch's groups);
* unique viewers: which (group, viewer) pairs have a row on each rung (the OR of their rows'
  bits) and, for the estimated rungs, how many of its valid rows are on, off and undetermined
  (a counted bag of (pair, row flags) keys).

Each row with a viewer becomes one ``uint64``: group code, viewer and four rung bits packed
together. Such keys are deduplicated and merged by sorting: NumPy's vectorised sort of 64-bit
integers beat Arrow's hash group-by by an order of magnitude at this cardinality (measured in
``docs/benchmarks.md``), and the OR of a pair's bits falls out of the sorted order. Undetermined
rows, a minority, are a multiset of keys with counts. Batches are validated and reduced in two
threads (Arrow and NumPy kernels release the GIL) and folded in source order, so the result
does not depend on thread timing.

Rows whose time crosses a threshold (censored or floored, :mod:`viewaudit._ladder.crossings`) are
counted per (group, code) beside the keys, with the time histograms they are resolved with.
Sampled logs are left to the reference path: estimating their unseen viewers needs per-viewer
counts, which the keys do not keep.

Everything is exact: a key is a bijection of (group, viewer) — the group code indexes a
dictionary of the group values, and the viewer field is the integer id itself or, when ids do
not fit, its index in a dictionary of ids. Text ids (a CSV file's, UUIDs) are coded first,
exactly, by :class:`~viewaudit._scan.text_ids.TextCodes`; once a source has shown a text id,
every id is taken as text, integers as their decimal text, as the reference path takes them.
The statistics equal ``ladder_statistics(summarize(...))``; the tests check it on random logs.
:func:`accepts` says which sources the packed path takes, before any row is reduced, and
``engine="auto"`` sends the others to the reference path.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._estimators import hyperloglog as sketch
from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._policy import Policy
from viewaudit._read.rejects import RejectsWriter
from viewaudit._read.sources import Stream
from viewaudit._read.validation import check_once, check_schema, group_labels, validate_batch
from viewaudit._rungs import ESTIMATED_LEVELS, LEVELS
from viewaudit._scan.crossing_codes import CODE_BITS, batch_crossings, empty_histograms, exact_histograms
from viewaudit._scan.packed_keys import (
    _PAIR_BITS,
    _PART_BITS,
    ATTENDED,
    ENGAGED,
    LEVEL_BIT,
    U_ATTENDED,
    U_VIEWABLE,
    UNDETERMINED_BIT,
    VALID,
    VIEWABLE,
    _ExactViewers,
    _Keys,
    _Layout,
    _viewer_keys,
    _viewer_statistics,
    _Viewers,
)
from viewaudit._scan.statistics import LadderStatistics, distinct_crossings, no_crossings
from viewaudit._scan.summary import (
    COUNT_COLUMNS,
    Summary,
    crossings_possible,
    empty_measurements,
    interaction_columns,
    measurement_patterns,
    merged_empty_columns,
    rung_masks,
)
from viewaudit._scan.text_ids import HashedTexts, TextCodes, text_hashes
from viewaudit._schema import CANONICAL_COLUMNS, ColumnMap, OnInvalid

PATTERNS = np.arange(64)
#: HLL mode: one sketch per group for each of these row sets (0: every row with a viewer).
SKETCH_BITS = (0, VALID, VIEWABLE, ATTENDED, ENGAGED, U_VIEWABLE, U_ATTENDED)

#: Batches in flight in the worker threads (bounds memory: each holds one batch's arrays).
_IN_FLIGHT = 4


# -- per batch (worker threads) --------------------------------------------------------------


@attrs.frozen
class _Plan:
    """What every batch of one scan is reduced with."""

    policies: tuple[Policy, ...]
    columns: ColumnMap
    by: tuple[str, ...]
    on_invalid: OnInvalid
    extra: tuple[str, ...]
    interactions: tuple[tuple[str, ...], ...]
    precision: int | None = None  # HyperLogLog precision; None: exact unique viewers
    rounding_ms: float = 0.0  # the log's times are floored to multiples of this
    text_ids: bool = False  # the source starts with text viewer ids


@attrs.frozen
class _Part:
    """One batch reduced: local group dictionary and codes, viewers, rung bits per policy."""

    rows_read: int
    reasons: dict[str, int]
    rejected: pa.Table
    columns: frozenset[str]
    empty: frozenset[str]  # measurement columns holding no value in the batch
    groups: pa.Array | None  # the batch's distinct group values (None when ungrouped)
    local: np.ndarray  # per accepted row: index into ``groups``
    viewer: np.ndarray | None  # per accepted row: the viewer as ``ids`` says (0 where null)
    has_viewer: np.ndarray | None
    bits: tuple[np.ndarray, ...]  # per policy: uint8 rung bits per row
    hist: tuple[np.ndarray, ...]  # per policy: (groups, 64) rows per bit pattern
    excluded: tuple[dict[str, int], ...]
    measurement_patterns: tuple[dict[str, int], ...]
    gmap: np.ndarray  # global codes of ``groups``
    keys: tuple[tuple[np.ndarray, np.ndarray], ...] | None  # per policy: packed (on, valid-row) keys
    version: int  # of the key layout ``keys`` were packed with
    hashed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # HLL: (group, bucket, rank) per row with a viewer
    #: Per policy: time histograms and crossing rows as (local group, level, code) arrays.
    crossings: tuple[tuple[tuple[DwellHistogram, DwellHistogram], tuple[np.ndarray, np.ndarray, np.ndarray]], ...] | None = None
    nulled: dict[str, int] = attrs.field(factory=dict)  # values of accepted rows made null (ts)
    #: What ``viewer`` holds: integer ids, codes of text ids (:class:`TextCodes`), or positions
    #: in ``texts`` (text ids met before the fold takes ids as text: it codes them).
    ids: Literal["integers", "codes", "positions"] = "integers"
    texts: HashedTexts | None = None  # the batch's distinct text ids, for "positions"


def _rung_bits(masks: dict[str, Any]) -> np.ndarray:
    def flag(arr: pa.Array, bit: int) -> np.ndarray:
        return np.asarray(pc.fill_null(arr, False), dtype=np.uint8) * np.uint8(bit)

    bits = flag(masks["valid"], VALID)
    bits |= flag(masks["viewable"], VIEWABLE)
    bits |= flag(masks["attended"], ATTENDED)
    bits |= flag(masks["engaged"], ENGAGED)
    bits |= flag(pc.is_null(masks["viewable"]), U_VIEWABLE)
    bits |= flag(pc.is_null(masks["attended"]), U_ATTENDED)
    return bits


#: A batch whose viewer ids change direction at most once in this many rows is taken as
#: grouped by viewer (a simulated log, or one exported sorted by viewer).
_GROUPED_EVERY = 64


def _sort_kind(viewer: np.ndarray) -> Literal["stable", "quicksort"]:
    """How to sort a batch's keys: sorted integers come out the same either way, but the stable
    sort (timsort) is several times faster on keys from rows grouped by viewer (each viewer's
    keys are then near each other; 2.6x on the simulator's news-site log), and the default
    (introsort) about a fifth faster on rows in any other order (a log in time order)."""
    if viewer.size < 2:
        return "quicksort"
    steps = np.diff(viewer)
    limit = viewer.size // _GROUPED_EVERY
    grouped = np.count_nonzero(steps < 0) <= limit or np.count_nonzero(steps > 0) <= limit
    return "stable" if grouped else "quicksort"


def _local_groups(log: pa.Table, by: tuple[str, ...]) -> tuple[pa.Array | None, np.ndarray]:
    if not by:
        return None, np.zeros(log.num_rows, dtype=np.int64)
    encoded = pc.dictionary_encode(group_labels(log[by[0]].combine_chunks()), null_encoding="encode")
    return encoded.dictionary, np.asarray(encoded.indices, dtype=np.int64)


def _reduce_batch(raw: pa.RecordBatch, first_row: int, plan: _Plan, codes: _Fold) -> _Part:
    checked = validate_batch(raw, columns=plan.columns, extra=plan.extra, on_invalid=plan.on_invalid, first_row=first_row)
    log = checked.accepted
    groups, local = _local_groups(log, plan.by)
    size = (len(groups) if groups is not None else 1) * 64
    viewer = has_viewer = texts = None
    if "viewer_id" in log.column_names:
        ids = log["viewer_id"].combine_chunks()
        has_viewer = np.asarray(pc.is_valid(ids), dtype=bool)
        numbers = pa.types.is_integer(ids.type) or pa.types.is_null(ids.type)
        if plan.precision is not None and (plan.text_ids or not numbers):
            # Sketches of a source with text ids: each id is its text's 64-bit hash (an integer
            # id is its decimal text). A source whose text comes after integers is declined.
            if not plan.text_ids:
                raise _TextIds(str(ids.type))
            viewer = _text_hash_ids(ids if not numbers else ids.cast(pa.string()))
        elif numbers:
            viewer = np.asarray(pc.fill_null(ids.cast(pa.int64()), 0), dtype=np.int64)
        else:
            # Text ids (validation leaves integers or text): each row's position among the
            # batch's distinct ids, which the fold codes.
            encoded = pc.dictionary_encode(ids)
            texts = HashedTexts.of(encoded.dictionary)  # hashed here, outside the fold's lock
            viewer = np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)
    if "weight" in log.column_names:
        raise ValueError(
            f"column 'weight' first appears at row {first_row}: a sampled log needs its weights from the first "
            "batch on (or engine='summary', which takes earlier rows as weight 1)"
        )
    bits, hists, excluded, crossings, patterns = [], [], [], [], []
    resolvable = crossings_possible(log.column_names, plan.rounding_ms)
    for policy, interactions in zip(plan.policies, plan.interactions, strict=True):
        masks = rung_masks(log, policy, interactions, plan.rounding_ms)
        crossing_rows = None
        if resolvable:
            times, row_codes = batch_crossings(masks["timing"](), policy, plan.rounding_ms)
            crossing_rows = {level: c >= 0 for level, c in row_codes.items()}
            on = [np.flatnonzero(row_codes[level] >= 0) for level in ESTIMATED_LEVELS]
            rows = (
                np.concatenate([local[i] for i in on]),
                np.concatenate([np.full(i.size, k, dtype=np.int64) for k, i in enumerate(on)]),
                np.concatenate([row_codes[level][i] for level, i in zip(ESTIMATED_LEVELS, on, strict=True)]),
            )
        else:
            # Exact times cross no threshold: only the dwell histogram, for the report's figure.
            dwell, visible = masks["visible_dwell"]()
            times = exact_histograms(dwell, visible, policy)
            none = np.zeros(0, dtype=np.int64)
            rows = (none, none, none)
        crossings.append(((times["viewable"], times["attended"]), rows))
        b = _rung_bits(masks)
        cell = local * 64 + b
        bits.append(b)
        hists.append(np.bincount(cell, minlength=size).reshape(-1, 64))
        excluded.append(
            {rule: int(np.count_nonzero(np.asarray(pc.fill_null(m, False)))) for rule, m in masks["excluded"].items()}
        )
        open_rows: dict[str, np.ndarray] = {level: (b & UNDETERMINED_BIT[level]) != 0 for level in ESTIMATED_LEVELS}
        patterns.append(measurement_patterns(masks, crossing_rows, ((b & VALID) != 0, open_rows)))
    # Pack the keys here, in the worker, when the ids fit the current layout (the fold checks
    # the layout version, and packs again in the rare case it changed meanwhile).
    ids_are: Literal["integers", "codes", "positions"] = "integers"
    if viewer is not None and has_viewer is not None:
        gmap, layout, version, ids_are, coded = codes.claim(groups, viewer[has_viewer], texts)
        if ids_are == "codes" and coded is not None:
            viewer = np.zeros(viewer.size, dtype=np.int64)  # (Arrow's buffer may be read-only)
            viewer[has_viewer] = coded
    else:
        gmap, layout, version, _, _ = codes.claim(groups, None, None)
    keys = hashed = None
    if plan.precision is not None:
        if viewer is not None and has_viewer is not None:
            hashed = (gmap[local[has_viewer]], *sketch.buckets_and_ranks(viewer[has_viewer], plan.precision))
    elif layout is not None and viewer is not None and has_viewer is not None:
        pair = layout.pair(gmap[local[has_viewer]], viewer[has_viewer])
        keys = tuple(_viewer_keys(pair, b[has_viewer]) for b in bits)
        # Sorted here, in the worker: the fold's compaction then merges sorted runs (a stable
        # sort finds them, several times faster than sorting the whole), and the fold runs on
        # one thread while the workers run on all.
        kind = _sort_kind(viewer[has_viewer])
        for batch_keys in keys:
            for k in batch_keys:
                k.sort(kind=kind)
    return _Part(
        hashed=hashed,
        gmap=gmap,
        keys=keys,
        version=version,
        rows_read=raw.num_rows,
        reasons=checked.reasons,
        nulled=checked.nulled,
        rejected=checked.rejected,
        columns=frozenset(log.column_names),
        empty=empty_measurements(log),
        groups=groups,
        local=local,
        viewer=viewer,
        has_viewer=has_viewer,
        bits=tuple(bits),
        hist=tuple(hists),
        excluded=tuple(excluded),
        measurement_patterns=tuple(patterns),
        crossings=tuple(crossings),
        ids=ids_are,
        texts=texts if ids_are == "positions" else None,
    )


def _text_hash_ids(ids: pa.Array) -> np.ndarray:
    """Per row, the 64-bit hash of its text id (0 where null), as int64 for the sketches: a
    sketch is an estimate, and two ids sharing a hash, one chance in 2**64 per pair, change it
    by less than its error does."""
    encoded = pc.dictionary_encode(ids)
    hashes = text_hashes(encoded.dictionary.cast(pa.large_string())).view(np.int64)
    return (
        np.asarray(hashes[np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)])
        if len(hashes)
        else np.zeros(len(ids), dtype=np.int64)
    )


class _TextIds(Exception):
    pass


_END = object()  # the reader's last item


# -- folding batches (main thread) ------------------------------------------------------------


def _same_type(seen: pa.Array, local: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Group labels of two batches in one type, as merging summaries makes them: a file without
    the column (nulls) takes the other's type, integers of any width are int64, and labels of
    other different types are text (int 1 in one file, float 1.0 or text "1" in the next: "1").
    Codes keep their meaning: distinct labels of one type stay distinct in the other."""
    if pa.types.is_null(local.type):
        return seen, local.cast(seen.type)
    if pa.types.is_null(seen.type):
        return seen.cast(local.type), local
    if pa.types.is_integer(seen.type) and pa.types.is_integer(local.type):
        with contextlib.suppress(pa.ArrowInvalid):
            return seen.cast(pa.int64()), local.cast(pa.int64())
    return seen.cast(pa.string()), local.cast(pa.string())


class _Groups:
    """Global dictionary of group values: code = order of first appearance."""

    def __init__(self) -> None:
        self.values: pa.Array | None = None

    def __len__(self) -> int:
        return 0 if self.values is None else len(self.values)

    def codes(self, local: pa.Array) -> np.ndarray:
        if self.values is None:
            self.values = local
            return np.arange(len(local), dtype=np.int64)
        if local.type != self.values.type:
            self.values, local = _same_type(self.values, local)
        try:
            found = pc.index_in(local, value_set=self.values)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as err:
            raise TypeError(f"group column changes type between batches: {self.values.type} then {local.type}") from err
        new = pc.is_null(found)
        out = np.asarray(pc.fill_null(found, -1), dtype=np.int64)
        fresh = np.asarray(new, dtype=bool)
        if fresh.any():
            out[fresh] = len(self.values) + np.arange(int(fresh.sum()))
            self.values = pa.concat_arrays([self.values, local.filter(new)])
        return out


@attrs.define
class _Tally:
    """Everything one policy's statistics are made of."""

    hist: np.ndarray = attrs.field(factory=lambda: np.zeros((0, 64), dtype=np.int64))
    excluded: dict[str, int] = attrs.field(factory=dict)
    measurement_patterns: dict[str, int] = attrs.field(factory=dict)
    viewers: _ExactViewers = attrs.field(factory=_ExactViewers)
    sketches: np.ndarray | None = None  # HLL: registers (groups, sketch, m); see SKETCH_BITS
    histograms: tuple[DwellHistogram, DwellHistogram] | None = None
    crossings: list[tuple[np.ndarray, ...]] = attrs.field(factory=list)  # (global group, level, code, count)

    def add_crossings(self, g: np.ndarray, level: np.ndarray, code: np.ndarray) -> None:
        self.crossings.append((g, level, code, np.ones(g.size, dtype=np.int64)))
        if sum(c[0].size for c in self.crossings) > _COMPACT_CROSSINGS:
            self.crossings = [_distinct(*(np.concatenate(a) for a in zip(*self.crossings, strict=True)))]

    def grow(self, n_groups: int) -> None:
        if self.sketches is not None and n_groups > len(self.sketches):
            # Registers are the bulk of the memory in this mode: grow by half, in place (a large
            # realloc is a page remap, so old and new registers are never held at once, as a
            # concatenate would). Nothing else views this array between batches.
            size = max(n_groups, len(self.sketches) + len(self.sketches) // 2)
            self.sketches.resize((size, *self.sketches.shape[1:]), refcheck=False)
        if n_groups > len(self.hist):
            extra = max(n_groups, 2 * len(self.hist)) - len(self.hist)
            self.hist = np.concatenate([self.hist, np.zeros((extra, 64), dtype=np.int64)])


#: Crossing rows kept before they are reduced to distinct (group, level, code) with counts.
_COMPACT_CROSSINGS = 1 << 20


def _distinct(g: np.ndarray, level: np.ndarray, code: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, ...]:
    # (group, level, code) packed in one int64 (a 1-d unique sorts far faster than a stacked one).
    keys, inverse = np.unique((g << (CODE_BITS + 1)) | (level << CODE_BITS) | code, return_inverse=True)
    counts = np.rint(np.bincount(inverse.ravel(), weights=count, minlength=keys.size)).astype(np.int64)
    return keys >> (CODE_BITS + 1), (keys >> CODE_BITS) & 1, keys & ((1 << CODE_BITS) - 1), counts


class _Fold:
    """Folds reduced batches, in source order, into per-policy tallies."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.groups = _Groups()
        self.viewers = _Viewers()
        # Once a batch has text ids, every id is coded as text (integers as their decimal text).
        self.text: TextCodes | None = TextCodes() if plan.text_ids and plan.precision is None else None
        self.layout = _Layout(group_bits=16 if plan.by else 0)
        self.tallies = [_Tally() for _ in plan.policies]
        if plan.precision is not None:
            for tally in self.tallies:
                tally.sketches = sketch.empty((0, len(SKETCH_BITS)), plan.precision)
        self.rows_read = 0
        self.rejected: dict[str, int] = {}
        self.nulled: dict[str, int] = {}
        self.columns: set[str] = set()
        self.empty_columns = merged_empty_columns(())  # measurement columns empty in every batch so far
        self.lock = threading.Lock()
        self.version = 0

    def claim(
        self, groups: pa.Array | None, v: np.ndarray | None, texts: HashedTexts | None
    ) -> tuple[np.ndarray, _Layout | None, int, Literal["integers", "codes", "positions"], np.ndarray | None]:
        """(Called by the workers.) Global codes of a batch's groups; the layout to pack its
        keys with, or None when the ids do not fit it (the fold then re-lays the keys out); and
        its viewers ``v`` (integer ids, or positions in ``texts``) as the keys take them, with
        what they now are (:attr:`_Part.ids`)."""
        with self.lock:
            gmap = self.groups.codes(groups) if groups is not None else np.zeros(1, dtype=np.int64)
            if v is None:
                return gmap, self.layout, self.version, "integers", None
            kind: Literal["integers", "codes", "positions"] = "integers"
            if texts is not None and self.text is None:
                # The first text ids: the fold, which holds the keys, turns to text (_to_text).
                return gmap, None, self.version, "positions", v
            if self.text is not None:
                v, kind = self._text_codes(v, texts), "codes"
            layout = self.layout
            fits = self.viewers.direct and (max(len(self.groups), 1) - 1).bit_length() <= layout.group_bits
            if fits and len(v):
                low, high = int(v.min()), int(v.max())
                fits = low >= 0 and high.bit_length() <= layout.viewer_bits
                if fits:
                    self.viewers.observe(v)
            return gmap, (layout if fits else None), self.version, kind, v

    def _text_codes(self, v: np.ndarray, texts: HashedTexts | None) -> np.ndarray:
        """The codes of viewers ``v``: positions in ``texts``, or (``texts`` None) integer ids,
        taken as their decimal text, as the summary engine takes them beside text ids."""
        assert self.text is not None
        if texts is None:
            v, inverse = np.unique(v, return_inverse=True)
            texts, v = HashedTexts.of(pa.array(v).cast(pa.string())), inverse.ravel()
        out: np.ndarray = self.text.codes(texts)[v]
        return out

    def _to_text(self) -> None:
        """Text ids after integer ones (or first): from here on every id is coded as text
        (:class:`TextCodes`), and the keys already held are coded again, their integer ids as
        decimal text."""
        old = self.layout
        held = [old.viewer(p) for s in self._structures() for p in s.pairs()]
        fields = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *held]))
        self.text = TextCodes()
        codes = self._text_codes(self.viewers.ids_of(fields), None)
        self.viewers = _Viewers()
        self.viewers.observe(codes)

        def recode(pair: np.ndarray) -> np.ndarray:
            g, field = old.split(pair)
            return old.pair(g, codes[np.searchsorted(fields, field)])

        for s in self._structures():
            s.rebuild(recode)
        self.version += 1

    def _structures(self) -> list[_Keys]:
        return [s for tally in self.tallies for s in tally.viewers.structures()]

    def _to_dictionary(self, v: np.ndarray) -> None:
        """Ids that do not fit beside the group code: switch to a dictionary of ids, made of the
        ids seen so far (read back from the keys) and these."""
        old = self.layout
        seen = [v] + [old.split(p)[1] for s in self._structures() for p in s.pairs()]
        self.viewers.to_dictionary(np.concatenate(seen))

        def recode(pair: np.ndarray) -> np.ndarray:
            g, ids = old.split(pair)
            return old.pair(g, self.viewers.lookup(ids))

        for s in self._structures():
            s.rebuild(recode)
        self.version += 1

    def _fit(self, n_groups: int, v: np.ndarray) -> np.ndarray:
        """Viewer codes of ``v``, changing the key layout first where they would not fit."""
        group_bits = self.layout.group_bits
        if self.plan.by and (n_groups - 1).bit_length() > group_bits:
            group_bits = (n_groups - 1).bit_length() + 2
        viewer_bits = _PAIR_BITS - _PART_BITS - group_bits
        viewers = self.viewers
        if viewers.direct:
            viewers.observe(v)
            if viewers.low < 0 or viewers.bits_needed() > viewer_bits:
                self._to_dictionary(v)
        codes = viewers.encode(v)
        if viewers.bits_needed() > viewer_bits:
            raise ValueError(f"{n_groups:,} groups and {len(codes):,}+ viewers do not fit a 64-bit key")
        if group_bits != self.layout.group_bits:
            old, new = self.layout, _Layout(group_bits)
            for s in self._structures():
                s.remap(lambda pair: new.pair(*old.split(pair)))
            self.layout = new
            self.version += 1
        return codes

    def add(self, part: _Part) -> None:
        self.rows_read += part.rows_read
        for reason, n in part.reasons.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + n
        for reason, n in part.nulled.items():
            self.nulled[reason] = self.nulled.get(reason, 0) + n
        self.empty_columns = merged_empty_columns([(frozenset(self.columns), self.empty_columns), (part.columns, part.empty)])
        self.columns |= part.columns
        gmap = part.gmap  # global codes of the batch's groups (histogram rows are in local order)
        with self.lock:
            n_groups = max(len(self.groups), 1)
            keys = part.keys
            if self.plan.precision is None and (keys is None or part.version != self.version):
                keys = None
                if part.viewer is not None and part.has_viewer is not None:
                    with_viewer = part.has_viewer
                    v = part.viewer[with_viewer]
                    if part.ids == "positions" and self.text is None:
                        self._to_text()
                    if part.ids != "codes" and self.text is not None:
                        v = self._text_codes(v, part.texts)
                    v = self._fit(n_groups, v)
                    pair = self.layout.pair(gmap[part.local[with_viewer]], v)
                    keys = tuple(_viewer_keys(pair, b[with_viewer]) for b in part.bits)
        for k, tally in enumerate(self.tallies):
            tally.grow(n_groups)
            # Only the (group, pattern) cells with rows: a group's rows hold a few of the 64
            # patterns, and adding whole rows of the histogram cost more than the rest of the fold.
            hist = part.hist[k].reshape(-1)
            filled = np.flatnonzero(hist)
            cells = np.reshape(tally.hist, -1, copy=False)  # a view (raises where it would copy)
            cells[gmap[filled // 64] * 64 + filled % 64] += hist[filled]  # distinct cells: no index repeats
            for rule, n in part.excluded[k].items():
                tally.excluded[rule] = tally.excluded.get(rule, 0) + n
            for key, n in part.measurement_patterns[k].items():
                tally.measurement_patterns[key] = tally.measurement_patterns.get(key, 0) + n
            if part.crossings is not None:
                (hv, ha), (local, level, code) = part.crossings[k]
                tally.histograms = (
                    (hv, ha) if tally.histograms is None else (tally.histograms[0].merge(hv), tally.histograms[1].merge(ha))
                )
                if code.size:
                    tally.add_crossings(gmap[local], level, code)
            if keys is not None:
                tally.viewers.add(*keys[k])
            if part.hashed is not None and tally.sketches is not None:
                g, bucket, rank = part.hashed
                bits = part.bits[k][part.has_viewer]
                for j, bit in enumerate(SKETCH_BITS):
                    on = slice(None) if not bit else (bits & bit) != 0
                    sketch.add(tally.sketches, g[on] * len(SKETCH_BITS) + j, bucket[on], rank[on])

    # -- the statistics ------------------------------------------------------------------

    def results(self, pool: ThreadPoolExecutor) -> list[tuple[Summary, LadderStatistics, LadderStatistics]]:
        """Per policy: the facts of the scan (a summary without rows), the grouped statistics
        and the statistics of the whole log."""
        by = self.plan.by
        if by:
            values = self.groups.values if self.groups.values is not None else pa.array([], pa.int64())
            table = pa.table({by[0]: values})
            order = np.asarray(pc.sort_indices(table, [(by[0], "ascending")]), dtype=np.int64)
            groups = table.take(order)
        else:
            order = np.zeros(1, dtype=np.int64)
            groups = pa.table({})
        n_groups = len(order)
        rank = np.empty(n_groups, dtype=np.int64)
        rank[order] = np.arange(n_groups)
        out = []
        for k, tally in enumerate(self.tallies):
            tally.grow(n_groups)
            hist = tally.hist[order]
            totals = _totals(hist)
            error = 0.0
            grouped: tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any] | None]
            overall: tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any] | None]
            if tally.sketches is not None:
                assert self.plan.precision is not None
                # Statistics of the registers in place (no reordered copy), then put in key order.
                registers = tally.sketches[:n_groups]
                grouped = _in_key_order(_sketch_statistics(registers), order, rank)
                overall = _sketch_statistics(registers.max(axis=0, keepdims=True) if n_groups else registers)
                error = sketch.relative_standard_error(self.plan.precision)
            else:
                grouped, overall = _viewer_statistics(tally.viewers, self.layout, rank, n_groups, whole=bool(by), pool=pool)
            histograms: dict[str, DwellHistogram] = (
                empty_histograms() if tally.histograms is None else dict(zip(ESTIMATED_LEVELS, tally.histograms, strict=True))
            )
            crossings = no_crossings()
            if tally.crossings:
                g, level, code, count = (np.concatenate(a) for a in zip(*tally.crossings, strict=True))
                crossings = distinct_crossings(rank[g], level, code, count)
            stats = LadderStatistics(
                groups,
                n_groups,
                {c: t.astype(float) for c, t in totals.items()},
                *grouped[:2],
                error,
                crossings=crossings,
                histograms=histograms,
                viewer_rows=grouped[2],
            )
            if by:
                whole = {c: np.array([t.sum()], dtype=np.int64).astype(float) for c, t in totals.items()}
                whole_crossings = no_crossings()
                if tally.crossings:
                    whole_crossings = distinct_crossings(np.zeros(g.size, dtype=np.int64), level, code, count)
                overall_stats = LadderStatistics(
                    pa.table({}),
                    1,
                    whole,
                    *overall[:2],
                    error,
                    crossings=whole_crossings,
                    histograms=histograms,
                    viewer_rows=overall[2],
                )
            else:
                overall_stats = stats
            out.append((self._facts(k, groups), stats, overall_stats))
        return out

    def _facts(self, k: int, groups: pa.Table) -> Summary:
        counters = list(COUNT_COLUMNS)
        empty = pa.table(
            {
                **{name: pa.array([], groups[name].type) for name in self.plan.by},
                "viewer_id": pa.array([], pa.int64()),
                **{c: pa.array([], pa.int64()) for c in counters},
            }
        )
        return Summary(
            policy=self.plan.policies[k],
            by=self.plan.by,
            table=empty,
            rows_read=self.rows_read,
            rejected=self.rejected,
            nulled=self.nulled,
            excluded=self.tallies[k].excluded,
            measurement_patterns=self.tallies[k].measurement_patterns,
            columns_seen=frozenset(self.columns),
            empty_columns=self.empty_columns,
            # As merge() leaves them: sorted.
            interactions=sorted(self.plan.interactions[k]),
            rounding_ms=self.plan.rounding_ms,
        )


def _selector(column: str) -> np.ndarray:
    stem = column.split("_", 1)[1]
    selected: np.ndarray
    if column.startswith("u"):
        selected = (PATTERNS & UNDETERMINED_BIT[stem]) != 0
    else:
        bit = LEVEL_BIT[stem]
        selected = (PATTERNS & bit) != 0 if bit else np.ones(64, dtype=bool)
    return selected


def _totals(hist: np.ndarray) -> dict[str, np.ndarray]:
    """Group totals of every counter column of a summary, from the bit-pattern histograms."""
    # One integer matrix product: patterns x counters, 1 where the pattern counts for the counter.
    select = np.stack([_selector(c) for c in COUNT_COLUMNS], axis=1).astype(np.int64)
    return dict(zip(COUNT_COLUMNS, (hist @ select).T, strict=True))


def _in_key_order(
    statistics: tuple[dict[str, np.ndarray], dict[str, Any], None], order: np.ndarray, rank: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, Any], None]:
    """Per-group sketch statistics, from groups in first-appearance order to key order."""
    certain, open_viewers, rows = statistics
    reordered = {}
    for level, (g, u, count) in open_viewers.items():
        g = rank[g]
        by_key = np.argsort(g, kind="stable")
        reordered[level] = (g[by_key], u[by_key], count[by_key])
    return {level: c[order] for level, c in certain.items()}, reordered, rows


def _sketch_statistics(registers: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, Any], None]:
    """(certain, open triples, no viewer rows) per group from HLL registers (groups, SKETCH_BITS, m).

    Open viewers (undetermined rows, none on the rung) are ``|on or undetermined| - |on|``,
    the union being the registerwise maximum; each is taken to have one undetermined row.
    """
    counts = sketch.cardinality(registers) if registers.size else np.zeros((len(registers), len(SKETCH_BITS)))
    certain: dict[str, np.ndarray] = {level: counts[:, SKETCH_BITS.index(LEVEL_BIT[level])] for level in LEVELS}
    open_viewers: dict[str, Any] = {}
    for level in ESTIMATED_LEVELS:
        on = SKETCH_BITS.index(LEVEL_BIT[level])
        either = sketch.cardinality(np.maximum(registers[:, on], registers[:, SKETCH_BITS.index(UNDETERMINED_BIT[level])]))
        extra = np.maximum(either - counts[:, on], 0.0)
        g = np.flatnonzero(extra > 0)
        open_viewers[level] = (g, np.ones(len(g), dtype=np.int64), extra[g])
    return certain, open_viewers, None


# -- the scan ---------------------------------------------------------------------------------


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)  # a CSV file's columns are read as bytes
        or t == pa.uint64()  # read as decimal text (see validation)
    )


def text_ids(stream: Stream, columns: ColumnMap) -> bool:
    """Whether ``stream`` starts with text viewer ids (the fold then codes ids as text from the
    first batch on, not once the first batch is folded)."""
    viewer = columns.source_name("viewer_id")
    return stream.schema is not None and viewer in stream.schema.names and _is_text(stream.schema.field(viewer).type)


def accepts(stream: Stream, columns: ColumnMap, by: tuple[str, ...], *, sampled: bool, sketched: bool = False) -> str | None:
    """None when the packed path takes ``stream``, else the reason it does not, in words.

    Decided before any row is reduced: from the file formats and the first batch's schema
    (``stream`` comes from :func:`~viewaudit._read.sources.with_schema`). Grouping by several
    columns is declined, and so is a sampled log (``sampled``, or a weight column), whose unseen
    viewers are estimated from per-viewer counts the keys do not keep.

    Text viewer ids (a CSV file's, for one) are coded exactly, batch after batch
    (:class:`~viewaudit._scan.text_ids.TextCodes`). HyperLogLog sketches (``sketched``) hash
    them, integers as their decimal text, when the source starts with text ids; they decline
    a source whose text may come after integers: JSON Lines files (an id column's type is
    known only block by block) and a CSV file after other formats. Unsigned 64-bit ids are
    read as text (see validation).
    """
    if sketched and "jsonl" in stream.formats:
        return "JSON Lines ids (their type may change from block to block)"
    if stream.schema is None:
        return "an empty source"
    if len(by) > 1:
        return "grouping by several columns"
    names = stream.schema.names
    check_once(names, [columns.source_name(c) for c in CANONICAL_COLUMNS])
    if sketched and "csv" in stream.formats and not text_ids(stream, columns):
        return "text viewer ids (a CSV file) after integer ones"
    if sampled or columns.source_name("weight") in names:
        return "a sampled log (unique viewers of the complete log need per-viewer counts)"
    return None


def scan_statistics(
    stream: Stream,
    policies: Sequence[Policy],
    columns: ColumnMap,
    by: tuple[str, ...],
    on_invalid: OnInvalid,
    rejects: str | os.PathLike[str] | Callable[[pa.Table], None] | None,
    progress_bar: Callable[[int | None], Any],
    *,
    precision: int | None = None,
    rounding_ms: float = 0.0,
) -> list[tuple[Summary, LadderStatistics, LadderStatistics]]:
    """Reduce a stream the packed path :func:`accepts` and return, per policy, its facts and
    ladder statistics (grouped, and of the whole log).

    ``precision``: count unique viewers with HyperLogLog sketches of ``2**precision``
    registers (one per group, rung and undetermined rung) instead of exactly. Text viewer ids
    met after the first batch raise ``TypeError`` (the decision was made on the first one).
    """
    assert stream.schema is not None, "scan_statistics takes a stream that accepts() took"
    names = stream.schema.names
    check_schema(names, columns)
    names = [*names, *CANONICAL_COLUMNS]
    interactions = tuple(interaction_columns(p, names) for p in policies)
    canon = set(CANONICAL_COLUMNS)
    extra = [b for b in by if b not in canon]
    extra += [f"?{c}" for c in dict.fromkeys(c for cols in interactions for c in cols)]
    plan = _Plan(
        tuple(policies), columns, by, on_invalid, tuple(extra), interactions, precision, rounding_ms, text_ids(stream, columns)
    )
    fold = _Fold(plan)
    writer = RejectsWriter.open(rejects)
    bar = progress_bar(stream.total_rows)

    def take(future: Future[_Part]) -> None:
        try:
            part = future.result()
        except _TextIds as err:
            raise TypeError(f"column 'viewer_id' holds integers in one part of the source and {err} in another") from None
        if writer is not None and part.rejected.num_rows:
            writer.write(part.rejected)
        fold.add(part)
        bar.update(part.rows_read)

    # A reader thread decodes batches and hands them to two workers; this thread folds their
    # results in source order. The queue bounds the batches in flight (and so the memory).
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="viewaudit")
    handed: queue.Queue[Any] = queue.Queue(maxsize=_IN_FLIGHT)
    stop = threading.Event()

    def hand(item: Any) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            row = 0
            for raw in stream.batches:
                if not hand(pool.submit(_reduce_batch, raw, row, plan, fold)):
                    return
                row += raw.num_rows
            hand(_END)
        except BaseException as err:
            hand(err)

    reader = threading.Thread(target=read, name="viewaudit-reader", daemon=True)
    reader.start()
    try:
        while (item := handed.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            take(item)
        reader.join()
        bar.close()
        if writer is not None:
            writer.close()
            writer = None
        # The decoded batches are gone, but Arrow's allocator keeps their pages (about 130 MB
        # on a 20M-row log) for batches that will not come; the statistics' arrays come from
        # numpy's allocator and cannot reuse them. Returned once, it takes milliseconds, and
        # the exact engine's peak memory drops by as much.
        pa.default_memory_pool().release_unused()
        return fold.results(pool)
    finally:
        stop.set()
        reader.join()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        if writer is not None:
            writer.close()
