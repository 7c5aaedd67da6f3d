"""claim rules out the draws that need more viewers than the platform has users, refuses a count
every draw needs more for, and leaves counts the users do not bind unchanged."""

from __future__ import annotations

import warnings

import pytest

import viewaudit as va
from viewaudit._model._claim import ALIASES, PLATFORMS
from viewaudit._model._uncertainty import conditioned_ladder_ranges
from viewaudit._model._user_base import UserBase

SAMPLES = 64


def _claim(views, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", va.DegenerateDataWarning)
        result = va.claim(views, samples=SAMPLES, **kwargs)
    return result, [str(w.message) for w in caught]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_a_count_no_draw_can_hold_on_the_platforms_users_is_refused(platform):
    """1e11 views need more viewers than any platform has users, in every draw: an error naming them,
    not a figure (capped, it would read as the users exactly, an interval of width zero)."""
    users = PLATFORMS[platform].users
    with pytest.raises(ValueError, match=f"more viewers than {platform} has users: .* above {users:,.0f} "):
        va.claim(1e11, platform=platform, samples=SAMPLES)


def test_draws_beyond_the_users_are_ruled_out_and_counted():
    """6e9 views on X: the draws that need more than X's 600M viewers weigh nothing, so every
    unique viewers figure, both ends included, is a figure of a draw within the users."""
    result, _ = _claim(6e9, platform="x")
    assert 0 < result.beyond_user_base < SAMPLES
    for rung in result.ladder:
        for value in (rung.unique_viewers.estimate, rung.unique_viewers.low, rung.unique_viewers.high):
            assert value is None or value < 600_000_000, (rung.level, value)
    report = result.to_dict()["user_base"]
    assert report == {**report, "platform": "x", "accounts": 600_000_000, "draws_ruled_out": result.beyond_user_base}


def test_ruling_out_is_conditioning_on_the_draws_that_hold():
    """With the users set at the point model's viewers, the draws above are ruled out: the
    interval and the median come from the draws below, while the held count stays exact."""
    free = conditioned_ladder_ranges("x-openai-2023", counters={}, samples=SAMPLES)
    cut = free.ladder["rendered"].unique_viewers.estimate
    users = UserBase(platform="x", accounts=cut, what="a test bound", source="this test")
    with pytest.warns(va.DegenerateDataWarning, match="users leave .* effective draws of 64"):
        bounded = conditioned_ladder_ranges("x-openai-2023", counters={}, samples=SAMPLES, user_base=users)
    assert 0 < bounded.beyond_user_base < SAMPLES
    viewers, before = bounded.ladder["rendered"].unique_viewers, free.ladder["rendered"].unique_viewers
    assert viewers.high <= cut < before.high
    assert viewers.estimate < before.estimate
    assert viewers.low <= before.low
    assert bounded.ladder["rendered"].impressions == free.ladder["rendered"].impressions


def test_where_the_users_bind_no_draw_nothing_changes():
    """1.3 billion views on X stay the x-openai-2023 ladder (docs/model.md's figures), with no warning."""
    result, said = _claim(1.3e9, platform="x")
    assert not said
    assert result.beyond_user_base == 0
    want = va.expected_ladder_ranges("x-openai-2023", samples=SAMPLES).to_dict()
    assert result.to_dict()["ladder"] == want["ladder"]
    assert result.to_dict()["inflation"] == want["inflation"]
    assert result.to_dict()["user_base"]["draws_ruled_out"] == 0


def test_few_draws_left_warn_and_almost_none_is_an_error():
    """X's users leave few draws of 1,024: a warning naming them below 100 effective draws (1.2e10
    views leave 22), an error below 10 (1.4e10 views leave 4)."""
    with pytest.warns(va.DegenerateDataWarning, match="the platform's 600,000,000 users leave 22.0 effective draws"):
        result = va.claim(1.2e10, platform="x")
    assert result.beyond_user_base == 1_024 - 22
    almost_none = r"more viewers than x has users \(600,000,000\) in almost every draw of the feed model.s ranges: 4.0 of 1,024"
    with pytest.raises(ValueError, match=almost_none):
        va.claim(1.4e10, platform="x")


def test_the_bound_is_stated_in_the_assumptions():
    """The platform's users, what they are and their source are an assumption of every claim."""
    result, _ = _claim(1e6, platform="tiktok")
    stated = [a for a in result.assumptions if a.startswith("Users: ")]
    assert len(stated) == 1
    assert "1,000,000,000" in stated[0]
    assert PLATFORMS["tiktok"].users_source in stated[0]
    assert "ruled out" in stated[0]


def test_likes_from_more_accounts_than_the_platform_has_are_an_error():
    """On one post, a billion likes need a billion accounts: with 2e10 views every draw needs more
    viewers than X has users, and the count is refused before the likes are weighed."""
    with pytest.raises(ValueError, match="more viewers than x has users"):
        va.claim(2e10, platform="x", posts=1, likes=1e9, samples=SAMPLES)


@pytest.mark.parametrize(("alias", "platform"), list(ALIASES.items()))
def test_an_alias_is_its_platform(alias, platform):
    """platform="twitter" is X: the same ladder, the same scenario."""
    got, _ = _claim(1e6, platform=alias)
    want, _ = _claim(1e6, platform=platform)
    assert got.to_dict() == want.to_dict()
    assert got.scenario == f"claim-{platform}"


def test_the_page_title_says_the_claim():
    """The HTML page is titled with the count and the platform, not the scenario's name."""
    result, _ = _claim(1.3e9, platform="x")
    page = result.to_html()
    assert "<title>1.3 billion views on X: what they were</title>" in page
    assert "<h1>1.3 billion views on X: what they were</h1>" in page
    assert "claim-x" not in page.split("<h2>")[0]


@pytest.mark.parametrize(
    ("views", "words"),
    [
        (1.3e9, "1.3 billion"),
        (1_234_567_890, "about 1.23 billion"),
        (2e7, "20 million"),
        (45_000, "45,000"),
    ],
)
def test_the_title_gives_the_count_in_words(views, words):
    """Round counts in words; a count the words round says 'about'."""
    result, _ = _claim(views, platform="linkedin")
    assert result.title == f"{words} impressions on LinkedIn: what they were"
