"""Accuracy of the estimators on simulated logs: bias, RMSE and 95 % interval coverage.

One command:  python benchmarks/bench_accuracy.py [--runs 40] [--json PATH] [--only unique|dwell|totals|ratio]

A small grid of seeded conditions x sampling rates, with its own little numpy simulator (the
project's feed model lives in viewaudit/_model/). For each estimator and condition it prints the
relative bias, the relative RMSE, the share of runs within 5 % of the truth (the WFA reach
target asks for 95 %) and the empirical coverage of the 95 % interval with its binomial
standard error.
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


def summarise(errors: list[float], truths: list[float], covered: list[bool]) -> dict[str, float]:
    rel = np.asarray(errors) / np.asarray(truths)
    cover = float(np.mean(covered))
    return {
        "bias_pct": 100 * float(rel.mean()),
        "rmse_pct": 100 * float(np.sqrt(np.mean(rel**2))),
        "within_5pct": 100 * float(np.mean(np.abs(rel) <= 0.05)),
        "coverage_pct": 100 * cover,
        "coverage_se_pct": 100 * float(np.sqrt(max(cover * (1 - cover), 0.95 * 0.05) / len(covered))),
    }


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
        for p in (0.05, 0.1, 0.3):
            acc: dict[str, tuple[list, list, list]] = {m: ([], [], []) for m in (*UNIQUE_METHODS, "reach3")}
            for run in range(runs):
                rng = np.random.default_rng([run, int(100 * shape), int(mean), int(100 * p)])
                x = exposures(rng, 150_000, kind, shape, mean)
                f = frequency_counts(rng.binomial(x, p))
                truth = float(np.count_nonzero(x))
                for m in UNIQUE_METHODS:
                    est = unique_viewers(f, sample_rate=p, method=m)
                    _add(acc[m], est, truth)
                _add(acc["reach3"], k_plus_reach(f, k=3, sample_rate=p), float(np.count_nonzero(x >= 3)))
            for m, (e, t, c) in acc.items():
                name = "gamma-poisson 3+ reach" if m == "reach3" else m
                yield {"estimator": name, "condition": f"{kind}({shape}, mean {mean})", "p": p, **summarise(e, t, c)}


def _add(acc: tuple[list, list, list], est: object, truth: float) -> None:
    ci = est.confidence_interval  # type: ignore[attr-defined]
    acc[0].append(est.estimate - truth)  # type: ignore[attr-defined]
    acc[1].append(truth)
    acc[2].append(bool(ci.low <= truth <= ci.high))


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
    "dwell": dwell_grid,
    "totals": totals_grid,
    "ratio": ratio_grid,
}


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--only", choices=sorted(GRIDS), default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    print("| estimator | condition | p | bias % | RMSE % | within 5 % | coverage % (SE) |")
    print("|---|---|---|---|---|---|---|")
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
                    f"{row['coverage_pct']:.0f} ({row['coverage_se_pct']:.1f}) |",
                    flush=True,
                )
    print(f"\n{args.runs} seeded runs per row; {time.perf_counter() - start:.0f} s", file=sys.stderr)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
