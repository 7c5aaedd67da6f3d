"""Accuracy of the estimators on simulated logs: bias, RMSE and 95 % interval coverage.

One command:  python benchmarks/bench_accuracy.py [--runs 40] [--json PATH] [--only unique|closed|dwell|totals|ratio]
[--default-only]

A small grid of seeded conditions x sampling rates, with its own little numpy simulator (the
project's feed model lives in viewaudit/_model/). For each estimator and condition it prints the
relative bias, the relative RMSE, the share of runs within 5 % of the truth (the WFA reach
target asks for 95 %), the empirical coverage of the 95 % interval with its binomial
standard error, and the median width of the interval relative to the truth (an interval can buy
coverage with uselessness). ``--default-only`` keeps the default estimator (and the 3+ reach)
of the unique-viewer grids.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from viewaudit import DegenerateDataWarning
from viewaudit.estimators import (
    DwellHistogram,
    WeightSums,
    fit_dwell,
    frequency_counts,
    horvitz_thompson_total,
    k_plus_reach,
    model_free_reach,
    ratio_bootstrap,
    unique_viewers,
)

UNIQUE_METHODS = ("gamma-poisson", "poisson-lognormal", "model-average", "chao1", "chao1-sampled", "good-toulmin")


def exposures(rng: np.random.Generator, n: int, kind: str, shape: float, mean: float) -> np.ndarray:
    """Complete-log impressions per person: Poisson of a Gamma, log-normal or Pareto rate."""
    if kind == "gamma":
        rate = rng.gamma(shape, mean / shape, n)
    elif kind == "lognormal":  # shape: sd of the log rate
        rate = rng.lognormal(np.log(mean) - shape**2 / 2, shape, n)
    else:  # Pareto (Lomax + 1) with tail index `shape`, scaled to the mean
        rate = (rng.pareto(shape, n) + 1) * mean * (shape - 1) / shape
    return rng.poisson(rate)


def summarise(
    errors: list[float], truths: list[float], covered: list[bool], widths: list[float] | None = None
) -> dict[str, float]:
    rel = np.asarray(errors) / np.asarray(truths)
    cover = float(np.mean(covered))
    return {
        "bias_pct": 100 * float(rel.mean()),
        "rmse_pct": 100 * float(np.sqrt(np.mean(rel**2))),
        # A range has no point estimate: its bias, RMSE and share within 5 % are NaN.
        "within_5pct": 100 * float(np.mean(np.abs(rel) <= 0.05)) if np.isfinite(rel).all() else float("nan"),
        "coverage_pct": 100 * cover,
        "coverage_se_pct": 100 * float(np.sqrt(max(cover * (1 - cover), 0.95 * 0.05) / len(covered))),
        "median_width_pct": 100 * float(np.median(widths)) if widths else float("nan"),
    }


def closed_audience(rng: np.random.Generator, shape: str) -> np.ndarray:
    """Complete-log impressions per person of a closed audience (a finite population that the
    complete log mostly reaches, with a heavy head of very active viewers).

    * ``"subscribers"``: 20,000 subscribers of a site, every one reached: one impression each
      (the newsletter or the home page that every subscriber opens) plus a Poisson count of a
      log-normal rate (median 8, log sd 1.2: most read a few items, a tenth read over 35).
      Nobody has almost no exposure, which the exposure models (continuous rates down to 0)
      take for granted.
    * ``"intranet"``: 20,000 employees, 95 % of whom the log reaches; 40 % are daily users
      (1 + Poisson(30) impressions), the others occasional (geometric, mean 3). A mixture with
      a large share of very active viewers.
    * ``"regulars"``: 20,000 members, 85 % reached, 1 + a negative binomial of shape 0.5 and
      mean 12: a heavy tail above a floor of one.
    """
    n = 20_000
    if shape == "subscribers":
        return 1 + rng.poisson(rng.lognormal(np.log(8.0), 1.2, n))
    if shape == "intranet":
        x = np.where(rng.random(n) < 0.4, 1 + rng.poisson(30.0, n), rng.geometric(1 / 3, n))
        return np.where(rng.random(n) < 0.95, x, 0)
    x = 1 + rng.negative_binomial(0.5, 0.5 / 12.5, n)
    return np.where(rng.random(n) < 0.85, x, 0)


SAMPLE_RATES = (0.05, 0.1, 0.2, 0.3)
DEFAULT_ONLY = False  # set by --default-only


def _methods() -> tuple[str, ...]:
    return ("gamma-poisson",) if DEFAULT_ONLY else UNIQUE_METHODS


def closed_grid(runs: int) -> Iterator[dict[str, object]]:
    """Unique viewers and 3+ reach of closed audiences (:func:`closed_audience`)."""
    for shape in ("subscribers", "intranet", "regulars"):
        for p in SAMPLE_RATES:
            acc: dict[str, tuple[list, list, list, list]] = {m: ([], [], [], []) for m in (*_methods(), "reach3", *MODEL_FREE)}
            for run in range(runs):
                rng = np.random.default_rng([run, len(shape), int(100 * p), 24])
                x = closed_audience(rng, shape)
                f = frequency_counts(rng.binomial(x, p))
                truth = float(np.count_nonzero(x))
                for m in _methods():
                    _add(acc[m], unique_viewers(f, sample_rate=p, method=m), truth)  # type: ignore[arg-type]
                _add(acc["reach3"], k_plus_reach(f, k=3, sample_rate=p), float(np.count_nonzero(x >= 3)))
                _add_model_free(acc, f, p, x)
            for m, (e, t, c, w) in acc.items():
                name = {"reach3": "gamma-poisson 3+ reach", **MODEL_FREE}.get(m, m)
                yield {"estimator": name, "condition": f"closed: {shape}", "p": p, **summarise(e, t, c, w)}


def unique_grid(runs: int) -> Iterator[dict[str, object]]:
    conditions = [
        ("gamma", 0.5, 5.0),
        ("gamma", 1.0, 3.0),
        ("gamma", 2.0, 10.0),
        ("gamma", 0.3, 20.0),
        ("lognormal", 1.5, 5.0),
        ("pareto", 1.5, 5.0),
    ]
    for kind, shape, mean in conditions:
        for p in SAMPLE_RATES:
            acc: dict[str, tuple[list, list, list, list]] = {m: ([], [], [], []) for m in (*_methods(), "reach3", *MODEL_FREE)}
            for run in range(runs):
                rng = np.random.default_rng([run, int(100 * shape), int(mean), int(100 * p)])
                x = exposures(rng, 150_000, kind, shape, mean)
                f = frequency_counts(rng.binomial(x, p))
                truth = float(np.count_nonzero(x))
                for m in _methods():
                    est = unique_viewers(f, sample_rate=p, method=m)  # type: ignore[arg-type]
                    _add(acc[m], est, truth)
                _add(acc["reach3"], k_plus_reach(f, k=3, sample_rate=p), float(np.count_nonzero(x >= 3)))
                _add_model_free(acc, f, p, x)
            for m, (e, t, c, w) in acc.items():
                name = {"reach3": "gamma-poisson 3+ reach", **MODEL_FREE}.get(m, m)
                yield {"estimator": name, "condition": f"{kind}({shape}, mean {mean})", "p": p, **summarise(e, t, c, w)}


#: The model-free ranges (:func:`model_free_reach`) of unique viewers and 3+ reach, by k.
MODEL_FREE = {"free1": "model-free range", "free3": "model-free 3+ range"}


def _add_model_free(acc: dict[str, tuple[list, list, list, list]], f: np.ndarray, p: float, x: np.ndarray) -> None:
    """Coverage and width of the model-free ranges; a range has no point estimate (bias: NaN)."""
    for key, k in (("free1", 1), ("free3", 3)):
        r = model_free_reach(f, sample_rate=p, k=k)
        truth = float(np.count_nonzero(x >= k))
        e, t, c, w = acc[key]
        e.append(np.nan)
        t.append(truth)
        c.append(bool(r.low <= truth <= r.high))
        w.append((r.high - r.low) / truth)


def _add(acc: tuple[list, ...], est: object, truth: float) -> None:
    ci = est.confidence_interval  # type: ignore[attr-defined]
    acc[0].append(est.estimate - truth)  # type: ignore[attr-defined]
    acc[1].append(truth)
    acc[2].append(bool(ci.low <= truth <= ci.high))
    if len(acc) > 3:
        acc[3].append((ci.high - ci.low) / truth)


def dwell_grid(runs: int) -> Iterator[dict[str, object]]:
    """P(dwell >= tau) from censored or whole-second logs, log-normal fits."""
    from scipy import stats

    for label, n, censor_ms, whole_seconds in (
        ("n=2000, 25% censored", 2000, 8000.0, False),
        ("n=20000, 25% censored", 20_000, 8000.0, False),
        ("n=2000, whole seconds", 2000, None, True),
    ):
        for tau in (1000.0, 2000.0, 3000.0):
            mu, sigma = np.log(2500.0), 1.2
            truth = 0.95 * stats.norm.sf((np.log(tau) - mu) / sigma)
            e, t, c = [], [], []
            for run in range(runs):
                rng = np.random.default_rng([run, n, int(tau)])
                dwell = np.where(rng.random(n) < 0.05, 0.0, rng.lognormal(mu, sigma, n))
                if whole_seconds:
                    hist = DwellHistogram.from_arrays(np.floor(dwell / 1000) * 1000, rounded_to_seconds=True)
                else:
                    end = rng.exponential(censor_ms, n)
                    hist = DwellHistogram.from_arrays(np.minimum(dwell, end), dwell > end)
                s = fit_dwell(hist).survival(tau)
                e.append(s.estimate - truth)
                t.append(truth)
                c.append(bool(s.confidence_interval.low <= truth <= s.confidence_interval.high))
            yield {
                "estimator": "dwell survival",
                "condition": f"{label}, tau {tau / 1000:g} s",
                "p": 1.0,
                **summarise(e, t, c),
            }


def totals_grid(runs: int) -> Iterator[dict[str, object]]:
    """Horvitz-Thompson impressions under Poisson sampling with unequal probabilities."""
    rng0 = np.random.default_rng(0)
    y = rng0.poisson(3.0, 20_000).astype(float)
    for mean_pi in (0.02, 0.1, 0.3):
        pi = np.clip(rng0.beta(2, 2 / mean_pi - 2, y.size), 0.005, 1.0)
        truth = y.sum()
        e, t, c = [], [], []
        for run in range(runs):
            keep = np.random.default_rng([run, int(1000 * mean_pi)]).random(y.size) < pi
            est = horvitz_thompson_total(WeightSums.from_arrays(1 / pi[keep], y[keep]))
            _add((e, t, c), est, truth)
        yield {
            "estimator": "horvitz-thompson",
            "condition": "20k units, beta inclusion",
            "p": mean_pi,
            **summarise(e, t, c),
        }


def ratio_grid(runs: int) -> Iterator[dict[str, object]]:
    """Rendered impressions per attended viewer, BCa viewer bootstrap, 400 viewers a sample."""
    rng0 = np.random.default_rng(1)
    rendered = rng0.negative_binomial(1, 0.25, 200_000) + 1.0
    attended = (rng0.random(rendered.size) < 1 - 0.7**rendered).astype(float)
    truth = rendered.sum() / attended.sum()
    e, t, c = [], [], []
    for run in range(runs):
        rng = np.random.default_rng([run, 7])
        pick = rng.integers(0, rendered.size, 400)
        _add((e, t, c), ratio_bootstrap(rendered[pick], attended[pick], n_resamples=999, rng=rng), truth)
    yield {"estimator": "inflation ratio (BCa)", "condition": "400 viewers", "p": 1.0, **summarise(e, t, c)}


GRIDS: dict[str, Callable[[int], Iterator[dict[str, object]]]] = {
    "unique": unique_grid,
    "closed": closed_grid,
    "dwell": dwell_grid,
    "totals": totals_grid,
    "ratio": ratio_grid,
}


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--only", choices=sorted(GRIDS), default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--default-only", action="store_true", help="only the default unique-viewer estimator")
    args = parser.parse_args(argv)
    global DEFAULT_ONLY
    DEFAULT_ONLY = args.default_only
    rows: list[dict[str, object]] = []
    print("| estimator | condition | p | bias % | RMSE % | within 5 % | coverage % (SE) | median width % |")
    print("|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for name, grid in GRIDS.items():
            if args.only not in (None, name):
                continue
            for row in grid(args.runs):
                rows.append(row)
                print(
                    f"| {row['estimator']} | {row['condition']} | {row['p']:g} | {row['bias_pct']:+.2f} | "
                    f"{row['rmse_pct']:.2f} | {row['within_5pct']:.0f} | "
                    f"{row['coverage_pct']:.0f} ({row['coverage_se_pct']:.1f}) | {row['median_width_pct']:.1f} |",
                    flush=True,
                )
    print(f"\n{args.runs} seeded runs per row; {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
