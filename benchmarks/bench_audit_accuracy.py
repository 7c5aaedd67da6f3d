"""Accuracy of full audits on simulated logs: bias, RMSE and 95 % interval coverage per ladder figure.

One command:  python benchmarks/bench_audit_accuracy.py [--runs 150] [--json PATH] [--quick] [--detail] [--conditions ...]

A grid of feed-model scenarios (``viewaudit.get_scenario``, each scaled to about 30,000 expected
impressions) x measurement conditions (complete, partly measured, censored, whole-second
rounding, censored and whole-second together, a 10 % sample, all combined). Each run draws one
seeded log with ``viewaudit.simulate`` (its truth is the exact audit of the complete log, per
policy), audits the log under five presets with ``viewaudit.audit`` and compares every whole-log
ladder figure (rung x impressions, unique viewers) with the truth: relative error, and whether
[low, high] covers the truth.

The table has one row per (condition, rung, figure), pooled over scenarios and policies: runs
(logs), figures left undetermined by the audit (estimate n/a: skipped, counted), relative bias,
relative RMSE, share of figures within 5 % of the truth, coverage of the 95 % interval with its
standard error, a flag when coverage is outside 93-97 % ("exact": every figure was reported
exact, low == high, and was right) and the (scenario, policy) cell whose coverage is furthest
from 95 %. The five policies audit the same log, so their figures are not independent: the
standard error is the larger of the binomial one (p(1 - p) at least 0.95 x 0.05, as in
bench_accuracy.py) and the cluster one over logs. A second table gives unique viewers from 10 %
samples per scenario and rung. ``--json`` writes both plus every (scenario, condition, policy,
rung, figure) cell.

``audit`` gains ``rounding_ms`` and ``sample_rate`` arguments; they are passed (the condition's
rounding and sampling rate) only when its signature has them, so the benchmark runs before and
after that change and records which it used. With ``sample_rate`` the log's ``weight`` column is
dropped (the audit takes one or the other); without it, the weight column says how the log was
sampled.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import multiprocessing
import os
import sys
import time
import warnings
import zlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

import viewaudit as va
from viewaudit import DegenerateDataWarning

SCENARIOS = ("news-site", "short-video", "x-openai-2023")
POLICIES = ("mrc-display", "mrc-video", "meta-3s", "linkedin-mobile", "trueview")
FIGURES = ("impressions", "unique_viewers")
IMPRESSIONS = 30_000  # expected rendered impressions per log: one audit well under 0.1 s
ROOT_SEED = 20_261_126
#: Mean time left in the session (s): about the scenario's median dwell, at least 5 s. Share of
#: rows censored: news-site 61 % (median dwell 16 s), short-video 57 % (4.6 s), x-openai-2023
#: 17 % (0.4 s).
CENSORING_S = {"news-site": 15.0, "short-video": 5.0, "x-openai-2023": 5.0}
CONDITIONS = ("complete", "measured-70%", "censored", "whole-seconds", "censored-whole-seconds", "sample-10%", "combined")
COVERAGE_TARGET = (93.0, 97.0)


def measurement(condition: str, scenario: str) -> va.Measurement:
    """What the log keeps under ``condition`` (replaces the scenario's own measurement)."""
    censor = CENSORING_S[scenario]
    return {
        "complete": va.Measurement(),
        "measured-70%": va.Measurement(measurable=0.7),
        "censored": va.Measurement(censoring_mean_s=censor),
        "whole-seconds": va.Measurement(rounding_ms=1000.0),
        # Both at once, unsampled: a censoring time is then known only to its whole second, and
        # with no sampling noise around them the bounds inside that second carry the interval.
        "censored-whole-seconds": va.Measurement(censoring_mean_s=censor, rounding_ms=1000.0),
        "sample-10%": va.Measurement(sampling_rate=0.1),
        "combined": va.Measurement(measurable=0.7, censoring_mean_s=censor, rounding_ms=1000.0, sampling_rate=0.1),
    }[condition]


def seed_of(scenario: str, condition: str, run: int) -> int:
    """Deterministic seed of a run (str hashes are salted per process: crc32 is not)."""
    key = [ROOT_SEED, zlib.crc32(scenario.encode()), zlib.crc32(condition.encode()), run]
    return int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0])


def audit_kwargs(m: va.Measurement) -> dict[str, float]:
    """The measurement arguments this version of ``audit`` takes."""
    params = inspect.signature(va.audit).parameters
    kwargs: dict[str, float] = {}
    if "rounding_ms" in params and m.rounding_ms > 0:
        kwargs["rounding_ms"] = m.rounding_ms
    if "sample_rate" in params and m.sampling_rate < 1:
        kwargs["sample_rate"] = m.sampling_rate
    return kwargs


def _init_worker() -> None:
    warnings.simplefilter("ignore", DegenerateDataWarning)
    import pyarrow as pa

    pa.set_cpu_count(1)  # the pool already has a process per core


def one_run(job: tuple[str, str, int, int]) -> dict[str, Any]:
    """Simulate one log, audit it under every policy; one record per (policy, rung, figure),
    the figures ``reach_k`` (k = 2 .. ``frequency``) included when ``frequency`` >= 2."""
    scenario, condition, run, frequency = job
    model = attrs.evolve(va.get_scenario(scenario).model, measurement=measurement(condition, scenario))
    seed = seed_of(scenario, condition, run)
    reach = {"frequency": frequency} if frequency >= 2 else {}
    sim = va.simulate(model, impressions=IMPRESSIONS, policy=POLICIES[0], compare=POLICIES, rng=seed, **reach)
    kwargs = {**audit_kwargs(model.measurement), **reach}
    log = sim.log
    if "sample_rate" in kwargs:  # sample_rate replaces the weight column (audit refuses both)
        log = log.drop_columns(["weight"])
    records = []
    for policy in POLICIES:
        got = va.audit(log, policy=policy, **kwargs)
        truth = sim.truths[policy].ladder
        for rung in got.ladder:
            for figure in FIGURES:
                e = getattr(rung, figure)
                records.append(
                    (policy, rung.level, figure, e.estimate, e.low, e.high, getattr(truth[rung.level], figure).estimate)
                )
            for got_k, true_k in zip(rung.reach[1:], truth[rung.level].reach[1:], strict=True):
                e = got_k.viewers
                records.append((policy, rung.level, f"reach_{got_k.k}", e.estimate, e.low, e.high, true_k.viewers.estimate))
    return {
        "scenario": scenario,
        "condition": condition,
        "run": run,
        "seed": seed,
        "rows": sim.log.num_rows,
        "kwargs": sorted(kwargs),
        "records": records,
    }


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class Cell:
    """Accumulates one table row: relative errors, coverage and exactness, with the log of each."""

    def __init__(self) -> None:
        self.rel: list[float] = []
        self.covered: list[bool] = []
        self.exact: list[bool] = []
        self.log: list[int] = []
        self.logs: set[int] = set()
        self.undetermined = 0
        self.zero_truth = 0
        # Every record as given: cells with the same records (two policies with the same rule on
        # a rung) are one figure, not two independent checks of it.
        self.records: list[tuple[Any, ...]] = []

    def add(self, log: int, estimate: Any, low: Any, high: Any, truth: float) -> None:
        self.logs.add(log)
        est, lo, hi = _number(estimate), _number(low), _number(high)  # NaN -> None: records compare equal
        self.records.append((log, est, lo, hi, truth))
        if est is None:
            self.undetermined += 1
            return
        if truth == 0:
            self.zero_truth += 1
            return
        self.rel.append((est - truth) / truth)
        self.covered.append(lo is not None and hi is not None and lo <= truth <= hi)
        self.exact.append(lo == est == hi)
        self.log.append(log)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "runs": len(self.logs),
            "figures": len(self.rel),
            "undetermined": self.undetermined,
            "zero_truth": self.zero_truth,
        }
        if self.rel:
            out.update(summarise(self.rel, self.covered, self.log))
            out["exact_pct"] = 100 * float(np.mean(self.exact))
            out["flag"] = flag(out)
        return out


def summarise(rel: list[float], covered: list[bool], clusters: list[int]) -> dict[str, float]:
    """Bias, RMSE, within 5 % and coverage (%, relative errors), with the coverage's SE.

    SE: the larger of the binomial SE (p(1 - p) floored at 0.95 x 0.05) and the cluster SE of a
    ratio over logs (figures of one log are correlated).
    """
    r = np.asarray(rel)
    c = np.asarray(covered, dtype=float)
    cover = float(c.mean())
    se = math.sqrt(max(cover * (1 - cover), 0.95 * 0.05) / c.size)
    _, idx = np.unique(np.asarray(clusters), return_inverse=True)
    k = idx.max() + 1
    if k > 1:
        y, m = np.bincount(idx, weights=c), np.bincount(idx).astype(float)
        se = max(se, math.sqrt(k / (k - 1) * float(np.sum((y - cover * m) ** 2))) / float(m.sum()))
    return {
        "bias_pct": 100 * float(r.mean()),
        "rmse_pct": 100 * float(np.sqrt(np.mean(r**2))),
        "within_5pct": 100 * float(np.mean(np.abs(r) <= 0.05)),
        "coverage_pct": 100 * cover,
        "coverage_se_pct": 100 * se,
    }


def flag(row: dict[str, Any]) -> str:
    if row["exact_pct"] == 100 and row["rmse_pct"] == 0:
        return "exact"
    lo, hi = COVERAGE_TARGET
    if row["coverage_pct"] < lo:
        return f"< {lo:g}"
    return f"> {hi:g}" if row["coverage_pct"] > hi else ""


def aggregate(results: Iterable[dict[str, Any]]) -> dict[str, dict[tuple[str, ...], Cell]]:
    """Cells keyed (condition, level, figure); (scenario, level) of sampled unique viewers; and
    every (scenario, condition, policy, level, figure)."""
    tables: dict[str, dict[tuple[str, ...], Cell]] = {
        "main": defaultdict(Cell),
        "sampled": defaultdict(Cell),
        "cells": defaultdict(Cell),
    }
    for i, res in enumerate(results):
        sc, cond = res["scenario"], res["condition"]
        for policy, level, figure, est, lo, hi, truth in res["records"]:
            tables["main"][cond, level, figure].add(i, est, lo, hi, truth)
            tables["cells"][sc, cond, policy, level, figure].add(i, est, lo, hi, truth)
            if cond == "sample-10%" and figure == "unique_viewers":
                tables["sampled"][sc, level].add(i, est, lo, hi, truth)
    return tables


def _pct(row: dict[str, Any], key: str, fmt: str) -> str:
    return format(row[key], fmt) if key in row else "n/a"


def print_tables(tables: dict[str, dict[tuple[str, ...], Cell]], detail: bool) -> tuple[list, list, list]:
    reach = [f"reach_{k}" for k in range(2, 10)]
    order = {name: i for i, name in enumerate((*CONDITIONS, *SCENARIOS, *POLICIES, *va.LEVELS, *FIGURES, *reach))}

    def rows(name: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        keys = sorted(tables[name], key=lambda k: [(order.get(x, len(order)), x) for x in k])
        return [{**dict(zip(fields, k, strict=True)), **tables[name][k].summary()} for k in keys]

    def cov(r: dict[str, Any]) -> str:
        return f"{r['coverage_pct']:.1f} ({r['coverage_se_pct']:.1f})" if "coverage_pct" in r else "n/a"

    cells = rows("cells", ("scenario", "condition", "policy", "level", "figure"))
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    alike: dict[int, list[str]] = defaultdict(list)  # id of a figure's first cell -> the others' "policy rung"
    for c in cells:
        cell = tables["cells"][c["scenario"], c["condition"], c["policy"], c["level"], c["figure"]]
        same = first.setdefault((c["scenario"], c["condition"], c["figure"], tuple(cell.records)), c)
        if same is not c:
            c["same_as"] = f"{same['policy']} {same['level']}"
            alike[id(same)].append(f"{c['policy']} {c['level']}")
    worst: dict[tuple[str, ...], dict[str, Any]] = {}
    for c in cells:
        key = (c["condition"], c["level"], c["figure"])
        off = abs(c.get("coverage_pct", 95.0) - 95.0)
        if "coverage_pct" in c and (key not in worst or off > abs(worst[key]["coverage_pct"] - 95.0)):
            worst[key] = c
    main = rows("main", ("condition", "level", "figure"))
    print(
        "| condition | rung | figure | runs | n/a | bias % | RMSE % | within 5 % | coverage % (SE) | flag "
        "| cell furthest from 95 %: coverage % (scenario, policy) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in main:
        w = worst.get((r["condition"], r["level"], r["figure"]))
        far = f"{w['coverage_pct']:.0f} ({w['scenario']}, {w['policy']})" if w and r.get("flag") != "exact" else ""
        if w:
            r["furthest_cell"] = {k: w[k] for k in ("scenario", "policy", "coverage_pct", "bias_pct")}
        print(
            f"| {r['condition']} | {r['level']} | {r['figure'].replace('_', ' ')} | {r['runs']} | {r['undetermined']} | "
            f"{_pct(r, 'bias_pct', '+.2f')} | {_pct(r, 'rmse_pct', '.2f')} | {_pct(r, 'within_5pct', '.0f')} | "
            f"{cov(r)} | {r.get('flag', '')} | {far} |"
        )
    sampled = rows("sampled", ("scenario", "level"))
    print("\nUnique viewers from a 10 % sample (sample-10% condition), by scenario, pooled over policies:\n")
    print("| scenario | rung | runs | n/a | bias % | RMSE % | within 5 % of truth | coverage % (SE) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sampled:
        print(
            f"| {r['scenario']} | {r['level']} | {r['runs']} | {r['undetermined']} | {_pct(r, 'bias_pct', '+.2f')} | "
            f"{_pct(r, 'rmse_pct', '.2f')} | {_pct(r, 'within_5pct', '.0f')} | {cov(r)} |"
        )
    if detail:
        outside = [r for r in cells if r.get("flag") not in (None, "", "exact")]
        distinct = [r for r in outside if "same_as" not in r]
        print(
            f"\n{len(outside)} cells with coverage outside 93-97 % (exact cells left out), {len(distinct)} distinct "
            "figures: a cell whose every run gave the same estimate, interval and truth as another policy's (the "
            "same rule on that rung) is listed with it.\n"
        )
        print("| scenario | condition | policy and rung | figure | n/a | bias % | RMSE % | coverage % (SE) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in distinct:
            where = " = ".join([f"{r['policy']} {r['level']}", *alike[id(r)]])
            print(
                f"| {r['scenario']} | {r['condition']} | {where} | {r['figure']} | {r['undetermined']} | "
                f"{r['bias_pct']:+.2f} | {r['rmse_pct']:.2f} | {cov(r)} |"
            )
    return main, sampled, cells


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="logs per (scenario, condition); default 150, --quick 15")
    parser.add_argument("--quick", action="store_true", help="15 runs: about a minute")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (at most 2)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated scenario names")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated measurement conditions")
    parser.add_argument("--detail", action="store_true", help="also print every cell outside 93-97 %% coverage")
    parser.add_argument(
        "--frequency", type=int, default=0, help="also k+ reach, k = 2 .. K (audits and truths with frequency=K; at most 9)"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (15 if args.quick else 150)
    workers = max(1, min(args.workers, 2))
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in scenarios:
        va.get_scenario(s)  # unknown names fail here, not in a worker
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown:
        parser.error(f"--conditions: unknown {unknown}; expected some of {list(CONDITIONS)}")
    if not 0 <= args.frequency <= 9:
        parser.error(f"--frequency: expected 0 to 9, got {args.frequency}")
    jobs = [(s, c, r, args.frequency) for s in scenarios for c in conditions for r in range(runs)]
    kwargs = {c: audit_kwargs(measurement(c, scenarios[0])) for c in conditions}
    print(
        f"{len(jobs)} logs ({len(scenarios)} scenarios x {len(conditions)} conditions x {runs} runs), "
        f"{len(POLICIES)} policies, ~{IMPRESSIONS:,} impressions a log, {workers} workers; audit extra arguments: "
        f"{ {c: sorted(k) for c, k in kwargs.items() if k} or 'none' }",
        file=sys.stderr,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        if workers == 1:
            _init_worker()
            results = [one_run(j) for j in jobs]
        else:
            ctx = multiprocessing.get_context("spawn")  # no fork of Arrow's threads
            pool = ctx.Pool(workers, initializer=_init_worker)
            try:
                results = []
                for i, res in enumerate(pool.imap(one_run, jobs, chunksize=4), 1):  # ordered: deterministic
                    results.append(res)
                    if i % max(1, len(jobs) // 10) == 0:
                        print(f"  {i}/{len(jobs)} logs, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            finally:
                pool.close()
                pool.join()
    elapsed = time.perf_counter() - start
    main_rows, sampled, cells = print_tables(aggregate(results), args.detail)
    rows_per_log = defaultdict(list)
    used: dict[str, set[str]] = {c: set() for c in conditions}
    for res in results:
        rows_per_log[res["scenario"], res["condition"]].append(res["rows"])
        used[res["condition"]].update(res["kwargs"])
    print(
        f"\n{runs} seeded runs per (scenario, condition), {len(scenarios)} scenarios, {len(POLICIES)} policies; {elapsed:.0f} s",
        file=sys.stderr,
    )
    out = {
        "config": {
            "runs": runs,
            "scenarios": scenarios,
            "measurement": {s: {c: attrs.asdict(measurement(c, s)) for c in conditions} for s in scenarios},
            "policies": list(POLICIES),
            "impressions": IMPRESSIONS,
            "root_seed": ROOT_SEED,
            "audit_extra_arguments": {c: sorted(k) for c, k in used.items()},
            "frequency": args.frequency,
            "mean_log_rows": {f"{s} / {c}": float(np.mean(v)) for (s, c), v in rows_per_log.items()},
            "seconds": elapsed,
            "workers": workers,
        },
        "rows": main_rows,
        "sampled_unique_viewers": sampled,
        "cells": cells,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
