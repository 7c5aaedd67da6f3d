"""Hypothesis strategies for viewaudit's values: impression logs, policies, feed models and
summaries, valid by construction, edge cases included by default.

>>> import viewaudit
>>> from hypothesis import given
>>> from viewaudit.strategies import impression_logs
>>> @given(impression_logs(max_size=50))
... def test_every_drawn_row_is_accepted(log):
...     assert viewaudit.audit(log, on_invalid="raise").rows.accepted == log.num_rows

``st.from_type(viewaudit.Policy)``, ``st.from_type(viewaudit.Summary)`` and
``st.from_type(FeedModel)`` use these strategies (registered through Hypothesis' entry point,
so importing this module is not needed for that). See ``docs/property-testing.md``.
"""

from viewaudit._strategies._feed_models import feed_models, measurements
from viewaudit._strategies._logs import column_sets, impression_logs, impression_logs_with_truth
from viewaudit._strategies._policies import policies
from viewaudit._strategies._summaries import summaries
from viewaudit._strategies.reference_ladder import LadderTruth

__all__ = [
    "LadderTruth",
    "column_sets",
    "feed_models",
    "impression_logs",
    "impression_logs_with_truth",
    "measurements",
    "policies",
    "summaries",
]
