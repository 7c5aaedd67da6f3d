"""A CSV file's numbers and flags are text. The quick paths that parse them (plain numbers cast
at once, repeated values parsed once each) give what parsing every value in full gives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given
from hypothesis import strategies as st

from viewaudit._read import validation as v

NUMBERS = ["0", "12", "-3", "1.5", "-0.25", "2e3", "7E-2", "1.", ".5", "+4", " 8 ", "1,5", "inf", "-Infinity"]
WORDS = ["", "NA", "nan", "NaN", "null", "None", "n/a", "#N/A", "true", "F", "yes", "no", "abc", " t "]
VALUES = st.one_of(st.sampled_from(NUMBERS + WORDS), st.none(), st.text(alphabet="0123456789.-eE +naif", max_size=6))


def _columns(values: list[str | None], repeat: int) -> pa.Array:
    return pa.array(values * repeat, pa.string())


def _same(a: pa.Array, b: pa.Array) -> bool:
    """Equal values and nulls, a NaN equal to a NaN."""
    nulls = np.array_equal(np.asarray(pc.is_null(a)), np.asarray(pc.is_null(b)))
    return nulls and np.array_equal(a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False), equal_nan=True)


@given(st.lists(VALUES, min_size=1, max_size=40), st.sampled_from([1, 30, 400]))
@example(["1.5"], 2000)
@example(["+nan"], 1)
@example(["1", "2", "3", "4", "5", "6", "7", "9", "10", "11", " 8 ", "inf", "x"], 1)  # a few not plain
@example([str(k) for k in range(20)] + ["-Infinity", "NA"], 100)
@example(["1.5", "NA"], 1000)
@example([str(k) for k in range(30)] + ["x"], 50)
def test_numbers_as_full_parsing_reads_them(values: list[str | None], repeat: int) -> None:
    """Every value parsed in full (`_any_number_text`) against the column's path, short and long,
    with few or many distinct values, with or without text that is not a plain number."""
    text = _columns(values, repeat)
    number, bad = v._per_distinct(text, v._number_text)
    full_number, full_bad = v._any_number_text(text)
    assert _same(number, full_number)
    assert np.array_equal(np.asarray(pc.fill_null(bad, False)), np.asarray(pc.fill_null(full_bad, False)))


@given(st.lists(VALUES, min_size=1, max_size=40), st.sampled_from([1, 30, 400]))
@example(["true", "0", "", None, "maybe"], 600)
def test_flags_as_full_parsing_reads_them(values: list[str | None], repeat: int) -> None:
    """Flags parsed once per distinct value, taken back to every row."""
    text = _columns(values, repeat)
    flag, unknown = v._per_distinct(text, v._flag_text)
    full_flag, full_unknown = v._flag_text(text)
    assert flag.equals(full_flag)
    assert np.array_equal(np.asarray(pc.fill_null(unknown, False)), np.asarray(pc.fill_null(full_unknown, False)))


@given(st.lists(VALUES, max_size=60))
def test_null_words_quick_path(values: list[str | None]) -> None:
    """Plain numbers skip the null-word pass; anything else takes it."""
    text = pa.array(values, pa.string())
    word = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(text)), value_set=pa.array(v._NULL_WORDS, pa.string()))
    assert v._without_null_words(text).equals(pc.if_else(word, pa.scalar(None, pa.string()), text))
