"""Unique viewers of a sampled log in seeded Monte-Carlo runs: the WFA target, coverage of Chao1,
the models and their average, k+ reach, and the non-parametric check (the fast checks:
``tests/estimators/test_unseen.py``)."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

import viewaudit as va
from viewaudit.estimators import (
    chao1,
    fit_gamma_poisson,
    frequency_counts,
    k_plus_reach,
    unique_viewers,
)

from helpers.unseen import _bot_mixture, _sample


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gamma-poisson", "model-average"])
def test_meets_the_wfa_target(method: str) -> None:
    """Gamma-Poisson populations of >= 100,000 viewers sampled at 10 %: relative error within 5 %
    in at least 95 % of runs (WFA target), and 95 % intervals covering the truth at the nominal
    rate, both within two binomial standard errors of the rate estimate. The default and the
    model average (which must not lose the target by averaging in the wrong model) both."""
    runs = 0
    within = covered = 0
    for shape, mean in ((0.5, 5.0), (1.0, 3.0), (2.0, 10.0), (0.3, 20.0)):
        for seed in range(25):
            x, y = _sample(np.random.default_rng(1000 * seed + int(10 * shape)), 150_000, 0.1, shape=shape, mean=mean)
            truth = np.count_nonzero(x)
            assert truth >= 100_000
            est = unique_viewers(frequency_counts(y), sample_rate=0.1, method=method)
            runs += 1
            within += abs(est.estimate - truth) <= 0.05 * truth
            covered += est.confidence_interval.low <= truth <= est.confidence_interval.high
    se = np.sqrt(0.95 * 0.05 / runs)
    assert within / runs >= 0.95 - 2 * se
    assert covered / runs >= 0.95 - 2 * se


@pytest.mark.slow
def test_chao1_interval_coverage_of_its_target() -> None:
    """Where Chao1's estimand is attained (Poisson exposure at an equal rate, counting everyone
    with a positive rate), its 95 % interval covers at the nominal rate within 3 SE."""
    runs, covered = 200, 0
    for seed in range(runs):
        rng = np.random.default_rng(5000 + seed)
        y = rng.poisson(1.0, 2000)  # 2000 people, all with rate 1: Chao1's N is 2000
        est = chao1(frequency_counts(y))
        covered += est.confidence_interval.low <= 2000 <= est.confidence_interval.high
    assert covered / runs >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / runs)


@pytest.mark.slow
def test_poisson_lognormal_k_plus_reach_covers_lognormal_exposure() -> None:
    """2+ and 3+ reach of a log-normal population from 10 % samples: the model's own interval
    and the default's (the Gamma-Poisson estimate, the log-normal model in its set) cover within
    2 binomial SE of 95 %, and the model's mean error is within 3 SE of 0. These seeds: 40 and
    38 of 40 covered (default: 40 and 39), errors -0.4 % and -0.7 % (SD 1.4 and 2.6 %), where
    the Gamma-Poisson estimate errs by -7.5 % and -2.6 %."""
    runs = 40
    for k in (2, 3):
        covered, covered_default, errors = 0, 0, []
        for seed in range(runs):
            x, y = _sample(np.random.default_rng(8000 + seed), 30_000, 0.1, kind="lognormal", shape=1.2, mean=2.0)
            truth = np.count_nonzero(x >= k)
            f = frequency_counts(y)
            est = k_plus_reach(f, k=k, sample_rate=0.1, method="poisson-lognormal")
            default = k_plus_reach(f, k=k, sample_rate=0.1).confidence_interval
            covered += est.confidence_interval.low <= truth <= est.confidence_interval.high
            covered_default += default.low <= truth <= default.high
            errors.append(est.estimate - truth)
        assert covered / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)
        assert covered_default / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)
        assert abs(np.mean(errors)) <= 3 * np.std(errors, ddof=1) / np.sqrt(runs)


@pytest.mark.slow
def test_model_average_and_gamma_poisson_cover_a_bot_mixture() -> None:
    """On the bot mixture both the model average and the Gamma-Poisson interval (widened where
    the shape sits on its bound) cover within 3 SE of 95 % (these seeds: 90 % and 97.5 %; the
    Gamma-Poisson delta interval alone: 84 %)."""
    runs, covered, covered_gp = 80, 0, 0
    for seed in range(runs):
        x, y = _bot_mixture(np.random.default_rng(7000 + seed), 0.1)
        truth = np.count_nonzero(x)
        f = frequency_counts(y)
        ci = unique_viewers(f, sample_rate=0.1, method="model-average").confidence_interval
        gp = unique_viewers(f, sample_rate=0.1, method="gamma-poisson").confidence_interval
        covered += ci.low <= truth <= ci.high
        covered_gp += gp.low <= truth <= gp.high
    se = np.sqrt(0.95 * 0.05 / runs)
    assert covered / runs >= 0.95 - 3 * se
    assert covered_gp / runs >= 0.95 - 3 * se


@pytest.mark.slow
def test_model_average_covers_lognormal_exposure() -> None:
    """Log-normal exposure (sd of the log rate 1 and 1.5) at p = 10 %: nominal coverage within
    two binomial SE, where the Gamma-Poisson fit errs by -7 to +17 % (docs/methods.md)."""
    runs = covered = 0
    for sigma in (1.0, 1.5):
        for seed in range(20):
            x, y = _sample(np.random.default_rng(3000 + seed + int(100 * sigma)), 150_000, 0.1, kind="lognormal", shape=sigma)
            truth = np.count_nonzero(x)
            est = unique_viewers(frequency_counts(y), sample_rate=0.1, method="model-average")
            runs += 1
            covered += est.confidence_interval.low <= truth <= est.confidence_interval.high
    assert covered / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)


@pytest.mark.slow
def test_unique_viewers_at_the_poisson_limit_cover_where_exposure_is_not_one_gamma() -> None:
    """10 % samples of the x-openai-2023 scenario (30,000 expected impressions, undetected bots
    among the viewers), attended unique viewers under mrc-display. The fits on the Poisson bound
    are covered within 2 binomial SE of 95 % (these seeds: 14 of 80 on the bound, all 14
    covered; the delta interval there, without the union, 11 of 14)."""
    model = attrs.evolve(va.get_scenario("x-openai-2023").model, measurement=va.Measurement(sampling_rate=0.1))
    at_bound = covered = 0
    for seed in range(80):
        sim = va.simulate(model, impressions=30_000, policy="mrc-display", rng=9000 + seed)
        summary = va.summarize(sim.log.drop_columns(["weight"]), policy="mrc-display", sample_rate=0.1)
        n = summary.table.column("n_attended").to_numpy()
        f = frequency_counts(n[n > 0])
        if fit_gamma_poisson(f, sample_rate=0.1)._at_shape_ceiling():
            ci = unique_viewers(f, sample_rate=0.1).confidence_interval
            at_bound += 1
            covered += ci.low <= sim.truth.ladder["attended"].unique_viewers.estimate <= ci.high
    assert at_bound >= 10, at_bound
    assert covered / at_bound >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / at_bound), (covered, at_bound)


@pytest.mark.slow
def test_gamma_poisson_k_plus_reach_covers_near_the_poisson_limit() -> None:
    """10 % samples of 2,500 people of Gamma shape 2 (mean 1.5): a third of the fits sit on the
    Poisson bound. 2+ reach is covered within 2 binomial SE of 95 % (these seeds: 100 of 100;
    the delta interval alone: 81 of 100)."""
    runs = covered = 0
    for seed in range(100):
        rng = np.random.default_rng(4000 + seed)
        x = rng.poisson(rng.gamma(2.0, 0.75, 2500))
        ci = fit_gamma_poisson(frequency_counts(rng.binomial(x, 0.1)), sample_rate=0.1).k_plus_reach(2).confidence_interval
        runs += 1
        covered += ci.low <= np.count_nonzero(x >= 2) <= ci.high
    assert covered / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)


@pytest.mark.slow
def test_k_plus_reach_covers_where_repeats_are_rare() -> None:
    """10 % samples of 15,000 people of Gamma shape 2 and mean 0.07 (a rare rung, such as
    engaged): where the sample shows a viewer twice, the default's 2+ reach interval covers
    within 2 binomial SE of 95 % (these seeds: 117 of 118; without the Poisson rule 102)."""
    runs = covered = 0
    for seed in range(300):
        rng = np.random.default_rng(5000 + seed)
        x = rng.poisson(rng.gamma(2.0, 0.035, 15_000))
        y = rng.binomial(x, 0.1)
        if not np.any(y >= 2):
            continue  # not estimated in an audit (undetermined)
        ci = k_plus_reach(frequency_counts(y), k=2, sample_rate=0.1).confidence_interval
        runs += 1
        covered += ci.low <= np.count_nonzero(x >= 2) <= ci.high
    assert runs >= 50
    assert covered / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)


@pytest.mark.slow
def test_at_a_high_rate_the_nonparametric_check_catches_a_tail_no_model_fits() -> None:
    """A Pareto population (tail index 1.5) of 150,000 people sampled at 30 %: every exposure
    model leans about +6 % and agrees, so their interval misses the truth (0 of 40 runs on the
    estimator benchmark). At t = (1 - p)/p <= 3 the smoothed Good-Toulmin, unbiased there, rejects
    their estimate and the default's interval takes its interval in. 20 seeded samples: coverage
    within three binomial SE of 95 % or above (these seeds: 19 of 20, every one widened; before the
    check: 0); each widened interval holds the Good-Toulmin one, which excludes the models' estimate
    exactly then."""
    runs, covered, widened = 20, 0, 0
    for seed in range(runs):
        rng = np.random.default_rng([seed, 30])
        x = rng.poisson((rng.pareto(1.5, 150_000) + 1) * 5.0 / 3.0)
        f = frequency_counts(rng.binomial(x, 0.3))
        default = unique_viewers(f, sample_rate=0.3)
        check = unique_viewers(f, sample_rate=0.3, method="good-toulmin").confidence_interval
        ci, truth = default.confidence_interval, np.count_nonzero(x)
        covered += ci.low <= truth <= ci.high
        if not check.low <= default.estimate <= check.high:
            widened += 1
            assert ci.low <= check.low
            assert check.high <= ci.high
    assert covered >= runs * (0.95 - 3 * np.sqrt(0.95 * 0.05 / runs)), covered
    assert widened > 0


@pytest.mark.slow
def test_default_interval_covers_a_heavy_tailed_sample() -> None:
    """The x-openai-2023 scenario sampled at 10 % (undetected bots with five times the
    exposure): the default's interval covers the complete log's rendered viewers at the nominal
    rate within two binomial SE (these seeds: 100 %; the Gamma-Poisson interval alone: 75 %)."""
    runs = covered = 0
    model = va.get_scenario("x-openai-2023").model
    model = attrs.evolve(model, measurement=va.Measurement(sampling_rate=0.1))
    for seed in range(40):
        sim = va.simulate(model, impressions=30_000, policy="mrc-display", rng=9000 + seed)
        truth = sim.truth.ladder["rendered"].unique_viewers.estimate
        _, counts = np.unique(sim.log.column("viewer_id").to_numpy(zero_copy_only=False), return_counts=True)
        ci = unique_viewers(frequency_counts(counts), sample_rate=0.1).confidence_interval
        runs += 1
        covered += ci.low <= truth <= ci.high
    assert covered / runs >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / runs)
