"""Seeded simulations of by-item audits of sampled logs, and their accuracy check
(``tests/ladder/test_sampled_viewers.py`` and ``tests/statistical/test_ladder_sampled_viewers.py``)."""

from __future__ import annotations

import numpy as np

from viewaudit._ladder.sampled_viewers import complete_log_viewers


def _audit(rng: np.random.Generator, n_groups: int, *, size_sd: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """People per group (log-normal: most groups tiny, a few large) and each group's mean
    complete-log impressions per person (log-normal around 3)."""
    size = np.maximum(1, np.round(rng.lognormal(2.5, size_sd, n_groups))).astype(np.int64)
    return size, rng.lognormal(np.log(3.0), 0.7, n_groups)


def _draw(
    rng: np.random.Generator, size: np.ndarray, mean: np.ndarray, p: float, kind: str, shape: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sampled counts, group, complete-log viewers per group): rates Gamma(shape) or
    log-normal (sd of the log rate ``shape``) around each group's mean, rows kept at rate p."""
    group = np.repeat(np.arange(size.size), size)
    mu = np.repeat(mean, size)
    rate = rng.gamma(shape, mu / shape) if kind == "gamma" else rng.lognormal(np.log(mu) - shape**2 / 2, shape)
    x = rng.poisson(rate)
    return rng.binomial(x, p), group, np.bincount(group, weights=x > 0, minlength=size.size)


def _simulate(seed: int, n_groups: int, runs: int, p: float, kind: str, shape: float) -> tuple[np.ndarray, ...]:
    """(estimate, low, high, truth), each runs x n_groups, on one population of groups."""
    rng = np.random.default_rng(seed)
    size, mean = _audit(rng, n_groups)
    est, low, high, truth = (np.empty((runs, n_groups)) for _ in range(4))
    for r in range(runs):
        y, g, truth[r] = _draw(rng, size, mean, p, kind, shape)
        est[r], low[r], high[r] = complete_log_viewers(y, g, n_groups, sample_rate=p)
    return est, low, high, truth


def _check_accuracy(est: np.ndarray, low: np.ndarray, high: np.ndarray, truth: np.ndarray, *, allowed: float) -> None:
    """Total bias within ``allowed`` + 3 MCSE; coverage of groups of 20+ viewers at least
    0.95 - 3 binomial SE and at most 0.975 (the exact binomial part makes the intervals about
    one point conservative: 95.8-96.0 % over 200 runs), of smaller groups at least 0.95 - 3 SE."""
    runs = est.shape[0]
    rel = est.sum(axis=1) / truth.sum(axis=1) - 1
    assert abs(rel.mean()) <= allowed + 3 * rel.std(ddof=1) / np.sqrt(runs), rel.mean()
    covered = (low <= truth) & (truth <= high)
    large = truth.mean(axis=0) >= 20
    for sel in (large, ~large):
        n = runs * int(sel.sum())
        coverage, tol = covered[:, sel].mean(), 3 * np.sqrt(0.95 * 0.05 / n)
        assert coverage >= 0.95 - tol, (coverage, tol)
    assert covered[:, large].mean() <= 0.975
