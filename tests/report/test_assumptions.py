"""The assumptions table renders, word for word, one short line per assumption that applies.

The expected lines are checked on logs that together take every branch: whole-second and 500 ms floored
times, life table, a threshold beyond the observed times, absent columns, no viewer ids, groups,
a row sample, weights, HyperLogLog, strata, k+ reach of a log and of a sample.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import viewaudit
from viewaudit._ladder.assumptions import ASSUMPTIONS, Assumption, assumption_context, render_assumptions
from viewaudit._scan.statistics import ladder_statistics


def _small_log(impressions: int, seed: int) -> pa.Table:
    """A 40-item feed with likes, bots, self-views, unmeasured and censored rows, and a surface."""
    model = viewaudit.FeedModel(
        viewers=5_000,
        exposure=viewaudit.Exposure(mean=3.0, shape=0.8),
        interactions=(viewaudit.Interaction(column="liked", attended=0.1, not_attended=0.01),),
        bots=viewaudit.Bots(share=0.05, activity=3.0),
        self_view_share=0.01,
        items=40,
        item_popularity=1.0,
        measurement=viewaudit.Measurement(measurable=0.9, censoring_mean_s=60.0),
    )
    log = viewaudit.simulate(model, impressions=impressions, rng=seed).log
    surface = np.random.default_rng(12).choice(np.array(["feed", "search", "profile"]), size=log.num_rows, p=[0.7, 0.2, 0.1])
    return log.append_column("surface", pa.array(surface, pa.string()))


def _floored(log: pa.Table, ms: float) -> pa.Table:
    for name in ("dwell_ms", "in_view_ms"):
        i = log.column_names.index(name)
        log = log.set_column(i, name, pc.multiply(pc.floor(pc.divide(log[name], ms)), ms))
    return log


def _row_sample(log: pa.Table, rate: float, seed: int) -> pa.Table:
    return log.filter(pa.array(np.random.default_rng(seed).random(log.num_rows) < rate))


def _weighted(log: pa.Table, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    p = np.where(rng.random(log.num_rows) < 0.5, 0.5, 0.25)
    keep = rng.random(log.num_rows) < p
    return log.filter(pa.array(keep)).append_column("weight", pa.array(1 / p[keep]))


def _summary(log: pa.Table, **kwargs: Any) -> viewaudit.Summary:
    summary = viewaudit.summarize(log, **kwargs)
    assert isinstance(summary, viewaudit.Summary)
    return summary


def _closed_sample(rate: float, seed: int) -> pa.Table:
    """A row sample of a closed audience: 4,000 subscribers, each with 1 + a Poisson count of a
    log-normal rate (median 8) impressions of 50 items."""
    rng = np.random.default_rng(seed)
    per_viewer = 1 + rng.poisson(rng.lognormal(np.log(8.0), 1.2, 4_000))
    viewer = np.repeat(np.arange(per_viewer.size), per_viewer)
    keep = rng.random(viewer.size) < rate
    return pa.table({"item_id": rng.integers(0, 50, int(keep.sum())), "viewer_id": viewer[keep]})


def _mostly_unmeasured(log: pa.Table, seed: int) -> pa.Table:
    """The log with visibility and times measured on about 5 % of the rows only."""
    kept = pa.array(np.random.default_rng(seed).random(log.num_rows) >= 0.95)
    for name in ("visible_fraction", "in_view_ms", "dwell_ms"):
        i = log.column_names.index(name)
        log = log.set_column(i, name, pc.if_else(kept, log[name], pa.scalar(None, log[name].type)))
    return log


def _quiet_audit(log: pa.Table, **kwargs: Any) -> Any:
    """audit() without the degenerate-table warnings of the rungs the log cannot inform (no
    viewer seen on them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", viewaudit.DegenerateDataWarning)
        return viewaudit.audit(log, **kwargs)


BASE = _small_log(6_000, 21)
LONG = viewaudit.Policy(name="long-attention", attention_ms=600_000)

CALLS: dict[str, Callable[[], Any]] = {
    "floored_1000_by_item_reach": lambda: viewaudit.audit(
        _floored(BASE, 1000.0).drop_columns(["liked"]), rounding_ms=1000, by="item_id", frequency=2, policy=LONG
    ),
    "floored_500_no_viewer": lambda: viewaudit.audit(_floored(BASE, 500.0).drop_columns(["viewer_id"]), rounding_ms=500),
    "no_visibility_no_viewer": lambda: viewaudit.audit(BASE.drop_columns(["viewer_id", "visible_fraction"])),
    "life_table_90_packed": lambda: viewaudit.audit(BASE, confidence_level=0.9, engine="packed", policy=LONG),
    "sampled_reach": lambda: viewaudit.audit(_row_sample(_small_log(30_000, 13), 0.2, 14), sample_rate=0.2, frequency=2),
    "closed_sample": lambda: _quiet_audit(_closed_sample(0.2, 5), sample_rate=0.2),
    "weighted": lambda: viewaudit.audit(_weighted(BASE, 16)),
    "hll_by_item": lambda: viewaudit.audit(BASE, by="item_id", unique_viewers="hll"),
    "strata_population": lambda: viewaudit.audit(BASE, strata="surface", population=10_000),
    "mostly_unmeasured": lambda: viewaudit.audit(_mostly_unmeasured(BASE, 3)),
    "trueview": lambda: viewaudit.audit(BASE, policy="trueview"),
    "estimate_strata_frequency": lambda: viewaudit.estimate(
        _summary(BASE, by=["item_id", "surface"]), strata="surface", frequency=2, confidence_level=0.8
    ),
}

# The lines, each once (EXPECTED refers to them by index); how each is derived is in the docs
# section its entry names (tests/report/test_assumption_lines.py).
TEXTS = (
    "Intervals are 95% intervals; exact figures have low = high = estimate.",
    (
        "engaged: cannot be determined from this log (no interaction column the policy counts); the estimate "
        "is null and the interval spans 0 to the rung above."
    ),
    (
        "Impressions cut short or rounded across a threshold (56 for viewable, 271 for attended) count with "
        "their chance of passing it, from a whole-second life table and, within a second, the dwell model; "
        "where only bounds are known, the interval spans them."
    ),
    (
        "attended: no time was observed as long as the 600 s threshold (the last at 100 s or later), so a row"
        " cut short counts between 0 and its chance of lasting 100 s; the estimate extrapolates the dwell "
        "model."
    ),
    (
        "Impressions whose dwell or visibility was not measured (530 for viewable, 530 for attended) are "
        "taken as missing at random: on the rung in the same share as their group's measured ones."
    ),
    (
        "A viewer whose impressions on a rung are all undetermined counts with their own chance of being on "
        "it; groups with under 100 viewers with determined impressions use one shared chance, which can "
        "overstate unique viewers."
    ),
    ("A group with no determined valid impression takes the pooled share of all groups for its undetermined ones."),
    ("Inflation intervals divide the interval ends of their figures, which is conservative when both figures are uncertain."),
    (
        "k+ reach for k >= 2 takes a viewer's undetermined impressions as independent at the group's chance, "
        "not the viewer's own, so it can overstate when viewers differ."
    ),
    (
        "Impressions cut short or rounded across a threshold (57 for viewable, 92 for attended) count with "
        "their chance of passing it, from the dwell model fitted to the times floored to 500 ms; where only "
        "bounds are known, the interval spans them."
    ),
    (
        "Impressions whose dwell or visibility was not measured (537 for viewable, 537 for attended) are "
        "taken as missing at random: on the rung in the same share as their group's measured ones."
    ),
    "No viewer_id column: unique viewers cannot be determined.",
    (
        "viewable: cannot be determined from this log (no visible_fraction column); the estimate is null and "
        "the interval spans 0 to the rung above."
    ),
    (
        "attended: cannot be determined from this log (it needs the viewable rung); the estimate is null and "
        "the interval spans 0 to the rung above."
    ),
    "Intervals are 90% intervals; exact figures have low = high = estimate.",
    (
        "Impressions cut short or rounded across a threshold (56 for viewable, 271 for attended) count with "
        "their chance of passing it, from the life table of the logged times; where only bounds are known, "
        "the interval spans them."
    ),
    (
        "Impressions cut short or rounded across a threshold (45 for viewable, 77 for attended) count with "
        "their chance of passing it, from the life table of the logged times; where only bounds are known, "
        "the interval spans them."
    ),
    (
        "Impressions whose dwell or visibility was not measured (594 for viewable, 594 for attended) are "
        "taken as missing at random: on the rung in the same share as their group's measured ones."
    ),
    (
        "The log kept each row independently with probability 0.2. Impressions are scaled up; unique viewers,"
        " unseen viewers included, come from exposure models. Where the rules caught bots, they stand for"
        " those missed; other very heavy accounts bias the figures up."
    ),
    (
        "With no exposure model, the sample alone puts the complete log's unique viewers at rendered 5,181 to"
        " 9,588; valid 5,059 to 9,401; engaged 732 to 1,347 (at least 95% confidence): wide, since a sample "
        "cannot tell a few light viewers from many."
    ),
    (
        "k+ reach of the complete log comes from exposure models for the whole log, widened to the model-free "
        "range where they misfit; per group only k = 1 (unique viewers) is estimated, and k >= 2 is bounded by 0 "
        "and the group's unique viewers."
    ),
    (
        "Unique viewers (rendered, valid): the exposure models fit the viewers seen once or twice poorly and "
        "sit well above a bound that needs no model, so the interval reaches down to that bound and is wide."
    ),
    (
        "With no exposure model, the sample alone puts the complete log's unique viewers at rendered 3,204 to"
        " 5,979; valid 3,204 to 5,979 (at least 95% confidence): wide, since a sample cannot tell a few light"
        " viewers from many."
    ),
    (
        "Impressions cut short or rounded across a threshold (21 for viewable, 35 for attended) count with "
        "their chance of passing it, from the life table of the logged times; where only bounds are known, "
        "the interval spans them."
    ),
    (
        "Impressions whose dwell or visibility was not measured (212 for viewable, 212 for attended) are "
        "taken as missing at random: on the rung in the same share as their group's measured ones."
    ),
    (
        "Rows carry weights that differ, each taken as kept with probability 1/weight: impressions are "
        "weighted totals; unique viewers are those seen, a lower bound on the complete log's."
    ),
    (
        "Impressions cut short or rounded across a threshold (56 for viewable, 90 for attended) count with "
        "their chance of passing it, from the life table of the logged times; where only bounds are known, "
        "the interval spans them."
    ),
    (
        "Unique viewers are HyperLogLog estimates (relative standard error 3.25%, in their intervals); a "
        "viewer with only undetermined impressions on a rung counts as having just one."
    ),
    (
        "Unmeasured impressions are estimated within each stratum of 'surface' (3 strata), missing at random "
        "within a stratum, and summed."
    ),
    "Intervals are 80% intervals; exact figures have low = high = estimate.",
    (
        "Invalid traffic not checked for: self_view (no viewer_id column). Their 0 rows excluded is no evidence that "
        "there were none."
    ),
    (
        "Invalid traffic not checked for: is_bot (no is_bot column); user_agent (no user_agent column); self_view (no "
        "author_id column). Their 0 rows excluded is no evidence that there were none."
    ),
    (
        "Figures mostly estimated, not measured (valid rows undetermined on the rung): viewable 95% (5,517 of "
        "5,783); attended 95% (5,519 of 5,783). They rest on the assumptions below more than on the log."
    ),
    (
        "Impressions cut short or rounded across a threshold (3 for viewable, 5 for attended) count with their "
        "chance of passing it, from the life table of the logged times; where only bounds are known, the "
        "interval spans them."
    ),
    (
        "Impressions whose dwell or visibility was not measured (5,514 for viewable, 5,514 for attended) are "
        "taken as missing at random: on the rung in the same share as their group's measured ones."
    ),
    (
        "attended: the same as viewable by construction, since the attention threshold (2 s of dwell) is at or "
        "below the viewability one (30 s in view) and a row's dwell is at least its time in view."
    ),
    (
        "Impressions cut short or rounded across a threshold (328 for viewable, 328 for attended) count with "
        "their chance of passing it, from the life table of the logged times; where only bounds are known, the "
        "interval spans them."
    ),
)

EXPECTED: dict[str, tuple[int, ...]] = {
    "floored_1000_by_item_reach": (0, 1, 2, 3, 4, 5, 6, 7, 8),
    "floored_500_no_viewer": (0, 9, 10, 5, 11, 7, 30),
    "no_visibility_no_viewer": (0, 12, 13, 11, 7, 30),
    "life_table_90_packed": (14, 15, 3, 4, 5, 7),
    "sampled_reach": (0, 16, 17, 5, 18, 19, 7, 20),
    "closed_sample": (0, 12, 13, 1, 18, 21, 22, 7, 31),
    "weighted": (0, 23, 24, 5, 25, 7),
    "hll_by_item": (0, 26, 4, 5, 6, 7, 27),
    "strata_population": (0, 26, 4, 5, 7, 8, 28),
    "mostly_unmeasured": (0, 32, 33, 34, 5, 7),
    "trueview": (0, 35, 36, 4, 5, 7),
    "estimate_strata_frequency": (29, 26, 4, 5, 6, 7, 8, 28),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_assumptions_render_as_stated(name: str) -> None:
    """Each log's assumptions are the expected short lines, in the table's order."""
    result = CALLS[name]()
    assert result.assumptions == tuple(TEXTS[i] for i in EXPECTED[name])


def test_every_entry_renders_somewhere() -> None:
    """The logs above take every entry of the table (so the comparison covers all of it)."""
    rendered = {i for indices in EXPECTED.values() for i in indices}
    assert rendered == set(range(len(TEXTS)))
    # Per-rung entries render once per rung, so the table has fewer entries than the texts.
    assert len(ASSUMPTIONS) <= len(TEXTS)
    assert len({entry.name for entry in ASSUMPTIONS}) == len(ASSUMPTIONS)


def test_render_takes_a_table_of_conditions_and_templates() -> None:
    """render_assumptions renders the entries whose condition holds, in order, with their values."""
    summary = _summary(BASE)
    audit = viewaudit.estimate(summary)
    whole = ladder_statistics(summary)
    context = assumption_context(summary, audit.table, whole, 0.5, frequency=3)
    table = (
        Assumption("never", lambda c: False, "not shown"),
        Assumption(
            "level",
            lambda c: True,
            "{level} at {cl:.0%}",
            lambda c: {"level": c.level, "cl": c.confidence_level},
            levels=lambda c: ["viewable", "attended"],
        ),
        Assumption("reach", lambda c: c.frequency == 3, "k up to {k}", lambda c: {"k": c.frequency}),
    )
    assert render_assumptions(context, table) == ("viewable at 50%", "attended at 50%", "k up to 3")
