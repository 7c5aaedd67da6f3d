"""HyperLogLog unique viewers: error as documented, mergeable, independent of batching."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import viewaudit
from viewaudit._estimators import hyperloglog as sketch

from helpers.logs import batches, random_log


def sketch_of(ids: np.ndarray, precision: int) -> np.ndarray:
    registers = sketch.empty((1,), precision)
    bucket, rank = sketch.buckets_and_ranks(ids, precision)
    sketch.add(registers, np.zeros(len(ids), dtype=np.int64), bucket, rank)
    return registers


@pytest.mark.parametrize(("precision", "distinct", "seed"), [(10, 200, 0), (10, 50_000, 1), (12, 300_000, 2), (14, 1_000_000, 3)])
def test_error_within_three_standard_errors(precision: int, distinct: int, seed: int) -> None:
    """The estimate of n distinct ids (each seen 1-3 times) is within 3 x 1.04/sqrt(m) of n."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(2**62, size=distinct, replace=False).astype(np.int64)
    ids = np.repeat(ids, rng.integers(1, 4, distinct))
    rng.shuffle(ids)
    (estimate,) = sketch.cardinality(sketch_of(ids, precision))
    assert abs(estimate - distinct) <= 3 * sketch.relative_standard_error(precision) * distinct


def test_small_counts_are_nearly_exact() -> None:
    """Linear counting: a handful of ids in many registers are counted almost exactly."""
    (estimate,) = sketch.cardinality(sketch_of(np.arange(20), 12))
    assert round(estimate) == 20


def test_merge_is_the_sketch_of_the_union() -> None:
    """Registerwise max of the sketches of two overlapping sets = the sketch of their union."""
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 10_000, 5000), rng.integers(5000, 15_000, 5000)
    assert np.array_equal(sketch.union(sketch_of(a, 11), sketch_of(b, 11)), sketch_of(np.concatenate([a, b]), 11))


def test_hash_is_a_bijection_on_a_sample() -> None:
    """SplitMix64's finaliser maps distinct ids to distinct hashes."""
    ids = np.arange(-500_000, 500_000)
    assert len(np.unique(sketch.hash64(ids))) == len(ids)


def test_audit_hll_is_independent_of_batch_size() -> None:
    """Sketch registers are a max: the same audit whatever the batches."""
    log = random_log(60, 6000)
    one = viewaudit.audit(log, by="item_id", unique_viewers="hll").to_dict()
    many = viewaudit.audit(batches(log, 700), by="item_id", unique_viewers="hll").to_dict()
    assert one == many


def _near_exact(log: pa.Table) -> viewaudit.Audit:
    """The sketched audit of ``log`` (precision 12), its impressions exact and its unique viewers
    within 3 standard errors of the exact ones, inside their interval."""
    exact = viewaudit.audit(log, by="item_id")
    sketched = viewaudit.audit(log, by="item_id", unique_viewers="hll", hll_precision=12)
    se = sketch.relative_standard_error(12)
    for e, s in zip(exact.ladder, sketched.ladder, strict=True):
        assert s.impressions == e.impressions
        if e.level in ("rendered", "valid", "engaged"):
            truth = e.unique_viewers.estimate
            assert abs(s.unique_viewers.estimate - truth) <= 3 * se * truth
            assert s.unique_viewers.low <= truth <= s.unique_viewers.high
    return sketched


def test_audit_hll_against_exact() -> None:
    """Impressions stay exact; unique viewers are within 3 standard errors, inside the interval."""
    sketched = _near_exact(random_log(61, 60_000, items=5, viewers=20_000))
    assert any("HyperLogLog" in a for a in sketched.assumptions)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"unique_viewers": "approx"}, "unique_viewers must be"),
        ({"unique_viewers": "hll", "hll_precision": 30}, "hll_precision must be"),
        ({"unique_viewers": "hll", "engine": "summary"}, "needs the packed engine"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        viewaudit.audit(random_log(0, 50), **kwargs)


def test_text_ids_are_sketched(tmp_path) -> None:
    """Text viewer ids are sketched by the hash of their text: within 3 standard errors of the
    exact count, the same whatever the batches, and the same sketch from a CSV file (whose ids
    are text) as from the log's ids as text."""
    import pyarrow.csv as pa_csv

    log = random_log(62, 60_000, items=5, viewers=20_000, nulls=False)
    text = log.set_column(1, "viewer_id", log["viewer_id"].cast(pa.string()))
    sketched = _near_exact(text)
    again = viewaudit.audit(batches(text, 700), by="item_id", unique_viewers="hll", hll_precision=12)
    assert again.to_dict() == sketched.to_dict()
    pa_csv.write_csv(log, tmp_path / "log.csv")
    from_csv = viewaudit.audit(tmp_path / "log.csv", by="item_id", unique_viewers="hll", hll_precision=12)
    assert [r.unique_viewers for r in from_csv.ladder] == [r.unique_viewers for r in sketched.ladder]
    # Integer ids after the CSV file's text: hashed as their decimal text, as the CSV file's are.
    import pyarrow.parquet as pq

    other = random_log(63, 20_000, items=5, viewers=30_000, nulls=False)
    pq.write_table(other, tmp_path / "more.parquet")
    pa_csv.write_csv(other, tmp_path / "more.csv")
    mixed = viewaudit.audit([tmp_path / "log.csv", tmp_path / "more.parquet"], unique_viewers="hll", hll_precision=12)
    as_text = viewaudit.audit([tmp_path / "log.csv", tmp_path / "more.csv"], unique_viewers="hll", hll_precision=12)
    assert mixed.to_dict()["ladder"] == as_text.to_dict()["ladder"]


def test_cli_unique_viewers_hll(tmp_path, capsys) -> None:
    """`viewaudit audit --unique-viewers hll` keeps impressions exact and brackets the sketched
    unique viewers with an interval; a bad precision is one error line and exit 2."""
    import json

    import pyarrow.parquet as pq

    from viewaudit._cli.main import main

    path = tmp_path / "log.parquet"
    pq.write_table(random_log(5), path)
    assert main(["audit", str(path), "--json", "--unique-viewers", "hll", "--hll-precision", "12"]) == 0
    sketched = json.loads(capsys.readouterr().out)
    exact = viewaudit.audit(path).to_dict()
    for got, want in zip(sketched["ladder"], exact["ladder"], strict=True):
        assert got["impressions"] == want["impressions"]
        u = got["unique_viewers"]
        assert u["low"] <= u["estimate"] <= u["high"]
    assert main(["audit", str(path), "--unique-viewers", "hll", "--hll-precision", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "hll_precision" in err[0]
