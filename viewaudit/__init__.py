"""viewaudit: how many of those views were real, and how sure are we?

Recount feed impressions on the view ladder (rendered, valid, viewable, attended, engaged)
under named rules, with unique viewers and confidence intervals.
"""

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
