"""Time `viewaudit audit` against the same ladder computed by DuckDB SQL (and polars, pandas).

One command:  python benchmarks/bench_audit.py --rows 1000000 [--by item_id]

Each engine runs in its own subprocess, so its peak memory (max RSS) is its own. Speed is
reported as a ratio to DuckDB in the same run: absolute times drift from machine to machine.
The SQL computes only the *bare* ladder (determined rows, exact distinct counts); viewaudit also
validates every row, estimates undetermined rows with intervals and computes inflation.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

VALID = "NOT coalesce(is_bot, false) AND NOT coalesce(viewer_id = author_id, false)"
VIEWABLE = f"({VALID}) AND visible_fraction >= 0.5 AND dwell_ms >= 1000"
ATTENDED = f"({VIEWABLE}) AND dwell_ms >= 2000"
ENGAGED = f"({VALID}) AND coalesce(liked, false)"


def duckdb_sql(path: str, by: str | None) -> str:
    rungs = {"rendered": "true", "valid": VALID, "viewable": VIEWABLE, "attended": ATTENDED, "engaged": ENGAGED}
    figures = []
    for name, cond in rungs.items():
        figures.append(f"count(*) FILTER (WHERE {cond}) AS {name}")
        figures.append(f"count(DISTINCT viewer_id) FILTER (WHERE {cond}) AS {name}_viewers")
    select = ", ".join(([by] if by else []) + figures)
    group = f" GROUP BY {by}" if by else ""
    return f"SELECT {select} FROM read_parquet('{path}'){group}"


def polars_query(path: str, by: str | None) -> Any:
    """The bare ladder as a polars lazy query (filtered counts and distinct viewers per rung)."""
    import polars as pl

    lf = pl.scan_csv(path) if path.endswith(".csv") else pl.scan_parquet(path)
    valid = ~pl.col("is_bot").fill_null(False) & ~(pl.col("viewer_id") == pl.col("author_id")).fill_null(False)
    viewable = valid & (pl.col("visible_fraction") >= 0.5) & (pl.col("dwell_ms") >= 1000)
    attended = viewable & (pl.col("dwell_ms") >= 2000)
    engaged = valid & pl.col("liked").fill_null(False)
    exprs = []
    for name, cond in {
        "rendered": pl.lit(True),
        "valid": valid,
        "viewable": viewable,
        "attended": attended,
        "engaged": engaged,
    }.items():
        cond = cond.fill_null(False)
        exprs.append(cond.sum().alias(name))
        exprs.append(pl.col("viewer_id").filter(cond).n_unique().alias(f"{name}_viewers"))
    q = lf.group_by(by).agg(exprs) if by else lf.select(exprs)
    return q


def run_engine(engine: str, path: str, by: str | None) -> None:
    """Run one engine in this process (called in a subprocess) and print its result size."""
    t = time.perf_counter()
    if engine == "viewaudit":
        import viewaudit

        result = viewaudit.audit(path, by=by)
        n = len(result.table)
    elif engine == "viewaudit-cli":
        from viewaudit._cli.main import main

        args = ["audit", path, "--json"] + (["--by", by] if by else [])
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()) as out:
            main(args)
        n = len(json.loads(out.getvalue())["groups"]) or 1
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        n = len(con.sql(duckdb_sql(path, by)).fetchall())
    elif engine == "polars":
        n = polars_query(path, by).collect().height
    elif engine == "pandas":
        import pandas as pd

        df = pd.read_parquet(
            path, columns=["item_id", "viewer_id", "dwell_ms", "visible_fraction", "is_bot", "author_id", "liked"]
        )
        valid = ~df.is_bot.fillna(False).astype(bool) & ~(df.viewer_id == df.author_id)
        viewable = valid & (df.visible_fraction >= 0.5) & (df.dwell_ms >= 1000)
        attended = viewable & (df.dwell_ms >= 2000)
        engaged = valid & df.liked.fillna(False).astype(bool)
        keys = df[by] if by else pd.Series(0, index=df.index)
        out = {}
        for name, cond in {
            "rendered": pd.Series(True, index=df.index),
            "valid": valid,
            "viewable": viewable,
            "attended": attended,
            "engaged": engaged,
        }.items():
            out[name] = cond.groupby(keys).sum()
            out[f"{name}_viewers"] = df.viewer_id.where(cond).groupby(keys).nunique()
        n = len(pd.DataFrame(out))
    else:
        raise SystemExit(f"unknown engine {engine}")
    seconds = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"engine": engine, "seconds": seconds, "peak_mb": peak_kb / 1024, "groups": n}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--by", default=None, help="group by this column (e.g. item_id)")
    parser.add_argument("--engines", default="duckdb,viewaudit,viewaudit-cli,polars,pandas")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best is reported")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--_engine", help=argparse.SUPPRESS)
    parser.add_argument("--_path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._engine:
        run_engine(args._engine, args._path, args.by)
        return

    from _logs import ensure_log

    path = ensure_log(args.rows)
    results = {}
    for engine in args.engines.split(","):
        runs = []
        for _ in range(args.repeat):
            cmd = [sys.executable, __file__, "--_engine", engine, "--_path", str(path)] + (["--by", args.by] if args.by else [])
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{engine}: failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                break
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if runs:
            best = min(runs, key=lambda r: r["seconds"])
            best["peak_mb"] = max(r["peak_mb"] for r in runs)
            results[engine] = best
    base = results.get("duckdb", {}).get("seconds")
    print(f"\n{args.rows:,} rows, by={args.by or '(none)'}; best of {args.repeat}\n")
    print("| engine | wall time (s) | ratio to DuckDB | peak memory (MB) | groups |")
    print("|---|---|---|---|---|")
    for engine, r in results.items():
        ratio = f"{r['seconds'] / base:.2f}x" if base else "n/a"
        print(f"| {engine} | {r['seconds']:.2f} | {ratio} | {r['peak_mb']:.0f} | {r['groups']:,} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"rows": args.rows, "by": args.by, "results": results}, indent=2))


if __name__ == "__main__":
    main()
