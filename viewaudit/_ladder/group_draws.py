"""Random draws that belong to a group, not to a group's label.

A grouped audit draws (imputations, bootstrap replicates) for the cells of every group at once.
Drawn in one stream over all cells, the draws a group gets depend on which groups come before
it, so relabelling the groups (a permutation of the item ids) moves intervals by a draw's
noise. Here a cell's draw is chosen by its place among its own group's cells: each group gets
the same stream from its start, whatever its label, and a permutation of the labels permutes the
groups' figures and changes nothing else.
"""

from __future__ import annotations

import math

import numpy as np

from viewaudit._estimators._deferred import special


def places_in_groups(group: np.ndarray) -> np.ndarray:
    """Each cell's place among the cells of its group (0, 1, ...), in the cells' order."""
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    place = np.empty(group.size, dtype=np.int64)
    place[order] = np.arange(group.size) - np.searchsorted(ordered, ordered, side="left")
    return place


def uniforms_by_place(seed: int, draws: int, group: np.ndarray) -> np.ndarray:
    """(draws, cells) uniforms in (0, 1), a cell's column chosen by its place in its group."""
    place = places_in_groups(group)
    width = int(place.max()) + 1 if place.size else 0
    uniform = np.random.default_rng(seed).random((draws, width))
    # Exclude 0, where a quantile function gives -1 (a chance of 2**-53 per value).
    return np.maximum(uniform, np.finfo(float).tiny)[:, place]


def poisson_by_place(seed: int, draws: int, mean: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(draws, cells) Poisson counts of each cell's ``mean``, drawn by place in group."""
    if mean.size == 0:
        return np.zeros((draws, 0))
    u = uniforms_by_place(seed, draws, group)
    counts = poisson_quantile_by_mean(u, mean) if _table_fits(u, mean) else poisson_quantile(u, mean)
    return np.where(mean > 0, counts, 0.0)


#: A table of a mean's distribution function runs to the Cornish-Fisher quantile
#: mean + sqrt(mean) z + (z**2 - 1) / 6 at z = TABLE_Z (about that of the largest uniform below 1,
#: 1 - 2**-53), plus TABLE_MARGIN. Where a draw still lies beyond it, that mean takes the search.
TABLE_Z = 8.3
TABLE_MARGIN = 16
#: Tables are looked for where there is at most one distinct mean in this many cells (the loop
#: over the means costs more than it saves where they hardly repeat).
TABLE_REPEATS = 4


def _table_length(mean: np.ndarray) -> np.ndarray:
    """Per mean, how many values of k a table of its distribution function holds."""
    length: np.ndarray = np.floor(mean + np.sqrt(mean) * TABLE_Z + (TABLE_Z * TABLE_Z - 1) / 6).astype(np.int64)
    return length + TABLE_MARGIN


def _table_fits(u: np.ndarray, mean: np.ndarray) -> bool:
    """Whether to look for tables at all: means that repeat (viewer counts of a cell are small
    integers; at most one distinct mean in :data:`TABLE_REPEATS` cells), all finite and at most
    1e6. Each mean then takes a table or the search, whichever costs less for its draws."""
    if u.ndim != 2 or mean.ndim != 1 or u.shape[1] != mean.size or not np.all(np.isfinite(mean) & (mean >= 0)):
        return False
    if mean.max(initial=0.0) > 1e6:
        return False
    return TABLE_REPEATS * np.unique(mean).size <= mean.size


def poisson_quantile_by_mean(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """:func:`poisson_quantile` of ``u`` (draws, cells) at ``mean`` (cells), the same values, by
    a table of the distribution function for each distinct mean, over the values of k its draws
    reach (:func:`_table_span`; the whole table where that part misses a draw): the least k
    whose ``pdtr`` reaches u (below the median) or whose ``pdtrc`` falls to 1 - u (above it),
    found by binary search. The tables are those very functions, so where each is monotone in k
    (checked; where not, or where a draw lies beyond the table, that mean's draws take the
    search) the least k is the one :func:`poisson_quantile` finds. A mean with fewer draws than
    its table would hold takes the search too."""
    distinct, which = np.unique(mean, return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(distinct.size + 1))
    lengths = _table_length(distinct)
    # Cells by mean, a cell's draws in a row: each mean's draws are one block of rows, read and
    # written whole (gathering and scattering a mean's columns of ``u`` cost more than the search).
    by_mean = u.T[order]
    drawn = np.empty(by_mean.shape, dtype=np.float64)
    # Means whose draws are fewer than the values of k a table would need take the search, all
    # in one call after the loop (a draw's value depends only on it and its mean).
    search = np.zeros(distinct.size, dtype=bool)
    for j, m in enumerate(distinct):
        rows = slice(bounds[j], bounds[j + 1])
        q = by_mean[rows]
        span = _table_span(m, q, int(lengths[j]))
        if span[1] - span[0] > q.size:
            search[j] = True
            continue
        upper = q > 0.5
        tail = 1 - q  # exact for q > 1/2 (Sterbenz)
        below, above = q[~upper], tail[upper]
        found = _table_search(m, below, above, span)
        if found is None:
            found = _table_search(m, below, above, (0, int(lengths[j])))
        if found is None:
            search[j] = True
            continue
        block = drawn[rows]
        block[~upper], block[upper] = found
    if search.any():
        searched = search[which[order]]
        drawn[searched] = poisson_quantile(by_mean[searched], distinct[which[order][searched]][:, None])
    out = np.empty(u.shape, dtype=np.float64)
    out[:, order] = drawn.T
    return out


def _table_span(mean: float, q: np.ndarray, length: int) -> tuple[int, int]:
    """The values of k a table of ``mean`` needs for the draws ``q``, within the full table (0
    to ``length``): from the normal approximation's quantile of the least draw to the
    Cornish-Fisher quantile of the largest (the skew term only raises the lower end), each
    widened by :data:`TABLE_MARGIN`. A mean with few cells has few draws, in a small part of
    its table, and ``pdtr`` is most of a table's cost. Whether the part covers every draw is
    checked where it is searched."""
    least, most = float(q.min()), float(q.max())
    z_least = float(special.ndtri(least))
    # Above the median the quantile is judged on the upper tail, exact near 1.
    z_most = float(-special.ndtri(1 - most)) if most > 0.5 else float(special.ndtri(most))
    root = math.sqrt(mean)
    low = math.floor(mean + root * z_least) - TABLE_MARGIN if math.isfinite(z_least) else 0
    high = math.floor(mean + root * z_most + (z_most * z_most - 1) / 6) + TABLE_MARGIN if math.isfinite(z_most) else length
    low, high = max(low, 0), min(high, length)
    return (low, high) if low < high else (0, length)


def _table_search(
    mean: float, below: np.ndarray, above: np.ndarray, span: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The least k whose ``pdtr`` reaches each of ``below`` (draws at most 1/2) and the least k
    whose ``pdtrc`` falls to each of ``above`` (1 minus the draws above 1/2), from a table of
    k in ``span``; None where the table cannot tell: not monotone, or a draw beyond either end
    (below its first k, the table holds k - 1 to show that the least k is not below it)."""
    start, end = span
    first = max(start - 1, 0)
    k = np.arange(first, end, dtype=np.float64)
    cdf, sf = special.pdtr(k, mean), special.pdtrc(k, mean)
    if not (np.all(np.diff(cdf) >= 0) and np.all(np.diff(sf) <= 0)):
        return None
    if below.size and (cdf[-1] < below.max() or (first > 0 and cdf[0] >= below.min())):
        return None
    if above.size and (sf[-1] > above.min() or (first > 0 and sf[0] <= above.max())):
        return None
    return (
        first + np.searchsorted(cdf, below, side="left").astype(np.float64),
        first + np.searchsorted(-sf, -above, side="left").astype(np.float64),
    )


def poisson_quantile(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The Poisson quantile of ``u`` in (0, 1) at ``mean`` (broadcast): the least k whose
    distribution function reaches ``u``, the values of ``scipy.stats.poisson.ppf``.

    scipy inverts the distribution function with ``pdtrik``, an iterative solver that took
    half of an audit's time on a 5M-row log with many repeat viewers. Here the Cornish-Fisher
    approximation ``mean + sqrt(mean) z + (z^2 - 1) / 6`` starts the search, and a few steps of
    the distribution function end it: 6-13 times faster. Above the median the test is on the
    upper tail (``pdtrc(k) <= 1 - u``, exact there), where ``pdtr`` rounds to 1."""
    u_b, mean_b = np.broadcast_arrays(np.asarray(u, dtype=np.float64), np.asarray(mean, dtype=np.float64))
    q, m = u_b.ravel(), mean_b.ravel()
    upper = q > 0.5
    tail = 1 - q  # exact for q > 1/2 (Sterbenz)

    def enough(k: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Whether k reaches the quantile at the positions ``at``."""
        up = upper[at]
        out = np.empty(at.size, dtype=bool)
        out[up] = special.pdtrc(k[up], m[at][up]) <= tail[at][up]
        out[~up] = special.pdtr(k[~up], m[at][~up]) >= q[at][~up]
        return out

    z = special.ndtri(q)
    k = np.maximum(np.floor(m + np.sqrt(m) * z + (z * z - 1) / 6), 0.0)
    # Down while k - 1 is already enough, then up while k is not.
    active = np.flatnonzero(k > 0)
    while active.size:
        active = active[enough(k[active] - 1, active)]
        k[active] -= 1
        active = active[k[active] > 0]
    everything = np.arange(k.size)
    active = everything[~enough(k, everything)]
    while active.size:
        k[active] += 1
        active = active[~enough(k[active], active)]
    out: np.ndarray = k.reshape(u_b.shape)
    return out
