"""The mergeable dwell histogram: the sufficient statistic the dwell model is fitted to.

Dwell times are binned on fixed log-spaced edges (100 bins per decade from 1 ms to 10^8 ms,
plus an underflow bin [0, 1 ms) and an overflow bin [10^8 ms, inf)), so histograms of any two
batches line up and merge by adding counts. Four kinds of observation are kept apart because
they enter the likelihood differently:

* **exact** positive dwell times, by bin (the bin is an interval-censored observation of the
  dwell; at 100 bins per decade a bin spans 2.3 %, far finer than any dwell distribution);
* **right-censored** dwell times (the impression was still on screen when the session ended),
  by the bin of the censoring time;
* **interval-censored whole seconds** (loggers that keep ``floor(dwell / 1 s)``): ``seconds[s]``
  counts dwell times known to lie in [s, s + 1) s, for s below :data:`MAX_SECONDS`;
* **right-censored whole seconds**: ``censored_seconds[s]`` counts dwell times censored at a
  time known only to lie in [s, s + 1) s (a whole-second logger whose session ended);
* **zeros**: dwell exactly 0 ms (rendered, never on screen), the model's zero mass.

Unmeasured (null or NaN) dwell times are counted in ``unmeasured`` and carry no information.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike

from viewaudit._estimators._common import ARRAY_EQ, IntArray, readonly

#: Log-spaced bins per decade of dwell (ms).
BINS_PER_DECADE = 100
#: Bin edges in ms: 0, then 10^(i/100) for i = 0..800 (1 ms to 10^8 ms, about 28 h), then inf.
DWELL_EDGES_MS = readonly(np.concatenate([[0.0], np.logspace(0, 8, 8 * BINS_PER_DECADE + 1), [np.inf]]))
N_BINS = DWELL_EDGES_MS.size - 1
#: Whole seconds kept as their own [s, s + 1) intervals; a whole-second value of at least this
#: many seconds is binned as exact at s + 0.5 s (its interval is then under 0.03 % wide, far
#: narrower than a bin).
MAX_SECONDS = 3600

# Where a right-censored observation of a bin is taken to be censored: the geometric middle
# of the bin (the censoring time itself is known only to the bin's resolution, 2.3 %); the
# underflow bin uses 0.5 ms and the overflow bin its lower edge.
_middle = np.sqrt(DWELL_EDGES_MS[1:-2] * DWELL_EDGES_MS[2:-1])
CENSORING_POINT_MS = readonly(np.concatenate([[0.5], _middle, [DWELL_EDGES_MS[-2]]]))


def _as_counts(value: ArrayLike) -> IntArray:
    return readonly(np.asarray(value), dtype=np.int64)


def _counts_of_size(size: int) -> Any:
    def validate(instance: Any, attribute: Any, value: IntArray) -> None:
        if value.shape != (size,):
            raise ValueError(f"{attribute.name} must have shape ({size},), got {value.shape}")
        if value.size and value.min() < 0:
            raise ValueError(f"{attribute.name} counts must be non-negative, got {value.min()}")

    return validate


def _nonnegative(instance: Any, attribute: Any, value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be non-negative, got {value}")


@attrs.frozen
class DwellHistogram:
    """Binned, censoring-aware counts of dwell times; merges by addition.

    Attributes
    ----------
    exact : ndarray of int, shape (N_BINS,)
        Exact positive dwell times per bin of :data:`DWELL_EDGES_MS`.
    censored : ndarray of int, shape (N_BINS,)
        Right-censored dwell times per bin of their censoring time.
    seconds : ndarray of int, shape (MAX_SECONDS,)
        ``seconds[s]``: dwell times logged as ``s`` whole seconds (truncated), i.e. in [s, s + 1) s.
    zeros : int
        Dwell times of exactly 0 ms.
    unmeasured : int
        Impressions whose dwell was not measured.
    censored_seconds : ndarray of int, shape (MAX_SECONDS,)
        ``censored_seconds[s]``: dwell times censored at a time logged as ``s`` whole seconds,
        i.e. the dwell is at least some unknown time in [s, s + 1) s. Default: none.

    Examples
    --------
    >>> import numpy as np
    >>> from viewaudit.estimators import DwellHistogram
    >>> h = DwellHistogram.from_arrays([0.0, 250.0, 1800.0, np.nan], [False, False, True, False])
    >>> int(h.zeros), int(h.exact.sum()), int(h.censored.sum()), h.unmeasured
    (1, 1, 1, 1)
    >>> h.merge(h).total
    6
    """

    exact: IntArray = attrs.field(converter=_as_counts, validator=_counts_of_size(N_BINS), eq=ARRAY_EQ, repr=False)
    censored: IntArray = attrs.field(converter=_as_counts, validator=_counts_of_size(N_BINS), eq=ARRAY_EQ, repr=False)
    seconds: IntArray = attrs.field(converter=_as_counts, validator=_counts_of_size(MAX_SECONDS), eq=ARRAY_EQ, repr=False)
    zeros: int = attrs.field(default=0, converter=int, validator=_nonnegative)
    unmeasured: int = attrs.field(default=0, converter=int, validator=_nonnegative)
    censored_seconds: IntArray = attrs.field(
        factory=lambda: np.zeros(MAX_SECONDS, np.int64),
        converter=_as_counts,
        validator=_counts_of_size(MAX_SECONDS),
        eq=ARRAY_EQ,
        repr=False,
    )

    @classmethod
    def empty(cls) -> DwellHistogram:
        """The histogram of no rows (the identity of :meth:`merge`)."""
        return cls(np.zeros(N_BINS), np.zeros(N_BINS), np.zeros(MAX_SECONDS))

    @classmethod
    def from_arrays(
        cls,
        dwell_ms: ArrayLike,
        censored: ArrayLike | None = None,
        *,
        rounded_to_seconds: bool | ArrayLike = False,
    ) -> DwellHistogram:
        """Bin one batch of dwell times (vectorised; the rows are not kept).

        Parameters
        ----------
        dwell_ms : array_like of float
            Time on screen in ms, >= 0; NaN (or null) where not measured.
        censored : array_like of bool, optional
            True where ``dwell_ms`` is a lower bound (right-censored). Default: none censored.
        rounded_to_seconds : bool or array_like of bool, keyword-only
            True (for all rows, or per row) where the logger kept whole seconds by truncation:
            such a ``dwell_ms`` must be a multiple of 1000 and the dwell lies in
            [dwell_ms, dwell_ms + 1000). A censored whole-second value was censored at some
            time in that interval (``censored_seconds``).

        Returns
        -------
        DwellHistogram

        Raises
        ------
        ValueError
            Negative or infinite dwell, a rounded value that is not whole seconds, or arrays of
            different lengths (the message gives the first offending row).
        """
        dwell, cens, rounded = _check_arrays(dwell_ms, censored, rounded_to_seconds)
        measured = ~np.isnan(dwell)
        unmeasured = int(dwell.size - np.count_nonzero(measured))
        dwell, cens, rounded = dwell[measured], cens[measured], rounded[measured]

        whole = np.floor(dwell / 1000.0 + 1e-9)
        in_seconds = rounded & (whole < MAX_SECONDS)
        seconds = np.bincount(whole[in_seconds & ~cens].astype(np.int64), minlength=MAX_SECONDS)
        censored_seconds = np.bincount(whole[in_seconds & cens].astype(np.int64), minlength=MAX_SECONDS)

        # Rounded values past MAX_SECONDS sit at mid-interval.
        value = np.where(rounded, (whole + 0.5) * 1000.0, dwell)
        exact_mask = ~cens & ~in_seconds
        cens = cens & ~in_seconds
        zeros = int(np.count_nonzero(exact_mask & (value == 0)))
        exact_mask &= value > 0
        exact = np.bincount(_bin_of(value[exact_mask]), minlength=N_BINS)
        censored_counts = np.bincount(_bin_of(value[cens]), minlength=N_BINS)
        return cls(exact, censored_counts, seconds, zeros, unmeasured, censored_seconds)

    def merge(self, *others: DwellHistogram) -> DwellHistogram:
        """The histogram of the union of the batches (associative and commutative)."""
        for other in others:
            if not isinstance(other, DwellHistogram):
                raise TypeError(f"can only merge DwellHistogram objects, got {type(other).__name__}")
        parts = (self, *others)
        return DwellHistogram(
            sum((p.exact for p in parts), np.zeros(N_BINS, np.int64)),
            sum((p.censored for p in parts), np.zeros(N_BINS, np.int64)),
            sum((p.seconds for p in parts), np.zeros(MAX_SECONDS, np.int64)),
            sum(p.zeros for p in parts),
            sum(p.unmeasured for p in parts),
            sum((p.censored_seconds for p in parts), np.zeros(MAX_SECONDS, np.int64)),
        )

    @property
    def total(self) -> int:
        """Measured dwell times (exact, censored, whole-second and zero)."""
        return int(self.exact.sum() + self.censored.sum() + self.seconds.sum() + self.censored_seconds.sum() + self.zeros)

    @property
    def n_censored(self) -> int:
        """Right-censored dwell times (whole-second ones included)."""
        return int(self.censored.sum() + self.censored_seconds.sum())


def _bin_of(values_ms: np.ndarray) -> np.ndarray:
    """Bin index of each value (bin i is [edge i, edge i + 1)).

    Computed from log10 (a binary search over the edges is several times slower on large
    batches), then corrected by one bin where rounding put a value next to its edge.
    """
    with np.errstate(divide="ignore"):
        scaled = np.clip(np.log10(values_ms) * BINS_PER_DECADE, -1.0, N_BINS)  # log10(0) = -inf
    idx = np.clip(np.floor(scaled).astype(np.int64) + 1, 0, N_BINS - 1)
    idx -= (values_ms < DWELL_EDGES_MS[idx]) & (idx > 0)
    idx += (values_ms >= DWELL_EDGES_MS[idx + 1]) & (idx < N_BINS - 1)
    return np.asarray(idx, dtype=np.int64)


def _as_numpy(values: Any) -> Any:
    # pyarrow arrays with nulls need an explicit copy to numpy (nulls become NaN / None).
    to_numpy = getattr(values, "to_numpy", None)
    if to_numpy is not None and type(values).__module__.startswith("pyarrow"):
        return to_numpy(zero_copy_only=False)
    return values


def _check_arrays(
    dwell_ms: ArrayLike, censored: ArrayLike | None, rounded: bool | ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        dwell = np.asarray(_as_numpy(dwell_ms), dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"dwell_ms must be an array of numbers, got {type(dwell_ms).__name__}") from err
    if dwell.ndim != 1:
        raise ValueError(f"dwell_ms must be one-dimensional, got shape {dwell.shape}")
    n = dwell.size

    def flags(name: str, value: Any) -> np.ndarray:
        raw = np.asarray(_as_numpy(value))
        if raw.dtype == object:  # nullable booleans: a null flag is False
            raw = np.array([bool(v) if v is not None else False for v in raw], dtype=bool)
        if raw.dtype != bool:
            raise TypeError(f"{name} must be boolean, got dtype {raw.dtype}")
        if raw.ndim == 0:
            return np.full(n, bool(raw))
        if raw.shape != (n,):
            raise ValueError(f"{name} must have the length of dwell_ms ({n}), got shape {raw.shape}")
        return raw

    cens = np.zeros(n, dtype=bool) if censored is None else flags("censored", censored)
    rnd = flags("rounded_to_seconds", rounded)
    bad = np.flatnonzero(dwell < 0)
    if bad.size:
        raise ValueError(f"dwell_ms must be >= 0; row {bad[0]} has {dwell[bad[0]]!r}")
    bad = np.flatnonzero(np.isinf(dwell))
    if bad.size:
        raise ValueError(f"dwell_ms must be finite; row {bad[0]} has {dwell[bad[0]]!r}")
    seconds = dwell / 1000.0
    bad = np.flatnonzero(rnd & ~np.isnan(dwell) & (np.abs(seconds - np.round(seconds)) > 1e-6))
    if bad.size:
        raise ValueError(
            f"dwell_ms of a row rounded_to_seconds must be whole seconds (a multiple of 1000 ms); "
            f"row {bad[0]} has {dwell[bad[0]]!r}"
        )
    return dwell, cens, rnd
