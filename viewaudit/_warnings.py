"""The warnings viewaudit issues: legal but uninformative data, and logs that look recorded unlike they say."""

from __future__ import annotations


class DegenerateDataWarning(RuntimeWarning):
    """Legal data from which an estimate is uninformative (e.g. no measured rows)."""


class UnitWarning(UserWarning):
    """A time column whose values look like another unit than the ms the schema says."""


class GranularityWarning(UserWarning):
    """The log's time columns or files were logged in different steps (whole seconds in one,
    ms in another): the coarsest step is used for all."""


class WideIntervalWarning(UserWarning):
    """Intervals that cover the truth significantly more often than their confidence level
    says: correct, but wider than they need be (``viewaudit.testing.check_calibration``)."""
