"""The shared multi-start minimiser keeps the lowest result, the first on ties."""

from __future__ import annotations

import numpy as np
import pytest

from viewaudit._estimators.optimise import minimize_from_starts

BOUNDS = [(-5.0, 5.0), (-5.0, 5.0)]


def _two_wells(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """A double well in the first coordinate (deeper near x = 2), a parabola in the second."""
    x, y = theta
    value = (x * x - 4.0) ** 2 - x + y * y
    return float(value), np.array([4.0 * x * (x * x - 4.0) - 1.0, 2.0 * y])


def test_keeps_the_lowest_start() -> None:
    """Of starts in either well, the result is the deeper well's."""
    starts = [np.array([-3.0, 1.0]), np.array([3.0, 1.0])]
    best = minimize_from_starts(_two_wells, starts, bounds=BOUNDS, method="L-BFGS-B")
    assert best.x[0] > 0


def test_first_start_wins_ties() -> None:
    """A later start that reaches the same optimum does not replace the first."""
    calls: list[float] = []

    def flat(theta: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(float(theta[0]))
        return 1.0, np.zeros(2)

    starts = [np.array([1.0, 0.0]), np.array([2.0, 0.0])]
    best = minimize_from_starts(flat, starts, bounds=BOUNDS, method="TNC")
    assert best.x[0] == 1.0
    assert 2.0 in calls


def test_starts_are_clipped_into_the_bounds() -> None:
    """A start outside the bounds is moved onto them before the search."""
    seen: list[np.ndarray] = []

    def flat(theta: np.ndarray) -> tuple[float, np.ndarray]:
        seen.append(theta.copy())
        return 0.0, np.zeros(2)

    minimize_from_starts(flat, [np.array([9.0, -9.0])], bounds=BOUNDS, method="L-BFGS-B")
    np.testing.assert_array_equal(seen[0], [5.0, -5.0])


def test_matches_a_plain_loop() -> None:
    """Same result, bit for bit, as minimising from each start and keeping the best by hand."""
    from scipy import optimize

    starts = [np.array([-3.0, 1.0]), np.array([0.5, -2.0]), np.array([3.0, 1.0])]
    options = {"maxfun": 2000, "ftol": 1e-14}
    results = [optimize.minimize(_two_wells, x0, jac=True, method="TNC", bounds=BOUNDS, options=options) for x0 in starts]
    expected = min(results, key=lambda r: r.fun)
    best = minimize_from_starts(_two_wells, starts, bounds=BOUNDS, method="TNC", options=options)
    np.testing.assert_array_equal(best.x, expected.x)
    assert best.fun == expected.fun


def test_no_start_is_an_error() -> None:
    """An empty list of starts raises, naming the argument."""
    with pytest.raises(ValueError, match="`starts` must hold at least one start"):
        minimize_from_starts(_two_wells, [], bounds=BOUNDS, method="TNC")
