"""Run a docs page's examples: Python blocks in one namespace, shell lines as the viewaudit
command, and check what each prints against the text block after it."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from viewaudit._cli.main import main

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: Path) -> list[tuple[str, str]]:
    """The page's fenced blocks as (language, code)."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def shows(printed: str, shown: str) -> bool:
    """Whether every line the page shows is printed, in order (trailing spaces aside)."""
    lines = iter(line.rstrip() for line in printed.splitlines())
    return all(any(line == want for line in lines) for want in (w.rstrip() for w in shown.strip().splitlines()))


def run_page(page: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[int, str]]:
    """Run the page's Python blocks in one namespace and its bash lines as the viewaudit command
    (each must exit 0); check each against the text block after it; yield (block, printed)."""
    found = blocks(page)
    namespace: dict[str, Any] = {"__name__": page.stem}
    for i, (language, code) in enumerate(found):
        printed = ""
        if language == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{page.name} (block {i})", "exec"), namespace)
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
        following = found[i + 1] if i + 1 < len(found) else ("", "")
        if following[0] == "text":
            assert shows(printed, following[1]), f"{page.name}, block {i} printed:\n{printed}"
        yield i, printed
