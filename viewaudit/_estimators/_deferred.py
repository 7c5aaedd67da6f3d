"""scipy.stats and scipy.optimize, imported when first used: together they cost about half a
second, and most audits never call them (they serve sampled logs, undetermined rows, the dwell
model and the exposure models)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _Deferred:
    """A module imported on the first access to one of its attributes."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


#: Use as the modules: ``stats.norm.ppf(...)``, ``optimize.brentq(...)``.
stats: Any = _Deferred("scipy.stats")
optimize: Any = _Deferred("scipy.optimize")
special: Any = _Deferred("scipy.special")
