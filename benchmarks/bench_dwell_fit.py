"""Time the binned dwell fit against lifelines' exact-time fit on the same censored rows.

One command:  python benchmarks/bench_dwell_fit.py [--rows 1000000] [--repeats 5] [--json PATH]

The rows are log-normal dwell times (ms) right-censored by exponential session ends (about a
quarter censored), seeded. viewaudit bins them once into a DwellHistogram (timed apart) and
fits the histogram; lifelines' LogNormalFitter fits the rows themselves. Speed is reported as
a ratio measured in the same run (absolute times drift from machine to machine), and the two
estimates are compared in units of their standard error. Needs lifelines (test/bench only).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from viewaudit import DegenerateDataWarning
from viewaudit.estimators import DwellHistogram, fit_dwell


def rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Censored log-normal dwell times: (observed ms, censored flag)."""
    rng = np.random.default_rng(seed)
    dwell = rng.lognormal(8.0, 1.2, n)
    end = rng.exponential(15_000.0, n)
    return np.minimum(dwell, end), dwell > end


def timed(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall time of ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    try:
        from lifelines import LogNormalFitter
    except ImportError:
        sys.exit("bench_dwell_fit needs lifelines: pip install lifelines")

    observed, censored = rows(args.rows, args.seed)
    t_hist, hist = timed(lambda: DwellHistogram.from_arrays(observed, censored), args.repeats)
    t_fit, fit = timed(lambda: fit_dwell(hist, zero_mass=False), args.repeats)
    with warnings.catch_warnings():
        # The rows have one component, so a second one is not identified: the fit says so.
        warnings.simplefilter("ignore", DegenerateDataWarning)
        t_fit2, fit2 = timed(lambda: fit_dwell(hist, components=2, zero_mass=False), args.repeats)
    # lifelines is slow: time it fewer times.
    t_ref, ref = timed(lambda: LogNormalFitter().fit(observed, event_observed=~censored), max(1, args.repeats // 3))

    se = np.sqrt(np.diag(fit.covariance))  # of (mu, ln sigma)
    result = {
        "rows": args.rows,
        "censored_share": float(censored.mean()),
        "histogram_s": t_hist,
        "fit_s": t_fit,
        "fit_two_components_s": t_fit2,
        "lifelines_s": t_ref,
        "speedup_fit": t_ref / t_fit,
        "speedup_histogram_and_fit": t_ref / (t_hist + t_fit),
        "mu": [float(fit.mu[0]), float(ref.mu_)],
        "sigma": [float(fit.sigma[0]), float(ref.sigma_)],
        "mu_difference_in_se": float((fit.mu[0] - ref.mu_) / se[0]),
        "log_sigma_difference_in_se": float((np.log(fit.sigma[0]) - np.log(ref.sigma_)) / se[1]),
    }
    print(f"rows {args.rows:,} ({result['censored_share']:.1%} right-censored), median of {args.repeats}")
    print(f"  DwellHistogram.from_arrays   {t_hist * 1e3:9.1f} ms")
    print(f"  fit_dwell (log-normal)       {t_fit * 1e3:9.1f} ms")
    print(f"  fit_dwell (2 components)     {t_fit2 * 1e3:9.1f} ms")
    print(f"  lifelines LogNormalFitter    {t_ref * 1e3:9.1f} ms")
    print(f"  speed-up, fit only           {result['speedup_fit']:9.0f}x")
    print(f"  speed-up, histogram + fit    {result['speedup_histogram_and_fit']:9.0f}x")
    print(f"  mu     {fit.mu[0]:.5f} vs {ref.mu_:.5f}   ({result['mu_difference_in_se']:+.3f} SE)")
    print(f"  sigma  {fit.sigma[0]:.5f} vs {ref.sigma_:.5f}   ({result['log_sigma_difference_in_se']:+.3f} SE)")
    print(f"  two components: weights {np.round(fit2.weights, 3)}, AIC {fit2.aic - fit.aic:+.1f} vs one (not identified)")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
