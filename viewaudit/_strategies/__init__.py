"""Hypothesis strategies for viewaudit's values; the public names live in ``viewaudit.strategies``."""
