"""The Hypothesis entry point: cheap at `import hypothesis`, and st.from_type in either order."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_importing_hypothesis_loads_neither_numpy_nor_viewaudits_types() -> None:
    """The entry point run by `import hypothesis` loads no numpy, pyarrow, scipy or viewaudit type."""
    code = (
        "import sys\nimport hypothesis\n"
        "heavy = {'numpy', 'pyarrow', 'scipy', 'viewaudit._policy', 'viewaudit._scan', 'viewaudit._model'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "assert 'viewaudit._hypothesis_plugin' in sys.modules\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", ["Policy", "Summary", "FeedModel"])
def test_from_type_works_when_the_type_was_loaded_before_hypothesis(name: str) -> None:
    """A type imported before Hypothesis is registered when Hypothesis runs the entry point."""
    code = (
        f"import viewaudit\ncls = viewaudit.{name}\n"
        "from hypothesis import strategies as st\n"
        "value = st.from_type(cls).example()\n"
        "assert type(value) is cls, value\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr


def test_no_type_is_registered_when_hypothesis_plugins_are_off() -> None:
    """With HYPOTHESIS_NO_PLUGINS set, loading a type registers nothing with Hypothesis."""
    code = (
        "from hypothesis import strategies as st\nfrom hypothesis.strategies._internal import types\n"
        "import viewaudit\ncls = viewaudit.Policy\n"
        "assert cls not in types._global_type_lookup\n"
    )
    done = _run(code, HYPOTHESIS_NO_PLUGINS="1")
    assert done.returncode == 0, done.stderr
