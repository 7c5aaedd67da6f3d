"""to_pandas() without pandas says what to install, not pyarrow's bare ModuleNotFoundError."""

from __future__ import annotations

import builtins
from typing import Any

import pyarrow as pa
import pytest

import viewaudit as va


def test_to_pandas_without_pandas_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pandas(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    audit = va.audit(pa.table({"item_id": [1, 2], "viewer_id": [1, 2]}))
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'viewaudit\[pandas\]'"):
        audit.to_pandas()
