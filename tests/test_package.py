"""The package's public names: all importable, all listed, loaded only when first used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import viewaudit


def _modules_after(code: str) -> set[str]:
    """The modules loaded in a fresh interpreter after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("name", viewaudit.__all__)
def test_every_public_name_imports_from_the_package(name: str) -> None:
    """`from viewaudit import X` works for every name in __all__ and gives the module's object."""
    namespace: dict[str, object] = {}
    exec(f"from viewaudit import {name}", namespace)
    assert namespace[name] is getattr(viewaudit, name)


def test_the_lazy_table_lists_exactly_the_public_names() -> None:
    """Every name in __all__ has a module to load it from, and nothing else does."""
    assert set(viewaudit._MODULE_OF) == set(viewaudit.__all__)


def test_dir_lists_every_public_name_before_any_is_loaded() -> None:
    """dir(viewaudit) in a fresh interpreter lists all of __all__ and __version__."""
    code = "import viewaudit\nnames = dir(viewaudit)\nassert set(viewaudit.__all__) <= set(names), names\n"
    code += "assert '__version__' in names"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_an_unknown_name_raises_attribute_error() -> None:
    """viewaudit.no_such_name raises AttributeError naming it, so hasattr() answers False."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = viewaudit.no_such_name  # type: ignore[attr-defined]
    assert not hasattr(viewaudit, "no_such_name")


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    """`import viewaudit` loads neither scipy, pandas, Hypothesis nor the pipeline."""
    loaded = _modules_after("import viewaudit")
    heavy = {"scipy", "scipy.stats", "pandas", "hypothesis", "viewaudit._api", "viewaudit._estimators"}
    assert not heavy & loaded


def test_a_policy_does_not_load_the_estimators() -> None:
    """`viewaudit.Policy` and `viewaudit.PRESETS` load the policy module without scipy."""
    loaded = _modules_after("import viewaudit\nviewaudit.PRESETS['platform']")
    assert "viewaudit._policy.policy" in loaded
    assert not {"scipy", "scipy.stats", "viewaudit._api"} & loaded
