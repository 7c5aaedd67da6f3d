"""Where an audit's time goes, stage by stage, and the floor: reading the needed columns.

Run by ``bench_scale.py --profile`` in a fresh process. Timers wrap the pipeline's functions
(in this process only): wall time for the stages that run one after another (start-up, the
threaded scan, estimate, report), and, for what runs inside the scan's threads (Parquet
decoding, validation, reducing batches to keys), the wall time inside those calls summed over
the threads (it counts waiting for the other threads and for the interpreter lock too).
"""

from __future__ import annotations

import functools
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

CPU: dict[str, float] = defaultdict(float)


def _cpu_timed(name: str, fn: Callable[..., Any], into: dict[str, float] = CPU) -> Callable[..., Any]:
    """``fn``, adding the seconds each call takes to ``into[name]``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - t

    return wrapper


def _timed_batches(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        batches = fn(*args, **kwargs)
        while True:
            t = time.perf_counter()
            try:
                batch = next(batches)
            except StopIteration:
                CPU["read"] += time.perf_counter() - t
                return
            CPU["read"] += time.perf_counter() - t
            yield batch

    return wrapper


def profile(path: str, by: str, needed: list[str]) -> None:
    """Print the stages of ``viewaudit audit PATH --by BY --json`` and the floor, in seconds."""
    t0 = time.perf_counter()
    import pyarrow.parquet as pq

    base = time.perf_counter() - t0
    from viewaudit import _api
    from viewaudit._scan import packed

    startup = time.perf_counter() - t0
    pq.ParquetFile.iter_batches = _timed_batches(pq.ParquetFile.iter_batches)  # type: ignore[method-assign]
    packed.validate_batch = _cpu_timed("validate", packed.validate_batch)
    packed._reduce_batch = _cpu_timed("validate + reduce", packed._reduce_batch)
    wall: dict[str, float] = {}

    _api.scan = _cpu_timed("scan", _api.scan, wall)  # type: ignore[attr-defined]
    from viewaudit._scan import dispatch

    dispatch.recorded = _cpu_timed("look", dispatch.recorded, wall)
    _api.audit_of = _cpu_timed("estimate", _api.audit_of, wall)  # type: ignore[attr-defined]
    t = time.perf_counter()
    audited = _api.audit(path, by=by)
    total = time.perf_counter() - t
    t = time.perf_counter()
    audited.write_json(io.StringIO())
    report = time.perf_counter() - t
    t = time.perf_counter()
    pq.read_table(path, columns=needed)
    floor = time.perf_counter() - t
    t = time.perf_counter()
    for _ in pq.ParquetFile(path).iter_batches(columns=needed):
        pass
    floor_batches = time.perf_counter() - t
    run = startup + total + report
    print(f"  whole run (in process) {run:.2f} s; {audited.table.num_rows:,} groups")
    print(f"  start-up: import numpy + pyarrow {base:.2f} s, then viewaudit {startup - base:.2f} s")
    other = total - wall.get("scan", 0) - wall.get("estimate", 0)
    print(f"  scan (wall; read, validate and reduce in threads, fold): {wall.get('scan', 0):.2f} s")
    reduce = CPU["validate + reduce"] - CPU["validate"]
    inside = f"read {CPU['read']:.2f} s, validate {CPU['validate']:.2f} s, reduce {reduce:.2f} s"
    print(f"    time inside calls, summed over threads: {inside}")
    print(f"    of the wall time, the first look at the time columns (rounding_ms='auto'): {wall.get('look', 0):.2f} s")
    print(f"  estimate (ladder, intervals, inflation, assumptions): {wall.get('estimate', 0):.2f} s")
    print(f"  other (options, opening the source): {other:.2f} s")
    print(f"  report (write_json): {report:.2f} s")
    print(f"  floor: pyarrow reads the {len(needed)} needed columns: {floor:.2f} s whole, {floor_batches:.2f} s in batches")
