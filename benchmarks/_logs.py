"""Synthetic impression logs for the benchmarks: Zipf-like item popularity, heavy-tailed
viewer activity, the canonical schema. Written in row groups so memory stays bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000


def _chunk(rng: np.random.Generator, n: int, items: int, viewers: int) -> pa.Table:
    # Zipf-like popularity: rank r drawn with P(r) ~ r^-1.1 via a truncated Pareto inverse CDF.
    u = rng.random(n)
    item = np.minimum((items ** (u * 0.9)).astype(np.int64), items - 1)
    # Heavy-tailed activity: viewer ids from a log-normal index, folded into the population.
    viewer = (np.exp(rng.normal(0, 2.0, n)) * viewers / 20).astype(np.int64) % viewers
    dwell = np.where(rng.random(n) < 0.6, rng.lognormal(6.0, 0.8, n), rng.lognormal(8.5, 1.0, n))
    dwell[rng.random(n) < 0.1] = np.nan  # unmeasured
    visible = rng.beta(2.0, 1.2, n)
    is_bot = rng.random(n) < 0.03
    author = rng.integers(0, viewers, n)
    self_view = rng.random(n) < 0.01
    author[self_view] = viewer[self_view]
    return pa.table(
        {
            "item_id": pa.array(item),
            "viewer_id": pa.array(viewer),
            "ts": pa.array(1_700_000_000_000 + rng.integers(0, 5 * 86_400_000, n)),
            "dwell_ms": pa.array(dwell, from_pandas=True),
            "visible_fraction": pa.array(visible),
            "is_bot": pa.array(is_bot),
            "author_id": pa.array(author),
            "liked": pa.array(rng.random(n) < 0.02),
        }
    )


def write_log(path: Path, rows: int, *, items: int = 50_000, viewers: int = 2_000_000, seed: int = 0) -> Path:
    """Write a ``rows``-row Parquet log (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed at the end: an interrupted run leaves no
    # truncated log that a later run would take for the real one.
    partial = path.with_suffix(".partial")
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            table = _chunk(rng, min(CHUNK, rows - start), items, viewers)
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    partial.replace(path)
    return path


def ensure_log(rows: int, *, viewers: int = 2_000_000) -> Path:
    """The benchmark log of ``rows`` rows (among ``viewers`` viewers) in ``benchmarks/data/``,
    written on first use."""
    import sys
    import time

    name = f"log_{rows}.parquet" if viewers == 2_000_000 else f"log_{rows}_viewers_{viewers}.parquet"
    path = Path(__file__).resolve().parent / "data" / name
    if not path.exists():
        t = time.perf_counter()
        write_log(path, rows, viewers=viewers)
        print(f"wrote {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def ensure_variant(path: Path, *, ids: str = "integer", fmt: str = "parquet") -> Path:
    """``path`` (a benchmark log) with its viewer and author ids as text (``ids="text"``:
    ``user-<id>``, the shape of many real logs' ids) and/or written as CSV, beside it, written
    on first use, 1M rows at a time."""
    import sys
    import time

    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    if ids == "integer" and fmt == "parquet":
        return path
    out = path.with_name(f"{path.stem}{'_text' if ids == 'text' else ''}.{fmt}")
    if out.exists():
        return out
    t = time.perf_counter()
    source = pq.ParquetFile(path)
    partial = out.with_name(out.name + ".partial")
    writer: pa_csv.CSVWriter | pq.ParquetWriter | None = None
    for batch in source.iter_batches(batch_size=1_000_000):
        if ids == "text":
            for name in ("viewer_id", "author_id"):
                text = pc.binary_join_element_wise("user-", batch[name].cast(pa.string()), "")
                batch = batch.set_column(batch.schema.get_field_index(name), name, text)
        if writer is None:
            writer = pa_csv.CSVWriter(partial, batch.schema) if fmt == "csv" else pq.ParquetWriter(partial, batch.schema)
        writer.write_batch(batch)
    assert writer is not None
    writer.close()
    partial.rename(out)
    print(f"wrote {out} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return out
