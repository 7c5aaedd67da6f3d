"""viewaudit's Hypothesis entry point, kept outside the package on purpose.

Hypothesis runs its entry points while it is being imported. Were the hook inside ``viewaudit``,
any failure to import viewaudit would make ``import hypothesis`` itself fail, for every project
in the environment. Here such a failure only leaves viewaudit's types unregistered with
``st.from_type``.
"""

from __future__ import annotations


def _register_hypothesis() -> None:
    try:
        from viewaudit._hypothesis_plugin import _register_hypothesis as register
    except Exception:
        return
    register()
