"""Issue 23, item 7: a grouped audit of a million groups in bounded time and memory.

One command:  python benchmarks/bench_many_groups.py [--groups 1000000] [--rows-per-group 3]

The log has exactly ``--groups`` items, each seen ``--rows-per-group`` times (the other columns
as in ``_logs.py``), written once into ``benchmarks/data/`` (gitignored). Each run is its own
subprocess, so its peak memory (max RSS) is its own:

* ``json``: ``viewaudit audit PATH --by item_id --json`` with stdout to /dev/null (the JSON
  report is streamed, a chunk of groups at a time);
* ``groups``: ``viewaudit audit PATH --by item_id --groups OUT.parquet`` (a row per group and
  rung, written a chunk at a time);
* ``duckdb``: DuckDB's bare per-item ladder (``bench_audit.py``), the baseline of the ratios:
  the machine is shared, so absolute times drift with its load;
* ``report``: in one process, ``viewaudit.audit(PATH, by="item_id")``, then its JSON report
  written three times each way, alternating: ``write_json`` (column-wise, what the CLI runs)
  and ``json.dumps(to_dict())`` (a dict per group, the reference path); the best of each, and
  its share of the audit's time.

Targets (the issue): at a million groups, ``json`` under 3 GB and 5 minutes; at 20k groups
(``--groups 20000 --rows-per-group 50 --runs report``), the report at most 10 % of the audit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

RUNS = ("duckdb", "json", "groups")
REPORT_REPEATS = 3


def make_log(path: Path, groups: int, per_group: int, seed: int = 23) -> None:
    """Exactly ``groups`` items of ``per_group`` rows each, in random order, written in row groups."""
    from _logs import _chunk

    rng = np.random.default_rng(seed)
    items = rng.permutation(np.repeat(np.arange(groups, dtype=np.int64), per_group))
    with pq.ParquetWriter(path, _chunk(rng, 1, groups, 200_000).schema) as writer:
        for start in range(0, items.size, 1_000_000):
            part = items[start : start + 1_000_000]
            table = _chunk(rng, part.size, groups, 200_000)
            writer.write_table(table.set_column(0, "item_id", pa.array(part)))


def run(name: str, path: str) -> None:
    """One run in this process (a subprocess of main); prints one JSON line."""
    if name == "report":
        report(path)
        return
    t = time.perf_counter()
    if name == "duckdb":
        import duckdb
        from bench_audit import duckdb_sql

        groups = len(duckdb.connect().sql(duckdb_sql(path, "item_id")).fetchall())
    else:
        from viewaudit._cli.main import main

        with tempfile.TemporaryDirectory() as tmp:
            argv = ["audit", path, "--by", "item_id"]
            argv += ["--json"] if name == "json" else ["--groups", str(Path(tmp) / "groups.parquet")]
            with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
                code = main(argv)
            if code:
                raise SystemExit(f"{name}: exit {code}")
            groups = -1 if name == "json" else pq.ParquetFile(Path(tmp) / "groups.parquet").metadata.num_rows // 5
    seconds = time.perf_counter() - t
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    print(json.dumps({"run": name, "seconds": round(seconds, 1), "peak_gb": round(peak_gb, 2), "groups": groups}))


def report(path: str) -> None:
    """The ``report`` run: the audit, then its JSON both ways, alternating; prints one JSON line."""
    import io

    import viewaudit

    t = time.perf_counter()
    audited = viewaudit.audit(path, by="item_id")
    audit_seconds = time.perf_counter() - t
    ways = {
        "write_json": lambda: audited.write_json(io.StringIO()),
        "to_dict_dumps": lambda: json.dumps(audited.to_dict(), allow_nan=False),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(REPORT_REPEATS):
        for way, write in ways.items():
            t = time.perf_counter()
            write()
            best[way] = min(best[way], time.perf_counter() - t)
    shares = {f"{way}_share": round(s / audit_seconds, 3) for way, s in best.items()}
    seconds = {way: round(s, 3) for way, s in best.items()}
    groups = audited.table.num_rows
    print(json.dumps({"run": "report", "seconds": round(audit_seconds, 2), "peak_gb": 0, "groups": groups, **seconds, **shares}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1_000_000)
    parser.add_argument("--rows-per-group", type=int, default=3)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.path)
        return
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    path = data / f"groups_{args.groups}x{args.rows_per_group}.parquet"
    if not path.exists():
        make_log(path, args.groups, args.rows_per_group)
    print(f"log: {path.name}, {args.groups * args.rows_per_group:,} rows; load average {os.getloadavg()[0]:.1f}")
    results = {}
    for name in args.runs.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--run", name, "--path", str(path)], capture_output=True, text=True, check=True
        )
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = f", {results[name]['seconds'] / results['duckdb']['seconds']:.1f}x DuckDB" if "duckdb" in results else ""
        if name == "report":
            r = results[name]
            print(
                f" report: audit {r['seconds']:.2f} s ({r['groups']:,} groups); JSON report: "
                f"write_json {r['write_json']:.3f} s ({r['write_json_share']:.0%} of the audit), "
                f"json.dumps(to_dict()) {r['to_dict_dumps']:.3f} s ({r['to_dict_dumps_share']:.0%})"
            )
            continue
        print(f"{name:>7}: {results[name]['seconds']:7.1f} s, peak {results[name]['peak_gb']:.2f} GB{ratio}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
