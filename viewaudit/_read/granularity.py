"""The step a logger rounded its times to, and the unit they look like, read from the values.

A whole-second logger is visible in its data: thousands of dwell values that are all multiples
of 1,000 ms are whole seconds. Detection works on :class:`TimeStats`, counts that add up over
batches, so the result does not depend on how the log is cut or in which order it is read.
The method and its false-positive rate are in ``docs/schema.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import attrs
import numpy as np

#: The steps a logger may floor times to, coarsest first: whole seconds, tenths, hundredths.
STEPS_MS = (1000.0, 100.0, 10.0)
#: Nonzero measured values needed before a step is taken from the data: ms-precision values
#: are all multiples of 10 ms by chance with probability 10**-30 at this count.
MIN_VALUES = 30
#: Values off the step that detection tolerates, as a share (1 in 1,000: a stray sentinel).
MAX_OFF_SHARE = 0.001
#: A column whose nonzero values are mostly whole numbers with a median below this many ms
#: looks like seconds: read as ms, most impressions would be on screen under 0.1 s.
SECONDS_MEDIAN_BELOW = 100.0
#: ... and above this many ms (16.7 minutes) looks like microseconds.
MICROSECONDS_MEDIAN_ABOVE = 1e6
#: The share of whole numbers a seconds-looking column must have.
SECONDS_WHOLE_SHARE = 0.9
#: A column whose nonzero values have a median below this many ms looks like seconds even when
#: they are not whole, if they have at most three decimals (seconds logged to the tenth, the
#: hundredth or the ms): that is about one frame at 60 Hz, and no screen shows an item for less.
#: Times with more decimals are left alone (a simulated or high-resolution clock's ms).
SUBFRAME_MS = 17.0

_STEP_WORDS = {1000.0: "whole seconds", 100.0: "tenths of a second", 10.0: "hundredths of a second"}


def _is_multiple(values: np.ndarray, step: float) -> np.ndarray:
    # Relative tolerance: seconds times 1,000 in floating point may land a hair off.
    ratio = values / step
    return np.asarray(np.abs(ratio - np.round(ratio)) <= 1e-6 * np.maximum(1.0, np.abs(ratio)))


@attrs.frozen
class TimeStats:
    """Counts over one column's measured (non-null, valid) values, in ms; ``+`` merges them."""

    measured: int = 0
    #: Values above 0 (a 0 is a multiple of every step and says nothing of one).
    nonzero: int = 0
    #: Nonzero values that are multiples of each of :data:`STEPS_MS`.
    multiples: tuple[int, ...] = (0,) * len(STEPS_MS)
    #: Nonzero whole numbers, and nonzero values below / above the unit thresholds.
    whole: int = 0
    small: int = 0
    huge: int = 0
    #: Nonzero values below :data:`SUBFRAME_MS` with at most three decimals.
    subframe: int = 0

    @classmethod
    def of(cls, values: np.ndarray) -> TimeStats:
        """The counts of ``values``, times in ms. A value that is not a measured time (NaN for a
        null, infinite or negative) is left out, so a column's numbers may be passed as read."""
        values = np.asarray(values, dtype=float).ravel()
        counts = np.zeros(6 + len(STEPS_MS), dtype=np.int64)
        # A block at a time: the dozen passes below then run over values in the CPU's cache,
        # not over the whole column in memory (twice as fast on a 5M-row log, measured).
        for start in range(0, values.size, _BLOCK):
            _count_block(values[start : start + _BLOCK], counts)
        measured, nonzero, whole, small, huge, subframe, *multiples = (int(c) for c in counts)
        return cls(measured, nonzero, tuple(multiples), whole, small, huge, subframe)

    def __add__(self, other: TimeStats) -> TimeStats:
        return TimeStats(
            self.measured + other.measured,
            self.nonzero + other.nonzero,
            tuple(a + b for a, b in zip(self.multiples, other.multiples, strict=True)),
            self.whole + other.whole,
            self.small + other.small,
            self.huge + other.huge,
            self.subframe + other.subframe,
        )


#: Values counted at a time by :meth:`TimeStats.of` (2**16 doubles: 512 KiB).
_BLOCK = 1 << 16


def _count_block(values: np.ndarray, counts: np.ndarray) -> None:
    """Add one block's counts to ``counts``, in the order measured, nonzero, whole, small, huge,
    subframe, then the multiples of each of :data:`STEPS_MS`."""
    keep = values > 0  # NaN compares false
    keep &= values < np.inf
    positive = values[keep]
    zeros = int(np.count_nonzero(values == 0))  # measured, but no evidence of a step
    # A multiple of a step (up to 1,000 ms, within the tolerance of ``_is_multiple``) lies
    # within 1e-6 * max(step, value) of a whole number: the four tests run on the values that
    # near one only (in an exact-time log, a few in a hundred), and count the same.
    off = np.rint(positive)
    off -= positive
    np.abs(off, out=off)
    tolerance = np.maximum(positive, max(STEPS_MS))
    tolerance *= 2e-6
    near = positive[off <= tolerance]
    counts[0] += positive.size + zeros
    counts[1] += positive.size
    counts[2] += int(_is_multiple(near, 1.0).sum())
    counts[3] += int(np.count_nonzero(positive < SECONDS_MEDIAN_BELOW))
    counts[4] += int(np.count_nonzero(positive > MICROSECONDS_MEDIAN_ABOVE))
    counts[5] += int(_at_most_three_decimals(positive[positive < SUBFRAME_MS]).sum())
    for i, step in enumerate(STEPS_MS):
        counts[6 + i] += int(_is_multiple(near, step).sum())


def _at_most_three_decimals(values: np.ndarray) -> np.ndarray:
    """Which values are whole thousandths (within float error): 6.9, 0.25, 1.375, not 6.9123."""
    scaled = values * 1000.0
    return np.asarray(np.abs(scaled - np.rint(scaled)) <= 1e-6 * np.maximum(scaled, 1.0))


def add_up(parts: Iterable[Mapping[str, TimeStats]]) -> dict[str, TimeStats]:
    """Each column's :class:`TimeStats` summed over ``parts`` (batches, files, partitions)."""
    totals: dict[str, TimeStats] = {}
    for part in parts:
        for name, stats in part.items():
            totals[name] = totals.get(name, TimeStats()) + stats
    return totals


@attrs.frozen
class Granularity:
    """The step one column's values were found to be logged in, with the evidence.

    ``step_ms`` 0: taken as exact. ``values`` nonzero measured values were looked at, of which
    ``multiples`` are multiples of ``step_ms`` (of 1,000 ms when ``step_ms`` is 0: the count
    that was too small, or too mixed, to call whole seconds)."""

    column: str
    step_ms: float
    values: int
    multiples: int

    @property
    def words(self) -> str:
        """The step in words ("whole seconds")."""
        return _STEP_WORDS.get(self.step_ms, f"multiples of {self.step_ms:,g} ms")


def detect_step(column: str, stats: TimeStats) -> Granularity:
    """The coarsest of :data:`STEPS_MS` that all but :data:`MAX_OFF_SHARE` of at least
    :data:`MIN_VALUES` nonzero measured values are multiples of; step 0 (exact) otherwise."""
    allowed_off = math.floor(MAX_OFF_SHARE * stats.nonzero)
    if stats.nonzero >= MIN_VALUES:
        for step, count in zip(STEPS_MS, stats.multiples, strict=True):
            if stats.nonzero - count <= allowed_off:
                return Granularity(column, step, stats.nonzero, count)
    return Granularity(column, 0.0, stats.nonzero, stats.multiples[0])


def unit_evidence(stats: TimeStats) -> tuple[str, str] | None:
    """The unit (``"s"`` or ``"us"``) a column's values look like rather than ms, and why; or None."""
    n = stats.nonzero
    if n < MIN_VALUES:
        return None
    if 2 * stats.small > n and stats.whole >= SECONDS_WHOLE_SHARE * n:
        return "s", (
            f"the median of its {n:,} nonzero values is below {SECONDS_MEDIAN_BELOW:g} and "
            f"{stats.whole / n:.0%} are whole numbers: they look like seconds"
        )
    if 2 * stats.subframe > n:
        return "s", (
            f"the median of its {n:,} nonzero values is below {SUBFRAME_MS:g}, less than one frame of a 60 Hz "
            "screen, and they have at most three decimals: they look like seconds"
        )
    if 2 * stats.huge > n:
        return "us", (
            f"the median of its {n:,} nonzero values is above {MICROSECONDS_MEDIAN_ABOVE:,g} (over 16 minutes "
            "in ms): they look like microseconds"
        )
    return None


@attrs.frozen
class Detection:
    """The step a source's times are taken as floored to, and why.

    ``columns``: each time column's own detection, over the whole source. ``files``: (file,
    step) where the source's files were detected with different steps (empty otherwise).
    ``step_ms`` is the coarsest of them all: treating floored times as exact makes intervals
    exclude the truth, treating exact times as floored only widens them."""

    step_ms: float
    columns: tuple[Granularity, ...] = ()
    files: tuple[tuple[str, float], ...] = ()
    #: Time columns whose values look like another unit than ms (and declare none), in words.
    units: tuple[str, ...] = ()


def decide(stats: dict[str, TimeStats], per_file: dict[str, dict[str, TimeStats]] | None = None) -> Detection:
    """The :class:`Detection` of a source from its columns' counts (and each file's, if several)."""
    columns = tuple(detect_step(name, s) for name, s in stats.items() if s.nonzero)
    file_steps = {
        f: max((detect_step(n, s).step_ms for n, s in cols.items()), default=0.0) for f, cols in (per_file or {}).items()
    }
    known = {f: step for f, step in file_steps.items() if any(s.nonzero >= MIN_VALUES for s in (per_file or {})[f].values())}
    files = tuple(sorted(known.items())) if len(set(known.values())) > 1 else ()
    step = max([g.step_ms for g in columns] + [step for _, step in files], default=0.0)
    return Detection(step, columns, files)
