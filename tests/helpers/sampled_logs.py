"""The imputation of viewers in a sampled log, written out (``tests/ladder/test_sampled_logs.py`` and
``tests/statistical/test_ladder_sampled_logs.py``)."""

from __future__ import annotations

import numpy as np

from viewaudit._ladder.imputation import imputed_figures as _imputed
from viewaudit._ladder.imputation import viewers_figure as _viewers_figure


def _imputed_complete_log_viewers(
    g: np.ndarray,
    determined: np.ndarray,
    undetermined: np.ndarray,
    chance: tuple[np.ndarray, ...],
    n_groups: int,
    p: float,
    cl: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The imputed unique viewers of the complete log alone (the audit's first figure)."""
    return _imputed(g, determined, undetermined, chance, n_groups, [(_viewers_figure(n_groups, p, cl), 1)], cl)[0]  # type: ignore[arg-type]
