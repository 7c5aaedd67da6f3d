"""Time the intervals over parameter ranges, and how far their ends move with more points.

One command:  python benchmarks/bench_model_ranges.py [--samples 256 1024 4096] [--json PATH]

For each shipped scenario (policy mrc-display) and each number of Sobol points: the CPU time of
``expected_ladder_ranges`` (closed form once per point, plus the one-at-a-time swings) and the
ends of three headline intervals. The ends at the largest number of points are the reference;
the relative distance of the others' ends from them says how many points the ends need.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import viewaudit as va

FIGURES = ("viewable_impressions", "attended_unique_viewers", "inflation")


def ends(ranges: va.LadderRanges) -> dict[str, tuple[float, float]]:
    estimates = {
        "viewable_impressions": ranges.ladder["viewable"].impressions,
        "attended_unique_viewers": ranges.ladder["attended"].unique_viewers,
        "inflation": ranges.inflation.headline,
    }
    return {name: (float(e.low), float(e.high)) for name, e in estimates.items()}  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    va.expected_ladder_ranges("news-site", samples=16)  # imports and caches outside the timing
    results = []
    for name in va.scenarios():
        runs = {}
        for samples in args.samples:
            start = time.process_time()
            ranges = va.expected_ladder_ranges(name, samples=samples, rng=0)
            runs[samples] = {"cpu_s": time.process_time() - start, "ends": ends(ranges)}
        reference = runs[max(args.samples)]["ends"]
        for samples, run in runs.items():
            drift = max(abs(run["ends"][f][i] - reference[f][i]) / reference[f][i] for f in FIGURES for i in (0, 1))
            results.append({"scenario": name, "samples": samples, "cpu_s": round(run["cpu_s"], 2), "max_end_drift": drift})
            print(
                f"{name:14s} {samples:5d} points  {run['cpu_s']:6.2f} s CPU  "
                f"ends within {drift:.1%} of {max(args.samples)} points"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
