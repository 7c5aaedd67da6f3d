"""Counting policies: the rules that put an impression on a rung, the presets, bot patterns."""

from viewaudit._policy.bots import BOT_USER_AGENTS, bot_regex
from viewaudit._policy.policy import PRESETS, RULES, Policy, get_policy

__all__ = ["BOT_USER_AGENTS", "PRESETS", "RULES", "Policy", "bot_regex", "get_policy"]
