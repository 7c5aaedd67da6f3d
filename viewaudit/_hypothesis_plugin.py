"""Register viewaudit's strategies with Hypothesis, so that ``st.from_type`` works for its types.

Hypothesis calls :func:`_register_hypothesis` while it is being imported (through the
``hypothesis`` entry point in ``pyproject.toml`` and the guard module ``_viewaudit_hypothesis``),
in every project that shares the environment. So that call stays cheap: it loads neither
viewaudit's types nor numpy. It registers the types already loaded, and each type's module
registers its type when it is loaded later (:func:`register_type`). The strategies themselves
are imported only when first drawn, by name, from ``viewaudit.strategies``.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis import strategies as st

#: The types ``st.from_type`` resolves: the module defining each, and its strategy's name in
#: ``viewaudit.strategies``.
_TYPES = {
    "Policy": ("viewaudit._policy.policy", "policies"),
    "Summary": ("viewaudit._scan.summary", "summaries"),
    "FeedModel": ("viewaudit._model._params", "feed_models"),
}

#: Whether Hypothesis has run the entry point (it does not when HYPOTHESIS_NO_PLUGINS is set).
_active = False


def _register_hypothesis() -> None:
    """Register the types already loaded; the others register themselves when loaded."""
    global _active
    _active = True
    for name, (module_name, _) in _TYPES.items():
        loaded = getattr(sys.modules.get(module_name), name, None)
        if loaded is not None:
            register_type(loaded)


def register_type(cls: type) -> None:
    """Register ``cls`` with Hypothesis if its entry point has run, else do nothing."""
    if not _active:
        return
    from hypothesis import strategies as st

    strategy_name = _TYPES[cls.__name__][1]

    def resolve(_: type) -> st.SearchStrategy[Any]:
        strategies = importlib.import_module("viewaudit.strategies")
        strategy: st.SearchStrategy[Any] = getattr(strategies, strategy_name)()
        return strategy

    st.register_type_strategy(cls, resolve)
