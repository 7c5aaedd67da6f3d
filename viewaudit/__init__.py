"""viewaudit: how many of those views were real, and how sure are we?

Recount feed impressions on the view ladder (rendered, valid, viewable, attended, engaged)
under named rules, with unique viewers and confidence intervals.
"""

# The public names are loaded when first used (PEP 562), so that ``import viewaudit`` does not
# load scipy, the estimators and the feed model before they are needed.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viewaudit._api import audit, compare, estimate, summarize
    from viewaudit._model import (
        Bots,
        DwellMixture,
        ExpectedLadder,
        Exposure,
        FeedModel,
        Interaction,
        LadderRanges,
        LogNormal,
        Measurement,
        ParameterRange,
        Scenario,
        Simulation,
        Visibility,
        Weibull,
        claim,
        expected_ladder,
        expected_ladder_ranges,
        get_scenario,
        scenarios,
        simulate,
        simulate_batches,
    )
    from viewaudit._policy import PRESETS, Policy, get_policy
    from viewaudit._policy.bots import BOT_USER_AGENTS
    from viewaudit._report.comparison import Comparison
    from viewaudit._report.results import Audit
    from viewaudit._report.values import Estimate, GroupAudit, Inflation, Ladder, Reach, Rows, Rung
    from viewaudit._rungs import LEVELS
    from viewaudit._scan.summary import Summary, merge
    from viewaudit._schema import CANONICAL_COLUMNS, ColumnMap
    from viewaudit._warnings import DegenerateDataWarning, GranularityWarning, UnitWarning

__version__ = "0.1.0"

#: Where each public name lives; the same names as the imports above.
_MODULES = {
    "viewaudit._api": ("audit", "compare", "estimate", "summarize"),
    "viewaudit._model": (
        "Bots",
        "DwellMixture",
        "ExpectedLadder",
        "Exposure",
        "FeedModel",
        "Interaction",
        "LadderRanges",
        "LogNormal",
        "Measurement",
        "ParameterRange",
        "Scenario",
        "Simulation",
        "Visibility",
        "Weibull",
        "claim",
        "expected_ladder",
        "expected_ladder_ranges",
        "get_scenario",
        "scenarios",
        "simulate",
        "simulate_batches",
    ),
    "viewaudit._policy": ("PRESETS", "Policy", "get_policy"),
    "viewaudit._policy.bots": ("BOT_USER_AGENTS",),
    "viewaudit._report.comparison": ("Comparison",),
    "viewaudit._report.results": ("Audit",),
    "viewaudit._report.values": ("Estimate", "GroupAudit", "Inflation", "Ladder", "Reach", "Rows", "Rung"),
    "viewaudit._rungs": ("LEVELS",),
    "viewaudit._scan.summary": ("Summary", "merge"),
    "viewaudit._schema": ("CANONICAL_COLUMNS", "ColumnMap"),
    "viewaudit._warnings": ("DegenerateDataWarning", "GranularityWarning", "UnitWarning"),
}
_MODULE_OF = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "BOT_USER_AGENTS",
    "CANONICAL_COLUMNS",
    "LEVELS",
    "PRESETS",
    "Audit",
    "Bots",
    "ColumnMap",
    "Comparison",
    "DegenerateDataWarning",
    "DwellMixture",
    "Estimate",
    "ExpectedLadder",
    "Exposure",
    "FeedModel",
    "GranularityWarning",
    "GroupAudit",
    "Inflation",
    "Interaction",
    "Ladder",
    "LadderRanges",
    "LogNormal",
    "Measurement",
    "ParameterRange",
    "Policy",
    "Reach",
    "Rows",
    "Rung",
    "Scenario",
    "Simulation",
    "Summary",
    "UnitWarning",
    "Visibility",
    "Weibull",
    "audit",
    "claim",
    "compare",
    "estimate",
    "expected_ladder",
    "expected_ladder_ranges",
    "get_policy",
    "get_scenario",
    "merge",
    "scenarios",
    "simulate",
    "simulate_batches",
    "summarize",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use, and keep it (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'viewaudit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's own names and every public name, loaded or not."""
    return sorted(set(globals()) | set(__all__))
