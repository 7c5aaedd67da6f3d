"""Per-row codes of the times that cross a policy threshold, and the histograms they are
resolved with, computed batch by batch as the log is scanned.

How the codes are resolved into rung members is :mod:`viewaudit._ladder.crossings`.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from viewaudit._estimators.histogram import DWELL_EDGES_MS, MAX_SECONDS, N_BINS, DwellHistogram, _bin_of
from viewaudit._policy import Policy

#: Code of an uncensored row whose floored time straddles the threshold: ``v < tau < v + r``.
#: Nothing in the log says where in ``[v, v + r)`` such a time lies: the model gives the point
#: estimate, and the interval spans everything from none to all of these rows.
ROUNDED = N_BINS
#: In an attended code, the part whose condition is certain (viewable known, or dwell known to
#: reach the threshold).
CERTAIN = N_BINS + 1
#: Attended codes are ``(coupling * RADIX + viewable_part) * RADIX + dwell_part``. The coupling
#: says what the row's in-view time tells about its dwell: SAME_TIME where the two are equal (the
#: log's one time, or both cut by the session's end at ``c``), IN_VIEW_ENDED where a measured
#: in-view time ended before a censored dwell (the viewable part, certain, then holds the in-view
#: time's bin), 0 otherwise.
RADIX = N_BINS + 2
SAME_TIME = 1
IN_VIEW_ENDED = 2
NOT_CROSSING = -1
#: Every code is below ``2**CODE_BITS`` (``3 * RADIX**2`` is about 1.9 million).
CODE_BITS = 21
assert 3 * RADIX * RADIX <= 1 << CODE_BITS


def empty_histograms() -> dict[str, DwellHistogram]:
    return {"viewable": DwellHistogram.empty(), "attended": DwellHistogram.empty()}


def _histogram(times: np.ndarray, censored: np.ndarray | None, rounding_ms: float) -> DwellHistogram:
    """The :class:`DwellHistogram` of validated times (NaN: unmeasured; ``censored`` None: none
    is), binned directly: one ``_bin_of`` and one ``bincount`` over exact and censored rows
    together, which is what ``DwellHistogram.from_arrays`` computes without its checks and copies."""
    measured = ~np.isnan(times)
    t = times[measured]
    unmeasured = int(times.size - t.size)
    if censored is None and rounding_ms == 0:
        # Exact times only (most logs): no censored half to bin.
        exact = np.bincount(_bin_of(t), minlength=N_BINS)
        zeros = int(np.count_nonzero(t == 0))
        exact[0] -= zeros
        return DwellHistogram(exact, np.zeros(N_BINS, dtype=np.int64), np.zeros(MAX_SECONDS, dtype=np.int64), zeros, unmeasured)
    c = np.zeros(t.size, dtype=bool) if censored is None else censored[measured]
    if rounding_ms == 1000:
        # Floored again so that a value a logger wrote as 1999.9999 still lands on 1 s.
        hist = DwellHistogram.from_arrays(np.floor(t / 1000.0 + 1e-9) * 1000.0, c, rounded_to_seconds=True)
        return attrs.evolve(hist, unmeasured=unmeasured)
    if rounding_ms > 0:
        # Other resolutions: each value at the middle of its interval.
        t = t + rounding_ms / 2
    counts = np.bincount(_bin_of(t) + N_BINS * c, minlength=2 * N_BINS)
    zeros = int(np.count_nonzero((t == 0) & ~c))
    exact = counts[:N_BINS].copy()
    exact[0] -= zeros  # exact zeros are the zero mass, not the [0, 1 ms) bin
    return DwellHistogram(exact, counts[N_BINS:], np.zeros(MAX_SECONDS, dtype=np.int64), zeros, unmeasured)


def exact_histograms(dwell: np.ndarray, visible: np.ndarray, policy: Policy) -> dict[str, DwellHistogram]:
    """The rungs' time histograms of a batch whose times are exact (none censored or rounded):
    the dwell of the ``visible`` rows (valid and visible), binned as :func:`batch_crossings` bins
    it for "attended", for the report's figure. No row of such a batch crosses a threshold, so
    no crossing code is computed and nothing is resolved with these histograms."""
    hists = empty_histograms()
    if policy.attention_ms > 0:
        hists["attended"] = _histogram(dwell[visible], None, 0.0)
    return hists


def _crossing_part(times: np.ndarray, censored: np.ndarray, undetermined: np.ndarray) -> np.ndarray:
    """Per row: the code of its crossing (see the module constants), or NOT_CROSSING (not
    undetermined, or undetermined because the time was not measured)."""
    crossing = undetermined & ~np.isnan(times)
    code = np.full(times.size, NOT_CROSSING, dtype=np.int64)
    cens = crossing & censored
    if cens.any():
        code[cens] = _bin_of(times[cens])
    code[crossing & ~censored] = ROUNDED
    return code


def floored_value(parts: np.ndarray, rounding_ms: float) -> np.ndarray:
    """The logged multiple of ``rounding_ms`` each censored code (the bin of that value) stands
    for: the first multiple in the bin. Not the bin's censoring point floored: that point is the
    bin's geometric middle, below a whole second in the upper half of its bin: for 17 of the
    seconds 1 to 43 it put the rows cut in second ``k`` in second ``k - 1``. Past about 42 s a
    2.3 %-wide bin holds several whole seconds, and the first is taken (the row's chance is then
    the smallest the bin allows)."""
    value: np.ndarray = np.ceil(DWELL_EDGES_MS[parts] / rounding_ms - 1e-9) * rounding_ms
    return value


def batch_crossings(
    timing: Mapping[str, np.ndarray], policy: Policy, rounding_ms: float
) -> tuple[dict[str, DwellHistogram], dict[str, np.ndarray]]:
    """Histograms of the rungs' time populations and per-row crossing codes of one batch.

    ``timing`` comes from :func:`~viewaudit._scan.summary.rung_masks`: ``in_view`` and ``dwell``
    (float, NaN where unmeasured; ``in_view_is_dwell`` when the log has no in-view column),
    ``censored`` (the dwell) and ``in_view_censored``, ``visible`` (valid and visible: the population
    both time models are fitted on), ``viewable`` (certain), and per rung the rows whose time
    condition is undetermined (``in_view_open``, ``dwell_open``) or certain (``dwell_met``).
    """
    n = timing["dwell"].size
    hists = empty_histograms()
    codes = {level: np.full(n, NOT_CROSSING, dtype=np.int64) for level in ("viewable", "attended")}
    censored, in_view_censored = timing["censored"], timing["in_view_censored"]
    pop = timing["visible"]
    if policy.min_in_view_ms > 0:
        hists["viewable"] = _histogram(timing["in_view"][pop], in_view_censored[pop], rounding_ms)
        part = _crossing_part(timing["in_view"], in_view_censored, timing["in_view_open"])
        codes["viewable"] = np.where(pop, part, NOT_CROSSING)
    if policy.attention_ms > 0:
        # Dwell of valid visible rows, not of viewable ones only: viewability cuts the dwell
        # distribution off below, which the model families cannot represent.
        same = timing["in_view_is_dwell"] and policy.min_in_view_ms > 0
        hists["attended"] = hists["viewable"] if same else _histogram(timing["dwell"][pop], censored[pop], rounding_ms)
    # Attended: (viewable certain or crossing) and (dwell certain or crossing), not both certain.
    v_part = np.where(timing["viewable"], CERTAIN, codes["viewable"])
    a_part = np.where(
        timing["dwell_met"],
        CERTAIN,
        _crossing_part(timing["dwell"], censored, timing["dwell_open"]),
    )
    both = (v_part != NOT_CROSSING) & (a_part != NOT_CROSSING) & ~((v_part == CERTAIN) & (a_part == CERTAIN))
    with np.errstate(invalid="ignore"):
        coupling = np.where(timing["in_view"] == timing["dwell"], SAME_TIME, 0)
        if policy.min_in_view_ms > 0 and rounding_ms == 0 and not timing["in_view_is_dwell"]:
            # The in-view time is exact (floored times leave it a step wide) and ended before the
            # session cut the dwell: with co-monotone times it pins the dwell down (resolve).
            ended = (
                both
                & (v_part == CERTAIN)
                & (a_part < N_BINS)
                & censored
                & ~in_view_censored
                & (timing["in_view"] < timing["dwell"])
            )
            if ended.any():
                coupling = np.where(ended, IN_VIEW_ENDED, coupling)
                v_part = v_part.copy()
                v_part[ended] = _bin_of(timing["in_view"][ended])
    codes["attended"] = np.where(both, (coupling * RADIX + v_part) * RADIX + a_part, NOT_CROSSING)
    return hists, codes
