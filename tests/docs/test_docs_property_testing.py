"""The examples of docs/property-testing.md run, and print what the page says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from viewaudit._testing import _runner

PAGE = Path(__file__).resolve().parents[2] / "docs" / "property-testing.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: The page's Hypothesis tests and contract checks, over fewer examples than their defaults:
#: the point here is that the examples run and say what the page says.
FEW = settings(max_examples=10, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: An expected failure must be found, not shrunk: the default number of examples, no shrinking.
FIND = settings(FEW, max_examples=100, phases=[Phase.generate])


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))]


def _run_tests_defined(namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Call the test functions a block defined, as pytest would (parametrized contracts included)."""
    ran = []
    for name, test in list(namespace.items()):
        if not (name.startswith("test_") and callable(test)):
            continue
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            settings(FEW)(test)()
            ran.append(name)
            continue
        for param in marks[0].args[1]:
            if any(m.name == "xfail" for m in param.marks):
                with monkeypatch.context() as patch:
                    patch.setattr(_runner, "_default_settings", lambda: FIND)
                    with pytest.raises(AssertionError):
                        test(*param.values)
            else:
                test(*param.values)
            ran.append(f"{name}[{param.id}]")
        del namespace[name]
    for name in ran:
        namespace.pop(name, None)
    return ran


def test_the_page_has_examples() -> None:
    """The page holds Python examples, and printed output to compare with."""
    languages = [lang for lang, _ in _blocks()]
    assert languages.count("python") >= 5
    assert "text" in languages


def test_examples_run_and_print_what_the_page_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each python block runs in order in one namespace; output it prints equals the text
    block after it; the tests it defines pass (expected failures fail)."""
    monkeypatch.setattr(_runner, "_default_settings", lambda: FEW)
    blocks = _blocks()
    namespace: dict[str, Any] = {"__name__": "property_testing_page"}
    ran: list[str] = []
    for i, (language, code) in enumerate(blocks):
        if language != "python":
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{PAGE.name} (block {i})", "exec"), namespace)
        ran += _run_tests_defined(namespace, monkeypatch)
        if printed.getvalue():
            following = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
            assert following[0] == "text", f"block {i} prints, but no text block follows it"
            assert printed.getvalue().strip() == following[1].strip()
    assert ran, "the page defines no test"
