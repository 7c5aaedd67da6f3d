"""Estimator contracts; the public names live in ``viewaudit.testing``."""
