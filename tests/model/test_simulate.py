"""Simulation: determinism, batching, the canonical schema, measurement, and the truth against
the audit of the log."""

from __future__ import annotations

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy import integrate, stats

import viewaudit as va
from viewaudit._estimators.histogram import CENSORING_POINT_MS, _bin_of
from viewaudit._ladder import crossings as _crossings
from viewaudit._model import _simulate
from viewaudit._scan.crossing_codes import floored_value
from viewaudit.estimators import DwellHistogram

from helpers.simulate import MODEL

GAPS = va.Measurement(measurable=0.7, censoring_mean_s=20.0, rounding_ms=1000.0, sampling_rate=0.5)


def test_same_seed_same_log():
    """A seed fixes the log; another seed gives another; ``sim.seed`` reproduces a fresh run."""
    a = va.simulate(MODEL, rng=5)
    assert va.simulate(MODEL, rng=5).log.equals(a.log)
    assert not va.simulate(MODEL, rng=6).log.equals(a.log)
    fresh = va.simulate(MODEL)
    assert va.simulate(MODEL, rng=fresh.seed).log.equals(fresh.log)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert va.simulate(MODEL, rng=g1).log.equals(va.simulate(MODEL, rng=g2).log)
    assert va.simulate(MODEL, rng=np.random.SeedSequence(4)).log.equals(va.simulate(MODEL, rng=np.random.SeedSequence(4)).log)


def test_batches_concatenate_to_the_log():
    """``simulate_batches`` yields the same rows as ``simulate``, and with ``complete=True`` the
    complete log whose audit is the truth."""
    model = attrs.evolve(MODEL, measurement=GAPS)
    sim = va.simulate(model, rng=3)
    batches = list(va.simulate_batches(model, rng=3))
    assert pa.Table.from_batches(batches, schema=sim.log.schema).equals(sim.log)
    complete = pa.Table.from_batches(list(va.simulate_batches(model, rng=3, complete=True)))
    assert va.audit(complete).ladder == sim.truth.ladder


def test_log_does_not_depend_on_chunking(monkeypatch):
    """Accounts keep their rows when the population grows: chunks of a fixed size each draw
    from their own stream, so the first chunks of a bigger run are the smaller run."""
    monkeypatch.setattr(_simulate, "CHUNK_IMPRESSIONS", 1_000)  # about 400 accounts a chunk
    model = attrs.evolve(MODEL, self_view_share=0.0)
    size = _simulate._Plan.of(model, 8).chunk_accounts
    assert size < 500
    small = va.simulate(model, viewers=2_000, rng=8).log
    big = va.simulate(model, viewers=3_100, rng=8).log
    whole = 2_000 // size * size  # accounts in the small run's complete chunks
    assert small.num_rows > 0
    assert big.filter(pc.less(big["viewer_id"], whole)).equals(small.filter(pc.less(small["viewer_id"], whole)))


def test_bad_arguments_raise():
    """Wrong rng, model or size arguments raise with the argument named."""
    with pytest.raises(TypeError, match=r"rng must be a numpy Generator, a SeedSequence, an int seed or None, got 'x'"):
        va.simulate(MODEL, rng="x")
    with pytest.raises(ValueError, match=r"rng must be a non-negative int seed, got -1"):
        va.simulate(MODEL, rng=-1)
    with pytest.raises(ValueError, match=r"give impressions or viewers, not both"):
        va.simulate(MODEL, impressions=10, viewers=10)
    with pytest.raises(ValueError, match=r"impressions must be a finite number > 0, got 0"):
        va.simulate(MODEL, impressions=0)
    with pytest.raises(TypeError, match=r"model must be a FeedModel, got None"):
        va.simulate(None)
    with pytest.raises(ValueError, match=r"FeedModel\.viewers must be an integer >= 1, got 0"):
        va.simulate(MODEL, viewers=0)
    with pytest.raises(
        ValueError, match=r"this model expects 1,\d{3},\d{3},\d{3} impressions \(more than 100,000,000\); pass impressions="
    ):
        va.simulate(va.get_scenario("x-openai-2023").model)


def test_log_is_in_the_canonical_schema():
    """Columns, types and ids: accounts 0..N-1, the author of item j -(j + 1), self-views by
    the author."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.5)), rng=2)
    log = sim.log
    assert log.column_names == [*sim.model.columns]
    assert log.column_names[:10] == list(va.CANONICAL_COLUMNS)[:10]
    assert log.schema.field("ts").type == pa.timestamp("ms", tz="UTC")
    assert pc.all(pc.equal(log["author_id"], pc.subtract(-1, log["item_id"]))).as_py()
    self_views = pc.less(log["viewer_id"], 0)
    assert pc.any(self_views).as_py()
    assert pc.all(pc.equal(log.filter(self_views)["viewer_id"], log.filter(self_views)["author_id"])).as_py()
    assert pc.all(pc.less(log.filter(pc.invert(self_views))["viewer_id"], sim.model.viewers)).as_py()
    agents = set(log["user_agent"].to_pylist())
    assert agents <= {*MODEL.user_agents, *MODEL.bots.user_agents}
    ts = log["ts"].cast(pa.int64()).to_numpy()
    assert ts.min() >= MODEL.start_ms
    assert ts.max() < MODEL.start_ms + MODEL.period_days * 86_400_000
    assert set(log["weight"].to_pylist()) == {2.0}
    assert va.audit(log).rows.rejected == {}


@pytest.mark.parametrize("policy", ["mrc-display", "platform", "trueview", "linkedin-mobile"])
def test_auditing_the_complete_log_reproduces_the_truth(policy):
    """A fully measured, unsampled log audits to exactly the truth (low = high = estimate)."""
    sim = va.simulate(MODEL, policy=policy, rng=21)
    audited = va.audit(sim.log, policy=policy)
    assert audited.ladder == sim.truth.ladder
    assert audited.inflation == sim.truth.inflation
    assert all(r.impressions.exact and r.unique_viewers.exact for r in audited.ladder)
    assert sim.truth.rows.read == sim.log.num_rows


def test_the_truth_carries_k_plus_reach_on_request():
    """simulate(frequency=K): the truths carry k+ reach, the complete log's audit with the same
    frequency= reproduces them, and they do not change the rest of the truth."""
    sim = va.simulate(MODEL, rng=21, frequency=3)
    audited = va.audit(sim.log, frequency=3)
    assert audited.ladder == sim.truth.ladder
    assert [len(r.reach) for r in sim.truth.ladder] == [3] * len(va.LEVELS)
    assert sim.truth.ladder["viewable"].reach[1].viewers.estimate < sim.truth.ladder["viewable"].unique_viewers.estimate
    plain = va.simulate(MODEL, rng=21)
    assert [(r.impressions, r.unique_viewers) for r in plain.truth.ladder] == [
        (r.impressions, r.unique_viewers) for r in sim.truth.ladder
    ]


def test_measurement_leaves_the_complete_log_and_the_truth_unchanged():
    """Measurement draws from its own stream: the truth is the same with and without gaps, and
    the log only loses what the measurement says."""
    complete = va.simulate(MODEL, rng=4)
    measured = va.simulate(attrs.evolve(MODEL, measurement=GAPS), rng=4)
    assert measured.truth.ladder == complete.truth.ladder
    # Sampling keeps about half the rows, each with weight 2.
    n, kept = complete.log.num_rows, measured.log.num_rows
    assert abs(kept - n / 2) < 4 * np.sqrt(n / 4)
    joined = measured.log.join(
        complete.log.select(["viewer_id", "ts", "item_id", "dwell_ms"]).rename_columns(
            ["viewer_id", "ts", "item_id", "true_dwell"]
        ),
        ["viewer_id", "ts", "item_id"],
    )
    assert joined.num_rows == kept
    logged = joined.filter(pc.is_valid(joined["dwell_ms"]))
    dwell, true = logged["dwell_ms"].to_numpy(), logged["true_dwell"].to_numpy()
    assert np.all(dwell <= true)
    assert np.all(dwell % 1000 == 0)
    censored = logged["dwell_censored"].to_numpy()
    assert censored.any()
    assert np.all(true[censored] > dwell[censored])
    assert np.all(np.floor(true[~censored] / 1000) * 1000 == dwell[~censored])
    share = pc.mean(pc.is_valid(joined["dwell_ms"]).cast(pa.float64())).as_py()
    assert abs(share - 0.7) < 4 * np.sqrt(0.21 / kept)
    unmeasured = joined.filter(pc.is_null(joined["dwell_ms"]))
    assert unmeasured["in_view_ms"].null_count == unmeasured["visible_fraction"].null_count == unmeasured.num_rows


def test_truth_lies_inside_the_audit_intervals_of_a_partly_measured_log():
    """A third of the rows unmeasured (missing at random, the audit's assumption): the truth of
    every estimated figure lies inside the audit's 95 % interval (one seed; the coverage rate
    over many is the next test)."""
    model = attrs.evolve(MODEL, bots=va.Bots(share=0.0), measurement=va.Measurement(measurable=2 / 3))
    sim = va.simulate(model, rng=33)
    audited = va.audit(sim.log)
    assert audited.ladder["viewable"].undetermined > 0
    for level in ("viewable", "attended"):
        for figure in ("impressions", "unique_viewers"):
            est, truth = getattr(audited.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            assert est.low <= truth <= est.high, (level, figure, est, truth)
            assert est.low < est.high


def test_session_censoring_is_resolved_by_the_life_table():
    """With sessions ending a mean 3 s after an impression starts, rows censored below a
    threshold are resolved by the life table: viewable and attended intervals cover the truth
    (missing at random, they ran low)."""
    model = attrs.evolve(MODEL, bots=va.Bots(share=0.0), measurement=va.Measurement(censoring_mean_s=3.0))
    sim = va.simulate(model, impressions=100_000, rng=41)
    audited = va.audit(sim.log)
    for level in ("viewable", "attended"):
        for figure in ("impressions", "unique_viewers"):
            est, truth = getattr(audited.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            assert est.low <= truth <= est.high, (level, figure, est, truth)


def test_whole_second_logs_bound_what_they_cannot_tell():
    """Censored and floored to whole seconds, a 300 ms rule is partly identified: the interval
    spans what the data allow and covers the truth; a 1 s rule is not affected."""
    model = attrs.evolve(MODEL, bots=va.Bots(share=0.0), measurement=va.Measurement(censoring_mean_s=3.0, rounding_ms=1000.0))
    sim = va.simulate(model, impressions=50_000, rng=43, compare=["linkedin-mobile"])
    for policy in ("mrc-display", "linkedin-mobile"):
        audited = va.audit(sim.log, policy=policy, rounding_ms=1000)
        for level in ("viewable", "attended"):
            est, truth = audited.ladder[level].impressions, sim.truths[policy].ladder[level].impressions.estimate
            assert est.low <= truth <= est.high, (policy, level, est, truth)


def test_a_threshold_past_the_observed_times_is_bounded_not_extrapolated():
    """Sessions ending a mean 2 s in leave (almost) no time observed past 30 s: the chance that
    a row censored at c reaches 30 s is not identified, and the interval spans what the data
    allow instead of the life table's flat tail or its drop to 0. The truth is covered, exact
    or floored, and with a 10 % sample on top (unique viewers too)."""
    model = attrs.evolve(MODEL, bots=va.Bots(share=0.0), measurement=va.Measurement(censoring_mean_s=2.0))
    sim = va.simulate(model, impressions=30_000, rng=47, policy="trueview")
    histograms = va.summarize(sim.log, policy="trueview").histograms
    assert histograms is not None
    assert _crossings.supported_until(histograms[0]) < 30_000.0  # the viewable rung's in-view times
    audited = va.audit(sim.log, policy="trueview")
    for level in ("viewable", "attended"):
        for figure in ("impressions", "unique_viewers"):
            est, truth = getattr(audited.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            assert est.low <= truth <= est.high, (level, figure, est, truth)
            assert est.high > est.low  # not exact: undetermined rows remain
    assert any(a.startswith("viewable: no time was observed as long as the 30 s threshold") for a in audited.assumptions)
    sampled = attrs.evolve(model, measurement=va.Measurement(censoring_mean_s=2.0, rounding_ms=1000.0, sampling_rate=0.1))
    sim = va.simulate(sampled, impressions=30_000, rng=48, policy="trueview")
    audited = va.audit(sim.log.drop_columns(["weight"]), policy="trueview", rounding_ms=1000, sample_rate=0.1)
    for level in ("viewable", "attended"):
        for figure in ("impressions", "unique_viewers"):
            est, truth = getattr(audited.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            assert est.low <= truth <= est.high, (level, figure, est, truth)
        rung = audited.ladder[level]
        assert rung.unique_viewers.estimate <= rung.impressions.estimate


def test_support_ends_at_the_last_observed_time():
    """``supported_until``: the start of the bin of the last time observed, exact, censored or
    floored (0 for none)."""
    hist = DwellHistogram.from_arrays([500.0, 900.0, 40_000.0], [False, False, True])
    edge = _crossings.supported_until(hist)
    assert 40_000.0 / 1.03 < edge <= 40_000.0
    assert _crossings.supported_until(DwellHistogram.from_arrays([500.0, 900.0], [False, True])) <= 900.0
    floored = DwellHistogram.from_arrays([3000.0], rounded_to_seconds=True)
    assert 3000.0 / 1.03 < _crossings.supported_until(floored) <= 3000.0
    assert _crossings.supported_until(DwellHistogram.empty()) == 0.0


def test_an_empty_draw_still_has_the_schema():
    """A population that sees nothing gives an empty log in the canonical schema, truth zero."""
    model = va.FeedModel(viewers=3, exposure=va.Exposure(mean=1e-9, shape=1.0))
    sim = va.simulate(model, rng=0)
    assert sim.log.num_rows == 0
    assert sim.log.schema == _simulate.schema(model)
    assert sim.truth.ladder["rendered"].impressions.estimate == 0


def test_simulation_carries_its_expectation():
    """``Simulation.expected`` is the closed form of the simulated (scaled) model."""
    sim = va.simulate(MODEL, impressions=5_000, compare=["platform"], rng=1)
    assert sim.model.viewers != MODEL.viewers
    assert sim.expected().policy == sim.policy == va.get_policy("mrc-display")
    assert sim.expected("platform").ladder == va.expected_ladder(sim.model, policy="platform").ladder
    assert set(sim.truths) == {"mrc-display", "platform"}


def test_viewers_that_differ_are_counted_with_their_own_propensity():
    """Half the valid traffic from undetected bots with near-zero dwell and half the rows
    unmeasured: the audit's unique viewable viewers cover the truth. Counting each viewer's
    unmeasured rows with the pooled share, as if viewers were alike, overshot it here (the
    association inequality; viewaudit._ladder.propensity)."""
    model = attrs.evolve(
        MODEL,
        viewers=20_000,
        bots=va.Bots(share=0.5, activity=1.0, flagged=0.0, with_user_agent=0.0),
        measurement=va.Measurement(measurable=0.5),
    )
    sim = va.simulate(model, rng=43)
    est, truth = va.audit(sim.log).ladder["viewable"].unique_viewers, sim.truth.ladder["viewable"].unique_viewers.estimate
    assert est.low <= truth <= est.high, (est, truth)


def test_a_floored_censoring_code_gives_back_its_whole_second() -> None:
    """A row cut in second k is coded by the bin of k s; the code gives k back for every second
    a 2.3 %-wide bin holds alone (up to 42 s), and every multiple at other resolutions (up to
    r / 0.0233). Flooring the bin's geometric middle, as before, gave k - 1 for many of them."""
    for r in (1000.0, 500.0, 250.0):
        logged = np.arange(0, int(1 / 0.0233)) * r
        assert np.array_equal(floored_value(_bin_of(logged), r), logged)
    seconds = np.arange(1, 44) * 1000.0
    middle = np.floor(CENSORING_POINT_MS[_bin_of(seconds)] / 1000.0 + 1e-6) * 1000.0
    assert np.count_nonzero(middle != seconds) > 10


def test_whole_second_censored_rows_take_the_whole_second_life_table() -> None:
    """Times floored to whole seconds and cut by independent exponential sessions: a row cut in
    second c reaches a whole-second threshold tau with S(tau) / S(c + 1) from the whole-second
    life table times the model's chance of lasting to c + 1. Against the exact chance
    (scipy.integrate.quad over the censoring time's density in the step), the truth lies within
    the bounds the table gives, widened by 3 Greenwood standard errors, and at 10 and 30 s the
    estimate is within 3 of them. The population is a mixture the glance/read families do not
    hold (gamma and exponential)."""
    rng = np.random.default_rng(7)
    n = 100_000
    long = rng.random(n) < 0.15
    dwell = np.where(long, rng.exponential(20_000.0, n), rng.gamma(2.0, 1_500.0, n))
    session = rng.exponential(5_000.0, n)
    logged = np.floor(np.minimum(dwell, session) / 1000.0) * 1000.0
    hist = DwellHistogram.from_arrays(logged, dwell > session, rounded_to_seconds=True)
    table = _crossings._time_model(hist, 1000.0, "time")
    assert isinstance(table, _crossings._WholeSeconds)
    gamma = stats.gamma(2.0, scale=1_500.0)

    def surv(t: float) -> float:
        return float(0.15 * np.exp(-t / 20_000.0) + 0.85 * gamma.sf(t))

    density = stats.expon(scale=5_000.0).pdf
    for tau in (3_000.0, 10_000.0, 30_000.0):
        for c in (0.0, 2_000.0, 5_000.0):
            if c + 1000.0 > tau:
                continue
            parts = _bin_of(np.array([c]))
            est, low, high = (float(x[0]) for x in table.probabilities(tau, parts))
            se = float(np.sqrt(table.variance(tau, np.zeros(1, dtype=np.int64), parts, np.array([est]), 1)[0]))
            cut = integrate.quad(density, c, c + 1000.0)[0]
            want = surv(tau) * cut / integrate.quad(lambda x: surv(x) * density(x), c, c + 1000.0)[0]
            assert low - 3 * se <= want <= high + 3 * se, (tau, c, est, low, high, se, want)
            if tau >= 10_000.0:
                assert abs(est - want) <= 3 * se, (tau, c, est, se, want)


@pytest.mark.parametrize("c", [0.0, 1000.0, 2000.0])
def test_a_row_censored_inside_a_second_averages_over_the_second(c: float) -> None:
    """Censored at an unknown x in [c, c + 1 s): P(T >= tau) is the mean of S(max(tau, x)) over
    the second divided by the mean of S (x given censoring has density proportional to S(x)),
    not the chance at the second's middle (reference: scipy.integrate.quad; the 8-node
    Gauss-Legendre rule the dwell likelihood also uses agrees to 1e-4 where S falls steeply)."""
    dist = stats.lognorm(0.8, scale=400.0)

    def surv(t: np.ndarray) -> np.ndarray:
        return np.asarray(dist.sf(t))

    tau = 1300.0
    got = _crossings._censored_in_interval(surv, tau, float(dist.sf(tau)), np.array([c]), 1000.0)[0]
    top = integrate.quad(lambda x: dist.sf(max(tau, x)), c, c + 1000.0, points=[tau] if c < tau < c + 1000 else None)[0]
    want = top / integrate.quad(dist.sf, c, c + 1000.0)[0]
    assert got == pytest.approx(want, rel=1e-4)
    lo, hi = min(1.0, dist.sf(tau) / dist.sf(c)), min(1.0, dist.sf(tau) / dist.sf(c + 1000.0))
    assert lo <= got <= hi
    middle = min(1.0, dist.sf(tau) / dist.sf(c + 500.0))
    if c < tau:  # where tau is past the second, the selection shows: the middle's chance is off
        assert abs(got - middle) > 1e-3


def _decoded(log: pa.Table) -> pa.Table:
    """``log`` with its dictionary-encoded user agents as plain text, the form every reader
    gave the scan before it kept them encoded."""
    at = log.schema.get_field_index("user_agent")
    return log.set_column(at, "user_agent", log["user_agent"].cast(pa.string()))


@pytest.mark.parametrize("scenario", sorted(va.scenarios()))
@pytest.mark.parametrize(("impressions", "seed", "frequency"), [(60_000, 0, None), (20_000, 7, 3)])
def test_the_truth_is_the_generic_audit_of_the_complete_log(scenario, impressions, seed, frequency):
    """The truths ``run`` computes while drawing (dictionary-encoded user agents, keys sorted
    by the grouped-rows rule) are byte for byte ``viewaudit.compare`` of the complete log
    handed over as one plain-text table, for every preset."""
    model = va.get_scenario(scenario).model
    sim = va.simulate(model, impressions=impressions, rng=seed, compare=list(va.PRESETS), frequency=frequency)
    complete = pa.Table.from_batches(list(va.simulate_batches(model, impressions=impressions, complete=True, rng=seed)))
    generic = va.compare(_decoded(complete), policies=list(sim.truths), frequency=frequency, progress=False)
    assert {a.policy.name: a.to_dict() for a in generic.audits} == {k: v.to_dict() for k, v in sim.truths.items()}
