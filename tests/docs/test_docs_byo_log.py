"""The examples of docs/byo-log.md run, and print what the page says they print."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from viewaudit._cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "byo-log.md"
SAMPLE = ROOT / "viewaudit" / "_data" / "ebnerd"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))]


def _shows(printed: str, shown: str) -> bool:
    """Whether every line the page shows is printed, in order (trailing spaces aside)."""
    lines = iter(line.rstrip() for line in printed.splitlines())
    return all(any(line == want for line in lines) for want in (w.rstrip() for w in shown.strip().splitlines()))


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
    languages = [lang for lang, _ in _blocks()]
    assert languages.count("python") >= 5
    assert languages.count("bash") >= 3
    assert "text" in languages
    assert "byo-log.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_examples_run_and_print_what_the_page_shows(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Python blocks run in order in one namespace; each shell line runs as the viewaudit command
    and exits 0; what a block prints holds the lines of the text block after it, in order."""
    blocks = _blocks()
    namespace: dict[str, Any] = {"__name__": "byo_log_page"}
    for i, (language, code) in enumerate(blocks):
        printed = ""
        if language == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{PAGE.name} (block {i})", "exec"), namespace)
            printed = out.getvalue()
        elif language == "bash":
            for line in filter(None, code.splitlines()):
                command = shlex.split(line)
                assert command[0] == "viewaudit", line
                capsys.readouterr()
                assert main(command[1:]) == 0, f"{line}: {capsys.readouterr().err}"
                printed += capsys.readouterr().out
        else:
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
        if following[0] == "text":
            assert _shows(printed, following[1]), f"block {i} printed:\n{printed}"
    assert (workdir / "devices.csv").is_file()
