"""viewaudit: how many of those views were real, and how sure are we?

Recount feed impressions on the view ladder (rendered, valid, viewable, attended, engaged)
under named rules, with unique viewers and confidence intervals.
"""

from ._audit import Comparison, audit, compare, estimate, summarize
from ._bots import BOT_USER_AGENTS
from ._estimating import DegenerateDataWarning
from ._policy import PRESETS, Policy, get_policy
from ._result import Audit, Estimate, GroupAudit, Inflation, Ladder, Rows, Rung
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
    "ColumnMap",
    "Comparison",
    "DegenerateDataWarning",
    "Estimate",
    "GroupAudit",
    "Inflation",
    "Ladder",
    "Policy",
    "Rows",
    "Rung",
    "Summary",
    "audit",
    "compare",
    "estimate",
    "get_policy",
    "merge",
    "summarize",
]
