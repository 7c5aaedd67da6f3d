"""complete_log_viewers: distinct viewers of the complete log per group, from a sampled log.

The per-group estimator is a different model from fitting each group alone (a shape shared by
all groups, group means by credibility within classes of groups of similar size), so besides
the edges and the agreement with ``unique_viewers`` for one group, the tests check its defining
properties (the score equation of a group's mean, the conditional likelihood of the shape
against brute force, its saddlepoint against the exact series, the credibility weights) and
its accuracy in seeded simulations of by-item audits.

Simulation tolerances. A total's bias is accepted within ``allowed + 3 * MCSE`` (``MCSE``:
standard error of the mean over the runs; ``allowed``: 3 %, the shrinkage's). A coverage must
be at least ``0.95 - 3 * sqrt(0.95 * 0.05 / N)``, ``N`` the (group, run) pairs: groups of one
run share only the shape and class means, estimated from hundreds of groups, and the spread of
per-run coverage over runs matches the binomial one (checked when the tolerances were set).
The intervals are conservative by construction (their binomial part is exact: 96 % for groups
of 20+ viewers, 97-99 % for smaller ones), so above only gross conservatism is rejected.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize, stats

from viewaudit import DegenerateDataWarning
from viewaudit._estimators._common import empty_sample_bound
from viewaudit._ladder import sampled_viewers as sv
from viewaudit._ladder.sampled_viewers import complete_log_viewers
from viewaudit.estimators import frequency_counts, unique_viewers

from helpers.sampled_viewers import _audit, _check_accuracy, _draw, _simulate

# ---------------------------------------------------------------- simulated audits


# ---------------------------------------------------------------- edges and the one-group case


def test_complete_log_is_exact() -> None:
    """p = 1: estimate = low = high = viewers with an impression, zeros ignored, no warning."""
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, 500)
    group = rng.integers(0, 40, 500)
    est, low, high = complete_log_viewers(counts, group, 45, sample_rate=1.0)
    expected = np.bincount(group[counts > 0], minlength=45)
    np.testing.assert_array_equal(est, expected)
    np.testing.assert_array_equal(low, expected)
    np.testing.assert_array_equal(high, expected)
    assert complete_log_viewers([0, 0], [0, 1], 2, sample_rate=1.0)[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("cl", [0.95, 0.8])
def test_one_group_is_unique_viewers(cl: float) -> None:
    """n_groups == 1 is the headline: unique_viewers(frequency_counts(counts)) exactly."""
    rng = np.random.default_rng(1)
    y = rng.binomial(rng.poisson(rng.gamma(0.7, 4 / 0.7, 3000)), 0.1)
    est, low, high = complete_log_viewers(y, np.zeros(y.size, np.int64), 1, sample_rate=0.1, confidence_level=cl)
    ref = unique_viewers(frequency_counts(y), sample_rate=0.1, confidence_level=cl)
    assert (est[0], low[0], high[0]) == (ref.estimate, ref.confidence_interval.low, ref.confidence_interval.high)


def test_one_group_with_viewers_is_unique_viewers() -> None:
    """Several groups of which one has viewers seen: that group gets the headline estimator,
    the others 0 and the design-based upper end."""
    rng = np.random.default_rng(2)
    y = rng.binomial(rng.poisson(rng.gamma(1.0, 3.0, 800)), 0.2)
    est, low, high = complete_log_viewers(np.concatenate([y, [0, 0]]), np.r_[np.full(y.size, 2), 0, 1], 4, sample_rate=0.2)
    ref = unique_viewers(frequency_counts(y), sample_rate=0.2)
    assert (est[2], low[2], high[2]) == (ref.estimate, ref.confidence_interval.low, ref.confidence_interval.high)
    bound = empty_sample_bound(0.2, 0.95)
    assert est[[0, 1, 3]].tolist() == [0.0] * 3
    assert low[[0, 1, 3]].tolist() == [0.0] * 3
    assert high[[0, 1, 3]].tolist() == [bound] * 3


@pytest.mark.parametrize(
    ("counts", "match"),
    [([0, 0, 0], "no viewer was seen"), ([1, 1, 1, 1], "every viewer was seen once"), ([0, 3], "a single viewer")],
)
def test_warnings_as_unique_viewers(counts: list[int], match: str) -> None:
    """The pooled-table warnings of unique_viewers, and only those."""
    group = np.arange(len(counts)) % 2
    with pytest.warns(DegenerateDataWarning, match=match):
        est, low, high = complete_log_viewers(counts, group, 2, sample_rate=0.25)
    seen = np.bincount(group[np.asarray(counts) > 0], minlength=2)
    assert np.all(low >= seen)
    assert np.all((low <= est) & (est <= high))
    if match == "every viewer was seen once":  # each seen viewer stands for 1/p viewers of one impression
        np.testing.assert_allclose(est, seen / 0.25)


def test_bounds_and_empty_groups() -> None:
    """Never below the viewers seen, estimate inside the interval, empty groups 0 and the
    design-based upper end, on varied data (no warning is raised: the suite errors on any)."""
    rng = np.random.default_rng(3)
    for p, n_groups, size in [(0.05, 60, 400), (0.1, 300, 3000), (0.5, 20, 200), (0.9, 10, 100)]:
        counts = rng.binomial(rng.poisson(rng.gamma(0.5, 8.0, size)), p)
        group = rng.integers(0, n_groups, size)
        est, low, high = complete_log_viewers(counts, group, n_groups + 5, sample_rate=p)
        seen = np.bincount(group[counts > 0], minlength=n_groups + 5)
        assert np.all(np.isfinite(est) & np.isfinite(low) & np.isfinite(high))
        assert np.all((seen <= low) & (low <= est) & (est <= high))
        assert np.all(est <= seen / p + 1e-9)  # Q <= 1/p
        empty = seen == 0
        assert np.all(est[empty] == 0)
        assert np.all(low[empty] == 0)
        assert np.all(high[empty] == empty_sample_bound(p, 0.95))


def test_huge_counts_and_tiny_rates() -> None:
    """Viewers seen thousands of times are all seen (Q -> 1); at tiny rates Q -> 1/p."""
    est, low, high = complete_log_viewers([1000, 2000, 1, 3], [0, 0, 1, 1], 2, sample_rate=0.5)
    assert low[0] == 2.0
    assert est[0] == pytest.approx(2.0)
    assert high[0] == pytest.approx(2.0)
    est, low, high = complete_log_viewers([5, 1, 1, 1, 1], [0, 0, 0, 1, 1], 2, sample_rate=1e-4)
    assert np.all((low >= [3, 2]) & (est <= np.array([3, 2]) / 1e-4) & (high > est))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"counts": [1.0, 2.0]}, TypeError, "counts must hold integers"),
        ({"group": [0, 2]}, ValueError, r"group must be in \[0, 2\); entry 1 is 2"),
        ({"counts": [1, -2]}, ValueError, "entry 1 is -2"),
        ({"n_groups": 0}, ValueError, "n_groups must be at least 1"),
        ({"n_groups": 2.0}, TypeError, "n_groups must be an integer"),
        ({"sample_rate": 0}, ValueError, "sample_rate"),
        ({"confidence_level": 1.0}, ValueError, "confidence_level"),
        ({"counts": [1, 2, 3]}, ValueError, "same length"),
        ({"counts": [[1, 2]], "group": [[0, 1]]}, ValueError, "one-dimensional"),
    ],
)
def test_rejects_bad_input(kwargs: dict, error: type[Exception], match: str) -> None:
    args = {"counts": [1, 2], "group": [0, 1], "n_groups": 2, "sample_rate": 0.1, "confidence_level": 0.95} | kwargs
    with pytest.raises(error, match=match):
        complete_log_viewers(args.pop("counts"), args.pop("group"), args.pop("n_groups"), **args)


def test_deterministic_and_free_of_labels() -> None:
    """Same input, same output; shuffling entries changes nothing; relabelling groups permutes."""
    rng = np.random.default_rng(4)
    size, mean = _audit(rng, 200)
    y, g, _ = _draw(rng, size, mean, 0.1, "gamma", 0.8)
    first = complete_log_viewers(y, g, 200, sample_rate=0.1)
    again = complete_log_viewers(y.copy(), g.copy(), 200, sample_rate=0.1)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    order = rng.permutation(y.size)
    relabel = rng.permutation(200)
    shuffled = complete_log_viewers(y[order], relabel[g[order]], 200, sample_rate=0.1)
    for a, b in zip(first, shuffled, strict=True):
        np.testing.assert_allclose(b[relabel], a, rtol=1e-9)


# ---------------------------------------------------------------- defining properties


@pytest.mark.parametrize("a", [1e-3, 0.05, 0.8, 7.0, 1e5])
def test_group_mean_solves_the_zero_truncated_score_equation(a: float) -> None:
    """m with E[Y | Y >= 1] = 1 + excess is the zero-truncated MLE: the score of
    sum_k f_k ln(P(Y=k) / P(Y>=1)) in m vanishes there (checked numerically, scipy's nbinom)."""
    excess = np.logspace(-7, 4, 23)
    m = sv._solve_mean(excess, a)
    np.testing.assert_allclose(sv._excess(m, a), excess, rtol=1e-9)
    np.testing.assert_allclose(m / sv._seen_share(m, a), 1 + excess, rtol=1e-12)  # the plain formula
    # A group: 3 viewers seen 1, 1 and 4 times (mean among seen 2).
    y = np.array([1, 1, 4])
    m2 = float(sv._solve_mean(np.array([y.mean() - 1]), a)[0])

    def loglik(m_: float) -> float:
        law = stats.nbinom(a, a / (a + m_))
        return float(np.sum(law.logpmf(y)) - y.size * np.log(law.sf(0)))

    h = 1e-6 * m2
    assert abs((loglik(m2 + h) - loglik(m2 - h)) / (2 * h)) < 1e-4 * abs(loglik(m2) / m2)


def _brute_force_conditional(y: np.ndarray, a: float, m: float) -> float:
    """ln P(counts | their number and sum) under the zero-truncated NB(a, m), by enumeration."""
    law = stats.nbinom(a, a / (a + m))
    s, n = y.size, int(y.sum())
    total = sum(np.exp(np.sum(law.logpmf(np.array(c)))) for c in itertools.product(range(1, n - s + 2), repeat=s) if sum(c) == n)
    return float(np.sum(law.logpmf(y)) - np.log(total))


@pytest.mark.parametrize("a", [0.02, 0.6, 4.0, 300.0])
def test_conditional_likelihood_against_brute_force(a: float) -> None:
    """The shape's likelihood is exactly the probability of the counts given (S, n), summed over
    groups, and does not depend on the groups' means (two different m, same value)."""
    groups = [np.array(v) for v in ([1, 3], [2, 2, 1], [1, 1, 4], [5, 1, 2, 1], [2, 2])]
    expected = sum(_brute_force_conditional(y, a, 0.7) for y in groups)
    assert expected == pytest.approx(sum(_brute_force_conditional(y, a, 3.0) for y in groups), rel=1e-9)
    counts = np.concatenate(groups)
    f = np.bincount(counts)
    ks = np.flatnonzero(f)
    s = np.array([y.size for y in groups], float)
    n = np.array([y.sum() for y in groups], float)
    loglik = sv._ConditionalLikelihood(ks, f[ks].astype(float), s, n, np.ones(s.size))
    assert loglik(np.log(a)) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _exact_log_coefficient(s: int, r: int, a: float) -> float:
    """ln [x^(S+r)] V(x)^S by repeated products of the series (float, no underflow for r <= 150)."""
    z = np.arange(1, r + 1)
    series = np.concatenate([[1.0], np.cumprod((a + z) / ((z + 1) * (1 + a)))])
    power = np.array([1.0])
    for _ in range(s):
        power = np.convolve(power, series)[: r + 1]
    return float(np.log(power[r]))


@pytest.mark.parametrize(("s", "tol"), [(2, 0.06), (5, 0.01), (8, 0.003), (16, 0.0006), (40, 0.0006)])
def test_saddlepoint_accuracy(s: int, tol: float) -> None:
    """The second-order saddlepoint used beyond the exact range errs in ln c by less than the
    stated tolerance, whatever the shape."""
    for r, a in itertools.product((2, 10, 65, 150), (1e-3, 0.1, 1.0, 10.0, 1e3)):
        approx, _ = sv._saddlepoint_log_coefficient(np.array([float(s)]), np.array([float(s + r)]), a)
        assert abs(approx[0] - _exact_log_coefficient(s, r, a)) < tol, (r, a)


def test_shape_is_the_conditional_maximum_and_recovers_the_truth() -> None:
    """On 3000 groups with different means and one shape, the conditional estimate is within
    3 standard errors of the true shape, and no nearby shape has a larger likelihood."""
    rng = np.random.default_rng(5)
    n_groups, shape = 3000, 0.6
    size, mean = _audit(rng, n_groups)
    y, g, _ = _draw(rng, size, mean, 0.2, "gamma", shape)
    ln_a, var = sv._fit_shape(y[y > 0], g[y > 0], n_groups)
    assert abs(ln_a - np.log(shape)) < 3 * np.sqrt(var)
    seen, c = g[y > 0], y[y > 0]
    s = np.bincount(seen, minlength=n_groups).astype(float)
    n = np.bincount(seen, weights=c, minlength=n_groups)
    keep = (s >= 2) & (n - s >= 2)
    f = np.bincount(c[keep[seen]])
    ks = np.flatnonzero(f)
    loglik = sv._ConditionalLikelihood(ks, f[ks].astype(float), s[keep], n[keep], np.ones(int(keep.sum())))
    best = loglik(ln_a)
    for d in (-0.05, -0.01, 0.01, 0.05):
        assert loglik(ln_a + d) <= best + 1e-9
    assert var > 0


def test_large_groups_agree_with_their_own_fit() -> None:
    """Large groups keep their own mean (credibility -> 1): with the shape shared, each of three
    large groups with different means agrees with unique_viewers on that group alone within
    0.5 of the latter's standard error, among 400 small groups that are shrunk."""
    rng = np.random.default_rng(6)
    shape, p = 0.7, 0.1
    size, mean = _audit(rng, 400)
    size = np.r_[size, 30000, 30000, 30000]
    mean = np.r_[mean, 1.5, 4.0, 10.0]
    y, g, _ = _draw(rng, size, mean, p, "gamma", shape)
    est, low, high = complete_log_viewers(y, g, size.size, sample_rate=p)
    for k in range(400, 403):
        alone = unique_viewers(frequency_counts(y[g == k]), sample_rate=p)
        assert abs(est[k] - alone.estimate) < 0.5 * alone.standard_error, (k, est[k], alone.estimate)
        assert low[k] < alone.estimate < high[k]


def test_credibility_weights() -> None:
    """Groups with the same (S, n) get the same figures; in one class, more repeats among the
    same number seen mean fewer unseen viewers; Z grows with S (Buhlmann-Straub)."""
    rng = np.random.default_rng(7)
    size, mean = _audit(rng, 500)
    y, g, _ = _draw(rng, size, mean, 0.1, "gamma", 0.8)
    y, g = np.r_[y, 1, 1, 1, 1, 1, 2], np.r_[g, 500, 500, 501, 501, 502, 502]  # (2, 2), (2, 2), (2, 3)
    est, low, high = complete_log_viewers(y, g, 503, sample_rate=0.1)
    assert (est[500], low[500], high[500]) == (est[501], low[501], high[501])
    assert est[502] < est[500]
    seen = np.bincount(g[y > 0], minlength=503)[:503].astype(float)
    s = seen[seen > 0]
    n = np.bincount(g, weights=y, minlength=503)[seen > 0]
    sq = np.bincount(g, weights=y.astype(float) ** 2, minlength=503)[seen > 0]
    z, _, tau2, _ = sv._credibility(s, n, sq, 0.8)
    assert np.all((z >= 0) & (z <= 1))
    assert np.all(tau2 >= 0)
    klass = sv._size_classes(s)
    for k in np.unique(klass):  # within a class, Z = S tau^2 / (S tau^2 + sigma^2) grows with S
        order = np.argsort(s[klass == k], kind="stable")
        assert np.all(np.diff(z[klass == k][order]) >= -1e-12)


# ---------------------------------------------------------------- simulated accuracy


def test_accuracy_gamma_poisson() -> None:
    """300 items, 30 runs, p = 10 %, Gamma(0.8) exposure: total unbiased (allowed 3 %: the
    shrinkage), 95 % coverage for groups of 20+ viewers, at least that for smaller ones."""
    _check_accuracy(*_simulate(11, 300, 30, 0.1, "gamma", 0.8), allowed=0.03)


def test_accuracy_heavy_tail_small_groups() -> None:
    """Log-normal exposure (sd of the log rate 1.5) at p = 30 %: the total is off by under
    3 %, and intervals of groups under 100 viewers still cover (sampling noise dominates)."""
    est, low, high, truth = _simulate(12, 300, 30, 0.3, "lognormal", 1.5)
    rel = est.sum(axis=1) / truth.sum(axis=1) - 1
    assert abs(rel.mean()) <= 0.03 + 3 * rel.std(ddof=1) / np.sqrt(rel.size)
    small = truth.mean(axis=0) < 100
    covered = ((low <= truth) & (truth <= high))[:, small]
    assert covered.mean() >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / covered.size)


def test_profile_bias_motivates_the_conditional_likelihood() -> None:
    """Why not profile the means out: on many small groups the profile-likelihood shape is far
    from the truth while the conditional one is not (Neyman & Scott)."""
    rng = np.random.default_rng(9)
    n_groups, shape = 2000, 0.6
    mean = rng.lognormal(np.log(3.0), 0.7, n_groups)
    y, g, _ = _draw(rng, np.full(n_groups, 12), mean, 0.3, "gamma", shape)
    seen, c = g[y > 0], y[y > 0]
    ln_a, var = sv._fit_shape(c, seen, n_groups)
    assert abs(ln_a - np.log(shape)) < 3 * np.sqrt(var)
    s = np.bincount(seen, minlength=n_groups).astype(float)
    n = np.bincount(seen, weights=c, minlength=n_groups)
    rep = n > s  # groups seen only once each have m = 0 whatever the shape: left out
    f = np.bincount(c[rep[seen]])
    ks = np.flatnonzero(f)[1:]

    def profile(x: float) -> float:  # zero-truncated log-likelihood, each group's m at its MLE
        a = float(np.exp(x))
        m = sv._solve_mean((n[rep] - s[rep]) / s[rep], a)
        per_group = n[rep] * np.log(m / (a + m)) + s[rep] * a * np.log(a / (a + m)) - s[rep] * np.log(sv._seen_share(m, a))
        log_w = stats.nbinom.logpmf(ks, a, 0.5) - (ks + a) * np.log(0.5)  # ln Gamma(k+a) / (Gamma(a) k!)
        return float(np.sum(per_group) + np.dot(f[ks], log_w))

    res = optimize.minimize_scalar(lambda x: -profile(x), bounds=(np.log(1e-3), np.log(1e5)), method="bounded")
    assert abs(res.x - np.log(shape)) > 6 * np.sqrt(var), (res.x, np.log(shape), np.sqrt(var))
