"""The warning viewaudit issues about legal but uninformative data."""

from __future__ import annotations


class DegenerateDataWarning(RuntimeWarning):
    """Legal data from which an estimate is uninformative (e.g. no measured rows)."""
