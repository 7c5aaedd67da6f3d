"""claim caps every unique viewers figure at the platform's users, says when the cap binds, and
leaves counts it does not bind unchanged."""

from __future__ import annotations

import math
import warnings

import pytest

import viewaudit as va
from viewaudit._model._claim import ALIASES, PLATFORMS

SAMPLES = 64


def _claim(views, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", va.DegenerateDataWarning)
        result = va.claim(views, samples=SAMPLES, **kwargs)
    return result, [str(w.message) for w in caught if "imply more accounts" in str(w.message)]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_no_unique_viewers_figure_exceeds_the_platforms_users(platform):
    """At 1e11 views, every rung's unique viewers (estimate and both ends) are at most the platform's users."""
    users = PLATFORMS[platform].users
    result, said = _claim(1e11, platform=platform)
    for rung in result.ladder:
        for value in (rung.unique_viewers.estimate, rung.unique_viewers.low, rung.unique_viewers.high):
            assert value is None or value <= users, (rung.level, value)
    assert result.exceeds_user_base
    assert result.uncapped_unique_viewers > users
    assert len(said) == 1
    assert f"above its {users:,.0f} users" in said[0]


def test_x_at_1e11_views_is_capped_at_xs_users_and_says_so():
    """The trial's case: 1e11 views on X no longer mean 12.7 billion accounts; the JSON says the cap binds."""
    result, said = _claim(1e11, platform="x")
    rendered = result.ladder["rendered"].unique_viewers
    assert rendered.estimate == rendered.high == 600_000_000
    report = result.to_dict()["user_base"]
    assert report["accounts"] == 600_000_000
    assert report["exceeded"] is True
    assert report["uncapped_unique_viewers"] > 1e10
    assert report["model_population"] > 1e10
    assert "https://" in report["source"]
    assert "views per account than the template assumes" in said[0]


def test_the_inflation_is_recomputed_from_the_capped_viewers():
    """Capped, the headline is still rendered impressions per unique attended viewer, factor by factor."""
    result, _ = _claim(1e11, platform="x")
    attended = result.ladder["attended"].unique_viewers.estimate
    assert math.isclose(result.inflation.headline.estimate, 1e11 / attended, rel_tol=1e-12)
    product = math.prod(f.estimate for f in result.expected.inflation.factors.values())
    assert math.isclose(product, result.expected.inflation.headline.estimate, rel_tol=1e-9)


def test_where_the_cap_does_not_bind_nothing_changes():
    """1.3 billion views on X stay the x-openai-2023 ladder (docs/model.md's figures), with no warning."""
    result, said = _claim(1.3e9, platform="x")
    assert not said
    assert not result.exceeds_user_base
    want = va.expected_ladder_ranges("x-openai-2023", samples=SAMPLES).to_dict()
    assert result.to_dict()["ladder"] == want["ladder"]
    assert result.to_dict()["inflation"] == want["inflation"]
    assert result.to_dict()["user_base"]["exceeded"] is False


def test_the_bound_is_stated_in_the_assumptions():
    """The platform's users, what they are and their source are an assumption of every claim."""
    result, _ = _claim(1e6, platform="tiktok")
    stated = [a for a in result.assumptions if a.startswith("Users: ")]
    assert len(stated) == 1
    assert "1,000,000,000" in stated[0]
    assert PLATFORMS["tiktok"].users_source in stated[0]


def test_likes_from_more_accounts_than_the_platform_has_are_an_error():
    """On one post, a billion likes need a billion accounts: more than X's users, so no draw holds them."""
    with pytest.raises(ValueError, match="no draw has enough viewers"):
        va.claim(1e11, platform="x", posts=1, likes=1e9, samples=SAMPLES)


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
        (1e11, "100 billion"),
        (1_234_567_890, "about 1.23 billion"),
        (2e7, "20 million"),
        (45_000, "45,000"),
    ],
)
def test_the_title_gives_the_count_in_words(views, words):
    """Round counts in words; a count the words round says 'about'."""
    result, _ = _claim(views, platform="linkedin")
    assert result.title == f"{words} impressions on LinkedIn: what they were"
