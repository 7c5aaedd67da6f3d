"""Proportion intervals against scipy, the predicted-count interval, a seeded coverage check of
the extrapolation to unmeasured rows, and the critical value for a figure known only between
bounds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

import viewaudit as va
from viewaudit._estimators.intervals import jeffreys_interval, partially_identified_z, predicted_count_interval, wilson_interval
from viewaudit._ladder.bounded import BoundedCount

GRID = [(k, n) for n in (1, 2, 3, 5, 10, 17, 50, 200, 1000) for k in sorted({0, 1, n // 3, n // 2, n - 1, n})]
LEVELS = [0.8, 0.9, 0.95, 0.99]


@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 3000)) | st.tuples(st.floats(0, 50), st.floats(0, 50)),
        min_size=1,
        max_size=40,
    ),
    shape=st.sampled_from(["flat", "grid"]),
)
def test_jeffreys_is_the_same_for_each_pair_alone(pairs: list[tuple[float, float]], shape: str) -> None:
    """Groups share their (k, n), so jeffreys_interval computes each distinct pair once (packed
    into one integer where both are whole numbers, weighted counts otherwise). Every entry is
    that of its own pair computed alone, bit for bit, whatever the mix and shape."""
    k = np.array([min(a, b) for a, b in pairs], dtype=float)
    n = np.array([max(a, b) for a, b in pairs], dtype=float)
    if shape == "grid" and k.size % 2 == 0:
        k, n = k.reshape(2, -1), n.reshape(2, -1)
    low, high = jeffreys_interval(k, n)
    for i in np.ndindex(k.shape):
        alone = jeffreys_interval(np.array([k[i]]), np.array([n[i]]))
        assert (low[i], high[i]) == (alone[0][0], alone[1][0])


@pytest.mark.parametrize("confidence_level", LEVELS)
def test_wilson_matches_scipy(confidence_level: float) -> None:
    """wilson_interval equals scipy's binomtest(k, n).proportion_ci(method='wilson'), k = 0 and n included."""
    # Wilson (1927), JASA 22:209-212, as computed by scipy.stats.
    k = np.array([k for k, _ in GRID])
    n = np.array([n for _, n in GRID])
    low, high = wilson_interval(k, n, confidence_level=confidence_level)
    for i, (kk, nn) in enumerate(GRID):
        ci = stats.binomtest(kk, nn).proportion_ci(confidence_level=confidence_level, method="wilson")
        assert low[i] == pytest.approx(ci.low, abs=1e-12), (kk, nn)
        assert high[i] == pytest.approx(ci.high, abs=1e-12), (kk, nn)


@pytest.mark.parametrize("confidence_level", LEVELS)
def test_jeffreys_matches_beta_quantiles(confidence_level: float) -> None:
    """jeffreys_interval is the Beta(k + 1/2, n - k + 1/2) equal-tailed interval, pinned at k = 0 and n."""
    # Brown, Cai & DasGupta (2001), Statistical Science 16:101-133, section 4.1.2.
    k = np.array([k for k, _ in GRID])
    n = np.array([n for _, n in GRID])
    low, high = jeffreys_interval(k, n, confidence_level=confidence_level)
    tail = (1 - confidence_level) / 2
    for i, (kk, nn) in enumerate(GRID):
        beta = stats.beta(kk + 0.5, nn - kk + 0.5)
        assert low[i] == (0.0 if kk == 0 else pytest.approx(beta.ppf(tail), abs=1e-10)), (kk, nn)
        assert high[i] == (1.0 if kk == nn else pytest.approx(beta.ppf(1 - tail), abs=1e-10)), (kk, nn)


@pytest.mark.parametrize("interval", [wilson_interval, jeffreys_interval])
def test_proportion_interval_ends(interval: Callable[..., tuple[np.ndarray, np.ndarray]]) -> None:
    """Ends are exact at k = 0 and k = n, [0, 1] at n = 0, and widen with the confidence level."""
    k = np.array([0, 0, 3, 10, 0])
    n = np.array([10, 0, 10, 10, 1])
    low, high = interval(k, n)
    assert low[0] == 0.0
    assert high[2] < 1.0
    assert (low[1], high[1]) == (0.0, 1.0)
    assert high[3] == 1.0
    assert low[3] > 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.maximum(n, 1), 0.5)
    assert np.all((low <= share) & (share <= high))
    wide_low, wide_high = interval(k, n, confidence_level=0.99)
    assert np.all(wide_low <= low + 1e-15)
    assert np.all(wide_high >= high - 1e-15)


def test_predicted_count_interval_properties() -> None:
    """The predicted count u * t / d lies in [low, high] within [0, u], which widens with confidence."""
    t = np.array([0, 3, 10, 0, 7, 500])
    d = np.array([10, 10, 10, 0, 20, 1000])
    u = np.array([5, 5, 5, 8, 0, 200])
    est, low, high = predicted_count_interval(t, d, u)
    assert est == pytest.approx(np.where(d > 0, u * t / np.maximum(d, 1), u / 2))
    assert np.all((low >= 0) & (low <= est) & (est <= high) & (high <= u))
    assert (est[4], low[4], high[4]) == (0, 0, 0)
    assert est[3] == 4
    assert low[3] == 0
    assert high[3] == 8
    # A share of 0 or 1 can still be wrong for the unseen rows.
    assert low[0] == 0
    assert high[2] == 5
    wide = predicted_count_interval(t, d, u, confidence_level=0.99)
    assert np.all(wide[1] <= low + 1e-12)
    assert np.all(wide[2] >= high - 1e-12)
    more = predicted_count_interval(t * 10, d * 10, u)
    assert np.all(more[2] - more[1] <= high - low + 1e-12)


def test_predicted_count_interval_with_a_known_share_is_binomial() -> None:
    """With the share known, the interval is the normal interval of a Binomial(u, p) count."""
    u, p = np.array([400.0]), 0.3
    d = np.array([10.0**9])
    est, low, high = predicted_count_interval(d * p, d, u)
    half = stats.norm.ppf(0.975) * np.sqrt(u * p * (1 - p))
    assert est == pytest.approx(u * p)
    assert low == pytest.approx(u * p - half, rel=1e-3)
    assert high == pytest.approx(u * p + half, rel=1e-3)


def _simulate(rng: np.random.Generator, reps: int, n: int, unmeasured: float, p: float) -> tuple[np.ndarray, ...]:
    """Per replicate of ``n`` rows, each on the rung with probability ``p`` and unmeasured with
    probability ``unmeasured`` independently (missing completely at random): rung members
    among measured rows, measured rows, unmeasured rows, and the truth to cover (rung
    members among the unmeasured rows)."""
    measured = rng.binomial(n, 1 - unmeasured, reps)
    return rng.binomial(measured, p), measured, n - measured, rng.binomial(n - measured, p)


#: (rows, unmeasured share, share on the rung): counts large enough for the normal parts of the
#: interval to hold, so its coverage is the nominal one up to Monte Carlo error.
LARGE = [(1000, 0.3, 0.1), (2000, 0.05, 0.9), (400, 0.25, 0.5)]


@pytest.mark.parametrize(("n", "unmeasured", "p"), LARGE)
def test_extrapolation_interval_has_nominal_coverage(n: int, unmeasured: float, p: float) -> None:
    """The unmeasured-count interval covers the truth at 95 % within three Monte Carlo SEs."""
    reps = 40_000
    t, d, u, truth = _simulate(np.random.default_rng(20240501), reps, n, unmeasured, p)
    _, low, high = predicted_count_interval(t, d, u)
    coverage = np.mean((low <= truth) & (truth <= high))
    se = np.sqrt(0.95 * 0.05 / reps)
    assert abs(coverage - 0.95) <= 3 * se, coverage


def test_audit_interval_covers_the_truth() -> None:
    """An audit's viewable interval is the predicted-count interval rounded out, covering >= 95 %."""
    rng = np.random.default_rng(7)
    groups, n, p, unmeasured = 3000, 40, 0.3, 0.25
    viewable = rng.random((groups, n)) < p
    hidden = rng.random((groups, n)) < unmeasured
    table = pa.table(
        {
            "item_id": np.repeat(np.arange(groups), n),
            # an unmeasured row has neither dwell nor visibility
            "dwell_ms": pa.array(np.where(hidden, np.nan, np.where(viewable, 5000.0, 100.0)).ravel()),
            "visible_fraction": pa.array(np.where(hidden, np.nan, 1.0).ravel()),
        }
    )
    got = va.audit(table, by="item_id").table
    low = got["viewable_impressions_low"].to_numpy()
    high = got["viewable_impressions_high"].to_numpy()
    t, u = (viewable & ~hidden).sum(1), hidden.sum(1)
    estimate, add_low, add_high = predicted_count_interval(t, n - u, u)
    assert got["viewable_impressions_estimate"].to_numpy() == pytest.approx(t + estimate, rel=1e-12)
    assert np.array_equal(low, t + np.floor(add_low + 1e-9))
    assert np.array_equal(high, t + np.ceil(add_high - 1e-9))
    assert np.array_equal(got["viewable_undetermined"].to_numpy(), u)
    truth = viewable.sum(1)
    coverage = np.mean((low <= truth) & (truth <= high))
    se = np.sqrt(0.95 * 0.05 / groups)
    assert coverage >= 0.95 - 3 * se, coverage


@pytest.mark.parametrize("confidence_level", LEVELS)
def test_partially_identified_z_solves_the_imbens_manski_equation(confidence_level: float) -> None:
    """c solves Phi(c + width/sd) - Phi(-c) = level (Imbens & Manski 2004, Econometrica 72:1845-1857),
    found here by scipy's brentq; it is the two-sided quantile at width 0 and the
    one-sided one when the bounds are far apart or exact."""
    width = np.array([0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 8.0, 50.0, 3.0, 0.0])
    sd = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    got = partially_identified_z(width, sd, confidence_level=confidence_level)
    one_sided, two_sided = stats.norm.ppf(confidence_level), stats.norm.ppf(0.5 + confidence_level / 2)
    for c, r in zip(got[:8], width[:8] / sd[:8], strict=True):
        want = optimize.brentq(lambda x: stats.norm.cdf(x + r) - stats.norm.cdf(-x) - confidence_level, 0, 10, xtol=1e-13)  # noqa: B023
        assert c == pytest.approx(want, abs=1e-9)
    assert got[0] == pytest.approx(two_sided, abs=1e-12)
    assert got[-1] == pytest.approx(two_sided, abs=1e-12)  # 0/0: a point, not a range
    assert got[7] == pytest.approx(one_sided, abs=1e-12)
    assert got[8] == pytest.approx(one_sided, abs=1e-12)
    assert np.all(np.diff(got[:8]) <= 0)  # the further apart the bounds, the smaller c


def test_a_bounded_count_takes_the_imbens_manski_margin_and_a_sample_the_score_margin() -> None:
    """Bounds that meet give estimate +- z sd; bounds far apart a one-sided margin beyond each;
    a sampled count's ends solve the score equation (N - bound)**2 = c**2 (w - 1) N."""
    one = np.ones(3)
    b = BoundedCount(50 * one, np.array([50.0, 20.0, 20.0]), np.array([50.0, 90.0, 21.0]), 5 * one, 5 * one)
    low, high = b.interval(0.95)
    z2, z1 = stats.norm.ppf(0.975), stats.norm.ppf(0.95)
    assert (low[0], high[0]) == pytest.approx((50 - z2 * 5, 50 + z2 * 5), abs=1e-9)
    assert (low[1], high[1]) == pytest.approx((20 - z1 * 5, 90 + z1 * 5), abs=1e-6)
    c = optimize.brentq(lambda x: stats.norm.cdf(x + 1 / 5) - stats.norm.cdf(-x) - 0.95, 0, 10)
    assert (low[2], high[2]) == pytest.approx((20 - c * 5, 21 + c * 5), abs=1e-9)
    # A 10 % sample: the bounds 300 and 700 of the sample scale to 3,000 and 7,000.
    w = 10.0
    sampled = BoundedCount(np.array([50.0]), np.array([30.0]), np.array([70.0]), np.zeros(1), np.zeros(1)).scaled_up(1 / w)
    assert (sampled.low_bound[0], sampled.high_bound[0], sampled.sampling) == (300, 700, w - 1)
    low, high = sampled.interval(0.95)
    # The width (400, sd sqrt(9 * 400) = 60) at its lower limit; sd at the larger bound.
    c = partially_identified_z(np.array([400 - z1 * 60]), np.array([np.sqrt(9 * 700)]))[0]
    assert (high[0] - 700) ** 2 == pytest.approx(c * c * (w - 1) * high[0], rel=1e-9)
    assert (300 - low[0]) ** 2 == pytest.approx(c * c * (w - 1) * low[0], rel=1e-9)
    assert low[0] < 300 < 700 < high[0]
