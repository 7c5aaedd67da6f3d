"""Audits of Dask DataFrames: per-partition summaries merged equal the single-machine audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import viewaudit

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")


def _log(seed: int, n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "item_id": rng.integers(0, 40, n),
            "viewer_id": rng.integers(0, 3_000, n).astype("float64"),
            "dwell_ms": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(7, 1.2, n)),
            "visible_fraction": rng.random(n),
            "is_bot": rng.random(n) < 0.05,
            "liked": rng.random(n) < 0.03,
        }
    )
    df.loc[rng.random(n) < 0.02, "viewer_id"] = np.nan  # logged out
    df.loc[[3, 77], "dwell_ms"] = -1.0  # two bad rows, rejected and counted
    return df


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes (so summaries really cross process borders)."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.mark.parametrize("npartitions", [1, 3, 8])
def test_distributed_ladder_equals_local(client, npartitions):
    """The ladder of a Dask DataFrame on a process cluster equals the single-machine ladder."""
    df = _log(seed=npartitions)
    local = viewaudit.audit(pa.Table.from_pandas(df, preserve_index=False), by="item_id")
    remote = viewaudit.audit(dd.from_pandas(df, npartitions=npartitions), by="item_id")
    assert remote.to_dict() == local.to_dict()
    assert remote.rows.read == len(df)
    assert remote.rows.rejected == {"dwell_ms: negative": 2}


def test_distributed_rejects_name_their_partition(client, tmp_path):
    """Rejected rows of a Dask source are written with their partition and partition-local row."""
    df = _log(seed=11)
    path = tmp_path / "rejects.parquet"
    viewaudit.audit(dd.from_pandas(df, npartitions=4), rejects=path)
    import pyarrow.parquet as pq

    rejected = pq.read_table(path)
    assert rejected.num_rows == 2
    assert set(rejected.column_names) >= {"_row", "_reason", "_partition"}
    assert rejected["_reason"].to_pylist() == ["dwell_ms: negative"] * 2
