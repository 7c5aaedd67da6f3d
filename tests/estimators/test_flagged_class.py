"""The valid rung's viewers with the unflagged invalid accounts as a second class."""

from __future__ import annotations

import numpy as np

from viewaudit._estimators.flagged_class import METHOD, valid_viewers_with_flagged_class
from viewaudit.estimators import unique_viewers

P = 0.1


def test_too_few_flagged_accounts_give_the_default() -> None:
    """One flagged account, or none seen twice, describes no class: the default estimate."""
    f = np.array([0, 300, 40, 9, 2])
    default = unique_viewers(f, sample_rate=P)
    for flagged in ([0, 1], [0, 5], [0, 0, 0]):
        assert valid_viewers_with_flagged_class(f, flagged, sample_rate=P) == default


def test_a_complete_log_is_counted() -> None:
    f = np.array([0, 30, 4])
    est = valid_viewers_with_flagged_class(f, [0, 3, 2], sample_rate=1.0)
    assert est.estimate == est.confidence_interval.low == est.confidence_interval.high == 34


def test_interval_holds_the_estimate_and_the_default() -> None:
    """The interval takes in the default's and never goes below the viewers seen (a valid
    rung with a heavy tail, and caught accounts seen often)."""
    f = np.array([0, 800, 150, 60, 30, 20, 15, 10, 8, 6, 5, 4, 3, 2])
    flagged = np.array([0, 10, 6, 5, 4, 3, 3, 2, 2, 1])
    est = valid_viewers_with_flagged_class(f, flagged, sample_rate=P)
    default = unique_viewers(f, sample_rate=P)
    assert est.method == METHOD
    ci, dci = est.confidence_interval, default.confidence_interval
    assert ci.low <= est.estimate <= ci.high
    assert ci.low <= dci.low
    assert ci.high >= dci.high
    assert ci.low >= f[1:].sum()
