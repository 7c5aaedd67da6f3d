"""Seeded viewers for the bootstrap's tests (``tests/estimators/test_bootstrap.py`` and
``tests/statistical/test_estimators_bootstrap.py``)."""

from __future__ import annotations

import numpy as np


def _viewers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-viewer rendered impressions (heavy-tailed repeats) and 0/1 attended-viewer flags
    correlated with them (a viewer with more impressions is more likely to attend once)."""
    rendered = rng.negative_binomial(1, 0.25, n) + 1
    attended = (rng.random(n) < 1 - 0.7**rendered).astype(float)
    return rendered.astype(float), attended
