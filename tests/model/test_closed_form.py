"""The expected ladder in closed form: against simulation, against textbook identities, and its
ladder order for any valid model and policy."""

from __future__ import annotations

import math
import time

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import viewaudit as va
from viewaudit.strategies import feed_models, policies

RICH = va.FeedModel(
    viewers=20_000,
    exposure=va.Exposure(mean=2.5, shape=0.4),
    dwell=va.DwellMixture(
        zero=0.1, glance_weight=0.6, glance=va.Weibull(scale_s=0.7, shape=0.7), read=va.LogNormal(median_s=7.0, sigma=1.2)
    ),
    visibility=va.Visibility(alpha=2.0, beta=1.5, in_view_share=0.7),
    interactions=(
        va.Interaction(column="liked", attended=0.05, not_attended=0.01, attention_s=2.0),
        va.Interaction(column="clicked", attended=0.03, not_attended=0.002, attention_s=0.5),
        va.Interaction(column="shared", attended=0.02, not_attended=0.0, attention_s=5.0),
    ),
    bots=va.Bots(share=0.3, activity=4.0, flagged=0.5, with_user_agent=0.4),
    self_view_share=0.05,
    items=30,
    item_popularity=1.0,
    # One people's agent matches a default bot pattern (okhttp): people can be filtered too.
    user_agents=("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148", "okhttp/4.9.3"),
)
CUSTOM = va.Policy(
    name="custom",
    min_visible_fraction=0.3,
    min_in_view_ms=500.0,
    attention_ms=0.0,
    exclude_self_views=False,
    use_bot_flag=False,
    bot_user_agents=("python",),
    interactions=("shared", "clicked"),
)
CASES = {
    "default": (va.FeedModel(viewers=40_000), ("mrc-display", "platform", "trueview")),
    "rich": (RICH, ("mrc-display", "platform", "linkedin-mobile", CUSTOM)),
    "news-site": (va.get_scenario("news-site").model.scaled(impressions=60_000), ("mrc-display", "meta-3s")),
    "short-video": (
        va.get_scenario("short-video").model.scaled(impressions=80_000),
        ("platform", *va.get_scenario("short-video").policies),
    ),
}


def _standard_errors(log, policy, model):
    """Plug-in standard errors of each rung's impressions and unique viewers.

    Accounts are independent and identically distributed units (zeros included for those with
    no row): Var(total) = N Var(X). Authors' self-views are independent Poisson counts, whose
    variance is their mean: estimated by the count itself (and bounding the variance of the
    authors' unique count).
    """
    table = va.summarize(log, policy=policy).table
    ids = table["viewer_id"].to_numpy()
    accounts = ids >= 0  # authors have negative ids
    out = {}
    for level in va.LEVELS:
        n = table[f"n_{level}"].to_numpy().astype(float)
        for figure, x in (("impressions", n), ("unique_viewers", (n > 0).astype(float))):
            xa = x[accounts]
            var = model.viewers * (np.sum(xa**2) / model.viewers - (np.sum(xa) / model.viewers) ** 2)
            var += np.sum(x[~accounts])
            out[level, figure] = math.sqrt(var + 1.0)  # + 1: a count's SE is never below one
    return out


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("case", list(CASES))
def test_simulation_agrees_with_the_closed_form(case, seed):
    """Each rung's simulated impressions and unique viewers lie within 4 standard errors of the
    closed-form expectation, under several policies."""
    model, names = CASES[case]
    sim = va.simulate(model, policy=names[0], compare=names[1:], rng=seed)
    for name in names:
        policy = va.get_policy(name)
        truth = sim.truths[policy.name]
        expected = va.expected_ladder(model, policy=policy)
        se = _standard_errors(sim.log, policy, model)
        for level in va.LEVELS:
            for figure in ("impressions", "unique_viewers"):
                got = getattr(truth.ladder[level], figure).estimate
                want = getattr(expected.ladder[level], figure).estimate
                assert abs(got - want) < 4 * se[level, figure], (policy.name, level, figure, got, want, se[level, figure])


def test_rendered_impressions_and_reach_are_the_negative_binomial_figures():
    """Without bots or self-views, rendered impressions are N m and unique viewers N (1 - P(0)),
    with P(0) from scipy's negative binomial."""
    m, k, n = 3.7, 0.45, 1_000_003
    model = va.FeedModel(viewers=n, exposure=va.Exposure(mean=m, shape=k))
    rendered = va.expected_ladder(model, policy="platform").ladder["rendered"]
    assert rendered.impressions.estimate == pytest.approx(n * m, rel=1e-12)
    p0 = stats.nbinom.pmf(0, k, k / (k + m))
    assert rendered.unique_viewers.estimate == pytest.approx(n * (1 - p0), rel=1e-12)


def test_large_shape_tends_to_the_poisson_reach():
    """As the Gamma shape grows, unique viewers tend to the Poisson N (1 - exp(-m q))."""
    model = va.FeedModel(viewers=10**6, exposure=va.Exposure(mean=2.0, shape=1e9))
    expected = va.expected_ladder(model, policy="mrc-display")
    viewable = expected.ladder["viewable"]
    q = viewable.impressions.estimate / (10**6 * 2.0)
    assert viewable.unique_viewers.estimate == pytest.approx(10**6 * -math.expm1(-2.0 * q), rel=1e-6)


def test_viewable_and_attended_follow_the_thresholds():
    """Viewable = P(visible >= f) P(dwell >= t_view / in_view_share), attended adds the
    attention threshold, for people with a known dwell mixture."""
    model = attrs.evolve(RICH, bots=va.Bots(share=0.0), self_view_share=0.0, user_agents=va.FeedModel(viewers=1).user_agents)
    policy = va.get_policy("mrc-video")
    expected = va.expected_ladder(model, policy=policy)
    rendered = expected.ladder["rendered"].impressions.estimate
    visible = stats.beta.sf(0.5, 2.0, 1.5)
    assert expected.ladder["viewable"].impressions.estimate / rendered == pytest.approx(
        visible * float(model.dwell.sf(2.0 / 0.7))
    )
    assert expected.ladder["attended"].impressions.estimate / rendered == pytest.approx(
        visible * float(model.dwell.sf(2.0 / 0.7))
    )
    attended = va.expected_ladder(model, policy=attrs.evolve(policy, attention_ms=4000.0)).ladder["attended"]
    assert attended.impressions.estimate / rendered == pytest.approx(visible * float(model.dwell.sf(4.0)))


def test_the_full_scale_ladder_is_instant():
    """The X scenario's 1.3 billion impressions take milliseconds: nothing is simulated."""
    model = va.get_scenario("x-openai-2023").model
    va.expected_ladder(model)  # warm caches (regex compilation, scipy)
    started = time.process_time()  # CPU time: immune to what else the machine runs
    expected = va.expected_ladder(model, policy="platform")
    assert time.process_time() - started < 0.25
    assert expected.views.estimate == pytest.approx(1.3e9, abs=model.impressions_per_viewer)


def test_report_shape_matches_the_audit():
    """``to_dict()`` has the audit report's ladder and inflation shape, with exact estimates."""
    model = va.FeedModel(viewers=500)
    expected = va.expected_ladder(model).to_dict()
    audited = va.simulate(model, rng=0).truth.to_dict()
    for mine, theirs in zip(expected["ladder"], audited["ladder"], strict=True):
        assert mine.keys() == theirs.keys()
        assert mine["level"] == theirs["level"]
        assert mine["impressions"].keys() == theirs["impressions"].keys()
        assert mine["impressions"]["low"] == mine["impressions"]["estimate"] == mine["impressions"]["high"]
    assert expected["inflation"].keys() == audited["inflation"].keys()
    assert expected["inflation"]["factors"].keys() == audited["inflation"]["factors"].keys()
    assert expected["views"]["level"] == "viewable"


def test_inflation_is_the_product_of_its_factors():
    """The headline equals invalid traffic x non-viewable x inattentive x repeats."""
    expected = va.expected_ladder(RICH)
    product = math.prod(f.estimate for f in expected.inflation.factors.values())
    assert expected.inflation.headline.estimate == pytest.approx(product)


def test_engaged_is_undetermined_when_the_policy_reads_no_interaction():
    """As in the audit, a model without the policy's interaction columns leaves engaged open."""
    model = va.FeedModel(viewers=1_000, interactions=(va.Interaction(column="shared", attended=0.1, not_attended=0.0),))
    engaged = va.expected_ladder(model).ladder["engaged"]
    valid = va.expected_ladder(model).ladder["valid"]
    assert engaged.impressions.estimate is None
    assert engaged.impressions.low == 0.0
    assert engaged.impressions.high == valid.impressions.estimate
    audited = va.audit(va.simulate(model, rng=1).log).ladder["engaged"]
    assert audited.impressions.estimate is None


def test_policy_naming_missing_interactions_is_rejected():
    """A policy that reads a column the model never writes raises ValueError naming it."""
    policy = va.Policy(name="p", interactions=("replied",))
    with pytest.raises(ValueError, match=r"reads interaction column\(s\) replied that the model does not produce"):
        va.expected_ladder(va.FeedModel(viewers=10), policy=policy)
    with pytest.raises(TypeError, match=r"model must be a FeedModel, got 3"):
        va.expected_ladder(3)


def _wide_models():
    """Models from the project's strategy at any scale: 1 to 10^12 accounts, exposure means
    from 10^-6 to 10^6 and shapes from 10^-4 to 10^6."""
    return st.builds(
        lambda model, viewers, mean, shape: attrs.evolve(model, viewers=viewers, exposure=va.Exposure(mean=mean, shape=shape)),
        feed_models(),
        st.integers(1, 10**12),
        st.floats(1e-6, 1e6),
        st.floats(1e-4, 1e6),
    )


@given(model=st.one_of(feed_models(), _wide_models()), policy=policies())
def test_expected_ladder_is_ordered(model, policy):
    """For any valid model and policy: every rung within its parent, unique viewers within
    impressions, everything finite and non-negative."""
    produced = {i.column for i in model.interactions}
    if policy.interactions is not None and not set(policy.interactions) <= produced:
        with pytest.raises(ValueError, match="does not produce"):
            va.expected_ladder(model, policy=policy)
        return
    ladder = va.expected_ladder(model, policy=policy).ladder
    for rung in ladder:
        for figure in (rung.impressions, rung.unique_viewers):
            if figure.estimate is None:  # engaged, when the policy reads no interaction column
                assert rung.level == "engaged"
                continue
            assert math.isfinite(figure.estimate)
            assert figure.estimate >= 0
        if rung.unique_viewers.estimate is not None:
            assert rung.unique_viewers.estimate <= rung.impressions.estimate
    for child, parent in (("valid", "rendered"), ("viewable", "valid"), ("attended", "viewable"), ("engaged", "valid")):
        for figure in ("impressions", "unique_viewers"):
            c, p = getattr(ladder[child], figure).estimate, getattr(ladder[parent], figure).estimate
            if c is not None:
                assert c <= p
