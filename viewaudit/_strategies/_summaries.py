"""Summaries: the mergeable statistics of drawn logs under drawn policies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from viewaudit._api import summarize
from viewaudit._scan.summary import Summary
from viewaudit._strategies._logs import column_sets, impression_logs
from viewaudit._strategies._policies import as_strategy, policies


def summaries(
    *,
    logs: st.SearchStrategy[Any] | None = None,
    policies: st.SearchStrategy[Any] | None = None,
    by: st.SearchStrategy[tuple[str, ...]] | None = None,
) -> st.SearchStrategy[Summary]:
    """:class:`~viewaudit.Summary` objects: ``viewaudit.summarize`` of a drawn log.

    A policy is drawn from ``policies`` (default :func:`policies`), then a log from ``logs``
    (default :func:`impression_logs` holding the interaction columns the policy names), and
    grouping columns from ``by`` (default: ungrouped or by ``item_id``). A log from a custom
    ``logs`` strategy must hold every column the policy and ``by`` name.
    """

    def build() -> st.SearchStrategy[Summary]:
        drawn_policies = _policies() if policies is None else as_strategy(policies, "policies")
        groupings = st.sampled_from(((), ("item_id",))) if by is None else as_strategy(by, "by")
        custom_logs = None if logs is None else as_strategy(logs, "logs")

        @st.composite
        def summary(draw: Any) -> Summary:
            policy = draw(drawn_policies)
            if custom_logs is None:
                log = draw(impression_logs(columns=column_sets(required=policy.interactions or ())))
            else:
                log = draw(custom_logs)
            grouping = tuple(draw(groupings))
            # Drawn times are exact, often on the thresholds (whole seconds): not a logger's step.
            return summarize(log, policy=policy, by=grouping or None, on_invalid="raise", rounding_ms=0, progress=False)  # type: ignore[return-value]

        return summary()

    return st.deferred(build)


_policies = policies
