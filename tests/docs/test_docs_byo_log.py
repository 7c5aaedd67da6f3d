"""The examples of docs/byo-log.md run, and print what the page says they print."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.doc_pages import blocks, run_page

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "byo-log.md"
SAMPLE = ROOT / "viewaudit" / "_data" / "ebnerd"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the page's files: the sample's behaviors.parquet, and a downloaded split
    (two copies of it, with a history.parquet beside each)."""
    shutil.copy(SAMPLE / "behaviors.parquet", tmp_path / "behaviors.parquet")
    for split in ("train", "validation"):
        folder = tmp_path / "ebnerd_demo" / split
        folder.mkdir(parents=True)
        shutil.copy(SAMPLE / "behaviors.parquet", folder / "behaviors.parquet")
        shutil.copy(ROOT / "data" / "ebnerd" / "history.parquet", folder / "history.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_page_has_examples() -> None:
    """The page holds Python and shell examples, with output to compare with, and is in the site."""
    languages = [lang for lang, _ in blocks(PAGE)]
    assert languages.count("python") >= 5
    assert languages.count("bash") >= 3
    assert "text" in languages
    assert "byo-log.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_examples_run_and_print_what_the_page_shows(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Python blocks run in order in one namespace; each shell line runs as the viewaudit command
    and exits 0; what a block prints holds the lines of the text block after it, in order."""
    for _ in run_page(PAGE, capsys):
        pass
    assert (workdir / "devices.csv").is_file()
