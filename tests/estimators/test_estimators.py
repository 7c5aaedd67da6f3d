"""The public estimators module: what it exports, and that its examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

import viewaudit.estimators as estimators

MODULES = [
    "viewaudit._estimators.histogram",
    "viewaudit._estimators.dwell",
    "viewaudit._estimators.unseen",
    "viewaudit._estimators.gamma_poisson",
    "viewaudit._estimators.gamma_poisson_mixture",
    "viewaudit._estimators.sampling",
    "viewaudit._estimators.bootstrap",
]


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted (constants, classes, functions) and every name resolves."""

    def kind(name: str) -> tuple[int, str]:  # isort order, as ruff's RUF022 keeps it
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert estimators.__all__ == sorted(estimators.__all__, key=kind)
    for name in estimators.__all__:
        assert getattr(estimators, name) is not None


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    """The examples in the docstrings give the output they show."""
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
