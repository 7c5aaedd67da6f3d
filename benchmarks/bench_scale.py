"""Issue 6, "Scale": the per-item ladder of a 20M-row log, viewaudit against DuckDB, polars, pandas.

One command:  python benchmarks/bench_scale.py            (20M rows, by item_id)
              python benchmarks/bench_scale.py --rows 100000000 --engines viewaudit-hll

The log (canonical schema, Zipf-like item popularity, heavy-tailed viewer activity; see
``_logs.py``) is generated once into ``benchmarks/data/`` (gitignored), in 1M-row chunks. Each
engine runs in its own subprocess, so its peak memory (max RSS) is its own; each reports wall
time and CPU time (user + sys). Speed is a ratio to DuckDB *in the same run*: the machine is
shared, and absolute times drift with its load. Engines:

* ``viewaudit``: ``viewaudit.audit(path, by="item_id")`` (default engine "auto": packed keys);
* ``viewaudit-cli``: ``viewaudit audit PATH --by item_id --json`` (report printed included);
* ``viewaudit-summary``: the same audit on the reference engine (``engine="summary"``);
* ``viewaudit-hll``: bounded memory, ``unique_viewers="hll"``; its relative error against the
  exact unique viewers of the ``viewaudit`` run is reported (overall, and over the items with
  at least 1,000 viewers);
* ``duckdb``, ``polars``, ``pandas``: the bare per-item ladder (see ``bench_audit.py``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ENGINES = "duckdb,viewaudit,viewaudit-cli,viewaudit-hll,viewaudit-summary,polars,pandas"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_engine(engine: str, path: str, by: str, precision: int) -> None:
    """Run one engine in this process (a subprocess of main) and print one JSON line."""
    from bench_audit import run_engine as bare_engine

    t, c = time.perf_counter(), _cpu()
    extra: dict[str, object] = {}
    if engine in ("viewaudit", "viewaudit-summary", "viewaudit-hll"):
        import viewaudit

        kwargs: dict[str, object] = {"by": by}
        if engine == "viewaudit-summary":
            kwargs["engine"] = "summary"
        if engine == "viewaudit-hll":
            kwargs.update(unique_viewers="hll", hll_precision=precision)
        result = viewaudit.audit(path, **kwargs)  # type: ignore[arg-type]
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        groups = result.table.num_rows
        extra["overall"] = {r.level: r.unique_viewers.estimate for r in result.ladder}
        table = result.table
        extra["by_group"] = {
            level: [table[by].to_pylist(), table[f"{level}_unique_viewers_estimate"].to_pylist()]
            for level in ("rendered", "attended")
        }
    elif engine == "viewaudit-cli":
        import contextlib
        import io

        from viewaudit._cli.main import main

        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["audit", path, "--by", by, "--json"])
        if code:
            raise SystemExit(f"viewaudit-cli exited {code}")
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        groups = len(json.loads(out.getvalue())["groups"])
    else:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()) as out:
            bare_engine(engine, path, by)
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        groups = json.loads(out.getvalue().strip().splitlines()[-1])["groups"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": engine, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "groups": groups, **extra}))


def hll_error(exact: dict, sketch: dict, min_viewers: int = 1000) -> dict[str, float]:  # type: ignore[type-arg]
    """Relative error of the HLL unique viewers against the exact ones."""
    out: dict[str, float] = {}
    for level in ("rendered", "attended"):
        e, s = exact["overall"][level], sketch["overall"][level]
        out[f"{level}_overall"] = (s - e) / e
        ekeys, evalues = exact["by_group"][level]
        skeys, svalues = sketch["by_group"][level]
        approx = dict(zip(skeys, svalues, strict=True))
        errors = [(approx[k] - v) / v for k, v in zip(ekeys, evalues, strict=True) if v and v >= min_viewers]
        if errors:
            out[f"{level}_groups_rms"] = (sum(x * x for x in errors) / len(errors)) ** 0.5
            out[f"{level}_groups_max"] = max(abs(x) for x in errors)
            out[f"{level}_groups_n"] = len(errors)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--by", default="item_id")
    parser.add_argument("--engines", default=ENGINES)
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; the fastest is reported")
    parser.add_argument("--precision", type=int, default=12, help="HLL precision p (m = 2**p registers)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--_engine", help=argparse.SUPPRESS)
    parser.add_argument("--_path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._engine:
        run_engine(args._engine, args._path, args.by, args.precision)
        return

    from _logs import ensure_log

    path = ensure_log(args.rows)
    results: dict[str, dict] = {}  # type: ignore[type-arg]
    for engine in args.engines.split(","):
        runs = []
        for _ in range(args.repeat):
            cmd = [sys.executable, __file__, "--_engine", engine, "--_path", str(path), "--by", args.by]
            cmd += ["--precision", str(args.precision)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"{engine}: failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                break
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"{engine}: {runs[-1]['seconds']:.2f} s, {runs[-1]['peak_mb']:.0f} MB", file=sys.stderr)
        if runs:
            best = min(runs, key=lambda r: r["seconds"])
            best["peak_mb"] = max(r["peak_mb"] for r in runs)
            results[engine] = best
    base = results.get("duckdb", {})
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"\n{args.rows:,} rows, by={args.by}; best of {args.repeat}; load average during the run {' '.join(load)}\n")
    print("| engine | wall time (s) | ratio to DuckDB | CPU time (s) | CPU ratio to DuckDB | peak memory (MB) | groups |")
    print("|---|---|---|---|---|---|---|")
    for engine, r in results.items():
        ratio = f"{r['seconds'] / base['seconds']:.2f}x" if base else "n/a"
        cpu_ratio = f"{r['cpu_seconds'] / base['cpu_seconds']:.2f}x" if base else "n/a"
        print(
            f"| {engine} | {r['seconds']:.2f} | {ratio} | {r['cpu_seconds']:.2f} | {cpu_ratio} "
            f"| {r['peak_mb']:.0f} | {r['groups']:,} |"
        )
    if "viewaudit" in results and "viewaudit-hll" in results:
        errors = hll_error(results["viewaudit"], results["viewaudit-hll"])
        m = 2**args.precision
        print(f"\nHLL (p = {args.precision}, m = {m}, standard error 1.04/sqrt(m) = {1.04 / m**0.5:.4f}):")
        for name, value in errors.items():
            print(f"  {name}: {value:.4f}" if not name.endswith("_n") else f"  {name}: {value:.0f}")
        results["hll_error"] = errors
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        slim = {k: {f: v for f, v in r.items() if f not in ("by_group",)} for k, r in results.items()}
        args.out.write_text(json.dumps({"rows": args.rows, "by": args.by, "load": load, "results": slim}, indent=2))


if __name__ == "__main__":
    main()
