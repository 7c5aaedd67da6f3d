"""Sampled logs in the audit: ``sample_rate=`` or a ``weight`` column."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._estimators.intervals import jeffreys_interval
from viewaudit._ladder.imputation import imputed_figures as _imputed
from viewaudit._ladder.imputation import reach_figure as _reach_figure
from viewaudit._ladder.imputation import viewers_figure as _viewers_figure
from viewaudit._ladder.sampled_viewers import complete_log_viewers

#: A population without bots: exposure is Gamma-Poisson, as the sampled-viewer model assumes.
MODEL = attrs.evolve(va.get_scenario("news-site").model, bots=va.Bots(share=0.0))


def _imputed_complete_log_viewers(
    g: np.ndarray,
    determined: np.ndarray,
    undetermined: np.ndarray,
    chance: tuple[np.ndarray, ...],
    n_groups: int,
    p: float,
    cl: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The imputed unique viewers of the complete log alone (the audit's first figure)."""
    return _imputed(g, determined, undetermined, chance, n_groups, [(_viewers_figure(n_groups, p, cl), 1)], cl)[0]  # type: ignore[arg-type]


def _figures(result: va.Audit) -> list[tuple[float | None, ...]]:
    return [
        (
            r.impressions.estimate,
            r.impressions.low,
            r.impressions.high,
            r.unique_viewers.estimate,
            r.unique_viewers.low,
            r.unique_viewers.high,
        )
        for r in result.ladder
    ]


def test_sample_rate_is_a_constant_weight() -> None:
    """sample_rate=p audits a log as a weight column of 1/p does."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.25)), impressions=20_000, rng=1)
    weighted = va.audit(sim.log)
    unweighted = sim.log.drop_columns(["weight"])
    assert _figures(va.audit(unweighted, sample_rate=0.25)) == _figures(weighted)
    with pytest.raises(ValueError, match="give one"):
        va.audit(sim.log, sample_rate=0.25)


def test_a_complete_log_is_its_own_sample() -> None:
    """sample_rate=1 changes no figure: every estimate is exact."""
    log = va.simulate(MODEL, impressions=5_000, rng=2).log
    assert _figures(va.audit(log, sample_rate=1.0)) == _figures(va.audit(log))


def test_unique_viewers_of_the_complete_log_from_a_ten_percent_sample() -> None:
    """A 10 % sample of a Gamma-Poisson population: on every rung, impressions and unique
    viewers are within 3 standard errors (half the interval / 1.96) of the complete log's
    figures, not of the sample's seen viewers."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.1)), impressions=300_000, rng=3)
    result = va.audit(sim.log)
    seen = len(set(sim.log["viewer_id"].drop_null().to_pylist()))
    for level in ("rendered", "valid", "viewable", "attended", "engaged"):
        for figure in ("impressions", "unique_viewers"):
            got, truth = getattr(result.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            se = (got.high - got.low) / (2 * 1.96)
            assert abs(got.estimate - truth) <= 3 * se, (level, figure, got, truth)
    assert result.ladder["rendered"].unique_viewers.low > seen
    assert any("unseen viewers included" in a for a in result.assumptions)


def test_weights_that_differ_give_the_viewers_seen() -> None:
    """Unequal weights (no one sampling rate): unique viewers are those seen, a lower bound."""
    rng = np.random.default_rng(4)
    n = 2_000
    log = pa.table({"item_id": rng.integers(0, 3, n), "viewer_id": rng.integers(0, 500, n), "weight": rng.choice([2.0, 5.0], n)})
    result = va.audit(log)
    rendered = result.ladder["rendered"].unique_viewers
    assert rendered.estimate == len(set(log["viewer_id"].to_pylist())) == rendered.low
    assert any("a lower bound" in a for a in result.assumptions)


def test_cli_takes_the_log_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--sample-rate, --rounding-ms and --strata reach the audit."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.5)), impressions=4_000, rng=5)
    path = tmp_path / "log.parquet"
    pq.write_table(sim.log.drop_columns(["weight"]), path)
    code = main(["audit", str(path), "--sample-rate", "0.5", "--rounding-ms", "1000", "--strata", "item_id", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    expected = va.audit(path, sample_rate=0.5, rounding_ms=1000, strata="item_id").to_dict()
    assert report["ladder"] == expected["ladder"]
    code = main(["audit", str(path), "--sample-rate", "2"])
    assert code != 0
    assert "sample_rate must be in (0, 1]" in capsys.readouterr().err


def _imputation_inputs(seed: int) -> tuple[np.ndarray, ...]:
    """A sampled table of viewers' determined and undetermined counts on a rung, for the
    imputation's unit tests: 3 groups, viewers with 0 to 2 determined rows on the rung and 0 to
    4 undetermined ones (each zero for about half the viewers)."""
    rng = np.random.default_rng(seed)
    n = 3_000
    return rng.integers(0, 3, n), rng.integers(0, 3, n) * rng.integers(0, 2, n), rng.integers(0, 5, n) * rng.integers(0, 2, n)


@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_imputation_at_a_certain_chance_is_the_plain_estimate(chance: float) -> None:
    """Undetermined rows that are never (always) on the rung: every draw gives the counts of the
    determined rows (of all rows), so the imputed figures are complete_log_viewers' on them."""
    g, t, u = _imputation_inputs(6)
    c = np.full(3, chance)
    got = _imputed_complete_log_viewers(g, t, u, (c, c, c), 3, 0.1, 0.95)
    expected = complete_log_viewers(t + u * int(chance), g, 3, sample_rate=0.1)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_imputation_does_not_depend_on_the_order_of_viewers() -> None:
    """The draws go to viewers in a canonical order: a log read in another order gives the same
    figures; and a wider chance interval gives wider ends."""
    g, t, u = _imputation_inputs(7)
    chance = (np.array([0.3, 0.5, 0.7]), np.array([0.2, 0.4, 0.6]), np.array([0.4, 0.6, 0.8]))
    got = _imputed_complete_log_viewers(g, t, u, chance, 3, 0.1, 0.95)
    order = np.random.default_rng(8).permutation(g.size)
    shuffled = _imputed_complete_log_viewers(g[order], t[order], u[order], chance, 3, 0.1, 0.95)
    for a, b in zip(got, shuffled, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(got[1] <= got[0]) and np.all(got[0] <= got[2])
    narrow = _imputed_complete_log_viewers(g, t, u, (chance[0],) * 3, 3, 0.1, 0.95)
    assert np.all(got[1] <= narrow[1]) and np.all(got[2] >= narrow[2])
    assert np.any(got[1] < narrow[1]) or np.any(got[2] > narrow[2])


def _half_unmeasured_samples() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
    """One population of 10,000 viewers with Gamma-Poisson exposure (as the model assumes), 60 %
    of whose rows are on the rung and half of whom are never measured, and 20 seeded 10 %
    samples of it: (the complete log's counts on the rung, the sample's determined and
    undetermined counts, the measured share with its Jeffreys interval)."""
    rng = np.random.default_rng(9)
    n, share, p = 10_000, 0.6, 0.1
    rows = rng.poisson(rng.gamma(0.8, 3.0 / 0.8, n))
    on = rng.binomial(rows, share)
    measured = rng.random(n) < 0.5
    for rep in range(20):
        r = np.random.default_rng([9, rep])
        kept_on, kept_off = r.binomial(on, p), r.binomial(rows - on, p)
        t = np.where(measured, kept_on, 0)
        u = np.where(measured, 0, kept_on + kept_off)
        k, d = t.sum(), (kept_on + kept_off)[measured].sum()
        low, high = jeffreys_interval(np.array([k]), np.array([d]))
        yield on, t, u, (np.array([k / d]), low, high)


def _assert_unbiased_and_covering(errors: list[float], covered: int, truth: int) -> None:
    """Mean error within 3 standard errors of 0; at least 16 of 20 intervals cover the truth
    (P(fewer) = 0.003 at 95 %)."""
    errors_ = np.array(errors)
    assert abs(errors_.mean()) <= 3 * errors_.std(ddof=1) / np.sqrt(errors_.size), (errors_.mean(), truth)
    assert covered >= 16, covered


@pytest.mark.slow
def test_imputation_counts_viewers_whose_rows_are_never_measured() -> None:
    """A 10 % sample in which half the viewers' rows are never measured: determination depends
    on the viewer, which thinning the determined counts at p x q took it not to. Imputing the
    undetermined rows at the measured share gives the complete log's viewers on the rung."""
    errors, covered = [], 0
    for on, t, u, chance in _half_unmeasured_samples():
        truth = int(np.count_nonzero(on))
        est, lo, hi = _imputed_complete_log_viewers(np.zeros(t.size, dtype=np.int64), t, u, chance, 1, 0.1, 0.95)
        errors.append(est[0] - truth)
        covered += int(lo[0] <= truth <= hi[0])
    _assert_unbiased_and_covering(errors, covered, truth)


@pytest.mark.slow
def test_imputed_k_plus_reach_counts_viewers_whose_rows_are_never_measured() -> None:
    """The same samples, 2+ reach on the rung; the low end is never below the viewers with two
    determined rows (thinning at p x q was 29 % low here, covering the truth in no sample)."""
    errors, covered = [], 0
    for on, t, u, chance in _half_unmeasured_samples():
        truth = int(np.count_nonzero(on >= 2))
        ((est, lo, hi),) = _imputed(np.zeros(t.size, dtype=np.int64), t, u, chance, 1, [(_reach_figure(2, 0.1, 0.95), 2)], 0.95)
        assert lo[0] >= np.count_nonzero(t >= 2)
        errors.append(est[0] - truth)
        covered += int(lo[0] <= truth <= hi[0])
    _assert_unbiased_and_covering(errors, covered, truth)


def test_a_sampled_log_with_undetermined_rows_does_not_depend_on_row_order_or_batches() -> None:
    """Imputation draws are seeded and assigned in a canonical order: shuffled rows, and rows
    read in batches, give the same audit."""
    m = va.Measurement(measurable=0.7, rounding_ms=1000.0, sampling_rate=0.2)
    log = va.simulate(attrs.evolve(MODEL, measurement=m), impressions=20_000, rng=10).log.drop_columns(["weight"])
    whole = va.audit(log, sample_rate=0.2, rounding_ms=1000.0)
    assert whole.ladder["viewable"].undetermined > 0
    shuffled = log.take(pa.array(np.random.default_rng(11).permutation(log.num_rows)))
    reader = pa.RecordBatchReader.from_batches(log.schema, log.to_batches(max_chunksize=777))
    for other in (shuffled, reader):
        assert _figures(va.audit(other, sample_rate=0.2, rounding_ms=1000.0)) == _figures(whole)


def test_imputation_warns_only_about_the_datas_degeneracy() -> None:
    """The ends of the chance's interval (a chance of 0 sees no viewer) and single draws do not
    warn; counts that are degenerate in every draw (each viewer seen once) warn once."""
    g, _, u = _imputation_inputs(12)
    chance = (np.full(3, 0.5), np.zeros(3), np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # No determined row: at the low end, a chance of 0, no viewer is seen at all.
        _imputed_complete_log_viewers(g, np.zeros_like(u), u, chance, 3, 0.1, 0.95)
    n = 200
    once = np.ones(n, dtype=np.int64)
    zeros = np.zeros(3)
    with pytest.warns(va.DegenerateDataWarning, match="every imputation") as caught:
        _imputed_complete_log_viewers(np.zeros(n, dtype=np.int64), once, once, (zeros, zeros, zeros), 1, 0.1, 0.95)
    assert sum("every imputation" in str(w.message) for w in caught) == 1


@pytest.mark.parametrize("edge", ["none", "all"])
def test_a_sampled_count_at_either_bound_is_covered_at_the_nominal_rate(edge: str) -> None:
    """Where the truth sits at a bound the data allow, the interval still covers it at 95 %.

    Rows floored to 0 s straddle the 300 ms rule (linkedin-mobile): whole seconds cannot say how
    many of them reach it, so each group's viewable count is only bounded. Here either none of
    them does or all do, the truth at the low or the high bound; in a 10 % sample the bound
    itself is estimated. One audit by item gives 2,000 independent groups; coverage is within
    three binomial standard errors of 95 %. Adding the bounds' slack to the sampling noise in
    quadrature covered these counts in 97.8 % (none) and 61.8 % (all) of groups."""
    rng = np.random.default_rng(20261128)
    groups, n, p = 2000, 1000, 0.1
    size = groups * n
    sub_second = rng.uniform(0, 300, size) if edge == "none" else rng.uniform(300, 1000, size)
    dwell = np.where(rng.random(size) < 0.4, sub_second, 1000 + rng.lognormal(np.log(3000), 1.0, size))
    item = np.repeat(np.arange(groups), n)
    truth = np.bincount(item, weights=dwell >= 300, minlength=groups)
    keep = rng.random(size) < p
    log = pa.table(
        {
            "item_id": item[keep],
            "dwell_ms": np.floor(dwell[keep] / 1000) * 1000,
            "visible_fraction": np.ones(int(keep.sum())),
        }
    )
    got = va.audit(log, policy="linkedin-mobile", by="item_id", rounding_ms=1000, sample_rate=p).table
    assert got.num_rows == groups
    at = truth[got["item_id"].to_numpy()]
    low, high = got["viewable_impressions_low"].to_numpy(), got["viewable_impressions_high"].to_numpy()
    # The truth is at the bound: the estimate (the dwell model's) is well inside, off it.
    assert np.median(np.abs(got["viewable_impressions_estimate"].to_numpy() - at) / at) > 0.05
    coverage = np.mean((low <= at) & (at <= high))
    assert abs(coverage - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / groups), coverage


def test_a_sampled_log_without_viewers_says_nothing_about_them() -> None:
    """No viewer_id column: unique viewers are n/a, and no warning about unseen viewers (the
    extrapolation once ran on an empty table and warned that no viewer was seen)."""
    log = pa.table({"item_id": np.arange(100), "dwell_ms": np.full(100, 5000.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = va.audit(log, sample_rate=0.1)
    assert result.ladder["valid"].impressions.estimate == pytest.approx(1000)
    assert result.ladder["valid"].unique_viewers.estimate is None
