"""The packed engine gives exactly the audit of the reference (summary) engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit
from viewaudit._scan import packed_keys as _packed_keys
from viewaudit._scan import text_ids as _text_ids

from helpers.logs import batches, random_log


def both(source_factory, **kwargs) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    packed = viewaudit.audit(source_factory(), engine="packed", **kwargs).to_dict()
    reference = viewaudit.audit(source_factory(), engine="summary", **kwargs).to_dict()
    return packed, reference


@pytest.mark.parametrize("by", [None, "item_id", "surface"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_packed_equals_summary(seed: int, by: str | None) -> None:
    """Same audit, figure for figure, grouped by an integer or a text column or not at all."""
    log = random_log(seed)
    packed, reference = both(lambda: batches(log, 700), by=by)
    assert packed == reference


@pytest.mark.parametrize("policy", ["platform", "mrc-display", "mrc-video", "trueview"])
def test_packed_equals_summary_under_every_policy(policy: str) -> None:
    """Policies that exclude or keep self-views and bots, and thresholds that leave no row."""
    log = random_log(7)
    packed, reference = both(lambda: log, by="item_id", policy=policy)
    assert packed == reference


def test_sampled_logs_go_to_the_summary_engine() -> None:
    """Unseen viewers of a sampled log are estimated from per-viewer counts, which the packed
    keys do not keep: engine='packed' declines a weighted log, and 'auto' audits it as 'summary'."""
    log = random_log(3, weights=True)
    with pytest.raises(ValueError, match="sampled log"):
        viewaudit.audit(batches(log, 500), by="item_id", engine="packed")
    auto = viewaudit.audit(batches(log, 500), by="item_id").to_dict()
    assert auto == viewaudit.audit(batches(log, 500), by="item_id", engine="summary").to_dict()
    with pytest.raises(ValueError, match="sampled log"):
        viewaudit.audit(batches(random_log(4), 500), engine="packed", sample_rate=0.5)


def test_weights_from_a_later_batch() -> None:
    """A weight column that first appears mid-scan: the packed engine names the row and says
    what to do; the summary engine counts the earlier rows with weight 1."""
    first = random_log(4, 1500).drop_columns(["surface"])
    second = random_log(5, 1500, weights=True).drop_columns(["surface"])

    def source() -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(second.schema, [*first.to_batches(), *second.to_batches()])

    schema_mismatch = pytest.raises((ValueError, pa.ArrowInvalid))
    with schema_mismatch:
        viewaudit.audit(source(), engine="packed")


def test_batch_size_does_not_matter() -> None:
    """One batch or many, the packed audit is the same."""
    log = random_log(11)
    one = viewaudit.audit(log, by="item_id", engine="packed").to_dict()
    many = viewaudit.audit(batches(log, 333), by="item_id", engine="packed").to_dict()
    assert one == many


def test_compare_equals_summary() -> None:
    """Several policies in one scan, each as the reference computes it."""
    log = random_log(12)
    packed = viewaudit.compare(log, engine="packed").to_dict()
    reference = viewaudit.compare(log, engine="summary").to_dict()
    assert packed == reference


@pytest.mark.parametrize("max_runs", [2, 8, 10_000])
def test_keys_merge_and_layout_changes(monkeypatch: pytest.MonkeyPatch, max_runs: int) -> None:
    """Frequent merges, more groups than the first layout holds, and viewer ids that outgrow
    the key (negative, then huge) so that viewers switch to a dictionary mid-scan; sorted runs
    merged as soon as there are two, at eight, or only at the end."""
    monkeypatch.setattr(_packed_keys, "_COMPACT_KEYS", 256)
    monkeypatch.setattr(_packed_keys, "_MAX_RUNS", max_runs)
    parts = [
        random_log(20, 3000, items=70_000, viewers=500),
        random_log(21, 3000, items=70_000, viewers=500, viewer_offset=-1000),
        random_log(22, 3000, items=90_000, viewers=500, viewer_offset=2**61),
    ]
    log = pa.concat_tables(parts)
    packed, reference = both(lambda: batches(log, 1000), by="item_id")
    assert packed == reference
    packed, reference = both(lambda: batches(log, 1000))
    assert packed == reference


def test_more_groups_than_the_first_layout_holds() -> None:
    """Past 2**16 groups the keys are re-laid out with more group bits, mid-scan."""
    log = random_log(24, 90_000, items=10_000_000, viewers=50)
    packed, reference = both(lambda: batches(log, 20_000), by="item_id")
    assert packed == reference


def test_huge_ids_from_the_start() -> None:
    """Ids that never fit beside the group code are coded through a dictionary."""
    log = random_log(23, viewer_offset=-(2**62))
    packed, reference = both(lambda: batches(log, 900), by="item_id")
    assert packed == reference


def test_rejects_and_accounting(tmp_path: Path) -> None:
    """Rejected rows are written and counted as by the reference engine."""
    log = random_log(30)
    out = {}
    for engine in ("packed", "summary"):
        path = tmp_path / f"{engine}.parquet"
        result = viewaudit.audit(batches(log, 600), engine=engine, rejects=path)
        out[engine] = (result.to_dict(), pq.read_table(path))
        assert result.rows.read == result.rows.accepted + sum(result.rows.rejected.values())
        assert sum(result.rows.rejected.values()) > 0
    assert out["packed"][0] == out["summary"][0]
    assert out["packed"][1].equals(out["summary"][1])


def test_on_invalid_raise_names_the_first_bad_row() -> None:
    """The error is the first bad row's, though batches are validated in parallel."""
    log = random_log(31)
    messages = []
    for engine in ("packed", "summary"):
        with pytest.raises(ValueError, match=r"row \d+: column 'visible_fraction'") as err:
            viewaudit.audit(batches(log, 200), engine=engine, on_invalid="raise")
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_parquet_files(tmp_path: Path) -> None:
    """A directory of Parquet files, read as the CLI reads it."""
    for k in range(3):
        pq.write_table(random_log(40 + k), tmp_path / f"part{k}.parquet", row_group_size=1000)
    packed, reference = both(lambda: str(tmp_path), by="item_id")
    assert packed == reference


def _as_text(log: pa.Table, prefix: str = "") -> pa.Table:
    """The log with its viewer ids as text (``prefix`` before each)."""
    ids = pc.binary_join_element_wise(prefix, log["viewer_id"].cast(pa.string()), "")
    return log.set_column(1, "viewer_id", ids)


def test_text_ids() -> None:
    """Text viewer ids are coded exactly across batches: the summary engine's audit, and the
    same whatever the batches."""
    log = _as_text(random_log(50), "user-")
    packed, reference = both(lambda: batches(log, 800), by="item_id")
    assert packed == reference
    assert viewaudit.audit(batches(log, 97), by="item_id").to_dict() == packed


def test_text_ids_whose_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash is not taken for an identity: with a hash of four values (nearly every id sharing
    one with another), the audit is still exact."""
    weak = _text_ids.text_hashes
    monkeypatch.setattr(_text_ids, "text_hashes", lambda texts: weak(texts) % np.uint64(4))
    log = _as_text(random_log(51, viewers=200))
    packed, reference = both(lambda: batches(log, 60), by="item_id")
    assert packed == reference


@pytest.mark.parametrize("text_first", [False, True])
def test_integer_and_text_ids_in_one_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text_first: bool) -> None:
    """Parquet files of integer ids and a CSV file (text ids), in either order: the integers are
    taken as their decimal text, as the summary engine takes them (viewer 7 and viewer "7" are
    one). Keys held before the first text id are coded again, from the dictionary layout."""
    monkeypatch.setattr(_packed_keys, "_COMPACT_KEYS", 256)
    numbers = random_log(52, 3000, viewers=400)
    huge = random_log(53, 3000, viewers=400, viewer_offset=2**61)  # ids through the dictionary
    pq.write_table(numbers, tmp_path / "numbers.parquet", row_group_size=700)
    pq.write_table(huge, tmp_path / "huge.parquet", row_group_size=700)
    # "0" to "799": half of them the integers' viewers.
    pa_csv.write_csv(random_log(54, 3000, viewers=800), tmp_path / "text.csv")
    files = [tmp_path / n for n in ("numbers.parquet", "huge.parquet", "text.csv")]
    files = files[-1:] + files[:-1] if text_first else files
    packed, reference = both(lambda: [str(f) for f in files], by="item_id")
    assert packed == reference
    packed, reference = both(lambda: [str(f) for f in files])
    assert packed == reference


def test_several_by_columns_go_to_the_reference_engine() -> None:
    """Two grouping columns: auto falls back, with the same result."""
    log = random_log(51)
    auto = viewaudit.audit(batches(log, 800), by=["item_id", "surface"]).to_dict()
    assert auto == viewaudit.audit(log, by=["item_id", "surface"], engine="summary").to_dict()


def test_no_viewer_column() -> None:
    """Without viewer_id, unique viewers are undetermined in both engines."""
    log = random_log(52).drop_columns(["viewer_id"])
    packed, reference = both(lambda: log, by="item_id")
    assert packed == reference


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="engine must be one of"):
        viewaudit.audit(random_log(0, 10), engine="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize("offset", [0, 2**30])
def test_whole_log_viewers_by_table_or_by_sorting(monkeypatch: pytest.MonkeyPatch, offset: int) -> None:
    """The whole log's viewers are counted through a table of viewer codes, or by sorting when
    the codes are sparse (ids near 2**30 fit the key as they are): the same audit either way."""
    log = random_log(25, viewer_offset=offset)
    packed, reference = both(lambda: batches(log, 700), by="item_id")
    assert packed == reference
    monkeypatch.setattr(_packed_keys, "_DENSE_VIEWERS", 0)
    monkeypatch.setattr(_packed_keys, "_DENSE_PER_PAIR", 0)
    assert viewaudit.audit(batches(log, 700), by="item_id", engine="packed").to_dict() == packed
