"""What resolving censored times costs: the audit of the 1M-row benchmark log by item, with and
without a ``dwell_censored`` column (10 % of rows censored), alternating, best of N each.

One command:  python benchmarks/bench_censoring_cost.py [--rows 1000000] [--repeat 5]

Without the column no row can cross a threshold and nothing is binned; with it, every batch
bins the valid visible rows' times into the life table's histograms and counts the crossing
rows per group (viewaudit/_ladder/crossings.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _logs import ensure_log

import viewaudit as va


def best_of(table: pa.Table, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        va.audit(table, by="item_id")
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    plain = pq.read_table(ensure_log(args.rows))
    censored = plain.append_column("dwell_censored", pa.array(np.random.default_rng(0).random(plain.num_rows) < 0.1))
    va.audit(plain.slice(0, 1000))  # imports and first-call costs out of the timings
    for round_ in (1, 2):
        a, b = best_of(plain, args.repeat), best_of(censored, args.repeat)
        print(f"round {round_}: without dwell_censored {a:.3f} s, with {b:.3f} s, ratio {b / a:.2f}")


if __name__ == "__main__":
    main()
