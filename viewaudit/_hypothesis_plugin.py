"""Register viewaudit's strategies with Hypothesis, so that ``st.from_type`` works for its types.

Hypothesis calls :func:`_register_hypothesis` when it is imported (through the ``hypothesis``
entry point in ``pyproject.toml`` and the guard module ``_viewaudit_hypothesis``), so
``st.from_type(viewaudit.Policy)`` works without importing ``viewaudit.strategies``. The
strategies themselves are resolved only when first drawn.
"""

from __future__ import annotations

from typing import Any


def _register_hypothesis() -> None:
    from hypothesis import strategies as st

    from viewaudit._policy import Policy
    from viewaudit._scan.summary import Summary

    def lazily(name: str) -> Any:
        def resolve(_: type) -> st.SearchStrategy[Any]:
            from viewaudit import strategies

            strategy: st.SearchStrategy[Any] = getattr(strategies, name)()
            return strategy

        return resolve

    st.register_type_strategy(Policy, lazily("policies"))
    st.register_type_strategy(Summary, lazily("summaries"))
    try:
        from viewaudit._model import FeedModel
    except ImportError:  # pragma: no cover - a tree without the feed model
        return
    st.register_type_strategy(FeedModel, lazily("feed_models"))
