"""Issue 27, item 4: ``viewaudit simulate`` against numpy drawing and writing a random log alike.

One command:  python benchmarks/bench_simulate.py [--impressions 3000000] [--repeat 3]

Two commands, each a fresh process timed from outside (start-up included), in turns:

* ``simulate``: ``viewaudit simulate --scenario news-site --impressions N --out PATH.parquet``
  (the log drawn from the feed model, written, and its truth audited);
* ``numpy``: this file drawing a log of the same rows and columns (the simulated log's schema:
  ids, timestamps, dwell and in-view times, visibility, flags, a dictionary-encoded user agent)
  from plain numpy distributions, and writing it with one ``ParquetWriter``, in the same
  row groups.

The target (the issue): ``simulate`` at most 1.5x ``numpy``, in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS_PER_GROUP = 1 << 17


def numpy_log(path: str, rows: int, schema_of: str, seed: int = 0) -> None:
    """Draw ``rows`` random rows in the schema of the Parquet file ``schema_of`` and write them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(schema_of)
    rng = np.random.default_rng(seed)
    agents = pa.array(["Mozilla/5.0 (Windows NT 10.0)", "Mozilla/5.0 (iPhone)", "bot/1.0"])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, ROWS_PER_GROUP):
            n = min(ROWS_PER_GROUP, rows - start)
            item = rng.integers(0, 50_000, n)
            dwell = rng.lognormal(7.0, 1.2, n)
            columns = {
                "item_id": item,
                "viewer_id": rng.integers(0, 25_000_000, n),
                "ts": pa.array(1_700_000_000_000 + rng.integers(0, 7 * 86_400_000, n), pa.timestamp("ms", tz="UTC")),
                "dwell_ms": pa.array(dwell, mask=rng.random(n) < 0.1),
                "dwell_censored": rng.random(n) < 0.01,
                "in_view_ms": dwell * 0.9,
                "visible_fraction": rng.beta(2.0, 1.2, n),
                "is_bot": rng.random(n) < 0.02,
                "user_agent": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 3, n), pa.int32()), agents),
                "author_id": -1 - item,
            }
            for field in schema:
                if field.name not in columns:  # the interactions
                    columns[field.name] = rng.random(n) < 0.1
            writer.write_table(pa.table(columns, schema=schema))


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--_numpy", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._numpy:
        path, rows, schema_of = args._numpy
        numpy_log(path, int(rows), schema_of)
        return
    import pyarrow.parquet as pq

    cli = str(Path(sys.executable).with_name("viewaudit"))
    with tempfile.TemporaryDirectory() as tmp:
        simulated, drawn = str(Path(tmp) / "simulated.parquet"), str(Path(tmp) / "numpy.parquet")
        simulate = [cli, "simulate", "--scenario", "news-site", "--impressions", str(args.impressions), "--out", simulated]
        times: dict[str, list[float]] = {"simulate": [], "numpy": []}
        loads = [os.getloadavg()[0]]
        for _ in range(args.repeat):
            times["simulate"].append(timed(simulate))
            rows = pq.ParquetFile(simulated).metadata.num_rows
            times["numpy"].append(timed([sys.executable, __file__, "--_numpy", drawn, str(rows), simulated]))
            loads.append(os.getloadavg()[0])
    best = {k: min(v) for k, v in times.items()}
    load = f"load average {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
    print(f"{rows:,} rows; best of {args.repeat}, in turns; {load}")
    for name, values in times.items():
        rounds = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:>8}: {best[name]:.2f} s (rounds: {rounds})")
    ratios = ", ".join(f"{s / n:.2f}x" for s, n in zip(times["simulate"], times["numpy"], strict=True))
    print(f"  simulate / numpy: {best['simulate'] / best['numpy']:.2f}x best to best (round by round: {ratios})")


if __name__ == "__main__":
    main()
