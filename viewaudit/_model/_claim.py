"""What a published view count could mean: the ladder a platform's count implies, with intervals.

A first subset of issue 28's ``claim``: the views alone, on platforms that count every render
(X; YouTube Shorts since 31 March 2025). A platform's feed is a shipped scenario used as a
template: its population is re-derived so that the rendered impressions are the published
count, and :func:`expected_ladder_ranges` gives every rung an interval over the template's
parameter ranges. Public counters (likes; reposts, replies and bookmarks where the template models
them) weight the draws by how well each predicts them (``_conditioning``).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from viewaudit._model._conditioning import check_counters
from viewaudit._model._ranges import ParameterRange
from viewaudit._model._scenarios import get_scenario
from viewaudit._model._uncertainty import LadderRanges, conditioned_ladder_ranges
from viewaudit._policy import PRESETS, Policy

#: Platform -> (template scenario, the platform's counting rule, why the template fits).
PLATFORMS: dict[str, tuple[str, str, str]] = {
    "x": (
        "x-openai-2023",
        "platform",
        "X counts a view whenever a post shows in a feed (X's CEO, 22 Nov 2023); feed model of x-openai-2023",
    ),
    "youtube-shorts": (
        "short-video",
        "platform",
        "YouTube Shorts count every start or replay as a view from 31 March 2025 (TeamYouTube); feed model of short-video",
    ),
}


def _check(views: Any, platform: Any) -> tuple[float, str]:
    if isinstance(views, bool) or not isinstance(views, (int, float, np.integer, np.floating)):
        raise TypeError(f"views must be a number, got {views!r}")
    if not math.isfinite(views) or views < 1:
        raise ValueError(f"views must be a finite number >= 1, got {views!r}")
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    return float(views), str(platform)


def claim(
    views: float,
    *,
    platform: str,
    likes: float | None = None,
    reposts: float | None = None,
    replies: float | None = None,
    bookmarks: float | None = None,
    policy: Policy | str = "mrc-display",
    samples: int = 1024,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = 0,
) -> LadderRanges:
    """The view ladder that ``views`` published by ``platform`` could mean, with intervals.

    Parameters
    ----------
    views
        The platform's published view count, >= 1.
    platform
        One of :data:`PLATFORMS` (``"x"``, ``"youtube-shorts"``).
    likes, reposts, replies, bookmarks
        The platform's public counters for the same posts, each a count >= 0 and at most
        ``views``; ``None`` (the default) leaves one out. Only those the platform's feed model
        has an interaction for are accepted (both model likes only); the others raise
        ``ValueError``.
    policy, samples, confidence_level, rng
        As for :func:`expected_ladder_ranges`: the rule to recount under, and the draws.

    Returns
    -------
    LadderRanges
        Rendered impressions are the published count (held); every other figure has an
        interval over the template's parameter ranges. Its ``scenario`` is ``"claim-<platform>"``.
        With counters, the draws are weighted by how well they predict them: each figure is the
        weighted median with weighted quantiles as its interval, and
        :attr:`LadderRanges.effective_sample_size` says how many draws that rests on (a
        ``DegenerateDataWarning`` below 100).

    Notes
    -----
    Each draw predicts the expected count of each counter: impressions, over every render
    (bots and the author's own looks included), that get the interaction. Its weight is the
    log-normal density of the observed count around that prediction, standard deviation 0.5 of
    the log, multiplied over the counters. The method and the reason for the 0.5 are in
    ``docs/model.md`` ("Public counters").

    Examples
    --------
    >>> import viewaudit as va
    >>> result = va.claim(50_000_000, platform="x", samples=64)
    >>> result.ladder["rendered"].impressions.estimate
    50000000.0
    >>> liked = va.claim(50_000_000, platform="x", likes=400_000, samples=64)
    >>> liked.effective_sample_size > 10
    True
    """
    views, platform = _check(views, platform)
    template_name, rule, why = PLATFORMS[platform]
    template = get_scenario(template_name)
    model = template.model.scaled(impressions=views)
    counters = check_counters(
        {"likes": likes, "reposts": reposts, "replies": replies, "bookmarks": bookmarks}, views, model, platform
    )
    viewers = ParameterRange(
        name="viewers",
        low=model.viewers,
        high=model.viewers,
        source=f"Derived: re-derived in each draw so that the rendered impressions are the published {views:,.0f} views ({why}).",
    )
    scenario = attrs.evolve(
        template,
        name=f"claim-{platform}",
        description=f"{views:,.0f} views published by {platform}: {why}",
        model=model,
        policy=PRESETS[rule],
        ranges={**template.ranges, "viewers": viewers},
        impressions=views,
    )
    return conditioned_ladder_ranges(
        scenario, counters=counters, policy=policy, samples=samples, confidence_level=confidence_level, rng=rng
    )


__all__ = ["PLATFORMS", "claim"]
