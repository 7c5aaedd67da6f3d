"""The docs and the package name no file that the project does not contain."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Notes kept outside the repository, which users never see.
OUTSIDE = re.compile(r"FIELD\.md|DESIGN\.md|STYLE\.md|/work/|\.\./shared")


def _files() -> list[Path]:
    return sorted(
        p
        for folder in ("docs", "viewaudit")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in {".md", ".py", ".toml", ".txt", ".yml"} and p.is_file()
    )


def test_there_are_files_to_check() -> None:
    """The check reads the docs pages and the package's modules."""
    names = {p.name for p in _files()}
    assert {"index.md", "policies.md", "_api.py"} <= names


def test_no_reference_to_files_outside_the_project() -> None:
    """No page or module points to notes outside the repository (FIELD.md, DESIGN.md, ...)."""
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_the_pattern_catches_each_kind() -> None:
    """The pattern finds each outside reference and leaves ordinary text alone."""
    for text in ("see FIELD.md", "DESIGN.md", "STYLE.md", "/work/shared/x", "../shared/notes"):
        assert OUTSIDE.search(text), text
    assert not OUTSIDE.search("docs/model.md and CONTRIBUTING.md")
