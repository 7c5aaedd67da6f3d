"""The view ladder's rung rules restated in plain Python, one row at a time.

A reference path for tests (the properscoring pattern: a fast path, a plain path and a test that
they agree). It shares no code with the vectorised rules in ``viewaudit._scan.summary.rung_masks``: it reads the
rules as ``docs/ladder.md`` and the :class:`~viewaudit.Policy` docstring state them, on Python
values from ``Table.to_pylist()``. Membership is three-valued: ``None`` means the row's
measurements cannot decide it (not measured, or censored below the threshold).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa

from viewaudit._policy import Policy
from viewaudit._rungs import LEVELS, PARENT, Level
from viewaudit._schema import DEFAULT_INTERACTIONS

Membership = bool | None


def _and(*parts: Membership) -> Membership:
    """Kleene conjunction: false wins, then unknown."""
    if any(p is False for p in parts):
        return False
    if any(p is None for p in parts):
        return None
    return True


def _measure(value: Any) -> float | None:
    """A measurement, or None where it is missing (null or NaN, as pandas spells missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _reaches(value: float | None, threshold: float, censored: bool) -> Membership:
    """``value >= threshold``, undecided where unmeasured or censored below the threshold.

    A censored value is a lower bound: the true value may still reach the threshold.
    """
    if value is None:
        return None
    if value >= threshold:
        return True
    return None if censored else False


def interactions_of(policy: Policy, columns: Collection[str]) -> tuple[str, ...]:
    """The interaction columns the policy looks at in a log with these columns."""
    if policy.interactions is not None:
        return tuple(policy.interactions)
    return tuple(c for c in DEFAULT_INTERACTIONS if c in columns)


def undeterminable(policy: Policy, columns: Collection[str]) -> frozenset[Level]:
    """Rungs that no row can reach or miss because a column the policy needs is absent."""
    out: set[Level] = set()
    needs_fraction = policy.min_visible_fraction > 0 and "visible_fraction" not in columns
    needs_time = policy.min_in_view_ms > 0 and not {"dwell_ms", "in_view_ms"} & set(columns)
    if needs_fraction or needs_time:
        out |= {"viewable", "attended"}
    if policy.attention_ms > 0 and "dwell_ms" not in columns:
        out.add("attended")
    if not interactions_of(policy, columns):
        out.add("engaged")
    return frozenset(out)


def is_bot_agent(agent: str | None, policy: Policy) -> bool:
    """Whether a user agent matches any of the policy's bot patterns (case-insensitive)."""
    return agent is not None and any(re.search(p, agent, re.IGNORECASE) for p in policy.bot_user_agents)


def row_rungs(
    row: Mapping[str, Any],
    policy: Policy,
    *,
    interactions: Sequence[str],
    agents: dict[str | None, bool] | None = None,
) -> dict[Level, Membership]:
    """Membership of one impression row (canonical column names) on every rung.

    ``agents`` caches :func:`is_bot_agent` by user agent across the rows of one log.
    """
    viewer, author = row.get("viewer_id"), row.get("author_id")
    flagged = policy.use_bot_flag and bool(row.get("is_bot"))
    agent = row.get("user_agent")
    if agents is None:
        by_agent = is_bot_agent(agent, policy)
    else:
        if agent not in agents:
            agents[agent] = is_bot_agent(agent, policy)
        by_agent = agents[agent]
    if viewer is not None and author is not None and type(viewer) is not type(author):
        # An int id and a text id name the same person when their text agrees.
        viewer, author = str(viewer), str(author)
    own_view = policy.exclude_self_views and viewer is not None and author is not None and viewer == author
    valid = not (flagged or by_agent or own_view)

    censored = bool(row.get("dwell_censored"))
    dwell = _measure(row.get("dwell_ms"))
    in_view = _measure(row.get("in_view_ms"))
    if in_view is None:  # the client did not log in-view time: time on screen stands in
        in_view = dwell
    # A censored row's in-view time is a lower bound only if it lasted to the end of the dwell.
    in_view_censored = censored and (in_view is None or dwell is None or in_view >= dwell)

    visible: Membership = True
    if policy.min_visible_fraction > 0:
        fraction = _measure(row.get("visible_fraction"))
        visible = None if fraction is None else fraction >= policy.min_visible_fraction
    long_enough: Membership = True
    if policy.min_in_view_ms > 0:
        long_enough = _reaches(in_view, policy.min_in_view_ms, in_view_censored)
    attentive: Membership = True
    if policy.attention_ms > 0:
        attentive = _reaches(dwell, policy.attention_ms, censored)

    viewable = _and(valid, visible, long_enough)
    interacted = any(bool(row.get(name)) for name in interactions)
    return {
        "rendered": True,
        "valid": valid,
        "viewable": viewable,
        "attended": _and(viewable, attentive),
        "engaged": valid and interacted,
    }


@attrs.frozen
class LadderTruth:
    """The exact view ladder of a complete, fully measured log under one policy.

    ``impressions[level]`` and ``unique_viewers[level]`` are exact counts; ``None`` where the
    log cannot determine the rung (a column the policy needs is absent) or, for unique viewers,
    where the log has no ``viewer_id``.
    """

    policy: Policy
    rows: int
    impressions: Mapping[str, int | None]
    unique_viewers: Mapping[str, int | None]


def rung_memberships(log: pa.Table, policy: Policy) -> tuple[list[dict[Level, Membership]], frozenset[Level]]:
    """Every row's memberships, and the rungs the log's columns cannot determine."""
    columns = log.column_names
    interactions = interactions_of(policy, columns)
    agents: dict[str | None, bool] = {}
    seen: dict[tuple[Any, ...], dict[Level, Membership]] = {}  # logs repeat rows: decide each once
    rows = []
    for row in log.to_pylist():
        key = tuple(row.values())
        if key not in seen:
            seen[key] = row_rungs(row, policy, interactions=interactions, agents=agents)
        rows.append(seen[key])
    return rows, undeterminable(policy, columns)


def _viewers(log: pa.Table) -> list[Any] | None:
    return log.column("viewer_id").to_pylist() if "viewer_id" in log.column_names else None


def _distinct(viewers: Iterable[Any]) -> int:
    return len({v for v in viewers if v is not None})


def reference_ladder(log: pa.Table, policy: Policy) -> LadderTruth:
    """The exact ladder of a complete log; ``ValueError`` if a row's membership is undecided."""
    memberships, missing = rung_memberships(log, policy)
    viewers = _viewers(log)
    impressions: dict[str, int | None] = {}
    unique: dict[str, int | None] = {}
    for level in LEVELS:
        if level in missing:
            impressions[level] = unique[level] = None
            continue
        on = [m[level] for m in memberships]
        if any(v is None for v in on):
            i = on.index(None)
            raise ValueError(f"row {i} is neither on nor off {level!r}: the log is not fully measured")
        impressions[level] = sum(bool(v) for v in on)
        unique[level] = None if viewers is None else _distinct(v for v, yes in zip(viewers, on, strict=True) if yes)
    return LadderTruth(policy=policy, rows=log.num_rows, impressions=impressions, unique_viewers=unique)


def rung_upper_bounds(log: pa.Table, policy: Policy) -> dict[Level, tuple[int, int | None]]:
    """Per rung: rows that are or may be on it, and their distinct viewers (None: no viewer_id).

    A rung the log cannot determine is bounded by the rung above it.
    """
    memberships, missing = rung_memberships(log, policy)
    viewers = _viewers(log)
    out: dict[Level, tuple[int, int | None]] = {}
    for level in LEVELS:  # parents come first in LEVELS
        parent = PARENT[level]
        if level in missing and parent is not None:
            out[level] = out[parent]
            continue
        maybe = [m[level] is not False for m in memberships]
        out[level] = (
            sum(maybe),
            None if viewers is None else _distinct(v for v, yes in zip(viewers, maybe, strict=True) if yes),
        )
    return out
