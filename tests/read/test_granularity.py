"""The logger's step and unit, read from a time column's values."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit._read.granularity import (
    MICROSECONDS_MEDIAN_ABOVE,
    MIN_VALUES,
    SECONDS_MEDIAN_BELOW,
    STEPS_MS,
    SUBFRAME_MS,
    Detection,
    TimeStats,
    decide,
    detect_step,
    unit_evidence,
)


def stats(values: list[float] | np.ndarray) -> TimeStats:
    return TimeStats.of(np.asarray(values, dtype=float))


def whole_seconds(n: int, seed: int = 0) -> np.ndarray:
    return np.floor(np.random.default_rng(seed).exponential(15_000.0, n) / 1000) * 1000


def ms_precision(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).exponential(15_000.0, n)


def test_whole_seconds_are_detected() -> None:
    """A column of whole seconds is taken as floored to 1,000 ms, with the evidence."""
    found = detect_step("dwell_ms", stats(whole_seconds(5_000)))
    assert found.step_ms == 1000
    assert found.multiples == found.values > 4_000
    assert found.words == "whole seconds"


def test_ms_values_are_exact() -> None:
    """Continuous and integer ms values are taken as exact (step 0)."""
    assert detect_step("dwell_ms", stats(ms_precision(5_000))).step_ms == 0
    assert detect_step("dwell_ms", stats(np.round(ms_precision(5_000)))).step_ms == 0


def test_tenths_and_hundredths_are_detected() -> None:
    """Tenths of a second give 100 ms, hundredths 10 ms."""
    values = ms_precision(2_000)
    assert detect_step("dwell_ms", stats(np.floor(values / 100) * 100)).step_ms == 100
    assert detect_step("dwell_ms", stats(np.floor(values / 10) * 10)).step_ms == 10


def test_seconds_times_1000_in_floating_point_are_whole_seconds() -> None:
    """Seconds converted to ms in floating point (a hair off) still count as whole seconds."""
    seconds = np.arange(1, 200) * 0.1 * 10  # 1.0, 2.0, ... through float arithmetic
    assert detect_step("dwell_ms", stats(seconds * 1000.0 * (1 + 1e-15))).step_ms == 1000


@pytest.mark.parametrize("n", [0, 1, MIN_VALUES - 1])
def test_few_values_are_not_enough(n: int) -> None:
    """Fewer than MIN_VALUES nonzero values never give a step, even all whole seconds."""
    found = detect_step("dwell_ms", stats(whole_seconds(n + 200, seed=3)[:n] + 1000))
    assert found.step_ms == 0
    assert found.values == found.multiples == n


def test_zeros_are_no_evidence() -> None:
    """Zeros (multiples of every step) do not count towards the values needed."""
    found = detect_step("dwell_ms", stats([0.0] * 1_000 + [1000.0] * 5))
    assert (found.step_ms, found.values) == (0, 5)


def test_a_stray_value_in_a_thousand_is_tolerated() -> None:
    """All but one in 1,000 values must be multiples; two in 1,000 are too many."""
    values = [1000.0 * (1 + k % 40) for k in range(2_000)]
    assert detect_step("dwell_ms", stats([*values[:-2], 1234.0, 17.0])).step_ms == 1000
    assert detect_step("dwell_ms", stats([*values[:-3], 1234.0, 17.0, 5.5])).step_ms == 0


def test_counts_merge_independently_of_batches() -> None:
    """Counts of batches add up to the counts of the whole, in any cut and order."""
    values = np.concatenate([whole_seconds(700), ms_precision(3)])
    whole = stats(values)
    rng = np.random.default_rng(1)
    for _ in range(5):
        cuts = np.sort(rng.choice(values.size, 4, replace=False))
        parts = [stats(part) for part in np.split(rng.permutation(values), cuts)]
        total = TimeStats()
        for part in rng.permutation(len(parts)):
            total = total + parts[part]
        assert total == whole


def test_mixed_files_take_the_coarsest_step() -> None:
    """Files logged in different steps are listed, and the coarsest step is used."""
    per_file = {"a.parquet": {"dwell_ms": stats(whole_seconds(500))}, "b.parquet": {"dwell_ms": stats(ms_precision(500))}}
    whole = {"dwell_ms": per_file["a.parquet"]["dwell_ms"] + per_file["b.parquet"]["dwell_ms"]}
    found = decide(whole, per_file)
    assert found.step_ms == 1000
    assert found.files == (("a.parquet", 1000.0), ("b.parquet", 0.0))
    assert found.columns[0].step_ms == 0  # over the whole source, the column is not whole seconds


def test_files_alike_are_not_listed() -> None:
    """Files with the same step, or too few values to tell theirs, are not listed."""
    per_file = {"a.csv": {"dwell_ms": stats(whole_seconds(500))}, "b.csv": {"dwell_ms": stats([2000.0, 0.0])}}
    whole = {"dwell_ms": per_file["a.csv"]["dwell_ms"] + per_file["b.csv"]["dwell_ms"]}
    assert decide(whole, per_file) == Detection(1000.0, (detect_step("dwell_ms", whole["dwell_ms"]),), ())


@pytest.mark.parametrize(
    ("values", "unit"),
    [
        (np.arange(1, 91, dtype=float), "s"),  # the seconds column, 1 to 90
        (np.round(ms_precision(300) / 1000), "s"),
        (ms_precision(300) * 1000, "us"),
        (ms_precision(300), None),
        (whole_seconds(300), None),
        (np.arange(1, 20, dtype=float), None),  # too few to say
        (np.arange(1, 91) + 0.37, None),  # small, but not whole numbers
    ],
)
def test_units_that_look_wrong(values: np.ndarray, unit: str | None) -> None:
    """Seconds (small whole numbers) and microseconds (a median over 16 minutes) are named."""
    found = unit_evidence(stats(values))
    assert (found[0] if found else None) == unit


def _reference_stats(values: np.ndarray) -> TimeStats:
    """The counts written out plainly, in one pass over the whole array (the form TimeStats.of
    had before it counted in blocks): each test of granularity.py on the measured values."""
    with np.errstate(invalid="ignore"):
        measured = values[np.isfinite(values) & ~(values < 0)]
    positive = measured[measured > 0]

    def multiples(step: float) -> int:
        ratio = positive / step
        return int((np.abs(ratio - np.round(ratio)) <= 1e-6 * np.maximum(1.0, np.abs(ratio))).sum())

    tiny = positive[positive < SUBFRAME_MS] * 1000.0
    return TimeStats(
        measured=measured.size,
        nonzero=positive.size,
        multiples=tuple(multiples(step) for step in STEPS_MS),
        whole=multiples(1.0),
        small=int((positive < SECONDS_MEDIAN_BELOW).sum()),
        huge=int((positive > MICROSECONDS_MEDIAN_ABOVE).sum()),
        subframe=int((np.abs(tiny - np.rint(tiny)) <= 1e-6 * np.maximum(tiny, 1.0)).sum()),
    )


def _tricky(n: int, seed: int) -> np.ndarray:
    """Whole seconds, tenths, ms, seconds times 1,000 a hair off, nulls (NaN), negative,
    infinite, zero and signed zero, sub-frame seconds, and values up to 1e300, mixed."""
    rng = np.random.default_rng(seed)
    kinds = [
        np.floor(rng.exponential(15_000.0, n) / 1000) * 1000,
        np.floor(rng.exponential(15_000.0, n) / 100) * 100,
        rng.exponential(15_000.0, n),
        np.round(rng.exponential(15.0, n), 3) * 1000.0,
        np.round(rng.exponential(5.0, n) * (scale := 10.0 ** rng.integers(0, 5, n))) / scale,
        np.round(rng.exponential(40.0, n)),
        rng.exponential(15_000.0, n) * 1000.0,
        10.0 ** rng.uniform(-3, 300, n),
        rng.choice([np.nan, -np.inf, np.inf, -1.0, -0.0, 0.0, -2000.0, 2.0**53, 2.0**63, 1e6], n),
    ]
    return np.stack(kinds)[rng.integers(0, len(kinds), n), np.arange(n)]


@pytest.mark.parametrize("n", [0, 1, 29, 65_535, 65_536, 65_537, 200_003])
def test_counts_in_blocks_are_the_plain_counts(n: int) -> None:
    """TimeStats.of counts in blocks, and leaves out what is not a measured time (NaN,
    infinite, negative); its counts are those of the plain tests on the measured values."""
    for seed in range(3):
        values = _tricky(n, seed)
        assert TimeStats.of(values) == _reference_stats(values)


@pytest.mark.parametrize(
    "values",
    [
        whole_seconds(100_000),
        np.concatenate([whole_seconds(100_000), [np.nan] * 50_000, [-1000.0, np.inf]]),
        np.concatenate([whole_seconds(100_000), ms_precision(150)]),
        np.arange(1, 200_001, dtype=float) % 90 + 1,
        ms_precision(100_000) * 1000.0,
        np.full(70_000, 1e300),
    ],
)
def test_detection_on_tricky_columns_is_the_plain_one(values: np.ndarray) -> None:
    """The step and unit detected from a column with nulls, negative, infinite or huge values
    are those of the plain counts on its measured values."""
    assert detect_step("dwell_ms", stats(values)) == detect_step("dwell_ms", _reference_stats(values))
    assert unit_evidence(stats(values)) == unit_evidence(_reference_stats(values))
