"""Calibration of the news-site scenario on the EB-NeRD sample (run at build time).

The numbers this module fits are written into ``_scenarios.py`` as literals, so importing
viewaudit never reads data or optimises anything; ``tests/model/test_scenarios.py`` refits them
from ``data/ebnerd/`` and checks they agree. Print them with::

    python tools/calibrate_news_site.py /path/to/data/ebnerd

Dwell. ``history.parquet`` holds 8,303 article read times in whole seconds. A reading ``s >= 1``
means the dwell was in ``[s, s + 1)``; a reading of 0 means either no dwell at all (the zero
mass) or a dwell under a second. With zero mass ``p0`` and a continuous mixture ``F`` the
likelihood of the readings is::

    P(0) = p0 + (1 - p0) F(1)          P(s) = (1 - p0) (F(s + 1) - F(s)),  s >= 1

maximised over ``p0``, the glance weight and both components' parameters.

Exposure. ``behaviors.parquet`` lists the articles in view in each front-page impression; the
number of impressions in which one user had one article in view is the repeat count of that
(user, article) pair.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import optimize, special

from viewaudit._model._dwell_mixture import DwellMixture, LogNormal, Weibull

#: Component families tried, glance first; the fit keeps the most likely pair.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("weibull", "lognormal"),
    ("lognormal", "lognormal"),
    ("weibull", "weibull"),
    ("lognormal", "weibull"),
)

# Starting points (log scale in s, log shape) for the glance and read components: a few
# seconds and about half a minute, the two modes a histogram of the read times shows.
_STARTS: tuple[tuple[float, ...], ...] = (
    (-2.7, 0.0, np.log(3.0), np.log(0.8), np.log(30.0), np.log(1.0)),
    (-2.7, -1.0, np.log(2.0), np.log(0.5), np.log(20.0), np.log(1.2)),
    (-4.0, 0.5, np.log(4.0), np.log(1.0), np.log(40.0), np.log(0.8)),
)


@attrs.frozen
class ReadTimeFit:
    """A dwell mixture fitted to whole-second readings, with its maximised log-likelihood."""

    mixture: DwellMixture
    log_likelihood: float
    readings: int


def read_times(directory: str | Path) -> np.ndarray:
    """The whole-second read times of ``history.parquet`` (flattened), as floats."""
    table = pq.read_table(Path(directory) / "history.parquet", columns=["read_time_fixed"])
    values = pc.list_flatten(table["read_time_fixed"]).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=float)


def exposure_repeats(directory: str | Path) -> np.ndarray:
    """For each (user, article) pair of ``behaviors.parquet``: in how many impressions the
    article was in view."""
    table = pq.read_table(Path(directory) / "behaviors.parquet", columns=["user_id", "article_ids_inview"])
    lengths = pc.list_value_length(table["article_ids_inview"]).to_numpy(zero_copy_only=False)
    users = np.repeat(table["user_id"].to_numpy(zero_copy_only=False), lengths).astype(np.int64)
    articles = pc.list_flatten(table["article_ids_inview"]).to_numpy(zero_copy_only=False).astype(np.int64)
    _, counts = np.unique(np.stack([users, articles]), axis=1, return_counts=True)
    return counts


def _component(family: str, scale: float, shape: float) -> LogNormal | Weibull:
    return LogNormal(median_s=scale, sigma=shape) if family == "lognormal" else Weibull(scale_s=scale, shape=shape)


def _cdf(family: str, scale: float, shape: float, x: np.ndarray) -> np.ndarray:
    # scipy.special rather than scipy.stats: the same functions without the per-call overhead
    # that dominates an optimiser's thousands of calls (a test checks they agree).
    if family == "lognormal":
        return np.asarray(special.ndtr(np.log(x / scale) / shape))
    return -np.expm1(-((x / scale) ** shape))


def _unpack(theta: np.ndarray) -> tuple[float, float, float, float, float, float]:
    p0, w = special.expit(theta[:2])
    s1, k1, s2, k2 = np.exp(theta[2:])
    return float(p0), float(w), float(s1), float(k1), float(s2), float(k2)


def fit_read_times(seconds: Sequence[float] | np.ndarray, *, families: tuple[str, str] = FAMILIES[0]) -> ReadTimeFit:
    """Fit a zero mass and a two-component mixture to whole-second readings (interval-censored).

    Parameters
    ----------
    seconds
        Readings in whole seconds (>= 0).
    families
        Glance and read component families (``"lognormal"`` or ``"weibull"``).
    """
    values, counts = np.unique(np.asarray(seconds, dtype=float), return_counts=True)
    if values.size == 0 or values[0] < 0 or not np.all(values == np.floor(values)):
        raise ValueError("seconds must be whole numbers >= 0")
    positive = values > 0
    zeros = float(counts[~positive].sum())
    lo, hi, n_pos = values[positive], values[positive] + 1, counts[positive]
    glance_family, read_family = families

    def nll(theta: np.ndarray) -> float:
        p0, w, s1, k1, s2, k2 = _unpack(theta)

        def cdf(x: np.ndarray) -> np.ndarray:
            return w * _cdf(glance_family, s1, k1, x) + (1 - w) * _cdf(read_family, s2, k2, x)

        p_zero = p0 + (1 - p0) * cdf(np.array([1.0]))[0]
        p_pos = (1 - p0) * (cdf(hi) - cdf(lo))
        ll = zeros * float(np.log(max(p_zero, 1e-300))) + float(np.sum(n_pos * np.log(np.maximum(p_pos, 1e-300))))
        return -ll

    best = None
    for start in _STARTS:
        res = optimize.minimize(nll, np.array(start), method="BFGS", options={"gtol": 1e-6})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    p0, w, s1, k1, s2, k2 = _unpack(best.x)
    mixture = DwellMixture(
        zero=p0, glance_weight=w, glance=_component(glance_family, s1, k1), read=_component(read_family, s2, k2)
    )
    return ReadTimeFit(mixture=mixture, log_likelihood=-float(best.fun), readings=int(counts.sum()))


def best_read_time_fit(seconds: Sequence[float] | np.ndarray) -> tuple[tuple[str, str], ReadTimeFit]:
    """The most likely of :data:`FAMILIES` (all have six parameters, so likelihood ranks them)."""
    fits = {families: fit_read_times(seconds, families=families) for families in FAMILIES}
    families = max(fits, key=lambda f: fits[f].log_likelihood)
    return families, fits[families]


def _main(argv: Sequence[str]) -> int:
    directory = Path(argv[0]) if argv else Path("data/ebnerd")
    seconds = read_times(directory)
    for families in FAMILIES:
        fit = fit_read_times(seconds, families=families)
        print(f"{'+'.join(families):<22} log-likelihood {fit.log_likelihood:.3f}")
    families, fit = best_read_time_fit(seconds)
    print(f"best: {families}\n{fit.mixture!r}")
    repeats = exposure_repeats(directory)
    print(f"(user, article) pairs {repeats.size}, mean repeats {repeats.mean():.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
