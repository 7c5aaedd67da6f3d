"""Text viewer ids as dense integer codes, exactly, across the batches of one scan.

The packed keys hold a viewer as an integer. A log whose ids are text (a CSV file, UUIDs,
hashed e-mail addresses) gets a code per distinct id, the same code in every batch: codes
0, 1, 2, ... as ids first arrive (a batch's new ids in the order of their hashes). No figure
depends on which code an id gets, only on two ids getting two codes.

Each distinct text of a batch is hashed to 64 bits (NumPy, over the Arrow buffers), and the
hashes are looked up in sorted runs of those seen so far. A hash alone is not an identity:
two ids may share one. So every hit is checked against the text kept beside its hash, and a
text whose hash another text holds takes its code from a plain dictionary. The codes are
exact whatever the hash does; a bad hash (or ids built to collide) only slows the lookup.
"""

from __future__ import annotations

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._estimators.hyperloglog import hash64

#: The odd multiplier of the polynomial hash (FNV-1's 64-bit prime), its inverse modulo 2**64,
#: and the multiplier the length enters with.
_BASE = np.uint64(0x100000001B3)
_INVERSE = pow(int(_BASE), -1, 1 << 64)
_LENGTH = np.uint64(0x9E3779B97F4A7C15)


def text_hashes(texts: pa.Array) -> np.ndarray:
    """A 64-bit hash (uint64) of each text of ``texts`` (a string or large_string array without
    nulls): a polynomial of its UTF-8 bytes (byte j weighted by BASE**j, modulo 2**64) and its
    length, mixed by SplitMix64's finaliser (:func:`~viewaudit._estimators.hyperloglog.hash64`),
    which spreads the sums' low bits over the whole word."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offset_type = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    buffers = texts.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[texts.offset : texts.offset + n + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    first, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    filled = lengths > 0
    sums = np.zeros(n, dtype=np.uint64)
    if filled.any():
        # Weighted by BASE**(position in the whole buffer), summed per text, then brought back
        # to BASE**(position in the text) by BASE**-start (BASE is odd: it has an inverse
        # modulo 2**64). No per-byte position is built: three passes over the bytes.
        values = data[offsets[0] : offsets[-1]].astype(np.uint64) + np.uint64(1)
        powers = np.full(values.size, _BASE, dtype=np.uint64)
        powers[0] = 1
        values *= np.multiply.accumulate(powers, out=powers)
        sums[filled] = np.add.reduceat(values, first[filled]) * _powers(_INVERSE, first[filled])
    return hash64(sums ^ (lengths.astype(np.uint64) * _LENGTH))


def _powers(base: int, exponents: np.ndarray) -> np.ndarray:
    """base**exponents modulo 2**64, by squaring."""
    out = np.ones(exponents.size, dtype=np.uint64)
    e = exponents.astype(np.uint64)
    one = np.uint64(1)
    while e.any():
        out *= np.where(e & one, np.uint64(base), one)
        base = base * base % (1 << 64)
        e >>= one
    return out


@attrs.frozen
class HashedTexts:
    """Distinct texts hashed and put in hash order, ready for :meth:`TextCodes.codes`: made
    where no lock is held (the workers hash their batches at once; only the lookup is shared)."""

    texts: pa.Array  # large_string, no nulls, no repeats
    order: np.ndarray  # positions in ``texts``, by hash (stable: equal hashes by position)
    hashes: np.ndarray  # in that order

    @classmethod
    def of(cls, distinct: pa.Array) -> HashedTexts:
        texts = distinct.cast(pa.large_string())
        hashes = text_hashes(texts)
        order = np.argsort(hashes, kind="stable")
        return cls(texts, order, hashes[order])


@attrs.define
class _Run:
    hashes: np.ndarray  # sorted, distinct across runs
    codes: np.ndarray
    texts: pa.Array  # large_string, aligned with hashes


class TextCodes:
    """Codes 0, 1, 2, ... of distinct texts, one per text, kept across calls."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        self._shared: dict[str, int] = {}  # texts whose hash an earlier text holds
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def codes(self, distinct: pa.Array | HashedTexts) -> np.ndarray:
        """The code (int64) of each text of ``distinct`` (string, no nulls, no repeats). New
        texts take the next codes, in the order of their hashes."""
        hashed = distinct if isinstance(distinct, HashedTexts) else HashedTexts.of(distinct)
        # In hash order: sorted needles make searchsorted walk each run once, and a batch's
        # texts of one hash sit together (the first, by position, first).
        texts, order, hashes = hashed.texts, hashed.order, hashed.hashes
        code = np.full(order.size, -1, dtype=np.int64)  # in hash order
        shared = np.zeros(order.size, dtype=bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run.hashes, hashes), run.hashes.size - 1)
            hit = np.flatnonzero(run.hashes[at] == hashes)
            if hit.size:
                same = np.asarray(pc.equal(texts.take(order[hit]), run.texts.take(at[hit])), dtype=bool)
                code[hit[same]] = run.codes[at[hit[same]]]
                shared[hit[~same]] = True
        # A hash no earlier text holds: its first text here is new, and goes to a new run;
        # another text of that hash is shared.
        rest = np.flatnonzero((code < 0) & ~shared)
        first = np.r_[True, hashes[rest[1:]] != hashes[rest[:-1]]] if rest.size else np.zeros(0, dtype=bool)
        new = rest[first]
        shared[rest[~first]] = True
        code[new] = self._size + np.arange(new.size)
        self._size += new.size
        if new.size:
            self._runs.append(_Run(hashes[new], code[new], texts.take(order[new])))
            self._merge_runs()
        for i in np.flatnonzero(shared):
            text = texts[int(order[i])].as_py()
            known = self._shared.get(text)
            if known is None:
                known = self._shared[text] = self._size
                self._size += 1
            code[i] = known
        out = np.empty_like(code)
        out[order] = code
        return out

    def _merge_runs(self) -> None:
        # Runs halve in size from the first: a text is merged about log2(runs) times, and a
        # lookup searches that many runs.
        while len(self._runs) > 1 and 2 * self._runs[-1].hashes.size >= self._runs[-2].hashes.size:
            b, a = self._runs.pop(), self._runs.pop()
            hashes = np.concatenate([a.hashes, b.hashes])
            order = np.argsort(hashes, kind="stable")
            texts = pa.concat_arrays([a.texts, b.texts]).take(order)
            self._runs.append(_Run(hashes[order], np.concatenate([a.codes, b.codes])[order], texts))
