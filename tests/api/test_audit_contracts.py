"""viewaudit's own estimators (the audit's ladder: impressions and unique viewers per rung, and
dwell-threshold shares) against the estimator contracts of viewaudit.testing."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import attrs
import pyarrow as pa
from hypothesis import HealthCheck, Phase, settings

import viewaudit
from viewaudit import PRESETS, Policy
from viewaudit._strategies._drawn_values import OPTIONAL_COLUMNS
from viewaudit.strategies import column_sets, impression_logs
from viewaudit.testing import parametrize_with_contracts

#: Few examples per contract: there are about seventy contract runs here. Logs stay small
#: enough for a quick audit; the strategies' own tests cover large counts.
FAST = settings(
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Complete, unsampled logs with any columns: the ladder's counts are exact counts there.
UNSAMPLED = [c for c in OPTIONAL_COLUMNS if c != "weight"]
LOGS = impression_logs(columns=column_sets(optional=UNSAMPLED), max_size=200)
#: Every row determined (no unmeasured or censored row): the estimated rungs are exact too.
MEASURED = impression_logs(
    columns=column_sets(optional=UNSAMPLED), max_size=200, max_unmeasured_share=0.0, max_censored_share=0.0
)
#: Logs made of what breaks a pooled-share estimator: undetermined rows beside determined ones.
#: An expected failure needs no shrinking, only to be found.
UNDETERMINED = impression_logs(columns=["viewer_id", "dwell_ms", "visible_fraction"], min_size=4, max_size=40, max_null_share=0.0)
# Enough examples that the seeded search meets each expected failure (200 stopped meeting
# union_bounds once logs with no measured dwell became undeterminable, not estimated at 1/2).
FIND = settings(FAST, max_examples=400, phases=[Phase.generate])

POLICY = PRESETS["mrc-display"]

_AUDITS: dict[tuple[Policy, bytes], viewaudit.Audit] = {}


def _audit(log: pa.Table, policy: Policy) -> viewaudit.Audit:
    """The audit of a log, computed once per (policy, log content).

    Derandomized contract runs of the same contract draw the same logs for every estimator
    here, so one audit serves all the figures read from it.
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, log.schema) as writer:
        writer.write_table(log)
    key = (policy, hashlib.sha256(sink.getvalue()).digest())
    if key not in _AUDITS:
        if len(_AUDITS) > 4096:
            _AUDITS.clear()
        # The drawn logs are exact ms; times at the thresholds are no whole-second logger.
        _AUDITS[key] = viewaudit.audit(log, policy=policy, rounding_ms=0)
    return _AUDITS[key]


def ladder_figure(level: str, figure: str, policy: Policy = POLICY) -> Callable[..., float]:
    """``audit(log).ladder[level].<figure>.estimate``, NaN where the log cannot determine it;
    policy thresholds given as keywords override the policy's."""

    def estimator(log: pa.Table, **thresholds: float) -> float:
        chosen = attrs.evolve(policy, **thresholds) if thresholds else policy
        value = getattr(_audit(log, chosen).ladder[level], figure).estimate
        return math.nan if value is None else float(value)

    estimator.__qualname__ = f"{figure}[{level}]"
    return estimator


def attended_share(log: pa.Table, *, attention_ms: float = 2000.0) -> float:
    """Share of valid impressions on screen at least ``attention_ms`` (no pixel rule)."""
    policy = Policy(name="dwell-share", min_visible_fraction=0.0, min_in_view_ms=0.0, attention_ms=attention_ms)
    ladder = _audit(log, policy).ladder
    valid, attended = ladder["valid"].impressions.estimate, ladder["attended"].impressions.estimate
    if not valid or attended is None:
        return math.nan  # no valid impression, or no dwell_ms: the share is undefined
    return float(attended) / float(valid)


# --- rungs a complete log determines exactly: every contract holds on any log ---------------

EXACT = {"settings": FAST, "logs": LOGS, "allow_nan": True}  # NaN: no viewer_id / no interactions
QUICK = {"settings": FAST, "allow_nan": True}


@parametrize_with_contracts(ladder_figure("rendered", "impressions"), kind="count", at_most="rendered", name="rendered", **EXACT)
def test_rendered_impressions(contract: Callable[[], None]) -> None:
    """Rendered impressions obey every count contract."""
    contract()


@parametrize_with_contracts(
    ladder_figure("rendered", "unique_viewers"), kind="unique", at_most="rendered", name="rendered", **EXACT
)
def test_rendered_unique_viewers(contract: Callable[[], None]) -> None:
    """Rendered unique viewers obey every unique-count contract."""
    contract()


@parametrize_with_contracts(ladder_figure("valid", "impressions"), kind="count", at_most="valid", name="valid", **EXACT)
def test_valid_impressions(contract: Callable[[], None]) -> None:
    """Valid impressions obey every count contract and never exceed the reference's valid rows."""
    contract()


@parametrize_with_contracts(ladder_figure("valid", "unique_viewers"), kind="unique", at_most="valid", name="valid", **EXACT)
def test_valid_unique_viewers(contract: Callable[[], None]) -> None:
    """Valid unique viewers obey every unique-count contract."""
    contract()


@parametrize_with_contracts(ladder_figure("engaged", "impressions"), kind="count", at_most="engaged", name="engaged", **EXACT)
def test_engaged_impressions(contract: Callable[[], None]) -> None:
    """Engaged impressions obey every count contract."""
    contract()


@parametrize_with_contracts(ladder_figure("engaged", "unique_viewers"), kind="unique", at_most="engaged", name="engaged", **EXACT)
def test_engaged_unique_viewers(contract: Callable[[], None]) -> None:
    """Engaged unique viewers obey every unique-count contract."""
    contract()


# --- rungs estimated where rows are undetermined -------------------------------------------
# On any log, every contract but the laws of exact counts (additivity; duplicate and union
# laws of unique viewers) holds; those laws hold where every row is determined, and are known
# to break where rows are undetermined (expected failures, found without shrinking).

POOLED = (
    "undetermined rows are counted at the share of the determined valid rows of the log they "
    "are audited with (a ratio estimator, 1/2 where none is determined): two parts audited "
    "apart pool different shares than the whole"
)
INDEPENDENT = (
    "a viewer seen only in undetermined rows counts with the chance their u such rows give (their "
    "own propensity, or 1 - (1 - p)^u): duplicated rows raise it, and the chances of a union can "
    "put it below a part's"
)
COUNT_LAWS = ("additive",)
UNIQUE_LAWS = ("duplicated_rows", "union_bounds")
ANY_LOG_COUNT = ("non_negative", "at_most_rows", "row_order", "duplicated_rows", "threshold_monotone", "ladder_bound")
ANY_LOG_UNIQUE = ("non_negative", "row_order", "threshold_monotone", "ladder_bound")


@parametrize_with_contracts(
    ladder_figure("viewable", "impressions"),
    kind="count",
    contracts=ANY_LOG_COUNT,
    at_most="viewable",
    threshold=("min_in_view_ms", "decreasing"),
    name="viewable",
    **EXACT,
)
def test_viewable_impressions(contract: Callable[[], None]) -> None:
    """Viewable impressions fall as the pixel-time rule tightens and never exceed the rows
    that are or may be viewable, on any log."""
    contract()


@parametrize_with_contracts(
    ladder_figure("viewable", "unique_viewers"),
    kind="unique",
    contracts=ANY_LOG_UNIQUE,
    at_most="viewable",
    threshold=("min_visible_fraction", "decreasing"),
    name="viewable",
    **EXACT,
)
def test_viewable_unique_viewers(contract: Callable[[], None]) -> None:
    """Viewable unique viewers fall as the pixel rule tightens, within the reference bound."""
    contract()


@parametrize_with_contracts(
    ladder_figure("attended", "impressions"),
    kind="count",
    contracts=ANY_LOG_COUNT,
    at_most="attended",
    threshold=("attention_ms", "decreasing"),
    name="attended",
    **EXACT,
)
def test_attended_impressions(contract: Callable[[], None]) -> None:
    """Attended impressions fall as the attention threshold rises, within the reference bound."""
    contract()


@parametrize_with_contracts(
    ladder_figure("attended", "unique_viewers"),
    kind="unique",
    contracts=ANY_LOG_UNIQUE,
    at_most="attended",
    threshold=("attention_ms", "decreasing"),
    name="attended",
    **EXACT,
)
def test_attended_unique_viewers(contract: Callable[[], None]) -> None:
    """Attended unique viewers fall as the attention threshold rises, within the bound."""
    contract()


@parametrize_with_contracts(
    ladder_figure("viewable", "impressions"), kind="count", contracts=COUNT_LAWS, name="viewable-measured", logs=MEASURED, **QUICK
)
def test_viewable_impressions_on_measured_logs(contract: Callable[[], None]) -> None:
    """Where every row is determined, viewable impressions are additive like any count."""
    contract()


@parametrize_with_contracts(
    ladder_figure("attended", "impressions"), kind="count", contracts=COUNT_LAWS, name="attended-measured", logs=MEASURED, **QUICK
)
def test_attended_impressions_on_measured_logs(contract: Callable[[], None]) -> None:
    """Where every row is determined, attended impressions are additive like any count."""
    contract()


@parametrize_with_contracts(
    ladder_figure("viewable", "unique_viewers"),
    kind="unique",
    contracts=UNIQUE_LAWS,
    name="viewable-measured",
    logs=MEASURED,
    **QUICK,
)
def test_viewable_unique_viewers_on_measured_logs(contract: Callable[[], None]) -> None:
    """Where every row is determined, viewable unique viewers obey the duplicate and union laws."""
    contract()


@parametrize_with_contracts(
    ladder_figure("attended", "unique_viewers"),
    kind="unique",
    contracts=UNIQUE_LAWS,
    name="attended-measured",
    logs=MEASURED,
    **QUICK,
)
def test_attended_unique_viewers_on_measured_logs(contract: Callable[[], None]) -> None:
    """Where every row is determined, attended unique viewers obey the duplicate and union laws."""
    contract()


@parametrize_with_contracts(
    ladder_figure("viewable", "impressions"),
    kind="count",
    contracts=COUNT_LAWS,
    name="viewable-undetermined",
    logs=UNDETERMINED,
    settings=FIND,
    allow_nan=True,
    expected_failures=dict.fromkeys(COUNT_LAWS, POOLED),
)
def test_viewable_impressions_with_undetermined_rows(contract: Callable[[], None]) -> None:
    """With undetermined rows, viewable impressions are an estimate, not additive."""
    contract()


@parametrize_with_contracts(
    ladder_figure("viewable", "unique_viewers"),
    kind="unique",
    contracts=UNIQUE_LAWS,
    name="viewable-undetermined",
    logs=UNDETERMINED,
    settings=FIND,
    allow_nan=True,
    expected_failures=dict.fromkeys(UNIQUE_LAWS, INDEPENDENT),
)
def test_viewable_unique_viewers_with_undetermined_rows(contract: Callable[[], None]) -> None:
    """With viewers seen only in undetermined rows, the unique-viewer estimate is a model:
    it breaks the duplicate and union laws, as documented."""
    contract()


# --- dwell-threshold shares ----------------------------------------------------------------


@parametrize_with_contracts(attended_share, kind="rate", threshold=("attention_ms", "decreasing"), **EXACT)
def test_attended_share(contract: Callable[[], None]) -> None:
    """The share of valid impressions attended obeys every rate contract and falls as the
    attention threshold rises."""
    contract()
