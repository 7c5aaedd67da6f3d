"""viewaudit: how many of those views were real, and how sure are we?

Recount feed impressions on the view ladder (rendered, valid, viewable, attended, engaged)
under named rules, with unique viewers and confidence intervals.
"""

from ._audit import Comparison, audit, compare, estimate, summarize
from ._bots import BOT_USER_AGENTS
from ._estimating import DegenerateDataWarning
from ._model import (
    Bots,
    DwellMixture,
    ExpectedLadder,
    Exposure,
    FeedModel,
    Interaction,
    LogNormal,
    Measurement,
    Scenario,
    Simulation,
    Visibility,
    Weibull,
    expected_ladder,
    get_scenario,
    scenarios,
    simulate,
    simulate_batches,
)
from ._policy import PRESETS, Policy, get_policy
from ._result import Audit, Estimate, GroupAudit, Inflation, Ladder, Reach, Rows, Rung
from ._rungs import LEVELS
from ._schema import CANONICAL_COLUMNS, ColumnMap
from ._summary import Summary, merge

__version__ = "0.1.0"

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
    "GroupAudit",
    "Inflation",
    "Interaction",
    "Ladder",
    "LogNormal",
    "Measurement",
    "Policy",
    "Reach",
    "Rows",
    "Rung",
    "Scenario",
    "Simulation",
    "Summary",
    "Visibility",
    "Weibull",
    "audit",
    "compare",
    "estimate",
    "expected_ladder",
    "get_policy",
    "get_scenario",
    "merge",
    "scenarios",
    "simulate",
    "simulate_batches",
    "summarize",
]
