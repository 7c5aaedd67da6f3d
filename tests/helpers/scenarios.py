"""The build-time calibration script and the EB-NeRD sample, for the scenario tests
(``tests/model/test_scenarios.py`` and ``tests/statistical/test_model_scenarios.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load_calibration() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tools" / "calibrate_news_site.py"
    spec = importlib.util.spec_from_file_location("calibrate_news_site", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs classes need their module registered
    spec.loader.exec_module(module)
    return module


_calibration = _load_calibration()

ROOT = Path(__file__).resolve().parents[2]


def _ebnerd() -> Path:
    """The EB-NeRD sample bundled in the repository (MIT, with its license, in data/ebnerd/)."""
    return ROOT / "data" / "ebnerd"
