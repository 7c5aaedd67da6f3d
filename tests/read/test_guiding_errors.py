"""Errors that guide a real log in: list columns, mapped columns the source lacks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli.main import main

ROOT = Path(__file__).resolve().parents[2]
BEHAVIORS = ROOT / "viewaudit" / "_data" / "ebnerd" / "behaviors.parquet"


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        ({"item_id": "article_ids_inview"}, r"column 'item_id' \(mapped from 'article_ids_inview'\) holds lists"),
        ({"item_id": "article_id", "dwell_ms": "article_ids_inview"}, r"column 'dwell_ms' \(mapped from 'article_ids_inview'\)"),
        ({"item_id": "article_id", "viewer_id": "article_ids_clicked"}, r"'viewer_id' \(mapped from 'article_ids_clicked'\)"),
        (
            {"item_id": "article_id", "visible_fraction": "article_ids_inview"},
            r"'visible_fraction' \(mapped from 'article_ids_inview'\)",
        ),
    ],
)
def test_a_list_column_says_explode_it_or_use_a_format(columns: dict[str, str], match: str) -> None:
    """A list column mapped to a canonical column names it and says: explode it, or use a format that does."""
    with pytest.raises(TypeError, match=match) as caught:
        va.audit(BEHAVIORS, columns=columns)
    assert "one impression per element? explode it first, or use a format that does (--format ebnerd" in str(caught.value)


def test_a_list_column_in_an_arrow_table_says_so_too() -> None:
    """The same message for a list column in an Arrow table under its canonical name."""
    table = pa.table({"item_id": pa.array([[1, 2], [3]])})
    with pytest.raises(TypeError, match=r"column 'item_id' holds lists \(list<item: int64>\)"):
        va.audit(table)


def test_the_cli_says_it_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI prints the list-column message on one line and exits 2."""
    assert main(["audit", str(BEHAVIORS), "--columns", "item_id=article_ids_inview"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "explode it first, or use a format that does (--format ebnerd" in err


@pytest.mark.parametrize("engine", ["packed", "summary"])
def test_a_mapped_column_the_source_lacks_is_named_with_all_its_columns(engine: str) -> None:
    """A mapping to a column the file lacks names it, and lists every column the file has (not
    only those the audit would have read)."""
    with pytest.raises(ValueError, match=r"maps 'viewer_id' to 'user', which the source does not have") as caught:
        va.audit(BEHAVIORS, columns={"item_id": "article_id", "viewer_id": "user"}, engine=engine)
    assert "'user_id'" in str(caught.value)
    assert "'article_ids_inview'" in str(caught.value)


def test_a_mapped_column_missing_from_a_parquet_file_is_named_in_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI names the missing mapped column and the file's columns, on one line, exit 2."""
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"post": [1, 2], "who": [3, 4], "extra": [5, 6]}), path)
    assert main(["audit", str(path), "--columns", "item_id=post,dwell_ms=read_s"]) == 2
    err = capsys.readouterr().err
    assert "maps 'dwell_ms' to 'read_s', which the source does not have" in err
    assert "'who'" in err
    assert "'extra'" in err
