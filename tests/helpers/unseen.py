"""Seeded samples for the unseen-viewer estimators' tests (``tests/estimators/test_unseen.py`` and
``tests/statistical/test_estimators_unseen.py``)."""

from __future__ import annotations

import numpy as np


def _sample(
    rng: np.random.Generator, n_people: int, p: float, *, kind: str = "gamma", shape: float = 0.5, mean: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Complete-log counts X (Poisson of a random rate) and the counts Y of rows kept at rate p."""
    if kind == "gamma":
        rate = rng.gamma(shape, mean / shape, n_people)
    elif kind == "lognormal":  # shape is the sd of the log rate
        rate = rng.lognormal(np.log(mean) - shape**2 / 2, shape, n_people)
    else:  # constant exposure
        rate = None
    x = np.full(n_people, int(mean)) if rate is None else rng.poisson(rate)
    return x, rng.binomial(x, p)


def _bot_mixture(rng: np.random.Generator, p: float) -> tuple[np.ndarray, np.ndarray]:
    """The short-video exposure of the audit benchmark: people Gamma(1) rates of mean 1.3 and 5 %
    accounts with 5 times the mean (same shape), about 2,600 viewers seen at p = 10 %."""
    n = 22_000
    rate = rng.gamma(1.0, np.where(rng.random(n) < 0.05, 6.5, 1.3))
    x = rng.poisson(rate)
    return x, rng.binomial(x, p)
