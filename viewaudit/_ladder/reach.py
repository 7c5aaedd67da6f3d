"""k+ reach per rung: viewers with at least k impressions on it, with an interval.

Asked for with ``audit(..., frequency=K)`` (k = 1 .. K; k = 1 is the rung's unique viewers), from
the summary's per-(group, viewer) counts, kept as sorted distinct ``(group, t, u, count)``: ``t``
determined impressions on the rung, ``u`` undetermined ones, ``count`` viewers sharing them.

* **Determined** (``t >= k``): counted, exactly.
* **Open** (``t < k <= t + u``): on the rung k times with probability ``P(Bin(u, p) >= k - t)``,
  ``p`` the group's chance that an undetermined row is on the rung (the one its unique viewers
  use: impressions of a viewer independent given ``p``). The expected count adds these chances;
  the interval adds, in quadrature, their Bernoulli noise and the move of the sum when ``p`` runs
  over its own interval, as for unique viewers (``viewaudit._ladder.figures._uncertain_viewers``, which this
  is at k = 1).
* **Sampled logs** (one known sampling rate ``p``): the whole log's k+ reach of the *complete*
  log is the Gamma-Poisson estimate (two classes' where the data reject one) with the
  model-set interval, widened for a small count of repeat viewers
  (:func:`viewaudit.estimators.k_plus_reach`), from the sample's counts on the
  rung (a thinning at ``p``), its undetermined rows imputed as for unique viewers
  (``viewaudit._ladder.imputation.complete_log_figures``); per group, k >= 2 is not estimated (a group's few
  viewers do not identify its exposure distribution): NaN, bounded by 0 and the group's unique
  viewers.
"""

from __future__ import annotations

import numpy as np

from viewaudit._estimators._deferred import stats
from viewaudit._estimators.unseen import frequency_counts, model_set_reach
from viewaudit._scan.statistics import Frequencies


def usable_frequency(frequencies: dict[str, Frequencies] | None, frequency: int) -> int:
    """The largest k worth reporting when ``frequency`` is asked for: at most one more than the
    most impressions (determined or not) of any viewer on any rung, where k+ reach is 0 and stays
    so (of a sampled log, the k the sample says anything of)."""
    if not frequency or frequencies is None:
        return frequency
    most = max((int(np.max(t + u)) for _, t, u, _ in frequencies.values() if t.size), default=0)
    return min(frequency, most + 1)


def k_plus_reach_with_undetermined(
    freq: Frequencies,
    n_groups: int,
    k: int,
    share: np.ndarray,
    share_low: np.ndarray,
    share_high: np.ndarray,
    z: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) per group of the viewers with at least ``k`` impressions on the rung,
    each undetermined row of group g on it with probability ``share[g]`` (interval
    ``[share_low[g], share_high[g]]``)."""
    g, t, u, count = freq
    count = count.astype(float)
    determined = np.bincount(g, weights=np.where(t >= k, count, 0.0), minlength=n_groups)
    open_ = (t < k) & (t + u >= k)
    if not open_.any():
        return determined, determined.copy(), determined.copy()
    go, need, uo, co = g[open_], k - t[open_], u[open_], count[open_]

    def expected(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = stats.binom.sf(need - 1, uo, np.clip(p[go], 0.0, 1.0))
        return np.bincount(go, weights=co * q, minlength=n_groups), np.bincount(go, weights=co * q * (1 - q), minlength=n_groups)

    est, var = expected(share)
    low, _ = expected(share_low)
    high, _ = expected(share_high)
    bound = np.bincount(go, weights=co, minlength=n_groups)
    lo = est - np.sqrt((est - low) ** 2 + z * z * var)
    hi = est + np.sqrt((high - est) ** 2 + z * z * var)
    return determined + est, determined + np.clip(lo, 0, bound), determined + np.clip(hi, 0, bound)


def sampled_k_plus_reach(counts: np.ndarray, k: int, rate: float, confidence_level: float) -> tuple[float, float, float]:
    """The complete log's viewers with at least ``k`` impressions on a rung, from one sample's
    per-viewer counts on it, thinned at ``rate``: the Gamma-Poisson estimate with its interval,
    widened to the Poisson-log-normal one where the sample cannot tell the two exposure models
    apart, the estimate and interval of two Gamma-Poisson classes' where it rejects one (the
    interval still spanning the others), and the exact Poisson interval of a small count of
    repeat viewers (:func:`~viewaudit._estimators.unseen.model_set_reach`). With no viewer seen twice, (NaN, 0,
    inf): not identified."""
    if k >= 2 and not np.any(counts >= 2):
        # No viewer seen twice: at rate p a viewer with two impressions is seen twice with chance
        # p**2, so the sample says nothing of repeat viewers (a fit would put them at 0 with a
        # narrow interval). Not estimated; bounded by 0 and, in the ladder, the unique viewers.
        return np.nan, 0.0, np.inf
    f = frequency_counts(counts[counts > 0]) if counts.size else np.zeros(1, dtype=np.int64)
    est = model_set_reach(f, sample_rate=rate, k=k, confidence_level=confidence_level)
    # One k: scalars (CountEstimate holds arrays only for arrays of k).
    return float(est.estimate), float(est.confidence_interval.low), float(est.confidence_interval.high)
