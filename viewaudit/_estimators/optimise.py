"""One bounded minimisation from several starts, so that every likelihood fit keeps its best alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from viewaudit._estimators._deferred import optimize

#: A start's result replaces the best so far only when lower by more than this: on a flat
#: optimum the first start wins, whatever rounding the later ones see.
TIE_TOLERANCE = 1e-12


def minimize_from_starts(
    objective: Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]],
    starts: Iterable[NDArray[np.float64]],
    *,
    bounds: Sequence[tuple[float, float]],
    method: str,
    options: Mapping[str, Any] | None = None,
) -> Any:
    """The :func:`scipy.optimize.minimize` result with the lowest value over ``starts``.

    ``objective`` returns the value and its gradient (``jac=True``). Each start is clipped into
    ``bounds`` and tried in the order given; a later result is kept only when lower than the
    best so far by more than :data:`TIE_TOLERANCE` (the first start wins ties). Returns the
    ``OptimizeResult`` (typed ``Any``: scipy ships no types).
    """
    lower = np.array([low for low, _ in bounds])
    upper = np.array([high for _, high in bounds])
    best = None
    for start in starts:
        result = optimize.minimize(
            objective,
            np.clip(start, lower, upper),
            jac=True,
            method=method,
            bounds=bounds,
            options=None if options is None else dict(options),
        )
        if best is None or result.fun < best.fun - TIE_TOLERANCE:
            best = result
    if best is None:
        raise ValueError("`starts` must hold at least one start, got none")
    return best
