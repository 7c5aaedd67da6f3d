"""claim on every platform (the count held on the rung its rule counts), counters as bounds,
and the period, posts and followers."""

from __future__ import annotations

import json
import warnings

import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._model._claim import PLATFORMS
from viewaudit._policy import PRESETS

SAMPLES = 64


def _quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DegenerateDataWarning)  # 64 draws are below the warning's 100
        return va.claim(**kwargs)


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_each_platform_gives_a_json_ladder_with_intervals(capsys, platform):
    """--json on each platform: its rule, a ladder with intervals on every rung it does not hold."""
    code = main(["claim", "--views", "2e7", "--platform", platform, "--likes", "3e5", "--samples", "64", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["counting_rule"] == PLATFORMS[platform].rule
    assert report["assumptions"][0].startswith("Counting rule: ")
    assert "http" in report["assumptions"][0]
    attended = report["ladder"][3]["impressions"]
    assert attended["low"] < attended["high"]
    assert report["conditioning"]["counters"] == {"likes": 3e5}


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_count_is_held_under_the_platforms_own_rule(platform):
    """Recounted under the platform's own rule, the views are the published count, exactly."""
    rule = PRESETS[PLATFORMS[platform].rule]
    result = _quiet(views=3e7, platform=platform, policy=rule, samples=SAMPLES)
    assert result.views.exact
    assert result.views.estimate == 3e7
    rendered = result.ladder["rendered"].impressions
    if rule.counts_as_view == "rendered":
        assert rendered.exact
    else:
        # A 3-second view or a 300 ms impression needs a render: more renders than views, not held.
        assert rendered.low > 3e7
        assert not rendered.exact
        assert f"views under the rule {rule.name!r}" in result.method


def test_facebook_3s_under_another_rule_holds_nothing():
    """Facebook's 3-second views recounted under mrc-display: no rung is the count itself."""
    result = _quiet(views=1e7, platform="facebook-3s", samples=SAMPLES)
    assert not any(r.impressions.exact for r in result.ladder)


@pytest.mark.parametrize("seed", [0, 5])
def test_more_likes_never_lower_the_engaged_estimate(seed):
    """Seeded: twice the likes give an engaged estimate and low end no lower (a like is an engaged impression)."""
    few = _quiet(views=1e8, platform="tiktok", likes=1e6, samples=SAMPLES, rng=seed)
    many = _quiet(views=1e8, platform="tiktok", likes=2e6, samples=SAMPLES, rng=seed)
    assert many.ladder["engaged"].impressions.estimate >= few.ladder["engaged"].impressions.estimate
    assert many.ladder["engaged"].impressions.low >= few.ladder["engaged"].impressions.low


def test_reposts_bound_the_engaged_rung():
    """Reposts of one post far above what the like rate implies raise engaged impressions and
    viewers to the valid share of the reposts; the rendered viewers are at least the reposts."""
    plain = _quiet(views=1e7, platform="x", posts=1, samples=SAMPLES)
    bounded = _quiet(views=1e7, platform="x", posts=1, reposts=5e5, samples=SAMPLES)
    assert plain.ladder["engaged"].impressions.high < 5e5  # the bound binds
    for kind in ("impressions", "unique_viewers"):
        engaged = getattr(bounded.ladder["engaged"], kind)
        # The valid share of interactions is at least 1 - the largest bot share of the ranges (0.4).
        assert 0.6 * 5e5 <= engaged.low <= engaged.high <= 5e5
    assert bounded.ladder["rendered"].unique_viewers.low >= 5e5
    assert bounded.bounded_counters == {"reposts": 5e5}
    assert any(s.startswith("Bound (no model needed)") for s in bounded.bounds)
    assert bounded.to_dict()["bounds"]["counters"] == {"reposts": 5e5}


def test_largest_counter_bounds_rendered_viewers_on_every_platform():
    """On every platform, for one post, the rendered unique viewers' low end is at least the
    largest per-account counter."""
    for platform in PLATFORMS:
        result = _quiet(views=4e7, platform=platform, posts=1, likes=4e5, samples=SAMPLES)
        assert result.ladder["rendered"].unique_viewers.low >= 4e5, platform
        assert result.ladder["rendered"].impressions.low >= 4e5, platform


def test_counters_over_many_posts_bound_viewers_by_count_over_posts():
    """Summed over posts, one account can like each post once: impressions are bounded by the
    count, unique viewers only by the count over the posts."""
    one = _quiet(views=1e7, platform="x", posts=1, reposts=5e5, samples=SAMPLES)
    many = _quiet(views=1e7, platform="x", posts=100, reposts=5e5, samples=SAMPLES)
    assert many.ladder["engaged"].impressions.low >= 0.6 * 5e5
    assert one.ladder["engaged"].unique_viewers.low >= 0.6 * 5e5
    assert many.ladder["engaged"].unique_viewers.low < 0.6 * 5e5  # not forced up to the impressions' bound
    assert any("over the 100 posts" in s for s in many.bounds)


def test_replies_bound_nothing_and_say_so():
    """Replies (many per account) change no figure; the result says why."""
    plain = _quiet(views=1e7, platform="x", samples=SAMPLES).to_dict()
    replied = _quiet(views=1e7, platform="x", replies=5e5, samples=SAMPLES)
    assert replied.to_dict()["ladder"] == plain["ladder"]
    assert any("replies bound nothing" in s for s in replied.bounds)
    assert any("do not weight the draws" in a for a in replied.assumptions)


def test_bookmarks_bound_only_the_rendered_rung():
    """Bookmarks are not engaging under mrc-display: they bound the rendered rung, not engaged."""
    result = _quiet(views=1e7, platform="x", posts=1, bookmarks=1e6, samples=SAMPLES)
    assert result.ladder["rendered"].unique_viewers.low >= 1e6
    assert result.ladder["engaged"].impressions.high < 1e6
    assert any("bound only the rendered rung" in s for s in result.bounds)


def test_counters_no_draw_can_hold_are_an_error():
    """More bookmarks than any draw has viewers: a named error, not a silent answer."""
    with pytest.raises(ValueError, match=r"impossible under every draw .* enough viewers"):
        va.claim(1e7, platform="x", posts=1, bookmarks=9e6, samples=SAMPLES)


def test_same_seed_same_result_with_every_option():
    """Determinism: the same arguments and seed give the same JSON."""
    kwargs = {"views": 5e7, "platform": "linkedin", "likes": 2e5, "reposts": 1e4, "days": 3, "posts": 5, "followers": 1e4}
    first = _quiet(**kwargs, samples=SAMPLES, rng=2).to_dict()
    second = _quiet(**kwargs, samples=SAMPLES, rng=2).to_dict()
    assert first == second


def test_posts_hold_the_number_of_posts_and_days_are_recorded():
    """posts holds the template's number of posts; days and followers are stated."""
    result = _quiet(views=1e7, platform="x", posts=3, days=2.5, followers=1e5, samples=SAMPLES)
    items = {r.name: r for r in result.ranges}["items"]
    assert items.low == items.high == 3
    assert result.expected.to_dict()["ladder"]  # the point model runs with 3 posts
    text = " ".join(result.assumptions)
    assert "summed over 3 posts" in text
    assert "Period: 2.5 days" in text
    assert "Followers: 100,000, context only" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"days": 0}, ValueError, r"days must be a finite number > 0, got 0"),
        ({"days": float("nan")}, ValueError, r"days must be a finite number > 0, got nan"),
        ({"days": True}, TypeError, r"days must be a number, got True"),
        ({"posts": 0}, ValueError, r"posts must be a whole number >= 1, got 0"),
        ({"posts": 2.5}, ValueError, r"posts must be a whole number >= 1, got 2.5"),
        ({"posts": True}, ValueError, r"posts must be a whole number >= 1, got True"),
        ({"followers": -1}, ValueError, r"followers must be a finite count >= 0, got -1"),
        ({"followers": "many"}, TypeError, r"followers must be a number, got 'many'"),
        ({"likes": 2e6}, ValueError, r"likes must be at most the views"),
        ({"platform": "myspace"}, ValueError, r"platform must be one of x \(or twitter\), youtube-shorts, tiktok"),
    ],
)
def test_bad_options_are_named(kwargs, error, message):
    """A bad period, number of posts, follower count, counter or platform is a named error."""
    with pytest.raises(error, match=message):
        va.claim(**{"views": 1e6, "platform": "x", "samples": 16, **kwargs})


def test_the_text_states_rule_bounds_and_assumptions(capsys):
    """The text names the rule's source, the bounds the counters set, and the context given."""
    argv = ["claim", "--views", "1e7", "--platform", "linkedin", "--reposts", "2e4", "--replies", "5e3"]
    code = main([*argv, "--days", "2", "--posts", "3", "--followers", "1e4", "--samples", "64"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "counted by the rule 'linkedin-mobile'" in out
    assert "https://www.linkedin.com/help/linkedin/answer/a424623" in out
    assert "Bounds from the counters:" in out
    assert "5,000 replies bound nothing" in out
    assert "Period: 2 days" in out
    assert "summed over 3 posts" in out
    assert "Followers: 10,000, context only" in out


def test_html_page_has_the_ladder_and_the_assumptions(tmp_path, capsys):
    """--html writes one page with the ladder figure, its table, the bounds and the rule's source."""
    path = tmp_path / "claim.html"
    code = main(["claim", "--views", "1e7", "--platform", "x", "--reposts", "1e5", "--samples", "64", "--html", str(path)])
    capsys.readouterr()
    assert code == 0
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="fig-ladder"' in page
    assert "<td>engaged</td>" in page
    assert "https://help.twitter.com/en/using-twitter/view-counts" in page
    assert "Bound (no model needed)" in page


def test_html_to_an_unwritable_path_is_one_line(tmp_path, capsys):
    """A page that cannot be written: one line naming the path, exit 2."""
    path = tmp_path / "missing" / "claim.html"
    code = main(["claim", "--views", "1e7", "--platform", "x", "--samples", "16", "--html", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "cannot write the HTML page to" in err
