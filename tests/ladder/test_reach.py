"""k+ reach per rung (``audit(..., frequency=K, population=N)``): exact where the log determines
it, the binomial chance of undetermined rows otherwise, the Gamma-Poisson estimate of the
complete log for a sampled one."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from scipy import stats

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit.estimators import frequency_counts

from test_rungs import _interactions_of, _rung_of_row, log, random_log

FREQUENCY = 4


def brute_force_reach(rows: list[dict[str, Any]], policy: va.Policy, interactions: tuple[str, ...]) -> dict[str, list[int]]:
    """Viewers with at least k rows on each rung, k = 1 .. FREQUENCY, counted row by row."""
    counts: dict[str, dict[Any, int]] = {level: defaultdict(int) for level in va.LEVELS}
    for row in rows:
        if row.get("viewer_id") is None:
            continue
        on = _rung_of_row(row, policy, interactions)
        for level in va.LEVELS:
            if on[level] is True:
                counts[level][row["viewer_id"]] += 1
    return {level: [sum(1 for c in counts[level].values() if c >= k) for k in range(1, FREQUENCY + 1)] for level in va.LEVELS}


@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("policy", ["mrc-display", "meta-3s"])
def test_complete_log_reach_is_counted_exactly(seed: int, policy: str) -> None:
    """A fully measured log: each k+ reach is the count of viewers with k or more rows on the
    rung, exact, overall and per group; 1+ reach is the unique viewers."""
    table = random_log(seed, measured=True)
    rule = va.get_policy(policy)
    result = va.audit(table, policy=rule, frequency=FREQUENCY)
    expected = brute_force_reach(table.to_pylist(), rule, _interactions_of(table, rule))
    for rung in result.ladder:
        assert [r.k for r in rung.reach] == list(range(1, FREQUENCY + 1))
        assert [r.viewers for r in rung.reach] == [va.Estimate(n, n, n) for n in expected[rung.level]]
        assert rung.reach[0].viewers == rung.unique_viewers
    grouped = va.audit(table, policy=rule, by="item_id", frequency=FREQUENCY)
    for group in grouped.groups:
        rows = [r for r in table.to_pylist() if r["item_id"] == group.key["item_id"]]
        expected = brute_force_reach(rows, rule, _interactions_of(table, rule))
        for rung in group.ladder:
            assert [r.viewers.estimate for r in rung.reach] == expected[rung.level]


def test_undetermined_rows_reach_k_with_their_binomial_chance() -> None:
    """Viewer 1 has one viewable row and two unmeasured ones; the log's measured valid rows
    put a row on the viewable rung with probability p = 1/2 (2 of 4). 2+ reach counts viewer 1
    with P(1 + Bin(2, p) >= 2) = 1 - (1 - p)^2 and viewer 2 (one unmeasured row) not at all;
    3+ reach has p^2 for viewer 1."""
    table = log(
        {"viewer_id": 1, "dwell_ms": 2000.0, "visible_fraction": 1.0},
        {"viewer_id": 1, "dwell_ms": None},
        {"viewer_id": 1, "dwell_ms": None},
        {"viewer_id": 2, "dwell_ms": None},
        {"viewer_id": 3, "dwell_ms": 1500.0, "visible_fraction": 1.0},
        {"viewer_id": 3, "dwell_ms": 200.0, "visible_fraction": 1.0},
        {"viewer_id": 4, "dwell_ms": 100.0, "visible_fraction": 1.0},
    )
    viewable = va.audit(table, frequency=3).ladder["viewable"]
    p = 2 / 4
    assert viewable.impressions.estimate == pytest.approx(2 + 3 * p)
    assert viewable.reach[1].viewers.estimate == pytest.approx(1 - (1 - p) ** 2)
    assert viewable.reach[2].viewers.estimate == pytest.approx(p**2)
    for r in viewable.reach:
        assert r.viewers.low <= r.viewers.estimate <= r.viewers.high
    assert viewable.reach[1].viewers.high <= 1  # only viewer 1 can reach 2


def test_reach_falls_with_k_and_down_the_ladder() -> None:
    """k+ reach never rises with k, never exceeds the parent rung's k+ reach, interval ends
    included, on a partly measured, censored log."""
    model = attrs.evolve(va.get_scenario("news-site").model, measurement=va.Measurement(measurable=0.6, censoring_mean_s=10.0))
    sim = va.simulate(model, impressions=20_000, rng=3)
    result = va.audit(sim.log, frequency=FREQUENCY, by="item_id")
    for ladder in [result.ladder, *(g.ladder for g in result.groups)]:
        previous = None
        for rung in ladder:
            for part in ("estimate", "low", "high"):
                values = [getattr(r.viewers, part) for r in rung.reach]
                assert values == sorted(values, reverse=True), (rung.level, part)
                if previous is not None:
                    assert all(v <= w for v, w in zip(values, [getattr(r.viewers, part) for r in previous.reach], strict=True))
            previous = rung


def test_population_share_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """population=N adds each reach's share of N (1+ only, without frequency), in the JSON
    report too; the CLI's --frequency and --population give the same report."""
    table = random_log(3, measured=True)
    only_share = va.audit(table, population=1000)
    for rung in only_share.ladder:
        assert len(rung.reach) == 1
        assert rung.reach[0].share == va.Estimate(*(v / 1000 for v in (rung.unique_viewers.estimate,) * 3))
    report = va.audit(table, frequency=2, population=1000, by="item_id").to_dict()
    assert report["population"] == 1000
    viewable = report["ladder"][2]
    assert [r["k"] for r in viewable["reach"]] == [1, 2]
    assert viewable["reach"][1]["share"]["estimate"] == viewable["reach"][1]["viewers"]["estimate"] / 1000
    assert all("reach" in rung for g in report["groups"] for rung in g["ladder"])
    assert "population" not in va.audit(table).to_dict()
    assert "reach" not in va.audit(table).to_dict()["ladder"][0]
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    assert main(["audit", str(path), "--json", "--frequency", "2", "--population", "1000"]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out) == json.loads(json.dumps(va.audit(path, frequency=2, population=1000).to_dict()))
    assert main(["audit", str(path), "--frequency", "2"]) == 0
    assert "k+ reach" in capsys.readouterr()[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": 0}, "frequency must be a whole number >= 1"),
        ({"frequency": True}, "frequency must be a whole number >= 1"),
        ({"frequency": 2.5}, "frequency must be a whole number >= 1"),
        ({"population": 0}, "population must be a finite number > 0"),
        ({"population": math.inf}, "population must be a finite number > 0"),
        ({"frequency": 2, "engine": "packed"}, "frequency= and population= need per-viewer counts"),
        ({"frequency": 2, "unique_viewers": "hll"}, "frequency= and population= need per-viewer counts"),
    ],
)
def test_bad_reach_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        va.audit(random_log(3), **kwargs)


def test_sampled_log_reach_is_the_complete_logs() -> None:
    """A 10 % sample: the whole log's rendered 2+ reach is the Gamma-Poisson estimate from the
    sample's frequency table, and its 1+ reach the rendered unique viewers (the valid rung's
    viewers plus those with no valid impression, each class estimated on its own); per group,
    k >= 2 is left undetermined, bounded by the group's unique viewers."""
    model = attrs.evolve(va.get_scenario("news-site").model, measurement=va.Measurement(sampling_rate=0.1))
    sim = va.simulate(model, impressions=30_000, rng=11)
    sample = sim.log.drop_columns(["weight"])
    result = va.audit(sample, sample_rate=0.1, frequency=2)
    viewers = pc.drop_null(sample["viewer_id"]).to_numpy()
    f = frequency_counts(np.unique(viewers, return_counts=True)[1])
    rendered = result.ladder["rendered"]
    assert rendered.reach[0].viewers.estimate == pytest.approx(rendered.unique_viewers.estimate)
    assert rendered.unique_viewers.estimate > result.ladder["valid"].unique_viewers.estimate
    assert rendered.unique_viewers.low <= sim.truth.ladder["rendered"].unique_viewers.estimate <= rendered.unique_viewers.high
    gp = va.estimators.k_plus_reach(f, k=2, sample_rate=0.1)
    assert rendered.reach[1].viewers.estimate == pytest.approx(gp.estimate)
    assert rendered.reach[1].viewers.low <= gp.estimate <= rendered.reach[1].viewers.high
    truth = sim.truth.ladder["rendered"]
    assert truth.unique_viewers.estimate > rendered.reach[1].viewers.estimate
    halves = sample.append_column("half", pc.bit_wise_and(pc.fill_null(sample["viewer_id"], 0), 1))
    grouped = va.audit(halves, sample_rate=0.1, frequency=2, by="half")
    assert len(grouped.groups) == 2
    for group in grouped.groups:
        two = group.ladder["rendered"].reach[1].viewers
        assert two.estimate is None
        assert two.low == 0
        assert two.high == group.ladder["rendered"].unique_viewers.high


def test_k_plus_reach_matches_the_binomial_tail() -> None:
    """The open-viewer chance is scipy's binomial survival function: P(t + Bin(u, p) >= k)."""
    from viewaudit._ladder.reach import k_plus_reach_with_undetermined

    g = np.array([0, 0, 1])
    t = np.array([0, 1, 2])
    u = np.array([3, 2, 4])
    count = np.array([5, 2, 1])
    p = np.array([0.3, 0.6])
    est, low, high = k_plus_reach_with_undetermined((g, t, u, count), 2, 3, p, p, p, 1.96)
    expected0 = 5 * stats.binom.sf(2, 3, 0.3) + 2 * stats.binom.sf(1, 2, 0.3)
    expected1 = stats.binom.sf(0, 4, 0.6)
    np.testing.assert_allclose(est, [expected0, expected1])
    assert np.all(low <= est)
    assert np.all(est <= high)


def test_sampled_reach_with_no_viewer_seen_twice_is_not_estimated() -> None:
    """A 10 % sample in which no viewer is seen twice says nothing of repeat viewers (one with two
    impressions is seen twice with chance 1 %): 2+ reach is undetermined, bounded by 0 and the
    complete log's unique viewers, not a fitted 0 with a narrow interval."""
    log = pa.table({"item_id": [1] * 60, "viewer_id": list(range(60))})
    with pytest.warns(va.DegenerateDataWarning):  # the unique viewers' fits (every viewer seen once; none on the rung)
        result = va.audit(log, sample_rate=0.1, frequency=2)
    rendered = result.ladder["rendered"]
    two = rendered.reach[1].viewers
    assert two.estimate is None
    assert two.low == 0
    assert two.high == rendered.unique_viewers.high > 60
