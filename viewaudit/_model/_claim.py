"""What a published view count could mean: the ladder a platform's count implies, with intervals.

Issue 28's ``claim``. A platform's feed is a shipped scenario used as a template: its population
is re-derived so that the expected views under the platform's counting rule are the published
count, and every rung gets an interval over the template's parameter ranges. Public counters
weight the draws where the template models them (likes: ``_conditioning``) and bound the figures
where it does not (``_counter_bounds``).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from viewaudit._model._conditioning import COUNTERS, check_counters
from viewaudit._model._counter_bounds import CounterBounds
from viewaudit._model._ranges import ParameterRange
from viewaudit._model._scenarios import get_scenario
from viewaudit._model._uncertainty import LadderRanges, conditioned_ladder_ranges, holding_count
from viewaudit._model._user_base import UserBase
from viewaudit._policy import PRESETS, Policy

_TEXT_FEED = (
    "feed model of x-openai-2023: a scrolling feed of posts whose mean dwell per item (1.5 to 2.5 s) comes from "
    "Facebook IQ's mobile and desktop feed figures"
)
_VIDEO_FEED = (
    "feed model of short-video: a full-screen feed that autoplays one video at a time, so a render is a play; every "
    "parameter of it is an assumption with a wide range"
)

#: One published user base for every Meta feed: Meta stopped publishing each app's users in 2024.
_FACEBOOK_USERS: dict[str, Any] = {
    "users": 3_070_000_000,
    "users_text": "Facebook's monthly active users on 31 December 2023, Meta's last published figure",
    "users_source": (
        "Meta, Q4 2023 results, 1 Feb 2024: https://www.prnewswire.com/news-releases/meta-reports-fourth-quarter-and-"
        "full-year-2023-results-initiates-quarterly-dividend-302051285.html"
    ),
}


@attrs.frozen(kw_only=True)
class Platform:
    """How a platform counts a view, and which shipped scenario stands in for its feed.

    Attributes
    ----------
    label
        What the count is called, after its number: ``"views on X"``.
    template
        The shipped scenario whose feed model and ranges are used.
    rule
        The preset that matches the platform's published definition of a view.
    rule_text, source
        That definition in a sentence, and where it is published (a URL).
    why
        Why the template fits the platform's feed.
    users, users_text, users_source
        The platform's accounts: a published figure of its users (or an upper bound), what the
        figure is, and where it is published (a URL and its date). No count can reach more
        distinct accounts: a draw of the ranges that needs more viewers is ruled out.
    per_account
        Counters an account adds at most one to per post on this platform (a toggle): they
        bound the impressions by the count and the viewers by the count over the posts.
    """

    label: str
    template: str
    rule: str
    rule_text: str
    source: str
    why: str
    users: float
    users_text: str
    users_source: str
    per_account: tuple[str, ...] = ("likes",)


#: Platform -> its counting rule and feed template.
PLATFORMS: dict[str, Platform] = {
    "x": Platform(
        label="views on X",
        template="x-openai-2023",
        rule="platform",
        rule_text="X counts a view whenever a logged-in account is shown the post, repeats and the author's own looks included",
        source="X Help, About view counts: https://help.twitter.com/en/using-twitter/view-counts",
        why="the template is X's own 1.3-billion-view story (X's CEO, 22 Nov 2023)",
        users=600_000_000,
        users_text="X's monthly active users: nearly 600 million, as X's CEO gave them in 2025 (self-reported)",
        users_source=(
            "Digiday, from X's CEO at the Possible conference, Miami, April 2025: "
            "https://digiday.com/marketing/with-600-million-users-xs-linda-yaccarino-doubles-down-on-dismissing-journalism"
        ),
        per_account=("likes", "reposts", "bookmarks"),
    ),
    "youtube-shorts": Platform(
        label="views on YouTube Shorts",
        template="short-video",
        rule="platform",
        rule_text="YouTube Shorts count every start or replay as a view from 31 March 2025, with no minimum watch time",
        source="TeamYouTube, A change to how we count views on Shorts: https://support.google.com/youtube/thread/333869549",
        why=_VIDEO_FEED,
        users=2_000_000_000,
        users_text="logged-in users who watch Shorts each month, over 2 billion (logged-out viewers are not in it)",
        users_source=(
            "Google's Q2 2023 results, as reported on 26 Jul 2023: https://mezha.media/en/2023/07/26/youtube-shorts-are-"
            "watched-by-more-than-2-billion-users-every-month-google/ (secondary)"
        ),
    ),
    "tiktok": Platform(
        label="views on TikTok",
        template="short-video",
        rule="platform",
        rule_text=(
            "TikTok counts a view when a video starts to play, replays included (secondary: YouTube's 2025 Shorts change "
            "was reported as matching it)"
        ),
        source=(
            "ghacks.net, 27 Mar 2025: https://www.ghacks.net/2025/03/27/youtube-updates-shorts-view-count-methodology-"
            "to-align-with-industry-standards/ (secondary; sources disagree on whether the creator's own plays count)"
        ),
        why=_VIDEO_FEED,
        users=1_000_000_000,
        users_text="more than 1 billion people who use TikTok each month (TikTok's last published figure)",
        users_source=(
            "TikTok's announcement, as reported on 27 Sep 2021: "
            "https://newsghana.com.gh/tiktok-hits-landmark-of-1-billion-active-users-globally-per-month/ (secondary)"
        ),
        per_account=("likes", "bookmarks"),
    ),
    "instagram": Platform(
        label="reel views on Instagram",
        template="short-video",
        rule="platform",
        rule_text="Instagram views count every time a reel starts to play or replay (the 2024 'views' metric)",
        source="Instagram's update, as reported: https://marketing-interactive.com/instagram-views-primary-metric (secondary)",
        why=_VIDEO_FEED + " (reels)",
        users=3_000_000_000,
        users_text="Instagram's monthly active users, 3 billion as Meta's CEO gave them in September 2025",
        users_source=(
            "Moneycontrol, 25 Sep 2025: https://www.moneycontrol.com/technology/instagram-now-has-3-billion-monthly-active-"
            "users-confirms-mark-zuckerberg-article-13575986.html (secondary)"
        ),
        per_account=("likes", "bookmarks"),
    ),
    "facebook": Platform(
        label="views on Facebook",
        template="x-openai-2023",
        rule="platform",
        rule_text=(
            "Facebook views (since November 2024): each time a video or reel is played or a post is on screen, repeats included"
        ),
        source="Meta's announcement, as reported: https://www.nasdaq.com/articles/meta-says-views-become-primary-metric-facebook",
        why=_TEXT_FEED + "; Facebook's own feed, whose videos autoplay as they scroll by",
        **_FACEBOOK_USERS,
    ),
    "facebook-reels": Platform(
        label="reel views on Facebook",
        template="short-video",
        rule="platform",
        rule_text="Facebook reel views: each time a reel starts to play, replays included (the former 'plays')",
        source="Meta's announcement, as reported: https://www.nasdaq.com/articles/meta-says-views-become-primary-metric-facebook",
        why=_VIDEO_FEED + " (reels)",
        **_FACEBOOK_USERS,
    ),
    "facebook-3s": Platform(
        label="3-second video views on Facebook",
        template="x-openai-2023",
        rule="meta-3s",
        rule_text="Facebook 3-second video views: a video played for 3 s or more (or 97 % of a shorter one)",
        source="Meta ads glossary, 3-second video plays, as quoted in https://www.jonloomer.com/glossary/ (secondary)",
        why=_TEXT_FEED + "; a feed video autoplays as it scrolls by, so its time on screen is the feed's dwell",
        **_FACEBOOK_USERS,
    ),
    "linkedin": Platform(
        label="impressions on LinkedIn",
        template="x-openai-2023",
        rule="linkedin-mobile",
        rule_text="LinkedIn impressions: a post at least 50 % in view for at least 300 ms (mobile)",
        source="LinkedIn Help a424623: https://www.linkedin.com/help/linkedin/answer/a424623",
        why=_TEXT_FEED + "; LinkedIn's feed is a scrolling feed of posts like X's",
        users=1_000_000_000,
        users_text="LinkedIn's members, 1 billion as Microsoft reported them in January 2024 (members, more than active users)",
        users_source=(
            "Microsoft's FY24 Q2 results (January 2024), as reported: https://whizbuddy.com/linkedin-experiences-record-"
            "engagement-as-soon-as-once-more-because-it-formally-reaches-a-billion-members (secondary)"
        ),
    ),
}

#: Other names a platform is known by -> its name in :data:`PLATFORMS`.
ALIASES: dict[str, str] = {"twitter": "x"}


def platform_names() -> str:
    """The names ``platform`` takes, each alias with its platform: for messages and help."""
    aliases = {name: [alias for alias, target in ALIASES.items() if target == name] for name in PLATFORMS}
    return ", ".join(name + (f" (or {', '.join(aliases[name])})" if aliases[name] else "") for name in PLATFORMS)


def platform_name(platform: Any) -> str:
    """``platform``'s name in :data:`PLATFORMS`, an alias resolved; a ``ValueError`` listing the
    valid names when it is none."""
    if isinstance(platform, str) and platform.lower() in PLATFORMS:
        return platform.lower()
    if isinstance(platform, str) and platform.lower() in ALIASES:
        return ALIASES[platform.lower()]
    raise ValueError(f"platform must be one of {platform_names()}, got {platform!r}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


#: The fewest views ``claim`` takes. Below it the feed model's population is a handful of
#: accounts, and rounding it to whole accounts moves every figure: at 50 views a draw's valid
#: impressions can exceed the held rendered count by 2 %.
MIN_VIEWS = 1_000


def _check(views: Any, platform: Any, days: Any, posts: Any, followers: Any) -> tuple[float, str]:
    if not (math.isfinite(_number("views", views)) and views >= MIN_VIEWS):
        raise ValueError(
            f"views must be a finite number >= {MIN_VIEWS:,} for claim (a population model of a feed), got {views!r}: "
            "below that the count is a handful of people, and rounding them moves every figure"
        )
    name = platform_name(platform)
    if days is not None and not (math.isfinite(_number("days", days)) and days > 0):
        raise ValueError(f"days must be a finite number > 0, got {days!r}")
    if posts is not None:
        if isinstance(posts, bool) or not isinstance(posts, (int, np.integer)) or posts < 1:
            raise ValueError(f"posts must be a whole number >= 1, got {posts!r}")
        if posts > views:
            raise ValueError(f"posts must be at most the views ({views:,.0f}): each post counted is a view, got {posts!r}")
    if followers is not None and not (math.isfinite(_number("followers", followers)) and followers >= 0):
        raise ValueError(f"followers must be a finite count >= 0, got {followers!r}")
    return float(views), name


def _assumptions(
    views: float, name: str, platform: Platform, days: float | None, posts: int | None, followers: float | None
) -> list[str]:
    out = [
        f"Counting rule: {platform.rule_text} (preset {platform.rule!r}). Source: {platform.source}.",
        f"Feed: {platform.why}.",
        _user_base(name, platform).statement(),
    ]
    if days is not None:
        out.append(
            f"Period: {days:g} days. The template's exposure range is per account over the whole period, so the "
            "period does not change the expected ladder; it is recorded with the model."
        )
    if posts is not None:
        out.append(
            f"Posts: the {views:,.0f} views are summed over {posts:,} posts, the template's number of posts (and of "
            f"their authors) is held at {posts:,}. Impressions are totals over the posts (divide by {posts:,} for a "
            "mean per post); unique viewers are accounts that saw any of them, which do not divide."
        )
    if followers is not None:
        out.append(
            f"Followers: {followers:,.0f}, context only. Posts reach accounts that do not follow the author (feeds "
            "recommend them), so followers cap no figure and set no lower bound."
        )
    return out


def claim(
    views: float,
    *,
    platform: str,
    likes: float | None = None,
    reposts: float | None = None,
    replies: float | None = None,
    bookmarks: float | None = None,
    days: float | None = None,
    posts: int | None = None,
    followers: float | None = None,
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
        One of :data:`PLATFORMS`: ``"x"``, ``"youtube-shorts"``, ``"tiktok"``, ``"instagram"``
        (reels), ``"facebook"`` (views), ``"facebook-reels"``, ``"facebook-3s"`` (3-second video
        views), ``"linkedin"`` (impressions); ``"twitter"`` is taken for ``"x"`` (:data:`ALIASES`).
    likes, reposts, replies, bookmarks
        The platform's public counters for the same posts, each a count >= 0 and at most
        ``views``; ``None`` (the default) leaves one out. Likes weight the draws (the feed
        models have a like rate); every counter an account adds at most one to bounds the
        figures (see Notes).
    days
        The period the count was gathered over, > 0: recorded in the assumptions and the
        model's ``period_days`` (the expected ladder does not depend on it).
    posts
        The number of posts the count is summed over, a whole number >= 1: the template's
        number of posts is held at it.
    followers
        The author's follower count, >= 0: context only, stated in the assumptions.
    policy, samples, confidence_level, rng
        As for :func:`expected_ladder_ranges`: the rule to recount under, and the draws.

    Returns
    -------
    LadderRanges
        The published count is held (exact) on the rung the platform's rule counts; every other
        figure has an interval over the template's parameter ranges. Its ``scenario`` is
        ``"claim-<platform>"``; :attr:`LadderRanges.assumptions` states the rule, its source and
        the context, :attr:`LadderRanges.bounds` the counters' bounds. With counters, each
        figure is the weighted median with weighted quantiles as its interval, and
        :attr:`LadderRanges.effective_sample_size` says how many draws that rests on (a
        ``DegenerateDataWarning`` below 100). Draws that need more viewers than the platform
        has users (:attr:`Platform.users`) are ruled out, as counters rule draws out;
        :attr:`LadderRanges.beyond_user_base` says how many.

    Raises
    ------
    TypeError
        A count that is not a number (``True`` included).
    ValueError
        An unknown platform, a count that is negative, not finite, or (for a counter) above the
        views, counters no draw has enough viewers for, or a count every draw needs more
        viewers for than the platform has users.

    Notes
    -----
    Likes: each draw predicts the expected number of likes over every render, and its weight is
    the log-normal density of the observed count around that prediction, standard deviation 0.5
    of the log. Bounds: a counter an account adds at most one to needs that many accounts that
    saw the post, so draws with fewer rendered impressions or unique viewers get weight zero;
    and, assuming its accounts are valid in the same share as the draw's likes, engaged
    impressions and unique viewers are raised to that share of it. Replies bound nothing (one
    account can reply many times). No rate of reposts, replies or bookmarks per view is used:
    none is sourced. The method is in ``docs/model.md`` ("Public counters").

    Examples
    --------
    >>> import viewaudit as va
    >>> result = va.claim(50_000_000, platform="x", samples=64)
    >>> result.ladder["rendered"].impressions.estimate
    50000000.0
    >>> liked = va.claim(50_000_000, platform="x", likes=400_000, samples=256)
    >>> liked.effective_sample_size > 100
    True

    Reposts set a bound: at least as many engaged impressions as the valid share of them.

    >>> reposted = va.claim(50_000_000, platform="x", reposts=3_000_000, samples=256)
    >>> 0.6 * 3_000_000 < reposted.ladder["engaged"].impressions.low < 3_000_000
    True

    Facebook's 3-second views need more renders than views:

    >>> fb = va.claim(10_000_000, platform="facebook-3s", policy="meta-3s", samples=256)
    >>> fb.views.exact, fb.ladder["rendered"].impressions.low > 10_000_000
    (True, True)
    """
    views, name = _check(views, platform, days, posts, followers)
    chosen = PLATFORMS[name]
    user_base = _user_base(name, chosen)
    template = get_scenario(chosen.template)
    rule = PRESETS[chosen.rule]
    given = check_counters({"likes": likes, "reposts": reposts, "replies": replies, "bookmarks": bookmarks}, views)
    values: dict[str, float] = {}
    if days is not None:
        values["period_days"] = float(days)
    if posts is not None:
        values["items"] = int(posts)
    base = template.model
    if values:
        base = attrs.evolve(
            base, period_days=values.get("period_days", base.period_days), items=int(values.get("items", base.items))
        )
    model = holding_count(base, views, rule)
    ranges = dict(template.ranges)
    for parameter, value in values.items():
        what = "the period of the count" if parameter == "period_days" else "the posts the count is summed over"
        ranges[parameter] = ParameterRange(name=parameter, low=value, high=value, source=f"Source: the caller: {what}.")
    ranges["viewers"] = ParameterRange(
        name="viewers",
        low=model.viewers,
        high=model.viewers,
        source=(
            f"Derived: re-derived in each draw so that the expected views under {chosen.rule!r} are the published "
            f"{views:,.0f} ({chosen.rule_text})."
        ),
    )
    scenario = attrs.evolve(
        template,
        name=f"claim-{name}",
        description=f"{views:,.0f} views published by {name}: {chosen.rule_text}",
        model=model,
        policy=rule,
        ranges=ranges,
        impressions=views,
    )
    produced = {i.column for i in model.interactions}
    weighted = {n: v for n, v in given.items() if COUNTERS[n] in produced}
    bounds = CounterBounds(
        per_account={n: v for n, v in given.items() if n in chosen.per_account},
        other={n: v for n, v in given.items() if n not in chosen.per_account},
        posts=model.items,  # one account can like each post once: the viewers needed are the count over the posts
    )
    assumptions = _assumptions(views, name, chosen, days, posts, followers)
    unrated = [n for n in given if n not in weighted]
    if unrated:
        assumptions.append(
            f"The {', '.join(unrated)} do not weight the draws: no published rate of them per view is sourced "
            "(published engagement rates sum every interaction and differ 60-fold between providers); they bound "
            "the figures only."
        )
    result = conditioned_ladder_ranges(
        scenario,
        counters=weighted,
        policy=policy,
        samples=samples,
        confidence_level=confidence_level,
        rng=rng,
        bounds=bounds,
        assumptions=tuple(assumptions),
        user_base=user_base,
    )
    return attrs.evolve(result, title=f"{_in_words(views)} {chosen.label}: what they were")


def _in_words(count: float) -> str:
    """``count`` for a title: "1.3 billion", "about 1.23 billion", "45,000"."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if count >= size:
            shown = float(f"{count / size:.3g}")
            return ("" if shown * size == count else "about ") + f"{shown:g} {word}"
    return f"{count:,.0f}"


def _user_base(name: str, platform: Platform) -> UserBase:
    return UserBase(platform=name, accounts=platform.users, what=platform.users_text, source=platform.users_source)


__all__ = ["ALIASES", "PLATFORMS", "Platform", "claim", "platform_name", "platform_names"]
