"""Issue 28, item 3: how often ``claim``'s intervals cover the truth of a simulated story.

One command:  python benchmarks/bench_claim_calibration.py [--runs 80] [--impressions 200000]
              [--platform x] [--samples 1024] [--seed 0] [--json PATH]

Each run:

1. draws one value of every varied parameter of the platform's template scenario, uniformly on
   its range or on the log of it (``ParameterRange.value_at``, as ``claim``'s own draws), from a
   seeded numpy generator;
2. simulates a log of about ``--impressions`` rendered impressions from that feed model;
3. reduces the log to its public counters: the views (every render, as the platform counts them)
   and the likes (every liked impression);
4. runs ``claim(views, platform=...)`` without and with the likes (policy ``mrc-display``);
5. records, for each rung's impressions and unique viewers, whether the interval covers the truth
   (the audit of the complete simulated log under ``mrc-display``) and its width over the truth.

``claim`` re-derives the population so that the rendered impressions are the views, so a claim of
200,000 views models a story of 200,000 views: the same population the simulator drew (checked:
the run stops if the two differ by more than rounding).

The table gives each figure's coverage with its binomial standard error, and the median relative
width. The target: 90 to 97 % at the nominal 95 %.
"""

from __future__ import annotations

import argparse
import json
import math
import platform as host
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import viewaudit as va
from viewaudit._model._claim import PLATFORMS
from viewaudit._model._ranges import with_values
from viewaudit._model._scenarios import get_scenario
from viewaudit._model._uncertainty import holding_count
from viewaudit._policy import PRESETS
from viewaudit._rungs import LEVELS

POLICY = "mrc-display"


def draw_model(template: Any, rng: np.random.Generator) -> tuple[va.FeedModel, dict[str, float]]:
    """One feed model with every varied parameter drawn from its range, in the ranges' order."""
    values = {r.name: float(r.value_at(rng.random())) for r in template.ranges.values() if not r.held}
    return with_values(template.model, values), values


def figures(ladder: Any) -> dict[str, tuple[float | None, float | None, float | None]]:
    """(estimate, low, high) of each rung's impressions and unique viewers."""
    out = {}
    for level in LEVELS:
        rung = ladder[level]
        for kind in ("impressions", "unique_viewers"):
            e = getattr(rung, kind)
            out[f"{level}.{kind}"] = (e.estimate, e.low, e.high)
    return out


def one_run(platform: str, impressions: float, samples: int, seed: int) -> dict[str, Any]:
    rule = PLATFORMS[platform].rule
    template = get_scenario(PLATFORMS[platform].template)
    rng = np.random.default_rng([seed, 28])
    model, values = draw_model(template, rng)
    sim = va.simulate(model, impressions=impressions, policy=POLICY, compare=[PRESETS[rule]], rng=seed)
    views = float(sim.truths[rule].views.estimate)  # type: ignore[arg-type]  # the count under the platform's rule
    likes = float(np.sum(sim.log["liked"].to_numpy(zero_copy_only=False)))
    # claim's population for the simulated model's expected count must be the simulated one (the
    # realised count differs from it by sampling, which the calibration measures).
    expected = float(va.expected_ladder(sim.model, policy=PRESETS[rule]).views)
    if abs(holding_count(model, expected, PRESETS[rule]).viewers - sim.model.viewers) > 0.01 * sim.model.viewers + 2:
        raise RuntimeError(f"claim's population for {expected:,.0f} views differs from the simulated one ({sim.model.viewers:,})")
    truth = {name: est for name, (est, _, _) in figures(sim.truth.ladder).items()}
    out: dict[str, Any] = {"seed": seed, "views": views, "likes": likes, "parameters": values, "truth": truth}
    for label, kwargs in (("without_likes", {}), ("with_likes", {"likes": likes})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = va.claim(views, platform=platform, policy=POLICY, samples=samples, rng=seed, **kwargs)
        rows = {}
        for name, (estimate, low, high) in figures(result.ladder).items():
            t = truth[name]
            if low is None or high is None or t is None:
                continue
            rows[name] = {
                "estimate": estimate,
                "low": low,
                "high": high,
                "covered": bool(low <= t <= high),
                "miss": "interval low" if t > high else "interval high" if t < low else None,
                "width": (high - low) / t if t else None,
            }
        out[label] = {"figures": rows, "ess": result.effective_sample_size, "warnings": [str(w.message) for w in caught]}
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for label in ("without_likes", "with_likes"):
        summary[label] = {}
        names = [n for n in runs[0][label]["figures"]]
        for name in names:
            rows = [r[label]["figures"][name] for r in runs if name in r[label]["figures"]]
            n = len(rows)
            p = sum(r["covered"] for r in rows) / n
            widths = [r["width"] for r in rows if r["width"] is not None]
            summary[label][name] = {
                "n": n,
                "coverage": p,
                "se": math.sqrt(p * (1 - p) / n),
                "median_width": float(np.median(widths)) if widths else float("nan"),
                "interval_low": sum(r["miss"] == "interval low" for r in rows),
                "interval_high": sum(r["miss"] == "interval high" for r in rows),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=80)
    parser.add_argument("--impressions", type=float, default=200_000)
    parser.add_argument("--platform", default="x", choices=sorted(PLATFORMS))
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0, help="first run's seed; run i uses seed + i")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    start = time.time()
    runs = []
    for i in range(args.runs):
        runs.append(one_run(args.platform, args.impressions, args.samples, args.seed + i))
        if (i + 1) % 10 == 0:
            print(f"  {i + 1} runs, {time.time() - start:.0f} s", flush=True)
    summary = summarise(runs)
    print(
        f"\nclaim calibration: platform {args.platform}, {args.runs} runs of about {args.impressions:,.0f} views, "
        f"{args.samples} Sobol points, policy {POLICY}, nominal 95 %; {time.time() - start:.0f} s"
    )
    head = f"{'coverage':>18s} {'width':>7s} {'misses lo/hi':>13s}"
    print(f"{'':28s} {'views alone':^40s}   {'views and likes':^40s}")
    print(f"{'figure':28s} {head}   {head}")
    for name in summary["without_likes"]:
        cells = []
        for label in ("without_likes", "with_likes"):
            s = summary[label][name]
            cells.append(
                f"{s['coverage']:7.1%} ± {s['se']:5.1%}    {s['median_width']:6.2f} "
                f"{s['interval_low']:6d}/{s['interval_high']:<6d}"
            )
        print(f"{name:28s} {cells[0]}   {cells[1]}")
    ess = [r["with_likes"]["ess"] for r in runs]
    print(f"effective sample size with likes: median {np.median(ess):.0f}, min {min(ess):.0f} of {args.samples}")
    if args.json:
        meta = {
            "platform": args.platform,
            "runs": args.runs,
            "impressions": args.impressions,
            "samples": args.samples,
            "seed": args.seed,
            "policy": POLICY,
            "machine": host.platform(),
            "seconds": time.time() - start,
        }
        args.json.write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
