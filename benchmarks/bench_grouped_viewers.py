"""What per-group unique viewers of a sampled log cost: ``complete_log_viewers`` on 10^5 groups
against the same entries as one group (the whole-log fit), alternating, best of N each.

One command:  python benchmarks/bench_grouped_viewers.py [--groups 100000] [--entries 1000000] [--repeat 3]

The entries are a 10 % sample of Gamma-Poisson exposure (shape 0.8) with log-normal group
sizes and means, as an audit by item of a large sampled log would pass them. The target is a
few times the one-group call: the per-group work is vectorised over distinct (seen, impressions)
pairs, not looped over groups.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from viewaudit._ladder.sampled_viewers import complete_log_viewers


def sample(n_groups: int, entries: int, seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = np.maximum(1, np.round(rng.lognormal(3.0, 1.6, n_groups))).astype(np.int64)
    mean = np.repeat(rng.lognormal(np.log(3.0), 0.7, n_groups), size)
    group = np.repeat(np.arange(n_groups), size)
    y = rng.binomial(rng.poisson(rng.gamma(0.8, mean / 0.8)), 0.1)
    seen = np.flatnonzero(y)
    idx = np.sort(rng.choice(seen, min(entries, seen.size), replace=False))
    return y[idx], group[idx]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    y, group = sample(args.groups, args.entries)
    calls: dict[str, Callable[[], object]] = {
        "groups": lambda: complete_log_viewers(y, group, args.groups, sample_rate=0.1),
        "one group": lambda: complete_log_viewers(y, np.zeros_like(group), 1, sample_rate=0.1),
    }
    best = dict.fromkeys(calls, np.inf)
    for _ in range(args.repeat):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    print(
        f"{y.size:,} entries; {args.groups:,} groups {best['groups']:.3f} s, one group {best['one group']:.3f} s, "
        f"ratio {best['groups'] / best['one group']:.1f} (best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
