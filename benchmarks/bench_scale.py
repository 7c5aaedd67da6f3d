"""Issues 6 and 27: the per-item ladder of a log, viewaudit beside DuckDB, polars and pandas.

One command:  python benchmarks/bench_scale.py            (5M rows, both logs, by item_id)
              python benchmarks/bench_scale.py --rows 20000000 --repeat 3
              python benchmarks/bench_scale.py --rows 100000000 --engines viewaudit-hll --logs few
              python benchmarks/bench_scale.py --profile   (where viewaudit's time goes; the floor)

The logs (canonical schema, Zipf-like item popularity, heavy-tailed viewer activity; see
``_logs.py``) are generated once into ``benchmarks/data/`` (gitignored), in 1M-row chunks, two
of them (``--logs few,many``): "few" repeated (item, viewer) pairs (2M viewers: nearly every pair
is seen once) and "many" (2,000 viewers: a pair is seen about three times). Each engine runs as
its own command, a fresh process timed from outside, so start-up and output are in its time and
its peak memory (max RSS) is its own. The engines take turns, round after round (``--repeat``),
so that the machine's load falls on all of them alike; ratios are to ``duckdb`` in the same
run. Engines:

* ``viewaudit-cli``: ``viewaudit audit PATH --by item_id --json > /dev/null``, the command itself;
* ``duckdb``: DuckDB from Python, the same-work query (impressions and ``count(DISTINCT
  viewer_id)`` on all five rungs per item), its result written as JSON (``COPY ... TO``);
* ``duckdb-one-distinct``: the query most users would write first: rows and one
  ``count(DISTINCT viewer_id)`` per item, written as JSON;
* ``polars``: the same-work query, its result written as JSON;
* ``viewaudit``: ``viewaudit.audit(path, by="item_id")`` (default engine "auto": packed keys);
* ``viewaudit-summary``: the same audit on the reference engine (``engine="summary"``);
* ``viewaudit-hll``: bounded memory, ``unique_viewers="hll"``; its relative error against the
  exact unique viewers of the ``viewaudit`` run is reported (overall, and over the items with
  at least 1,000 viewers);
* ``pandas``: the bare per-item ladder (see ``bench_audit.py``).

``--ids text`` gives the logs' viewer and author ids as text (``user-<id>``), and ``--format
csv`` writes them as CSV (DuckDB and polars then read the CSV file too, with their own type
detection): the logs users export from a warehouse or an analytics tool.

``--profile`` runs the audit once in this process with timers on its stages (start-up, read,
validate, scan, estimate, report) and reads the needed columns with pyarrow alone: the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ENGINES = "viewaudit-cli,duckdb,duckdb-one-distinct,polars"
#: The logs: viewers among whom the rows are drawn (few viewers: pairs repeat).
LOGS = {"few": 2_000_000, "many": 2_000}
ONE_DISTINCT = (
    "SELECT {by}, count(*) AS rendered, count(DISTINCT viewer_id) AS rendered_viewers FROM read_parquet('{path}') GROUP BY {by}"
)
#: The columns the same-work query reads (the floor of ``--profile`` reads these).
NEEDED = ["item_id", "viewer_id", "dwell_ms", "visible_fraction", "is_bot", "author_id", "liked"]


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
    elif engine in ("duckdb", "duckdb-one-distinct"):
        import duckdb
        from bench_audit import duckdb_sql

        sql = duckdb_sql(path, by) if engine == "duckdb" else ONE_DISTINCT.format(by=by, path=path)
        if path.endswith(".csv"):
            sql = sql.replace(f"read_parquet('{path}')", f"read_csv('{path}')")
        con = duckdb.connect()
        con.execute(f"COPY ({sql}) TO '/dev/null' (FORMAT json)")
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        groups = -1  # counting them would add a query to DuckDB's time
    elif engine == "polars":
        from bench_audit import polars_query

        frame = polars_query(path, by).collect()
        frame.write_json("/dev/null")
        seconds, cpu = time.perf_counter() - t, _cpu() - c
        groups = frame.height
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


def command(engine: str, path: Path, args: argparse.Namespace) -> list[str]:
    """The command that runs ``engine`` on ``path``: the viewaudit command itself, or this file."""
    if engine == "viewaudit-cli":
        return [str(Path(sys.executable).with_name("viewaudit")), "audit", str(path), "--by", args.by, "--json"]
    cmd = [sys.executable, __file__, "--_engine", engine, "--_path", str(path), "--by", args.by]
    return [*cmd, "--precision", str(args.precision)]


def timed(cmd: list[str]) -> dict[str, Any] | None:
    """Run ``cmd`` (stdout to /dev/null for the CLI) and time it from outside: wall time, CPU
    time and max RSS of that process alone; its own JSON line, if it prints one, is kept too."""
    import tempfile

    cli = "--_engine" not in cmd
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if cli else out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problem = out.read(), err.read()
    if proc.returncode != 0:
        print(f"{' '.join(cmd[1:4])}: failed: {problem.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    inner = json.loads(text.strip().splitlines()[-1]) if text.strip() else {"groups": -1}
    inner.update(seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_mb=usage.ru_maxrss / 1024)
    return inner


def run_log(kind: str, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The engines on one log, in turns, ``--repeat`` rounds; the best round of each."""
    from _logs import ensure_log, ensure_variant

    path = ensure_variant(ensure_log(args.rows, viewers=LOGS[kind]), ids=args.ids, fmt=args.format)
    engines = args.engines.split(",")
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for engine in engines:
            result = timed(command(engine, path, args))
            if result is None:
                continue
            runs[engine].append(result)
            print(f"{kind}: {engine}: {result['seconds']:.2f} s", file=sys.stderr)
        loads.append(os.getloadavg()[0])
    results = {}
    for engine, rs in runs.items():
        if rs:
            best = min(rs, key=lambda r: r["seconds"])
            best["peak_mb"] = max(r["peak_mb"] for r in rs)
            best["all_seconds"] = [round(r["seconds"], 2) for r in rs]
            results[engine] = best
    print(
        f"\n{kind} repeated pairs ({path.name}, {args.ids} ids): {args.rows:,} rows, by={args.by}; best of {args.repeat}, "
        f"engines in turns; load average (1 min) {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores\n"
    )
    _table(results)
    return results


def _table(results: dict[str, dict[str, Any]]) -> None:
    base = results.get("duckdb", {})
    print("| engine | wall time (s), best | every round (s) | ratio to DuckDB | CPU time (s) | peak memory (MB) | groups |")
    print("|---|---|---|---|---|---|---|")
    for engine, r in results.items():
        ratio = f"{r['seconds'] / base['seconds']:.2f}x" if base else "n/a"
        rounds = ", ".join(f"{x:.2f}" for x in r["all_seconds"])
        groups = f"{r['groups']:,}" if r["groups"] >= 0 else "-"
        print(f"| {engine} | {r['seconds']:.2f} | {rounds} | {ratio} | {r['cpu_seconds']:.2f} | {r['peak_mb']:.0f} | {groups} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--by", default="item_id")
    parser.add_argument("--logs", default="few,many", help="which logs: few and/or many repeated (item, viewer) pairs")
    parser.add_argument("--engines", default=ENGINES)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every engine in turn; the fastest is reported")
    parser.add_argument("--ids", choices=["integer", "text"], default="integer", help="viewer and author ids as text")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="the logs' file format")
    parser.add_argument("--precision", type=int, default=12, help="HLL precision p (m = 2**p registers)")
    parser.add_argument("--profile", action="store_true", help="where viewaudit's time goes, and the floor")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--_engine", help=argparse.SUPPRESS)
    parser.add_argument("--_path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._engine == "profile":
        from bench_profile import profile

        profile(args._path, args.by, NEEDED)
        return
    if args._engine:
        run_engine(args._engine, args._path, args.by, args.precision)
        return
    if args.profile:
        from _logs import ensure_log, ensure_variant

        for kind in args.logs.split(","):
            path = ensure_variant(ensure_log(args.rows, viewers=LOGS[kind]), ids=args.ids, fmt=args.format)
            print(f"\n{kind} repeated pairs ({path.name}), load average {os.getloadavg()[0]:.1f}:")
            subprocess.run([sys.executable, __file__, "--_engine", "profile", "--_path", str(path), "--by", args.by], check=True)
        return
    everything = {kind: run_log(kind, args) for kind in args.logs.split(",")}
    results = everything.get("few", {})
    if "viewaudit" in results and "viewaudit-hll" in results:
        errors = hll_error(results["viewaudit"], results["viewaudit-hll"])
        m = 2**args.precision
        print(f"\nHLL (p = {args.precision}, m = {m}, standard error 1.04/sqrt(m) = {1.04 / m**0.5:.4f}):")
        for name, value in errors.items():
            print(f"  {name}: {value:.4f}" if not name.endswith("_n") else f"  {name}: {value:.0f}")
        results["hll_error"] = errors
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        slim = {
            kind: {k: {f: v for f, v in r.items() if f != "by_group"} for k, r in rs.items()} for kind, rs in everything.items()
        }
        args.out.write_text(json.dumps({"rows": args.rows, "by": args.by, "results": slim}, indent=2))


if __name__ == "__main__":
    main()
