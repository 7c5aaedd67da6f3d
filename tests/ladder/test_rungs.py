"""The rung rules of the view ladder, one example each, and a plain-Python reference ladder.

The reference (``reference_ladder``) re-derives every figure row by row from the rules in
docs/ladder.md, without Arrow compute or numpy, and is compared with
:func:`viewaudit.audit` on hand-written and on seeded random logs.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit import BOT_USER_AGENTS, LEVELS, Policy
from viewaudit._ladder import propensity as _propensity
from viewaudit._scan.statistics import distinct_viewer_rows
from viewaudit.estimators import DWELL_EDGES_MS

PARENT = {"rendered": None, "valid": "rendered", "viewable": "valid", "attended": "viewable", "engaged": "valid"}
INTERACTIONS = ("liked", "replied", "reposted", "clicked", "expanded")

SCHEMA = pa.schema(
    [
        ("item_id", pa.int64()),
        ("viewer_id", pa.int64()),
        ("author_id", pa.int64()),
        ("dwell_ms", pa.float64()),
        ("dwell_censored", pa.bool_()),
        ("in_view_ms", pa.float64()),
        ("visible_fraction", pa.float64()),
        ("is_bot", pa.bool_()),
        ("user_agent", pa.string()),
        ("liked", pa.bool_()),
        ("clicked", pa.bool_()),
        ("shared", pa.bool_()),
    ]
)

DEFAULTS: dict[str, Any] = {
    "item_id": 1,
    "viewer_id": None,
    "author_id": 999,
    "dwell_ms": 5000.0,
    "dwell_censored": False,
    "in_view_ms": None,
    "visible_fraction": 1.0,
    "is_bot": False,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
    "liked": False,
    "clicked": False,
    "shared": False,
}


def log(*rows: dict[str, Any], drop: tuple[str, ...] = ()) -> pa.Table:
    """A log with the full test schema; each row overrides the defaults (a fully measured,
    valid, attended impression by a logged-out viewer)."""
    records = [{**DEFAULTS, **row} for row in rows]
    table = pa.Table.from_pylist(records, schema=SCHEMA)
    return table.drop_columns(list(drop))


def figures(result: va.Audit, level: str) -> tuple[float | None, float | None]:
    rung = result.ladder[level]
    return rung.impressions.estimate, rung.unique_viewers.estimate


def impressions(source: Any, level: str, **kwargs: Any) -> float | None:
    return va.audit(source, **kwargs).ladder[level].impressions.estimate


# --- valid ------------------------------------------------------------------------------------


def test_bot_flag_excludes_from_valid() -> None:
    """A row with is_bot true is rendered but not valid."""
    result = va.audit(log({"is_bot": True}, {"is_bot": False}))
    assert figures(result, "rendered")[0] == 2
    assert figures(result, "valid")[0] == 1
    assert result.excluded["is_bot"] == 1


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; BINGBOT/2.0)",
        "AhrefsBot/7.0",
        "Twitterbot/1.0",
        "SomeCrawler/3.1",
        "Baiduspider-render/2.0",
        "Mozilla/5.0 (compatible; Yahoo! SLURP)",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36",
        "curl/8.4.0",
        "CURL/7.88.1",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "Python-Requests/2.28",
    ],
)
def test_bot_user_agent_is_not_valid(agent: str) -> None:
    """A user agent matching a built-in bot pattern (case-insensitively) is not valid."""
    result = va.audit(log({"user_agent": agent}))
    assert figures(result, "valid")[0] == 0
    assert result.excluded["user_agent"] == 1


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36",
        "Feedly/1.0 via curl",  # "curl" only counts as the agent's name, at the start
        None,
    ],
)
def test_human_user_agent_is_valid(agent: str | None) -> None:
    """Browser user agents and a missing user agent are valid."""
    assert impressions(log({"user_agent": agent}), "valid") == 1


def test_custom_bot_pattern_extends_the_list() -> None:
    """A policy's extra pattern excludes its agents while the built-in ones still apply."""
    policy = Policy(name="corp", bot_user_agents=(*BOT_USER_AGENTS, r"mycorp-monitor"))
    table = log(
        {"user_agent": "MyCorp-Monitor/2.0"},
        {"user_agent": "Googlebot/2.1"},
        {"user_agent": "Mozilla/5.0"},
    )
    assert impressions(table, "valid", policy=policy) == 1
    assert impressions(table, "valid") == 2  # the default list does not know the monitor


def test_self_view_is_not_valid_when_both_ids_are_present() -> None:
    """viewer_id == author_id excludes the row; a null on either side does not."""
    table = log(
        {"viewer_id": 7, "author_id": 7},
        {"viewer_id": 7, "author_id": 8},
        {"viewer_id": None, "author_id": 8},
        {"viewer_id": 7, "author_id": None},
    )
    result = va.audit(table)
    assert figures(result, "valid")[0] == 3
    assert result.excluded["self_view"] == 1


def test_platform_counts_renders_and_self_views() -> None:
    """Under ``platform`` a view is a render: self-views are valid, and any render is viewable."""
    table = log(
        {"viewer_id": 7, "author_id": 7},
        {"visible_fraction": 0.01, "dwell_ms": 10.0},
        {"visible_fraction": None, "dwell_ms": None},
    )
    result = va.audit(table, policy="platform")
    assert result.policy.counts_as_view == "rendered"
    assert result.views.estimate == 3
    assert figures(result, "valid")[0] == 3
    assert result.ladder["viewable"].impressions == va.Estimate(3, 3, 3)
    strict = va.audit(table)
    assert figures(strict, "valid")[0] == 2


# --- viewable and attended --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visible_fraction", "dwell_ms", "viewable"),
    [
        (0.5, 1000.0, 1),
        (1.0, 1000.0, 1),
        (0.4999, 60_000.0, 0),
        (1.0, 999.9, 0),
        (0.0, 0.0, 0),
    ],
    ids=["at-both-thresholds", "fully-visible", "below-half", "below-one-second", "zero"],
)
def test_viewable_needs_half_the_pixels_for_one_second(visible_fraction: float, dwell_ms: float, viewable: int) -> None:
    """mrc-display: viewable iff visible_fraction >= 0.5 and time in view >= 1000 ms."""
    table = log({"visible_fraction": visible_fraction, "dwell_ms": dwell_ms})
    assert va.audit(table).ladder["viewable"].impressions == va.Estimate(viewable, viewable, viewable)


def test_in_view_ms_decides_viewable_when_present() -> None:
    """in_view_ms, not dwell, is the time rule where the client logged it."""
    table = log(
        {"in_view_ms": 500.0, "dwell_ms": 5000.0},  # long on screen, never 1 s in view
        {"in_view_ms": 1500.0, "dwell_ms": 1500.0},  # viewable, but not attended
    )
    result = va.audit(table)
    assert figures(result, "viewable")[0] == 1
    assert figures(result, "attended")[0] == 0


def test_null_in_view_ms_falls_back_to_dwell() -> None:
    """A row without in_view_ms is judged on dwell_ms."""
    table = log({"in_view_ms": None, "dwell_ms": 1200.0}, {"in_view_ms": None, "dwell_ms": 800.0})
    result = va.audit(table)
    assert result.ladder["viewable"].impressions == va.Estimate(1, 1, 1)
    assert result.ladder["viewable"].undetermined == 0


@pytest.mark.parametrize(
    ("dwell_ms", "attended"),
    [(1999.0, 0), (2000.0, 1), (45_000.0, 1)],
    ids=["below", "at-threshold", "above"],
)
def test_attended_needs_two_seconds_of_dwell(dwell_ms: float, attended: int) -> None:
    """A viewable row is attended iff dwell_ms >= 2000."""
    assert impressions(log({"dwell_ms": dwell_ms}), "attended") == attended


def test_attended_needs_viewable() -> None:
    """A long dwell on a barely visible item is not attended."""
    assert impressions(log({"dwell_ms": 10_000.0, "visible_fraction": 0.2}), "attended") == 0


def test_censored_dwell_above_threshold_counts() -> None:
    """A censored dwell is a lower bound: reaching the threshold is certain."""
    result = va.audit(log({"dwell_ms": 2500.0, "dwell_censored": True}))
    assert result.ladder["attended"].impressions == va.Estimate(1, 1, 1)
    assert result.ladder["attended"].undetermined == 0


def test_censored_dwell_below_threshold_is_resolved_by_the_life_table() -> None:
    """A censored dwell below a threshold may have reached it: the row is undetermined there and
    counts with the product-limit chance S(tau) / S(c) of the log's own times."""
    table = log(
        {"dwell_ms": 500.0, "dwell_censored": True},  # viewable and attended unknown
        {"dwell_ms": 600.0},
        {"dwell_ms": 800.0},
        {"dwell_ms": 1200.0},
        {"dwell_ms": 3000.0},
    )
    result = va.audit(table)
    viewable, attended = result.ladder["viewable"], result.ladder["attended"]
    assert viewable.undetermined == attended.undetermined == 1
    # After 500 ms, 4 rows are at risk: 600 ends one of 4, 800 one of 3, 1200 one of 2.
    # S(1 s) / S(500 ms) = 3/4 * 2/3 = 1/2; S(2 s) / S(500 ms) = 3/4 * 2/3 * 1/2 = 1/4.
    assert viewable.impressions.estimate == pytest.approx(2 + 1 / 2)
    assert attended.impressions.estimate == pytest.approx(1 + 1 / 4)
    for rung, certain in ((viewable, 2), (attended, 1)):
        assert certain <= rung.impressions.low <= rung.impressions.estimate <= rung.impressions.high <= certain + 1
    assert any("life table" in a for a in result.assumptions)


def test_a_censored_rows_in_view_time_is_cut_only_if_it_lasted_the_dwell() -> None:
    """dwell_censored makes the dwell a lower bound; the in-view time is one too only where it
    reached the logged dwell (in view when the session ended)."""
    ended_in_view = log({"dwell_ms": 800.0, "in_view_ms": 800.0, "dwell_censored": True})
    ended_before = log({"dwell_ms": 5000.0, "in_view_ms": 800.0, "dwell_censored": True})
    assert va.audit(ended_in_view).ladder["viewable"].undetermined == 1
    viewable = va.audit(ended_before).ladder["viewable"]
    assert viewable.undetermined == 0
    assert viewable.impressions.estimate == 0


def test_an_in_view_time_pins_a_censored_dwell_down_as_co_monotone_times() -> None:
    """Under co-monotone times (here the in-view time is 90 % of the dwell, as in the feed
    model's scenarios) a measured in-view time says how long a censored dwell was: ``v`` ended
    before the session cut the dwell, so the dwell reaches the 2 s attention threshold if and
    only if ``S_V(v) <= S_D(2 s)``. A dwell cut together with its in-view time at ``c`` was in
    view until ``c``: its chance is ``S_D(2 s) / S_V(c)``, more than the dwell's own
    ``S_D(2 s) / S_D(c)``. Each interval reaches the dwell's own chance."""
    policy = Policy(name="test", min_visible_fraction=0.5, min_in_view_ms=1000.0, attention_ms=2000.0)
    dwells = [500.0 + 100.0 * i for i in range(56)]  # 0.5 to 6 s, exact
    base = [{"dwell_ms": d, "in_view_ms": 0.9 * d} for d in dwells]
    certain = sum(1 for d in dwells if d >= 2000.0)  # in view >= 1 s follows

    def attended(row: dict[str, Any], drop: tuple[str, ...] = ()) -> va.Estimate:
        rung = va.audit(log(*base, row, drop=drop), policy=policy, rounding_ms=0).ladder["attended"]  # times are exact
        assert rung.undetermined == 1
        return rung.impressions

    # In view for 1.1 s, then out of view; the dwell cut at 1.3 s: a dwell of about 1.2 s.
    short = attended({"dwell_ms": 1300.0, "in_view_ms": 1100.0, "dwell_censored": True})
    assert short.estimate == certain
    assert short.low == certain
    assert short.high == certain + 1
    # In view for 1.95 s; the dwell cut at 1.99 s: a dwell of about 2.17 s.
    long = attended({"dwell_ms": 1990.0, "in_view_ms": 1950.0, "dwell_censored": True})
    assert long.estimate == certain + 1
    assert long.low == certain
    assert long.high == certain + 1
    # In view when the session ended at 1.5 s: at least 1.67 s of dwell.
    cut = attended({"dwell_ms": 1500.0, "in_view_ms": 1500.0, "dwell_censored": True})
    # Without in-view times (the dwell is the in-view time): the dwell's own chance.
    own = attended({"dwell_ms": 1500.0, "dwell_censored": True}, drop=("in_view_ms",))
    times = [(d, False) for d in dwells] + [(1500.0, True)]
    log_v, point, _ = _life_table([(0.9 * d, False) for d in dwells] + [(1500.0, True)])
    log_d, _, _ = _life_table(times)
    assert cut.estimate - certain == pytest.approx(math.exp(log_d(2000.0) - log_v(point(1500.0))), rel=1e-9)
    assert own.estimate - certain == pytest.approx(math.exp(log_d(2000.0) - log_d(point(1500.0))), rel=1e-9)
    assert own.estimate < cut.estimate
    assert cut.low <= own.estimate


def test_rounded_dwell_across_a_threshold_is_resolved_within_its_bounds() -> None:
    """Whole-second dwell: 0 s is [0, 1) s, which holds a 300 ms threshold: the row is
    undetermined, estimated by the dwell model, and its interval spans none to all of it."""
    rows = [{"dwell_ms": 1000.0 * s} for s in (0, 0, 1, 1, 2, 3, 5, 8, 13)]
    result = va.audit(log(*rows), policy="linkedin-mobile", rounding_ms=1000)
    viewable = result.ladder["viewable"]
    assert viewable.undetermined == 2
    assert viewable.impressions.low == 7
    assert viewable.impressions.high == 9
    assert 7 < viewable.impressions.estimate < 9
    # Without rounding_ms the same log says 0 ms: certainly below 300 ms.
    assert va.audit(log(*rows), policy="linkedin-mobile").ladder["viewable"].impressions.estimate == 7


def test_unmeasurable_rows_are_counted_and_estimated() -> None:
    """Unmeasured rows stay rendered and valid. Each takes the viewable share of the rows measured
    in full that pass what it measured: the row with no visible share has a passing time, 3 of the
    4 such rows are viewable; the row with no time has a passing visible share, and all 3 such
    rows are viewable (the share of all 4 rows, 3/4 for both, understated the second)."""
    table = log(
        {"visible_fraction": 1.0},
        {"visible_fraction": 0.9},
        {"visible_fraction": 0.8},
        {"visible_fraction": 0.1},
        {"visible_fraction": None},
        {"dwell_ms": None},
    )
    result = va.audit(table)
    assert figures(result, "rendered")[0] == 6
    assert figures(result, "valid")[0] == 6
    viewable = result.ladder["viewable"]
    assert viewable.undetermined == 2
    assert viewable.impressions.estimate == pytest.approx(3 + 3 / 4 + 3 / 3)
    assert not viewable.impressions.exact
    assert 3 <= viewable.impressions.low < viewable.impressions.estimate < viewable.impressions.high <= 5
    assert result.to_dict()["ladder"][2]["undetermined_impressions"] == 2


def test_not_visible_is_determined_even_without_dwell() -> None:
    """A row seen by less than half is non-viewable whatever its (unmeasured) time."""
    result = va.audit(log({"visible_fraction": 0.2, "dwell_ms": None}))
    assert result.ladder["viewable"].impressions == va.Estimate(0, 0, 0)
    assert result.ladder["viewable"].undetermined == 0


def test_exact_figures_have_equal_interval_ends() -> None:
    """A complete, fully measured log gives exact figures: low = high = estimate everywhere."""
    table = log(
        {"viewer_id": 1, "liked": True},
        {"viewer_id": 1, "dwell_ms": 1500.0},
        {"viewer_id": 2, "visible_fraction": 0.3},
        {"viewer_id": 3, "is_bot": True},
    )
    report = va.audit(table).to_dict()
    for rung in report["ladder"]:
        for figure in ("impressions", "unique_viewers"):
            values = rung[figure]
            assert values["low"] == values["estimate"] == values["high"], (rung["level"], figure)


# --- engaged and unique viewers ---------------------------------------------------------------


def test_engaged_uses_the_default_interaction_columns_that_exist() -> None:
    """Any of liked/replied/reposted/clicked/expanded makes a valid row engaged; others do not."""
    table = log(
        {"liked": True},
        {"clicked": True},
        {"shared": True},  # not a default interaction
        {"liked": True, "is_bot": True},  # not valid
        {},
    )
    result = va.audit(table)
    assert figures(result, "engaged")[0] == 2
    assert result.interactions == ("clicked", "liked")


def test_engaged_uses_the_policy_interactions_when_given() -> None:
    """policy.interactions replaces the default set."""
    table = log({"liked": True}, {"shared": True}, {"shared": True, "liked": True})
    policy = Policy(name="shares", interactions=("shared",))
    assert impressions(table, "engaged", policy=policy) == 2
    assert impressions(table, "engaged") == 2  # liked, by default


def test_integer_interaction_counts_are_interactions() -> None:
    """An interaction column of counts is true where the count is not zero."""
    table = pa.table({"item_id": [1, 2, 3], "replied": [0, 3, None]})
    assert impressions(table, "engaged") == 1


def test_null_viewer_is_an_impression_but_never_a_unique_viewer() -> None:
    """Unique viewers are distinct non-null viewer_id values."""
    table = log({"viewer_id": 1}, {"viewer_id": 1}, {"viewer_id": 2}, {"viewer_id": None}, {"viewer_id": None})
    result = va.audit(table)
    assert result.ladder["rendered"].impressions == va.Estimate(5, 5, 5)
    assert result.ladder["rendered"].unique_viewers == va.Estimate(2, 2, 2)


# --- missing optional columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "policy", "undeterminable"),
    [
        (("visible_fraction",), "mrc-display", {"viewable", "attended"}),
        (("dwell_ms", "in_view_ms"), "mrc-display", {"viewable", "attended"}),
        (("dwell_ms",), "meta-3s", {"attended"}),  # in_view_ms alone decides viewable
        (("liked", "clicked"), "mrc-display", {"engaged"}),
        (("visible_fraction",), "platform", set()),  # platform has no pixel rule
        (("dwell_ms", "in_view_ms"), "platform", {"attended"}),
    ],
    ids=["no-visibility", "no-time", "no-dwell", "no-interactions", "platform-no-visibility", "platform-no-time"],
)
def test_missing_column_makes_its_rung_undeterminable(drop: tuple[str, ...], policy: str, undeterminable: set[str]) -> None:
    """A rung needing an absent column has estimate None and an interval from 0 to its parent."""
    table = log(
        {"viewer_id": 1, "liked": True, "in_view_ms": 1500.0},
        {"viewer_id": 2, "dwell_ms": 500.0, "in_view_ms": 500.0},
        {"viewer_id": 2, "visible_fraction": 0.1, "in_view_ms": 4000.0},
        drop=drop,
    )
    report = va.audit(table, policy=policy).to_dict()
    rungs = {r["level"]: r for r in report["ladder"]}
    for level in LEVELS:
        for figure in ("impressions", "unique_viewers"):
            values = rungs[level][figure]
            if level in undeterminable:
                parent = rungs[PARENT[level]][figure]
                assert values == {"estimate": None, "low": 0, "high": parent["high"]}, (level, figure)
            else:
                assert values["estimate"] is not None, (level, figure)
    text = " ".join(report["assumptions"])
    for level in undeterminable:
        assert f"{level}: cannot be determined" in text


def test_missing_viewer_id_makes_unique_viewers_undeterminable() -> None:
    """Without a viewer_id column no rung has a unique-viewer estimate."""
    report = va.audit(log({}, {}, drop=("viewer_id",))).to_dict()
    for rung in report["ladder"]:
        assert rung["unique_viewers"]["estimate"] is None
        assert rung["unique_viewers"]["low"] == 0
        assert rung["unique_viewers"]["high"] == rung["impressions"]["high"]
    assert rung["impressions"]["estimate"] is not None


# --- reference implementation -----------------------------------------------------------------


def _and(*values: bool | None) -> bool | None:
    """Three-valued (Kleene) conjunction: False wins, then unknown."""
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _at_least(value: float | None, threshold: float, censored: bool) -> bool | None:
    if value is None:
        return None
    if value >= threshold:
        return True
    return None if censored else False


def _rung_of_row(row: dict[str, Any], policy: Policy, interactions: tuple[str, ...]) -> dict[str, bool | None]:
    bot_flag = policy.use_bot_flag and bool(row.get("is_bot"))
    agent = row.get("user_agent")
    bot_agent = agent is not None and any(re.search(p, agent, re.IGNORECASE) for p in policy.bot_user_agents)
    viewer, author = row.get("viewer_id"), row.get("author_id")
    self_view = policy.exclude_self_views and viewer is not None and author is not None and viewer == author
    valid = not (bot_flag or bot_agent or self_view)

    censored = bool(row.get("dwell_censored"))
    dwell = row.get("dwell_ms")
    time_in_view = row.get("in_view_ms") if row.get("in_view_ms") is not None else dwell
    # The in-view time of a censored row is cut too only if it lasted as long as the dwell.
    in_view_cut = censored and (time_in_view is None or dwell is None or time_in_view >= dwell)
    fraction = row.get("visible_fraction")
    visible: bool | None = True
    if policy.min_visible_fraction > 0:
        visible = None if fraction is None else fraction >= policy.min_visible_fraction
    long_enough = _at_least(time_in_view, policy.min_in_view_ms, in_view_cut) if policy.min_in_view_ms > 0 else True
    viewable = _and(valid, visible, long_enough)
    attentive = _at_least(dwell, policy.attention_ms, censored) if policy.attention_ms > 0 else True
    attended = _and(viewable, attentive)
    engaged = valid and any(bool(row.get(c)) for c in interactions)
    return {
        "rendered": True,
        "valid": valid,
        "viewable": viewable,
        "attended": attended,
        "engaged": engaged,
        # What resolving a censored time needs: the life tables' population and the times.
        "_population": valid and visible is True,
        "_in_view": time_in_view,
        "_dwell": dwell,
        "_censored": censored,
        "_in_view_cut": in_view_cut,
        "_attentive": attentive,
        "_long_enough": long_enough,
        "_fraction": fraction,
    }


def _inputs(m: dict[str, Any], policy: Policy, level: str) -> list[tuple[bool, bool]]:
    """What a rung reads of a row, each as (measured, meets its rule): the visible share, the
    in-view time, the dwell (a rule at 0 reads nothing)."""
    out = []
    if policy.min_visible_fraction > 0:
        out.append((m["_fraction"] is not None, m["_fraction"] is not None and m["_fraction"] >= policy.min_visible_fraction))
    if policy.min_in_view_ms > 0:
        out.append((m["_in_view"] is not None, m["_long_enough"] is True))
    if level == "attended" and policy.attention_ms > 0:
        out.append((m["_dwell"] is not None, m["_attentive"] is True))
    return out


def _by_pattern(on: list[dict[str, Any]], resolved: list[float | None], policy: Policy, level: str) -> float | None:
    """The unmeasured rows of ``on`` expected on the rung, each with the share on it of the rows
    measured in full that meet what it measured; None where no valid row was measured in part."""
    patterns = [(m, c, _inputs(m, policy, level)) for m, c in zip(on, resolved, strict=True) if m["valid"]]
    if not patterns or len(patterns[0][2]) < 2:
        return None
    full = (1 << len(patterns[0][2])) - 1

    def bits(flags: list[bool]) -> int:
        return sum(int(f) << i for i, f in enumerate(flags))

    if not any(0 < bits([x for x, _ in inputs]) < full for _, _, inputs in patterns):
        return None
    full_rows = [(m, inputs) for m, _, inputs in patterns if bits([x for x, _ in inputs]) == full]
    met = [bits([ok for _, ok in inputs]) for m, inputs in full_rows if m[level] is not None]
    unmeasured = [bits([x for x, _ in inputs]) for m, c, inputs in patterns if m[level] is None and c is None]
    on_rung = met.count(full)
    total = 0.0
    for measured in unmeasured:
        meeting = sum(1 for t in met if t & measured == measured)
        total += on_rung / meeting if meeting else 0.5
    return total


def _life_table(times: list[tuple[float, bool]]) -> tuple[Callable[[float], float], Callable[[float], float], float]:
    """The product-limit estimate on the histogram's bins, restated: in a bin with n times at
    risk, d exact and k censored ones, the hazard is d / (n - k / 2); log S is linear in log t
    inside a bin (in t in the first bin). Returns log S at a time, the point a censoring time
    (or a measured in-view time) sits at -- its bin's geometric middle, 0.5 ms in the first bin
    -- and the support's end (the start of the bin of the last time)."""
    edges = [float(e) for e in DWELL_EDGES_MS]
    n_bins = len(edges) - 1

    def bin_of(t: float) -> int:
        return min(bisect.bisect_right(edges, t) - 1, n_bins - 1)

    exact, cens, zeros = [0] * n_bins, [0] * n_bins, 0
    for t, censored in times:
        if t == 0 and not censored:
            zeros += 1
        elif censored:
            cens[bin_of(t)] += 1
        else:
            exact[bin_of(t)] += 1
    total = sum(exact) + sum(cens) + zeros
    log_s = [math.log1p(-zeros / total)]
    at_risk = sum(exact) + sum(cens)
    for b in range(n_bins):
        n_eff = at_risk - cens[b] / 2
        h = exact[b] / n_eff if n_eff > 0 else 0.0
        log_s.append(log_s[-1] + (math.log1p(-h) if h < 1 else -math.inf))
        at_risk -= exact[b] + cens[b]

    def log_s_at(t: float) -> float:
        b = bin_of(t)
        lo, hi = edges[b], edges[b + 1]
        frac = t / hi if b == 0 else math.log(t / lo) / math.log(hi / lo)
        if frac == 0 or log_s[b + 1] == log_s[b]:
            return log_s[b]
        return log_s[b] + frac * (log_s[b + 1] - log_s[b])

    def point(t: float) -> float:
        b = bin_of(t)
        return 0.5 if b == 0 else math.sqrt(edges[b] * edges[b + 1])

    last = max((t for t, _ in times if t > 0), default=None)
    support = edges[bin_of(last)] if last is not None else 0.0
    return log_s_at, point, support


def _life_table_ratio(times: list[tuple[float, bool]], tau: float, c: float, bound: str | None = None) -> float | None:
    """S(tau) / S(c) of the product-limit estimate (:func:`_life_table`), ``c`` a censoring time.

    Past the support (tau beyond the start of the bin of the last time) the ratio is only
    bounded: None (the audit's estimate is the dwell model's), or with ``bound`` "low" 0 and
    "high" the ratio at the support's end (1 from a censoring time past it)."""
    log_s_at, point_of, support = _life_table(times)
    point = point_of(c)
    if tau > support:
        if bound is None:
            return None
        if bound == "low":
            return 0.0
        if point >= support:
            return 1.0
        tau = support
    if log_s_at(point) == -math.inf:
        return 0.0
    return math.exp(min(log_s_at(tau) - log_s_at(point), 0.0))


def _comonotone_dwell(
    m: dict[str, Any],
    a: float,
    in_view: list[tuple[float, bool]],
    dwell: list[tuple[float, bool]],
    policy: Policy,
    bound: str | None,
) -> float:
    """The dwell's chance ``a`` of a censored row, conditioned on its in-view time with the two
    times co-monotone (``S_V(V) = S_D(D)``): a row in view until its dwell was cut at ``c`` has
    ``S_D(tau) / S_V(c)``, i.e. ``a`` times ``S_D(c) / S_V(c)`` (at least 1), at most 1; a
    viewable row whose measured in-view time ``v`` ended before the dwell was cut reaches ``tau``
    if and only if ``S_V(v) <= S_D(tau)``. With ``bound``, the ends of the interval between that
    and ``a`` (no adjustment past the dwell's support for the second kind)."""
    if policy.min_in_view_ms <= 0 or not m["_censored"] or m["_in_view"] is None:
        return a
    log_v, point, _ = _life_table(in_view)
    log_d, _, support = _life_table(dwell)
    c = m["_dwell"]
    if m["_in_view"] == c:
        factor = math.exp(max(log_d(point(c)) - log_v(point(c)), 0.0)) if log_v(point(c)) > -math.inf else 1.0
        return a if bound == "low" else min(a * factor, 1.0)
    if m["viewable"] is True and m["_in_view"] < c and not m["_in_view_cut"] and policy.attention_ms <= support:
        reaches = 1.0 if log_v(point(m["_in_view"])) <= log_d(policy.attention_ms) else 0.0
        return min(a, reaches) if bound == "low" else max(a, reaches) if bound == "high" else reaches
    return a


_PAST_SUPPORT = -1.0  # marks a chance the life table only bounds


def _resolved(
    on: list[dict[str, Any]], policy: Policy, level: str, log: list[dict[str, Any]], bound: str | None = None
) -> list[float | None]:
    """Per row of ``on``: the chance a row whose time is censored across the rung's threshold
    is on the rung (None for every other row), from the life tables of the whole ``log``;
    _PAST_SUPPORT where the threshold is past the times observed and ``bound`` is None."""
    pop = [m for m in log if m["_population"]]
    in_view = [(m["_in_view"], m["_in_view_cut"]) for m in pop if m["_in_view"] is not None]
    dwell = [(m["_dwell"], m["_censored"]) for m in pop if m["_dwell"] is not None]

    def viewable_chance(m: dict[str, Any]) -> float | None:
        if m["viewable"] is True:
            return 1.0
        if m["viewable"] is None and m["_population"] and m["_in_view"] is not None:
            r = _life_table_ratio(in_view, policy.min_in_view_ms, m["_in_view"], bound)
            return _PAST_SUPPORT if r is None else r
        return None

    out: list[float | None] = []
    for m in on:
        if m[level] is not None:
            out.append(None)
            continue
        v = viewable_chance(m)
        if level == "viewable" or v is None:
            out.append(v if level == "viewable" else None)
            continue
        if m["_attentive"] is True:
            a = 1.0
        elif m["_dwell"] is not None:
            r = _life_table_ratio(dwell, policy.attention_ms, m["_dwell"], bound)
            a = _PAST_SUPPORT if r is None else _comonotone_dwell(m, r, in_view, dwell, policy, bound)
        else:
            out.append(None)
            continue
        if _PAST_SUPPORT in (v, a):
            out.append(_PAST_SUPPORT)
            continue
        out.append(min(v, a))  # in-view time and dwell taken as one time where they are equal
    return out


def reference_ladder(
    rows: list[dict[str, Any]],
    policy: Policy,
    interactions: tuple[str, ...],
    log: list[dict[str, Any]] | None = None,
    bound: str | None = None,
) -> dict[str, tuple[float, float, int]]:
    """(impressions, unique viewers, undetermined) per rung, straight from the rules.

    Undetermined rows whose time is censored across the threshold count with their life-table
    chance; the other (unmeasured) ones with the share on the rung of the rest of the valid
    rows; a viewer whose only rows on a rung are ``u`` undetermined ones counts
    ``1 - (1 - p)**u``, ``p`` the mean chance of an undetermined row. No rung exceeds its
    parent, no unique count its impressions. The life tables are those of the whole ``log``
    (default: ``rows``): a group's rows share the log's time distribution. Where a threshold
    is past the times observed, the chance is only bounded: the figures are NaN, or with
    ``bound`` ("low", "high") those at the bounds' ends.
    """
    on = [_rung_of_row(r, policy, interactions) for r in rows]
    whole = on if log is None else [_rung_of_row(r, policy, interactions) for r in log]
    valid_rows = sum(1 for m in on if m["valid"])
    out: dict[str, tuple[float, float, int]] = {}
    for level in LEVELS:
        true = sum(1 for m in on if m[level] is True)
        unknown = sum(1 for m in on if m[level] is None)
        resolved = _resolved(on, policy, level, whole, bound) if level in ("viewable", "attended") else []
        chances = [c for c in resolved if c is not None]
        if _PAST_SUPPORT in chances:
            out[level] = (math.nan, math.nan, unknown)
            continue
        missing = unknown - len(chances)
        determined = valid_rows - missing
        share = (true + sum(chances)) / determined if determined > 0 else 0.5
        patterned = _by_pattern(whole, _resolved(whole, policy, level, whole, bound), policy, level) if resolved else None
        if patterned is not None and missing:
            # Rows measured in part: the whole log's count by pattern; a group's share of it is
            # its own count scaled so that the groups add up to the whole log's.
            if log is not None:
                naive = sum(_naive_by_group(log, policy, interactions, level, whole, bound))
                patterned = min(missing * share * (patterned / naive if naive > 0 else 1.0), missing)
            share = patterned / missing
        imp = true + sum(chances) + missing * share
        # Per viewer: rows on the rung, valid rows off it, undetermined rows (all valid).
        per_viewer: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row, m in zip(rows, on, strict=True):
            if row.get("viewer_id") is not None and (m[level] is not False or m["valid"]):
                per_viewer[row["viewer_id"]][0 if m[level] is True else 2 if m[level] is None else 1] += 1
        counts = np.array(list(per_viewer.values()), dtype=np.int64).reshape(-1, 3)
        uniques = float(np.count_nonzero(counts[:, 0]))
        if level in ("viewable", "attended") and len(counts):
            t, f, u = counts.T
            one = np.ones(1)
            chances = _propensity.UndeterminedChances(
                unmeasured=one * (missing / unknown if unknown else 1.0),
                measured_share=(one * share,) * 3,
                crossing=(one * (sum(chances) / len(chances) if chances else 0.0),) * 3,
                determined_share=one * (true / (valid_rows - unknown) if valid_rows > unknown else 0.0),
            )
            viewers = distinct_viewer_rows(np.zeros(len(t), dtype=np.int64), t, f, u)
            uniques += float(_propensity.heterogeneous_viewers(viewers, 1, chances, 1.96)[0][0])
        parent = PARENT[level]
        if parent is not None and not math.isnan(out[parent][0]):
            imp = min(imp, out[parent][0])
            uniques = min(uniques, out[parent][1])
        out[level] = (imp, min(uniques, imp), unknown)
    return out


def _naive_by_group(
    log: list[dict[str, Any]],
    policy: Policy,
    interactions: tuple[str, ...],
    level: str,
    whole: list[dict[str, Any]],
    bound: str | None,
) -> list[float]:
    """Per item of ``log``: its unmeasured rows on the rung at its own share of the rest."""
    out = []
    for item in dict.fromkeys(r["item_id"] for r in log):
        on = [_rung_of_row(r, policy, interactions) for r in log if r["item_id"] == item]
        chances = [c for c in _resolved(on, policy, level, whole, bound) if c is not None]
        missing = sum(1 for m in on if m[level] is None) - len(chances)
        determined = sum(1 for m in on if m["valid"]) - missing
        true = sum(1 for m in on if m[level] is True)
        out.append(missing * ((true + sum(chances)) / determined if determined > 0 else 0.5))
    return out


def _interactions_of(table: pa.Table, policy: Policy) -> tuple[str, ...]:
    if policy.interactions is not None:
        return policy.interactions
    return tuple(c for c in INTERACTIONS if c in table.column_names)


def assert_matches_reference(
    result: va.Audit | va.GroupAudit,
    rows: list[dict[str, Any]],
    policy: Policy,
    interactions: tuple[str, ...],
    log: list[dict[str, Any]] | None = None,
) -> None:
    expected = reference_ladder(rows, policy, interactions, log)
    lowest = highest = None
    for level in LEVELS:
        rung = result.ladder[level]
        imp, uniques, unknown = expected[level]
        assert rung.undetermined == unknown, level
        if math.isnan(imp):  # past the times observed: the estimate lies between the bounds' ends
            lowest = lowest or reference_ladder(rows, policy, interactions, log, "low")
            highest = highest or reference_ladder(rows, policy, interactions, log, "high")
            for i, figure in enumerate((rung.impressions, rung.unique_viewers)):
                assert lowest[level][i] - 1e-9 <= figure.estimate <= highest[level][i] + 1e-9, (level, i)
                assert figure.low <= lowest[level][i] + 1e-9, (level, i)
                assert figure.high >= highest[level][i] - 1e-9, (level, i)
            continue
        assert rung.impressions.estimate == pytest.approx(imp, rel=1e-12, abs=1e-12), level
        assert rung.unique_viewers.estimate == pytest.approx(uniques, rel=1e-12, abs=1e-12), level
        if all(expected[lv][2] == 0 for lv in LEVELS):
            assert rung.impressions.exact, level
            assert rung.unique_viewers.exact, level
        for figure in (rung.impressions, rung.unique_viewers):
            assert figure.low <= figure.estimate <= figure.high


HAND_WRITTEN = {
    "measured": log(
        {"viewer_id": 1, "author_id": 1},
        {"viewer_id": 1, "dwell_ms": 1000.0, "visible_fraction": 0.5, "liked": True},
        {"viewer_id": 2, "dwell_ms": 2000.0, "visible_fraction": 0.5},
        {"viewer_id": 2, "user_agent": "Googlebot/2.1", "clicked": True},
        {"viewer_id": 3, "is_bot": True},
        {"viewer_id": None, "dwell_ms": 300.0, "in_view_ms": 300.0, "clicked": True},
        {"viewer_id": 4, "dwell_ms": 31_000.0, "visible_fraction": 0.35, "shared": True},
    ),
    "unmeasured": log(
        {"viewer_id": 1},
        {"viewer_id": 1, "dwell_ms": None},
        {"viewer_id": 2, "visible_fraction": None},
        {"viewer_id": 2, "dwell_ms": 700.0, "dwell_censored": True},
        {"viewer_id": 3, "dwell_ms": 1500.0, "dwell_censored": True, "liked": True},
        {"viewer_id": 3, "dwell_ms": 400.0},
        {"viewer_id": None, "dwell_ms": None, "in_view_ms": 1200.0},
        {"viewer_id": 5, "visible_fraction": 0.2, "dwell_ms": None},
    ),
}

POLICIES = [
    *va.PRESETS.values(),
    Policy(
        name="custom",
        min_visible_fraction=0.3,
        min_in_view_ms=500,
        attention_ms=1500,
        exclude_self_views=False,
        use_bot_flag=False,
        bot_user_agents=(r"monitor",),
        interactions=("shared", "liked"),
    ),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_audit_matches_reference_on_hand_written_logs(name: str, policy: Policy) -> None:
    """audit() agrees with the plain-Python reference ladder on small hand-written logs."""
    table = HAND_WRITTEN[name]
    result = va.audit(table, policy=policy)
    assert_matches_reference(result, table.to_pylist(), policy, _interactions_of(table, policy))


AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0",
    "Mozilla/5.0 (iPhone) Safari/604.1",
    "Googlebot/2.1",
    "curl/8.0",
    "python-requests/2.31",
    "SITE-MONITOR/1",
    None,
]


def random_log(seed: int, n: int = 400, *, measured: bool = False) -> pa.Table:
    """A seeded random complete log; ``measured`` makes every dwell and visibility known
    (no nulls, no censoring)."""
    rng = np.random.default_rng(seed)

    def nullable(values: np.ndarray, share: float) -> list[Any]:
        holes = rng.random(n) < (0.0 if measured else share)
        return [None if h else v.item() for v, h in zip(values, holes, strict=True)]

    dwell = np.where(rng.random(n) < 0.1, rng.choice([999.0, 1000.0, 1999.0, 2000.0], n), np.round(rng.lognormal(7.0, 1.2, n)))
    fraction = np.where(rng.random(n) < 0.1, rng.choice([0.0, 0.3, 0.5, 1.0], n), np.round(rng.random(n), 2))
    viewers = rng.integers(0, 60, n)
    return pa.table(
        {
            "item_id": pa.array(rng.integers(0, 6, n)),
            "viewer_id": pa.array([None if v < 6 else int(v) for v in viewers], pa.int64()),
            "author_id": pa.array(rng.integers(0, 60, n)),
            "dwell_ms": pa.array(nullable(dwell, 0.12), pa.float64()),
            "dwell_censored": pa.array(rng.random(n) < (0.0 if measured else 0.15)),
            "in_view_ms": pa.array(nullable(np.minimum(dwell, np.round(rng.lognormal(6.8, 1.0, n))), 0.5), pa.float64()),
            "visible_fraction": pa.array(nullable(fraction, 0.1), pa.float64()),
            "is_bot": pa.array(rng.random(n) < 0.05),
            "user_agent": pa.array([AGENTS[i] for i in rng.choice(len(AGENTS), n, p=[0.45, 0.3, 0.06, 0.03, 0.03, 0.03, 0.1])]),
            "liked": pa.array(rng.random(n) < 0.15),
            "clicked": pa.array(rng.random(n) < 0.1),
            "shared": pa.array(rng.random(n) < 0.05),
        }
    )


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_audit_matches_reference_on_random_logs(seed: int, policy: Policy) -> None:
    """audit() agrees with the reference ladder on seeded random logs, overall and per item."""
    table = random_log(seed)
    interactions = _interactions_of(table, policy)
    rows = table.to_pylist()
    assert_matches_reference(va.audit(table, policy=policy), rows, policy, interactions)
    grouped = va.audit(table, policy=policy, by="item_id")
    assert_matches_reference(grouped, rows, policy, interactions)
    for group in grouped.groups:
        subset = [r for r in rows if r["item_id"] == group.key["item_id"]]
        assert_matches_reference(group, subset, policy, interactions, rows)


@pytest.mark.parametrize("seed", [3, 4])
def test_fully_measured_random_log_is_exact(seed: int) -> None:
    """A complete, fully measured random log: every figure is the reference count, exactly."""
    table = random_log(seed, measured=True)
    policy = va.PRESETS["mrc-display"]
    result = va.audit(table, policy=policy)
    expected = reference_ladder(table.to_pylist(), policy, _interactions_of(table, policy))
    for level in LEVELS:
        imp, uniques, unknown = expected[level]
        assert unknown == 0
        assert result.ladder[level].impressions == va.Estimate(imp, imp, imp)
        assert result.ladder[level].unique_viewers == va.Estimate(uniques, uniques, uniques)
        assert math.isfinite(imp)


# --- the report -------------------------------------------------------------------------------


def test_inflation_is_rendered_per_unique_attended_viewer() -> None:
    """The headline is rendered impressions per unique attended viewer, the product of the factors."""
    table = HAND_WRITTEN["measured"]
    result = va.audit(table)
    ladder = result.ladder
    rendered = ladder["rendered"].impressions.estimate
    assert result.inflation.headline.estimate == pytest.approx(rendered / ladder["attended"].unique_viewers.estimate)
    assert result.inflation.headline.exact
    product = math.prod(f.estimate for f in result.inflation.factors.values())
    assert product == pytest.approx(result.inflation.headline.estimate)
    assert result.inflation.factors["invalid_traffic"].estimate == pytest.approx(rendered / ladder["valid"].impressions.estimate)


def test_report_forms_agree() -> None:
    """to_dict, to_arrow, to_pandas, to_markdown and str show the same ladder."""
    result = va.audit(HAND_WRITTEN["unmeasured"])
    report = result.to_dict()
    assert report["rows"] == {"read": 8, "accepted": 8, "rejected": {}}
    assert report["policy"] == va.PRESETS["mrc-display"].to_dict()
    assert report["ladder"] == result.ladder.to_list()
    assert report["groups"] == []
    assert set(report["inflation"]) >= {"headline", "factors"}
    arrow = result.to_arrow()
    assert arrow["level"].to_pylist() == list(LEVELS)
    for row, rung in zip(arrow.to_pylist(), result.ladder, strict=True):
        assert (row["impressions"], row["impressions_low"], row["impressions_high"]) == (
            rung.impressions.estimate,
            rung.impressions.low,
            rung.impressions.high,
        )
        assert row["undetermined_impressions"] == rung.undetermined
    frame = result.to_pandas()
    assert list(frame["level"]) == list(LEVELS)
    assert list(frame["unique_viewers_high"]) == [r.unique_viewers.high for r in result.ladder]
    text, markdown = str(result), result.to_markdown()
    for rung in result.ladder:
        assert f"{rung.level:<10}{rung.impressions}" in text
        assert f"| {rung.level} | {rung.impressions} | {rung.unique_viewers} |" in markdown
    assert json.loads(result.to_json()) == json.loads(json.dumps(report))
