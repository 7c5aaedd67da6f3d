"""claim: the ladder a published view count implies, held at the count, with intervals over the
template scenario's ranges; bad counts and platforms are named errors."""

from __future__ import annotations

import pytest

import viewaudit as va


def test_x_at_1_3_billion_is_the_x_scenario():
    """1.3 billion views on X give the x-openai-2023 ladder and intervals."""
    got = va.claim(1.3e9, platform="x", samples=64).to_dict()
    want = va.expected_ladder_ranges("x-openai-2023", samples=64).to_dict()
    assert got["ladder"] == want["ladder"]
    assert got["sensitivity"] == want["sensitivity"]


@pytest.mark.parametrize("platform", ["x", "youtube-shorts"])
def test_the_published_count_is_held_and_figures_scale(platform):
    """Rendered impressions are the count itself; a count 100 times smaller gives figures 100 times smaller."""
    big = va.claim(5e8, platform=platform, samples=32)
    small = va.claim(5e6, platform=platform, samples=32)
    assert big.ladder["rendered"].impressions.estimate == 5e8
    assert big.ladder["rendered"].impressions.exact
    assert va.claim(5e8, platform=platform, policy="platform", samples=16).views.exact  # both count every render
    for a, b in zip(big.ladder, small.ladder, strict=True):
        for kind in ("impressions", "unique_viewers"):
            x, y = getattr(a, kind), getattr(b, kind)
            # The posts' authors are a fixed number of accounts (one per post), not a share of the
            # population: their unique looks do not scale, hence the looser tolerance there.
            rel = 1e-6 if kind == "impressions" else 1e-2
            assert y.estimate == pytest.approx(x.estimate / 100, rel=rel)
            assert y.low == pytest.approx(x.low / 100, rel=rel)
            assert y.high == pytest.approx(x.high / 100, rel=rel)
            assert 0 <= y.low <= y.estimate <= y.high
    assert big.scenario == f"claim-{platform}"
    assert big.ranges[0].source.startswith("Derived: re-derived in each draw")


@pytest.mark.parametrize(
    ("views", "platform", "error", "message"),
    [
        (-5, "x", ValueError, r"views must be a finite number >= 1,000 for claim .*, got -5:"),
        (0, "x", ValueError, r"views must be a finite number >= 1,000 for claim .*, got 0:"),
        (float("nan"), "x", ValueError, r"views must be a finite number >= 1,000 for claim .*, got nan:"),
        (float("inf"), "x", ValueError, r"views must be a finite number >= 1,000 for claim .*, got inf:"),
        (999, "x", ValueError, r"views must be a finite number >= 1,000 for claim .*, got 999: below that"),
        ("1e6", "x", TypeError, r"views must be a number, got '1e6'"),
        (True, "x", TypeError, r"views must be a number, got True"),
        (
            1e6,
            "myspace",
            ValueError,
            r"platform must be one of x \(or twitter\), youtube-shorts, tiktok, .*, linkedin, got 'myspace'",
        ),
    ],
)
def test_bad_claims_are_named(views, platform, error, message):
    """A count that is not a finite number >= 1,000, or an unknown platform, is an error naming it."""
    with pytest.raises(error, match=message):
        va.claim(views, platform=platform)
