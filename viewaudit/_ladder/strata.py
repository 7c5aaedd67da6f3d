"""Unmeasured impressions estimated within strata (surface, client, ...), then summed.

Missing at random is more credible within a stratum than across a log: measurement gaps
usually follow the client or the surface, and so do viewability and attention. With
``strata="client"``, the log is summarized by (groups, client); each cell's undetermined rows
are estimated from that cell's own measured rows (as the unstratified ladder does for a group,
a cell with none borrowing the pooled share), and the cells' estimates are summed per group,
their interval half-widths added in quadrature (cells are independent given their shares).
Unique viewers use the group's mean chance per undetermined row from these sums: a viewer's
rows can fall in several strata, so viewers are counted on the unstratified table.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._ladder.figures import ladder_from_statistics
from viewaudit._rungs import ESTIMATED_LEVELS
from viewaudit._scan.statistics import LadderStatistics, ladder_statistics
from viewaudit._scan.summary import Summary


def _prefix_index(keys: pa.Table, by: tuple[str, ...]) -> np.ndarray:
    """For rows sorted by (``by``, stratum): the index of each row's ``by`` group, in the same
    sorted order the unstratified groups are in."""
    n = keys.num_rows
    if not by or n == 0:
        return np.zeros(n, dtype=np.int64)
    changed = np.zeros(n, dtype=bool)
    changed[0] = True
    for name in by:
        col = keys[name].combine_chunks()
        a, b = col.slice(1), col.slice(0, n - 1)
        same = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
        changed[1:] |= ~np.asarray(same, dtype=bool)
    return np.cumsum(changed) - 1


def stratified_undetermined(
    summary: Summary, stratum: str, n_groups: int, confidence_level: float
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per estimated rung and group of ``summary.by`` minus ``stratum``: how many undetermined
    rows are on the rung (estimate, low, high), estimated within each stratum and summed."""
    by = tuple(b for b in summary.by if b != stratum)
    cells: LadderStatistics = ladder_statistics(summary)
    table = ladder_from_statistics(cells, summary, confidence_level=confidence_level)
    g = _prefix_index(cells.groups, by)
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for level in ESTIMATED_LEVELS:
        certain = cells.totals[f"n_{level}"]
        est = np.nan_to_num(table[f"{level}_impressions_estimate"].to_numpy(zero_copy_only=False), nan=0.0) - certain
        low = table[f"{level}_impressions_low"].to_numpy() - certain
        high = table[f"{level}_impressions_high"].to_numpy() - certain
        add = np.bincount(g, weights=est, minlength=n_groups)
        below = np.sqrt(np.bincount(g, weights=np.maximum(est - low, 0) ** 2, minlength=n_groups))
        above = np.sqrt(np.bincount(g, weights=np.maximum(high - est, 0) ** 2, minlength=n_groups))
        out[level] = (add, np.maximum(add - below, 0), add + above)
    return out


def strata_count(summary: Summary, stratum: str) -> int:
    """Distinct values of the stratum column in the log."""
    return len(pc.unique(summary.table[stratum]))
