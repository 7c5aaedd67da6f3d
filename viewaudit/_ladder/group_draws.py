"""Random draws that belong to a group, not to a group's label.

A grouped audit draws (imputations, bootstrap replicates) for the cells of every group at once.
Drawn in one stream over all cells, the draws a group gets depend on which groups come before
it, so relabelling the groups (a permutation of the item ids) moves intervals by a draw's
noise. Here a cell's draw is chosen by its place among its own group's cells: each group gets
the same stream from its start, whatever its label, and a permutation of the labels permutes the
groups' figures and changes nothing else.
"""

from __future__ import annotations

import numpy as np

from viewaudit._estimators._deferred import stats


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
    counts = stats.poisson.ppf(uniforms_by_place(seed, draws, group), mean)
    return np.where(mean > 0, counts, 0.0)
