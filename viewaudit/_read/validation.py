"""Row validation with accounting: every row read is either accepted or rejected with a reason.

``validate_batch`` turns one raw record batch into canonical, typed columns and a table of the
rows it rejected. Schema problems (no ``item_id``; a column whose type cannot hold what the
schema says) raise at once; bad *values* reject the row, or raise at that row when the caller
asks for ``on_invalid="raise"``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from viewaudit._read.rejects import kept_names
from viewaudit._schema import (
    BOOL_COLUMNS,
    CANONICAL_COLUMNS,
    FLOAT_COLUMNS,
    ID_COLUMNS,
    MAX_WEIGHT,
    MIN_SAMPLE_RATE,
    TIME_COLUMNS,
    TIME_UNITS,
    ColumnMap,
    OnInvalid,
)

#: Text a float column may hold: decimal or scientific notation, or nan/inf words.
_NUMBER = r"^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|(?i:nan|inf|infinity))\s*$"
#: Numbers as most files write them: every such text matches _NUMBER, and is no null word.
_PLAIN_NUMBER = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
#: Columns shorter than this are parsed whole (see _per_distinct).
_PER_DISTINCT_ROWS = 1024
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0", "")
#: Number words that are missing, not a value, in a flag column (as NaN is in a float one).
_NAN_WORDS = ("nan", "+nan", "-nan")

#: Timestamp text formats tried in order when a plain cast fails.
_TS_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d")

_INT64_MAX = 2**63 - 1

#: Words that mean "missing" in a number, flag or time column (Arrow's CSV null values, and
#: "none"); compared in lower case. In id and text columns only an empty field is missing.
_NULL_WORDS = sorted({w.lower() for w in pa_csv.ConvertOptions().null_values if w} | {"none"})


@attrs.frozen
class Validated:
    """A batch's accepted rows in canonical form and its rejected rows with their reasons."""

    accepted: pa.Table
    rejected: pa.Table  # raw columns as text, plus _row and _reason
    reasons: dict[str, int]
    #: Values of accepted rows that could not be read and were made null, per reason.
    nulled: dict[str, int] = attrs.field(factory=dict)


class _Check:
    """Collects (reason, bad-row mask) pairs in check order; the first reason wins per row."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.items: list[tuple[str, str, np.ndarray, pa.Array]] = []
        self.nulled: list[tuple[str, np.ndarray]] = []  # values made null, their rows kept

    def add(self, reason: str, expectation: str, bad: pa.Array | np.ndarray, values: pa.Array) -> None:
        mask = np.asarray(pc.fill_null(bad, False) if isinstance(bad, pa.Array | pa.ChunkedArray) else bad, dtype=bool)
        if mask.any():
            self.items.append((reason, expectation, mask, values))

    def null(self, reason: str, nulled: pa.Array) -> None:
        mask = np.asarray(pc.fill_null(nulled, False), dtype=bool)
        if mask.any():
            self.nulled.append((reason, mask))


def _text(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _agent_column(name: str, arr: pa.Array) -> pa.Array:
    """User agents as text; dictionary-encoded text stays so. A log holds a handful of distinct
    agents, often long: decoding would copy each for every row, and the bot rules match the
    dictionary's values anyway (:func:`~viewaudit._scan.summary.rung_masks`)."""
    if pa.types.is_dictionary(arr.type) and pa.types.is_string(arr.type.value_type) and not arr.dictionary.null_count:
        # (A null among the values would be a null row that null_count does not show.)
        return arr
    text = _text(arr)
    if not (pa.types.is_string(text.type) or pa.types.is_null(text.type)):
        raise TypeError(f"column {name!r} must hold text, found {text.type}")
    return text.cast(pa.string())


def _decoded(name: str, arr: pa.Array, check: _Check) -> pa.Array:
    """Bytes as text; a value that is not UTF-8 rejects its row (the reader keeps a column as
    bytes only when one of its values is not UTF-8)."""
    if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type) or pa.types.is_binary_view(arr.type)):
        return arr
    texts: list[str | None] = []
    bad = np.zeros(len(arr), dtype=bool)
    for i, value in enumerate(arr.to_pylist()):
        try:
            texts.append(None if value is None else value.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)
            bad[i] = True
    check.add(f"{name}: invalid UTF-8", "UTF-8 text", bad, arr)
    return pa.array(texts, pa.string())


def _without_null_words(arr: pa.Array) -> pa.Array:
    """Text with the null words (``NA``, ``null``, ``nan``, ...) as nulls."""
    if not pa.types.is_string(arr.type):
        return arr
    if pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py() is not False:
        return arr  # plain numbers (nulls aside), as a CSV file's times mostly are: no null word
    word = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(arr)), value_set=pa.array(_NULL_WORDS, pa.string()))
    return pc.if_else(word, pa.scalar(None, pa.string()), arr)


def _id_column(name: str, arr: pa.Array, check: _Check) -> pa.Array:
    arr = _text(arr)
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_unsigned_integer(t) and t.bit_width == 64:
        # Ids of 2**63 and above do not fit int64: the column is read as decimal text, as the
        # same ids are from a CSV file, whatever the values of this batch.
        return arr.cast(pa.string())
    if pa.types.is_integer(t) or pa.types.is_null(t):
        return arr.cast(pa.int64())
    if pa.types.is_floating(t):
        # pandas turns integer ids with nulls into floats; accept whole numbers only.
        whole = pc.and_(pc.is_finite(arr), pc.equal(pc.floor(arr), arr))
        check.add(f"{name}: not an integer", "a whole number or text", pc.invert(whole), arr)
        # A float holds every integer only below 2**53: from there on it may be another id rounded
        # (pandas stores integer ids with nulls as floats), so it is not taken as an id.
        in_range = pc.less(pc.abs(arr), 2.0**53)
        expectation = "an integer id below 2**53 as a float, or an integer or text"
        check.add(f"{name}: out of range", expectation, pc.and_(whole, pc.invert(in_range)), arr)
        return pc.if_else(pc.and_(whole, in_range), arr, None).cast(pa.int64())
    raise TypeError(f"column {name!r} must hold integers or text ids, found {t}")


def _per_distinct(arr: pa.Array, fn: Callable[[pa.Array], tuple[pa.Array, ...]]) -> tuple[pa.Array, ...]:
    """``fn(arr)`` for an element-wise ``fn``, computed once per distinct value (null included)
    where values repeat: a flag column holds a handful, and a CSV file's are text, each parsed
    by a dozen passes. Where most of the first values differ, ``fn`` takes them all."""
    if len(arr) < _PER_DISTINCT_ROWS:
        return fn(arr)
    sample = arr.slice(0, _PER_DISTINCT_ROWS)
    if 2 * pc.count_distinct(sample, mode="all").as_py() > len(sample):
        return fn(arr)
    encoded = pc.dictionary_encode(arr, null_encoding="encode")
    return tuple(result.take(encoded.indices) for result in fn(encoded.dictionary))


def _number_text(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Text as float64 (null where missing or not a number), and where it is not a number.

    Plain numbers (most values of most files) are cast at once: such a text is no null word,
    has no space to trim and is a number, and the full path below would cast it the same. The
    rest (null words, spaces, ``inf``, words) take the full path."""
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_NUMBER), False)
    other = pc.invert(plain)
    n_other = pc.sum(other).as_py() or 0
    if n_other == 0:
        return text.cast(pa.float64()), pa.array(np.zeros(len(text), dtype=bool))
    if 4 * n_other > len(text):
        return _any_number_text(text)
    number, bad = _any_number_text(text.filter(other))
    quick = pc.if_else(plain, text, None).cast(pa.float64())
    return pc.replace_with_mask(quick, other, number), pc.replace_with_mask(pa.array(np.zeros(len(text), dtype=bool)), other, bad)


def _any_number_text(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    stripped = pc.utf8_trim_whitespace(_without_null_words(text))
    blank = pc.equal(stripped, "")
    ok = pc.match_substring_regex(stripped, _NUMBER)
    bad = pc.and_(pc.invert(ok), pc.invert(blank))
    return pc.if_else(ok, stripped, None).cast(pa.float64()), bad


def _float_column(name: str, arr: pa.Array, check: _Check, *, scale: float = 1.0) -> pa.Array:
    """The column as float64, times ``scale`` (the size of its declared unit in ms), with its
    bad values checked after the scaling: 1e306 seconds is no finite number of ms."""
    arr = _text(arr)
    t = arr.type
    if pa.types.is_string(t):
        number, bad = _per_distinct(arr, _number_text)
        check.add(f"{name}: not a number", "a number", bad, arr)
        arr = number
    elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t):
        # Unchecked: a float holds integers only below 2**53, and a duration, share or weight
        # that large (a logging error, if anything) is judged by its value, not refused by Arrow.
        arr = arr.cast(pa.float64(), safe=False)
    else:
        raise TypeError(f"column {name!r} must hold numbers, found {t}")
    # NaN is how pandas spells a missing float: treat it as null (not measured).
    arr = pc.if_else(pc.is_nan(arr), None, arr)
    given = arr  # in the source's unit, for the message of on_invalid="raise"
    if scale != 1.0:
        arr = pc.multiply(arr, scale)
    finite = "a finite number" if scale == 1.0 else f"a finite number once in ms (times {scale:g})"
    check.add(f"{name}: not finite", finite, pc.is_inf(arr), given)
    if name == "visible_fraction":
        outside = pc.or_(pc.less(arr, 0.0), pc.greater(arr, 1.0))
        check.add(f"{name}: outside [0, 1]", "a value in [0, 1]", outside, arr)
    elif name == "weight":
        # An inverse inclusion probability: below 1 (or missing) it is not one; above MAX_WEIGHT
        # the fixed-point weight sums could not hold it.
        below = pc.or_kleene(pc.is_null(arr), pc.less(arr, 1.0))
        check.add(f"{name}: not >= 1", "a number >= 1 (an inverse inclusion probability)", below, arr)
        above = pc.and_(pc.greater(arr, MAX_WEIGHT), pc.invert(pc.is_inf(arr)))
        expectation = f"a number <= {MAX_WEIGHT:g} (a sample rate >= {MIN_SAMPLE_RATE:g})"
        check.add(f"{name}: above {MAX_WEIGHT:g}", expectation, above, arr)
    else:
        check.add(f"{name}: negative", "a value >= 0", pc.less(arr, 0.0), given)
    return arr


def _in_ms(name: str, columns: ColumnMap) -> float:
    """The size in ms of the unit a time column's mapping declares (``read_time:s``: 1000)."""
    unit = columns.unit(name)
    return 1.0 if unit is None else TIME_UNITS[unit]


def measured_times(raw: pa.RecordBatch, columns: ColumnMap) -> dict[str, np.ndarray]:
    """The values in ms of each time column ``raw`` has, for :meth:`TimeStats.of`: values a
    full validation would reject are left out or left as NaN, infinite or negative numbers,
    which that count leaves out (this is a look at the values, not a check)."""
    names = raw.schema.names
    check_once(names, [columns.source_name(c) for c in TIME_COLUMNS])
    out: dict[str, np.ndarray] = {}
    for name in TIME_COLUMNS:
        source = columns.source_name(name)
        if source not in names:
            continue
        column = _combine(raw.column(source))
        if columns.unit(name) in (None, "ms") and (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            # Numbers in ms (most logs): the checks below keep the values that are not null, not
            # NaN, finite and not negative, which TimeStats.of counts alone (a null is read as NaN).
            # Unchecked, as in _float_column: an int64 near 2**63 is judged by its value.
            out[name] = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
            continue
        check = _Check(raw.num_rows)
        try:
            arr = _float_column(name, _decoded(name, column, check), check, scale=_in_ms(name, columns))
        except TypeError:
            continue  # the scan raises this with its message
        bad = np.zeros(raw.num_rows, dtype=bool)
        for _, _, mask, _ in check.items:
            bad |= mask
        values = arr.to_numpy(zero_copy_only=False)
        out[name] = values[~bad & ~np.isnan(values)]
    return out


def _bool_column(name: str, arr: pa.Array, check: _Check) -> pa.Array:
    arr = _text(arr)
    t = arr.type
    if pa.types.is_boolean(t):
        out = arr
    elif pa.types.is_integer(t):
        out = pc.not_equal(arr, 0)
    elif pa.types.is_floating(t):
        out = pc.if_else(pc.is_nan(arr), None, pc.not_equal(arr, 0))  # NaN: missing, as in floats
    elif pa.types.is_string(t):
        out, unknown = _per_distinct(arr, _flag_text)
        check.add(f"{name}: not a boolean", "true/false or a number", unknown, arr)
    elif pa.types.is_null(t):
        out = arr.cast(pa.bool_())
    else:
        raise TypeError(f"column {name!r} must hold booleans, found {t}")
    # A missing flag or interaction means "not flagged" / "did not interact".
    return pc.fill_null(out, False)


def _flag_text(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Text as a flag (null where missing), and where it is no flag."""
    low = pc.utf8_lower(pc.utf8_trim_whitespace(_without_null_words(text)))
    # A number written as text is read as the same number in a numeric column would be
    # (non-zero is true, NaN missing): a CSV file then gives what its Parquet twin gives.
    numeric = pc.and_(pc.match_substring_regex(low, _NUMBER), pc.invert(pc.is_in(low, pa.array(_NAN_WORDS))))
    number = pc.if_else(numeric, low, None).cast(pa.float64())
    is_true = pc.or_(pc.is_in(low, pa.array(_TRUE)), pc.fill_null(pc.not_equal(number, 0.0), False))
    is_false = pc.or_(pc.is_in(low, pa.array(_FALSE)), pc.fill_null(pc.equal(number, 0.0), False))
    unknown = pc.and_(pc.is_valid(low), pc.invert(pc.or_(pc.or_(is_true, is_false), pc.is_in(low, pa.array(_NAN_WORDS)))))
    return pc.if_else(is_true, True, pc.if_else(is_false, False, None)), unknown


def group_labels(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A ``by=`` column as the labels the scan groups under: floats with -0.0 as 0.0 (they
    compare equal, yet hash and sort as two labels), dictionaries decoded (their values may
    include some no row holds), anything else as it is."""
    if pa.types.is_dictionary(arr.type):  # user agents stay encoded (see _agent_column)
        arr = arr.cast(arr.type.value_type)
    return pc.add(arr, 0.0) if pa.types.is_floating(arr.type) else arr


def _group_column(name: str, arr: pa.Array) -> pa.Array:
    """A ``by=`` column's labels: text, integers and booleans as they are; floats with NaN as
    missing (as pandas means it) and -0.0 as 0.0 (one number, one group); dates, times and
    decimals as their text, which JSON can hold. A list or struct is no label."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_null(t):
        return arr
    if pa.types.is_floating(t):
        arr = arr.cast(pa.float64())
        return pc.if_else(pc.is_nan(arr), None, group_labels(arr))
    if pa.types.is_temporal(t) or pa.types.is_decimal(t):
        return arr.cast(pa.string())
    raise TypeError(f"column {name!r} (by=) must hold text, numbers, booleans, dates or times to group by, found {t}")


def _utf_8_or_none(value: bytes | None) -> str | None:
    try:
        return None if value is None else value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _ts_column(arr: pa.Array, check: _Check) -> pa.Array:
    """``ts`` as epoch milliseconds (truncated); a value that cannot be read is null, and counted.

    No count reads ``ts``, so an unreadable one never costs its row (docs/schema.md lists the
    forms read, and the magnitude rule for epoch numbers).
    """
    arr = _text(arr)
    t = arr.type
    present = pc.is_valid(arr)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        try:
            arr = arr.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # A value that is not UTF-8 is unreadable (null, counted): that value, not its batch.
            arr = pa.array([_utf_8_or_none(v) for v in arr.to_pylist()], pa.string())
        t = pa.string()
    if pa.types.is_timestamp(t):
        ms = _scaled_ms(arr.cast(pa.int64()), {"s": 1000, "ms": 1, "us": -1000, "ns": -1_000_000}[t.unit])
    elif pa.types.is_date(t):
        ms = arr.cast(pa.timestamp("ms")).cast(pa.int64())
    elif pa.types.is_integer(t):
        ms = _epoch_int_ms(arr)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        ms = _epoch_float_ms(arr.cast(pa.float64()))
    elif pa.types.is_string(t):
        ms = _ts_text(pc.utf8_trim_whitespace(arr))
    else:  # booleans, lists, times of day...: not a time at all
        ms = pa.nulls(len(arr), pa.int64())
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "") if pa.types.is_string(t) else pa.nulls(len(arr), pa.bool_())
    nan = pc.is_nan(arr) if pa.types.is_floating(t) else blank  # NaN is missing, as in the float columns
    given = pc.and_(present, pc.invert(pc.fill_null(pc.or_kleene(blank, nan), False)))
    check.null("ts: unreadable", pc.and_(given, pc.is_null(ms)))
    return ms


#: Epoch numbers are read by magnitude: below 1e11 seconds (up to the year 5138), below 1e14
#: milliseconds, below 1e17 microseconds, else nanoseconds. (bound, factor to ms; < 0: divide)
_EPOCH_UNITS = ((1e11, 1000), (1e14, 1), (1e17, -1000), (math.inf, -1_000_000))


def _scaled_ms(values: pa.Array, factor: int) -> pa.Array:
    """Integers times ``factor`` (or divided by ``-factor``, truncating), null where that overflows."""
    if factor > 0:
        fits = pc.less(pc.abs(values.cast(pa.float64(), safe=False)), 2.0**63 / factor)
        return pc.multiply(pc.if_else(fits, values, None), factor)
    return pc.divide(values, -factor)


def _epoch_int_ms(values: pa.Array) -> pa.Array:
    if pa.types.is_unsigned_integer(values.type) and values.type.bit_width == 64:
        values = pc.if_else(pc.less_equal(values, pa.scalar(_INT64_MAX, pa.uint64())), values, None)
    values = values.cast(pa.int64())
    size = pc.abs(values.cast(pa.float64(), safe=False))
    out = pa.nulls(len(values), pa.int64())
    low = 0.0
    for bound, factor in _EPOCH_UNITS:
        here = pc.and_(pc.greater_equal(size, low), pc.less(size, bound))
        out = pc.if_else(here, _scaled_ms(pc.if_else(here, values, None), factor), out)
        low = bound
    return out


def _epoch_float_ms(values: pa.Array) -> pa.Array:
    size = pc.abs(values)
    scale = pa.nulls(len(values), pa.float64())
    for bound, factor in reversed(_EPOCH_UNITS):
        scale = pc.if_else(pc.less(size, bound), float(factor) if factor > 0 else -1.0 / factor, scale)
    ms = pc.floor(pc.multiply(values, scale))
    # An unsafe cast would turn inf or 1e300 into some date: those are unreadable instead.
    ok = pc.and_(pc.is_finite(ms), pc.less(pc.abs(ms), 2.0**63))
    return pc.if_else(ok, ms, None).cast(pa.int64(), safe=False)


#: Whole numbers that fit in int64 (19 digits starting 0-8 always do), and decimal numbers.
_INTEGER_TEXT = r"^[-+]?(\d{1,18}|[0-8]\d{18})$"
_DECIMAL_TEXT = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
#: RFC 2822 dates name their month in English ("Fri, 17 Nov 2023 08:00:00 +0000").
_RFC_2822 = r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b"


def _ts_text(stripped: pa.Array) -> pa.Array:
    """Text ``ts``: epoch numbers (by magnitude), ISO 8601 with or without offset, RFC 2822."""
    whole = pc.match_substring_regex(stripped, _INTEGER_TEXT)
    parsed = _epoch_int_ms(pc.if_else(whole, stripped, None).cast(pa.int64()))
    decimal = pc.and_(pc.is_null(parsed), pc.match_substring_regex(stripped, _DECIMAL_TEXT))
    parsed = pc.coalesce(parsed, _epoch_float_ms(pc.if_else(decimal, stripped, None).cast(pa.float64())))
    for fmt in _TS_FORMATS:
        todo = pc.and_(pc.is_null(parsed), pc.is_valid(stripped))
        if not pc.any(todo).as_py():
            return parsed
        try_fmt = pc.strptime(pc.if_else(todo, stripped, None), format=fmt, unit="ms", error_is_null=True)
        parsed = pc.coalesce(parsed, try_fmt.cast(pa.int64()))
    # ISO 8601 with fractions or offsets (then without offsets): Arrow's own parser.
    for iso in (pa.timestamp("ns", tz="UTC"), pa.timestamp("ns")):
        todo = pc.and_(pc.is_null(parsed), pc.is_valid(stripped))
        if not pc.any(todo).as_py():
            return parsed
        parsed = pc.coalesce(parsed, _parse_iso(pc.if_else(todo, stripped, None), iso))
    todo = pc.and_(pc.is_null(parsed), pc.match_substring_regex(stripped, _RFC_2822))
    if pc.any(todo).as_py():
        parsed = pc.coalesce(parsed, _parse_rfc_2822(pc.if_else(todo, stripped, None)))
    return parsed


def _parse_rfc_2822(values: pa.Array) -> pa.Array:
    """RFC 2822 dates as epoch ms, each distinct value parsed once; null where one does not parse."""
    texts, stamps = [], []
    for text in pc.unique(values).drop_null().to_pylist():
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is None:  # "-0000": UTC, origin unknown
            when = when.replace(tzinfo=dt.UTC)
        texts.append(text)
        stamps.append(int(when.timestamp() * 1000))
    return pc.take(pa.array(stamps, pa.int64()), pc.index_in(values, pa.array(texts, pa.string())))


def _parse_iso(values: pa.Array, iso: pa.DataType) -> pa.Array:
    """Text cast to the timestamp type ``iso``, as epoch ms; null where a value does not parse.

    One bad value fails Arrow's cast of the whole array, so then each distinct value is cast
    alone: whether a row parses must not depend on what else its batch holds.
    """

    def to_ms(arr: pa.Array) -> pa.Array:
        return arr.cast(iso).cast(pa.timestamp("ms", tz=iso.tz), safe=False).cast(pa.int64())

    try:
        return to_ms(values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    texts, stamps = [], []
    for text in pc.unique(values).drop_null().to_pylist():
        try:
            stamps.append(to_ms(pa.array([text], pa.string()))[0].as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        texts.append(text)
    return pc.take(pa.array(stamps, pa.int64()), pc.index_in(values, pa.array(texts, pa.string())))


def _present(raw: pa.RecordBatch | pa.Table, columns: ColumnMap) -> dict[str, pa.Array]:
    names = raw.schema.names
    out: dict[str, pa.Array] = {}
    for canonical in CANONICAL_COLUMNS:
        source = columns.source_name(canonical)
        if source in names:
            out[canonical] = raw.column(source)
    return out


def _combine(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _not_a_list(name: str, kind: pa.DataType, columns: ColumnMap) -> None:
    """Raise ``TypeError`` for a list column: a row is one impression, and a list is several."""
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_list_view(kind):
        source = columns.source_name(name)
        mapped = "" if source == name else f" (mapped from {source!r})"
        raise TypeError(
            f"column {name!r}{mapped} holds lists ({kind}), and a row is one impression: one impression per element? "
            "explode it first, or use a format that does (--format ebnerd, format='ebnerd')"
        )


def check_once(names: Sequence[str], read: Sequence[str]) -> None:
    """Raise ``ValueError`` when a column the audit reads appears more than once in ``names``:
    which of them holds the values is a guess (columns no count reads may repeat)."""
    for name in dict.fromkeys(read):
        times = list(names).count(name)
        if times > 1:
            raise ValueError(
                f"column {name!r} appears {times} times in the source; the audit reads it, so it must be "
                "one column: rename or drop the others"
            )


def check_schema(names: Sequence[str], columns: ColumnMap) -> None:
    """Raise ``ValueError`` when the source cannot be an impression log at all."""
    check_once(names, [columns.source_name(c) for c in CANONICAL_COLUMNS])
    source = columns.source_name("item_id")
    if source not in names:
        mapped = "" if source == "item_id" else f" (mapped from {source!r})"
        raise ValueError(
            f"column 'item_id'{mapped} is required but missing; the source has columns {', '.join(map(repr, names)) or 'none'}"
        )
    unknown = sorted(set(columns.mapping) - set(CANONICAL_COLUMNS))
    if unknown:
        raise ValueError(
            f"columns= maps unknown canonical column(s) {', '.join(map(repr, unknown))}; expected "
            f"some of {', '.join(CANONICAL_COLUMNS)}"
        )
    # An explicit mapping to a column that is not there is a mistake, not an absent column:
    # silently making its rung "cannot be determined" would hide it.
    for canonical in sorted(columns.mapping):
        mapped = columns.source_name(canonical)
        if mapped not in names and mapped != canonical:
            raise ValueError(
                f"columns= maps {canonical!r} to {mapped!r}, which the source does not have; the source has "
                f"columns {', '.join(map(repr, names)) or 'none'}"
            )


def validate_batch(
    raw: pa.RecordBatch,
    *,
    columns: ColumnMap,
    extra: Sequence[str],
    on_invalid: OnInvalid,
    first_row: int,
) -> Validated:
    """Validate one raw batch.

    ``extra`` names non-canonical columns to carry through as they are (grouping columns) or as
    booleans (interaction columns, given as ``"?name"``). ``first_row`` is the index of the
    batch's first row in the whole source, for error messages and the rejects file.
    """
    check_schema(raw.schema.names, columns)
    n = raw.num_rows
    check = _Check(n)
    # ``ts`` is left as bytes: a value that is not UTF-8 is an unreadable time (null, counted),
    # which costs no row, where in any other column it is a bad row.
    present = {k: _combine(v) if k == "ts" else _decoded(k, _combine(v), check) for k, v in _present(raw, columns).items()}
    out: dict[str, pa.Array] = {}
    for name, arr in present.items():
        if name != "ts":  # an unreadable ts keeps its row (see _ts_column): a list is one
            _not_a_list(name, arr.type, columns)
        if name in ID_COLUMNS:
            out[name] = _id_column(name, arr, check)
        elif name in FLOAT_COLUMNS:
            out[name] = _float_column(name, arr, check, scale=_in_ms(name, columns) if name in TIME_COLUMNS else 1.0)
        elif name in BOOL_COLUMNS:
            out[name] = _bool_column(name, arr, check)
        elif name == "ts":
            out[name] = _ts_column(_without_null_words(_text(arr)), check)
        else:  # user_agent
            out[name] = _agent_column(name, arr)
    check.add("item_id: null", "a non-null id", pc.is_null(present["item_id"]), present["item_id"])
    # Re-order so that a row missing its id is reported as such before anything else.
    check.items.sort(key=lambda item: not item[0].startswith("item_id"))

    names = raw.schema.names
    # Interactions first: a by= column that is also an interaction is then grouped by as the
    # boolean the policy reads, not kept raw for the policy to meet as integers or text.
    for name in sorted(extra, key=lambda n: not n.startswith("?")):
        as_bool = name.startswith("?")
        col = name[1:] if as_bool else name
        if col in out:
            continue
        if col not in names:
            raise ValueError(f"column {col!r} is required (by= or interactions) but missing")
        check_once(names, [col])
        arr = _decoded(col, _combine(raw.column(col)), check)
        out[col] = _bool_column(col, arr, check) if as_bool else _group_column(col, _text(arr))

    reason = np.full(n, -1, dtype=np.int32)
    labels: list[str] = []
    details: list[tuple[str, pa.Array]] = []
    for reason_text, expectation, mask, values in check.items:
        fresh = mask & (reason < 0)
        if not fresh.any():
            continue
        reason[fresh] = len(labels)
        labels.append(reason_text)
        details.append((expectation, values))
    if on_invalid == "raise" and labels:
        i = int(np.flatnonzero(reason >= 0)[0])  # the first bad row, under its first reason
        expectation, values = details[reason[i]]
        column = labels[reason[i]].split(":")[0]
        raise ValueError(f"row {first_row + i}: column {column!r} must be {expectation}, got {values[i].as_py()!r}")

    table = pa.table(out)
    if not labels:
        return Validated(table, _empty_rejects(), {}, _nulled(check, reason))
    bad = reason >= 0
    counts = np.bincount(reason[bad], minlength=len(labels))
    rejected_raw = pa.Table.from_batches([raw]).filter(pa.array(bad))
    rejected = pa.table(
        {
            # A source's own _row or _reason is renamed (_row_1), not overwritten by ours.
            **{k: _as_text(c) for k, c in zip(kept_names(rejected_raw.column_names), rejected_raw.columns, strict=True)},
            "_row": pa.array(first_row + np.flatnonzero(bad), pa.int64()),
            "_reason": pa.array([labels[k] for k in reason[bad]], pa.string()),
        }
    )
    return Validated(
        table.filter(pa.array(~bad)),
        rejected,
        {labels[k]: int(c) for k, c in enumerate(counts) if c},
        _nulled(check, reason),
    )


def _nulled(check: _Check, reason: np.ndarray) -> dict[str, int]:
    """Nulled values per reason, in the rows accepted (``reason < 0``) only."""
    counts = {label: int(np.count_nonzero(mask & (reason < 0))) for label, mask in check.nulled}
    return {label: n for label, n in counts.items() if n}


def _as_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    try:
        return arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array([pa.array([_raw_text(v) for v in arr.to_pylist()], pa.string())])


def _raw_text(value: object) -> str | None:
    """A raw value as text; bytes that are not UTF-8 with each bad byte as ``\\xe9`` (their
    ``str`` was ``b'caf\\xe9'``, and ``b'7'`` for a good value of the same column)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def _empty_rejects() -> pa.Table:
    return pa.table({"_row": pa.array([], pa.int64()), "_reason": pa.array([], pa.string())})
