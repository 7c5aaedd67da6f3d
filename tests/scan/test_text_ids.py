"""Text viewer ids as codes (text_ids.TextCodes): one code per distinct text, whatever the hash."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from viewaudit._scan import text_ids
from viewaudit._scan.text_ids import TextCodes, text_hashes


def _reference_hash(text: str) -> int:
    """text_hashes, one text at a time, in Python integers (SplitMix64's finaliser written out)."""
    word = 1 << 64
    total = sum((b + 1) * pow(int(text_ids._BASE), j, word) for j, b in enumerate(text.encode()))
    z = ((total ^ (len(text.encode()) * int(text_ids._LENGTH))) + 0x9E3779B97F4A7C15) % word
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % word
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % word
    return z ^ (z >> 31)


@given(st.lists(st.text(max_size=40), max_size=30), st.integers(0, 5))
@example(["", "a", "", "é", "a" * 300], 1)
def test_hashes_are_the_polynomial_of_the_bytes(texts: list[str], skip: int) -> None:
    """Each text's hash, from an array that may start inside its buffers (a slice), with empty
    texts anywhere (they have no bytes to sum)."""
    array = pa.array(["x"] * skip + texts, pa.string()).slice(skip)
    for kind in (pa.string(), pa.large_string()):
        assert [int(h) for h in text_hashes(array.cast(kind))] == [_reference_hash(t) for t in texts]


@given(
    st.lists(st.lists(st.text(alphabet="ab\u00e9\U0001f600", max_size=4), max_size=25), max_size=12),
    st.sampled_from([1, 2, 16, 0]),
)
@example([["a", "b"], ["b", "a", "ab"], ["ab", "b"]], 1)
def test_codes_are_exact_whatever_the_hash(batches: list[list[str]], values: int) -> None:
    """One code per distinct text across calls, codes 0..n-1, with a hash of ``values`` values
    (1: every text collides; 0: the real hash). The runs of hashes merge along the way."""
    codes = TextCodes()
    seen: dict[str, int] = {}
    original = text_ids.text_hashes
    try:
        if values:
            text_ids.text_hashes = lambda texts: original(texts) % np.uint64(values)  # type: ignore[assignment]
        for batch in batches:
            distinct = list(dict.fromkeys(batch))
            got = codes.codes(pa.array(distinct, pa.string()))
            for text, code in zip(distinct, got.tolist(), strict=True):
                assert seen.setdefault(text, code) == code
    finally:
        text_ids.text_hashes = original
    assert sorted(seen.values()) == list(range(len(seen)))
    assert len(codes) == len(seen)


def test_many_runs_merge_and_stay_exact() -> None:
    """Thousands of texts in many calls (runs merged log2-many times), a hash of 64 values."""
    rng = np.random.default_rng(5)
    words = np.array([f"viewer-{i}" for i in range(3000)])
    codes = TextCodes()
    seen: dict[str, int] = {}
    original = text_ids.text_hashes
    try:
        text_ids.text_hashes = lambda texts: original(texts) % np.uint64(64)  # type: ignore[assignment]
        for _ in range(40):
            distinct = list(dict.fromkeys(words[rng.integers(0, words.size, 200)].tolist()))
            for text, code in zip(distinct, codes.codes(pa.array(distinct)).tolist(), strict=True):
                assert seen.setdefault(text, code) == code
    finally:
        text_ids.text_hashes = original
    assert sorted(seen.values()) == list(range(len(seen)))


@pytest.mark.parametrize("texts", [[], [""], ["", ""]])
def test_empty_texts(texts: list[str]) -> None:
    """No text, or only empty ones: one code for the empty text."""
    distinct = list(dict.fromkeys(texts))
    assert TextCodes().codes(pa.array(distinct, pa.string())).tolist() == list(range(len(distinct)))
