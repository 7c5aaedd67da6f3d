"""Shared test configuration: hypothesis profiles, and the statistical suite off by default.

The default is the ``ci`` profile (derandomized: the same examples every run, so CI and the
README's test command are reproducible whether or not the runner sets ``CI``). Explore with
``HYPOTHESIS_PROFILE=dev pytest`` (random examples) or ``HYPOTHESIS_PROFILE=explore pytest`` and
keep every failure found as an explicit ``@example``.

``tests/statistical/`` holds the seeded Monte-Carlo checks (marked ``slow``). pytest collects it
only when it, or a file in it, is named on the command line: ``pytest`` runs the fast suite,
``pytest tests/statistical`` the statistical one, ``pytest tests tests/statistical`` both. A test
marked ``slow`` anywhere else is an error, so the fast suite stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

STATISTICAL = Path(__file__).resolve().parent / "statistical"


def _names_statistical(config: pytest.Config) -> bool:
    """Whether a command-line argument is tests/statistical or a path inside it."""
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == STATISTICAL or STATISTICAL in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.resolve() == STATISTICAL and not _names_statistical(config):
        return True
    return None


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    if STATISTICAL.is_dir() and not _names_statistical(config):
        return "tests/statistical not collected (the seeded Monte-Carlo checks): run pytest tests/statistical"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = [item.nodeid for item in items if item.get_closest_marker("slow") and STATISTICAL not in item.path.parents]
    if misplaced:
        raise pytest.UsageError(f"tests marked slow belong in tests/statistical/: {', '.join(misplaced)}")
