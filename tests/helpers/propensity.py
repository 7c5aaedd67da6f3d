"""Populations of two kinds of viewers, and the propensity estimate on them (``tests/ladder/test_propensity.py``
and ``tests/statistical/test_ladder_propensity.py``)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from viewaudit._ladder.propensity import UndeterminedChances, heterogeneous_viewers
from viewaudit._scan.statistics import distinct_viewer_rows

Z = float(stats.norm.ppf(0.975))


def two_kinds(
    rng: np.random.Generator, viewers: int, bots: float, chances: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gamma-Poisson exposure, undetected bots (share ``bots``) five times as active as people;
    a row is on the rung with ``chances`` (people's, bots'). Returns, for the viewers with a row,
    their rows, each viewer's chance, each row's viewer and whether it is on the rung."""
    bot = rng.random(viewers) < bots
    n = rng.poisson(rng.gamma(0.5, np.where(bot, 35.0, 7.0) / 0.5))
    seen = n > 0
    n, bot = n[seen], bot[seen]
    p = np.where(bot, chances[1], chances[0])
    row = np.repeat(np.arange(n.size), n)
    return n, p, row, rng.random(row.size) < p[row]


def population(seed: int, *, viewers: int = 30_000, bots: float = 0.1, measured: float = 0.7) -> dict[str, np.ndarray | float]:
    """Gamma-Poisson exposure; people see a row on the rung with chance 0.25, undetected bots
    (five times as active) with 0.02; each row measured independently with chance ``measured``.
    Returns the viewers' (t, f, u), the truth and the oracle (each viewer's true chance)."""
    rng = np.random.default_rng(seed)
    n, p, row, on = two_kinds(rng, viewers, bots, (0.25, 0.02))
    kept = rng.random(row.size) < measured
    t = np.bincount(row, on & kept, n.size).astype(np.int64)
    m = np.bincount(row, kept, n.size).astype(np.int64)
    u = n - m
    open_ = (t == 0) & (u > 0)
    oracle = -np.expm1(u[open_] * np.log1p(-p[open_]))
    return {
        "t": t, "f": m - t, "u": u,
        "truth": float(np.count_nonzero(np.bincount(row, on, n.size)) - np.count_nonzero(t)),
        "oracle": float(oracle.sum()), "oracle_sd": float(np.sqrt(np.sum(oracle * (1 - oracle)))),
        "share": float(t.sum() / m.sum()),
    }  # fmt: skip


def unmeasured(share: float) -> UndeterminedChances:
    """Every undetermined row unmeasured, the measured rows' share known exactly."""
    p, zero = np.array([share]), np.zeros(1)
    return UndeterminedChances(unmeasured=np.ones(1), measured_share=(p, p, p), crossing=(zero, zero, zero), determined_share=p)


def estimate(pop: dict) -> tuple[float, float, float]:
    t, f, u = pop["t"], pop["f"], pop["u"]
    rows = distinct_viewer_rows(np.zeros(t.size, dtype=np.int64), t, f, u)
    est, low, high = heterogeneous_viewers(rows, 1, unmeasured(pop["share"]), Z)
    return float(est[0]), float(low[0]), float(high[0])


def per_stratum_fit(
    stratum: np.ndarray, t: np.ndarray, f: np.ndarray, counts: np.ndarray, start: np.ndarray, iterations: int
) -> np.ndarray:
    """The mixing distributions' fit one stratum and one replicate at a time, as the estimator
    fitted them before its strata were stacked: SQUAREM steps of EM on that stratum's cells
    alone, stopping when the log-likelihood moves by no more than TOLERANCE per viewer.
    Returns (replicates, strata, K) like ``_fit_replicates``."""
    from viewaudit._ladder.propensity import TOLERANCE, _kernel

    kernel = _kernel(t, f)
    out = np.repeat(start[None], counts.shape[0], axis=0)
    for r in range(counts.shape[0]):
        for s in np.unique(stratum):
            k, c = kernel[stratum == s], counts[r, stratum == s]
            n = c.sum()

            def em(w: np.ndarray, k: np.ndarray = k, c: np.ndarray = c, n: float = n) -> tuple[np.ndarray, float]:
                density = k @ w
                return w * ((c / density) @ k) / n, float(c @ np.log(density))

            w, previous = start[s].copy(), np.nan
            for _ in range(iterations):
                w1, at_w = em(w)
                w2, at_w1 = em(w1)
                r1, v = w1 - w, w2 - 2 * w1 + w
                alpha = -np.sqrt((r1 @ r1) / (v @ v)) if v @ v > 0 else -1.0
                alpha = min(alpha, -1.0) if np.isfinite(alpha) else -1.0
                jump = np.maximum(w - 2 * alpha * r1 + alpha * alpha * v, 0.0)
                w3, at_jump = em(jump / jump.sum())
                w = w3 if at_jump >= at_w1 else w2
                if abs(at_w - previous) <= TOLERANCE * max(n, 1):
                    break
                previous = at_w
            out[r, s] = w
    return out
