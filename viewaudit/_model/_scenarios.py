"""Named scenarios: feed models whose every parameter carries its source or its assumption.

Each scenario's ``sources`` maps every parameter (dotted path, as in ``FeedModel.to_dict()``)
to one line that starts with how it was set:

* ``Source:`` a published number (cited in ``docs/model.md``);
* ``Fitted:`` estimated from the EB-NeRD sample by ``tools/calibrate_news_site.py`` (the literals below; a test
  refits them);
* ``Derived:`` computed here from other parameters so that a cited figure comes out;
* ``Assumption:`` a number chosen for the scenario, stated as such.

Scenarios are built on first use, not at import (a few root-findings, milliseconds).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import attrs

from viewaudit._model._derive import exposure_mean_for_repeats, glance_weight_for_mean, interaction_for_share
from viewaudit._model._dwell_mixture import DwellMixture, LogNormal, Weibull
from viewaudit._model._params import Bots, Exposure, FeedModel, Interaction, Measurement, Visibility
from viewaudit._model._ranges import PREFIXES as PREFIXES
from viewaudit._model._ranges import ParameterRange
from viewaudit._model._scenario_ranges import news_site_ranges, short_video_ranges, x_openai_ranges
from viewaudit._policy import PRESETS, RULES, Policy


def _keyed_by_name(instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, ParameterRange]) -> None:
    for key, item in value.items():
        if not isinstance(item, ParameterRange) or item.name != key:
            raise ValueError(f"Scenario.ranges must map each name to a ParameterRange of that name, got {key!r}: {item!r}")


@attrs.frozen(kw_only=True)
class Scenario:
    """A named feed model with the source or assumption behind each parameter.

    Attributes
    ----------
    name, description
    model : FeedModel
        At full scale.
    policy : Policy
        How the platform itself counts a view.
    policies : tuple of Policy
        Counting rules native to the scenario beyond :data:`viewaudit.PRESETS`.
    sources : dict
        Parameter path (``"exposure.mean"``) -> ``"Source: ..."``, ``"Fitted: ..."``,
        ``"Derived: ..."`` or ``"Assumption: ..."``.
    ranges : dict
        Parameter path (or a derived figure, such as ``"dwell.mean_s"``) -> its
        :class:`ParameterRange`, with its own source or assumption.
    impressions : float or None
        The platform's published count, held in every draw over the ranges (the population is
        re-derived): rendered impressions when ``policy`` counts renders, otherwise the views
        under ``policy`` (as ``claim`` builds for 3-second or LinkedIn counts); ``None`` when
        the scenario has none.
    """

    name: str
    description: str
    model: FeedModel
    policy: Policy
    policies: tuple[Policy, ...] = ()
    sources: Mapping[str, str]
    ranges: Mapping[str, ParameterRange] = attrs.field(factory=dict, validator=_keyed_by_name)
    impressions: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "model": self.model.to_dict(),
            "policy": self.policy.to_dict(),
            "policies": [p.to_dict() for p in self.policies],
            "sources": dict(self.sources),
            "ranges": [r.to_dict() for r in self.ranges.values()],
            "impressions": self.impressions,
        }

    def to_markdown(self) -> str:
        """The parameters with their values and sources, as a Markdown table."""
        values = parameter_values(self.model)
        rows = [f"| `{path}` | {_show(values[path])} | {self.sources[path]} |" for path in values]
        return "\n".join(["| parameter | value | how it was set |", "|---|---|---|", *rows])

    def ranges_markdown(self) -> str:
        """The parameter ranges with how each was set, as a Markdown table."""

        def drawn(r: ParameterRange) -> str:
            return "held" if r.held else "log-uniform" if r.scale == "log" else "uniform"

        rows = [f"| `{r.name}` | {_show(r.low)} | {_show(r.high)} | {drawn(r)} | {r.source} |" for r in self.ranges.values()]
        return "\n".join(["| parameter | low | high | drawn | how it was set |", "|---|---|---|---|---|", *rows])


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict) and "family" in value:
        return ", ".join(f"{k} {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_show(v)}" for k, v in value.items())
    return "none" if value is None else str(value).replace("|", "\\|")


def parameter_values(model: FeedModel) -> dict[str, Any]:
    """Every documented parameter of a model by dotted path: scalars, and dwell components,
    interaction lists and user-agent lists as one parameter each."""
    out: dict[str, Any] = {}

    def walk(prefix: str, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and "family" not in value:
                walk(path + ".", value)
            else:
                out[path] = value

    walk("", model.to_dict())
    return out


def _by_name(ranges: list[ParameterRange]) -> dict[str, ParameterRange]:
    return {r.name: r for r in ranges}


# --- the scenarios ---------------------------------------------------------------------------

_X_VIEWS = 1.3e9


def _x_openai_2023() -> Scenario:
    glance = Weibull(scale_s=0.6, shape=0.7)
    read = LogNormal(median_s=6.0, sigma=1.0)
    dwell = DwellMixture(
        zero=0.05,
        glance_weight=glance_weight_for_mean(1.7, zero=0.05, glance=glance, read=read),
        glance=glance,
        read=read,
    )
    model = FeedModel(
        viewers=1,
        exposure=Exposure(mean=4.0, shape=0.3),
        dwell=dwell,
        visibility=Visibility(alpha=2.5, beta=1.0, in_view_share=0.9),
        interactions=(Interaction(column="liked", attended=0.02, not_attended=0.002, attention_s=2.0),),
        bots=Bots(share=0.10, activity=5.0, flagged=0.5, with_user_agent=0.3, dwell=Weibull(scale_s=0.1, shape=1.0)),
        self_view_share=0.001,
        items=2_000,
        item_popularity=1.0,
        start_ms=1_700_179_200_000,  # 2023-11-17T00:00Z
        period_days=5.0,
        measurement=Measurement(measurable=0.8, censoring_mean_s=120.0, rounding_ms=0.0, sampling_rate=1.0),
    )
    model = model.scaled(impressions=_X_VIEWS)
    people_agents = "Assumption: three common phone and desktop browser user agents, none matching a bot pattern."
    sources = {
        "viewers": (
            "Derived: the population that gives 1.3 billion expected rendered impressions (Source: X's CEO, 22 Nov "
            "2023, 'more than 1.3 billion views on X' for the OpenAI story, views counted whenever a post shows in "
            "a feed)."
        ),
        "exposure.mean": "Assumption: 4 impressions of the story's posts per account over five days, zeros included.",
        "exposure.shape": (
            "Assumption: 0.3, a heavy tail (most accounts see the story a few times or never, a few dozens of times)."
        ),
        "dwell.zero": "Assumption: 5 % of renders never reach the screen long enough for a frame.",
        "dwell.glance_weight": (
            "Derived: the weight that makes a person's mean dwell 1.7 s per feed item (Source: Facebook IQ 2016, "
            "~1.7 s per feed item on mobile; secondary)."
        ),
        "dwell.glance": (
            "Assumption: Weibull with shape 0.7 < 1, negative aging as Liu, White & Dumais (SIGIR 2010) found for "
            "~99 % of web pages; scale 0.6 s."
        ),
        "dwell.read": "Assumption: log-normal reads, median 6 s, sigma 1.",
        "visibility.alpha": (
            "Assumption: Beta(2.5, 1) visible share: most items scroll fully into view (82 % reach half their pixels)."
        ),
        "visibility.beta": "Assumption: see visibility.alpha.",
        "visibility.in_view_share": "Assumption: the longest continuous in-view stretch is 90 % of the dwell.",
        "interactions": "Assumption: a like on 2 % of impressions attended >= 2 s and 0.2 % of the others.",
        "bots.share": (
            "Assumption: 10 % of impressions from automated accounts, between Twitter's under 5 % of monetizable "
            "daily users (2022) and SparkToro and Followerwonk's 19.42 % of active accounts (May 2022)."
        ),
        "bots.activity": "Assumption: a bot account views 5 times as much as a person.",
        "bots.flagged": "Assumption: half the bot accounts are flagged upstream.",
        "bots.with_user_agent": "Assumption: 30 % of bot accounts send a user agent that declares automation.",
        "bots.user_agents": "Assumption: examples of declared automation (python-requests, HeadlessChrome, Googlebot).",
        "bots.dwell": "Assumption: exponential bot dwell with mean 0.1 s (near zero).",
        "self_view_share": "Assumption: 0.1 % of impressions are authors looking at their own posts.",
        "items": "Assumption: 2,000 posts about the story.",
        "item_popularity": "Assumption: Zipf popularity with exponent 1 over the posts.",
        "user_agents": people_agents,
        "start_ms": "Assumption: the five days ending with the 22 Nov 2023 post, from 2023-11-17T00:00Z.",
        "period_days": "Assumption: 'a few days' (Source: the 22 Nov 2023 post) taken as five.",
        "measurement.measurable": (
            "Assumption: 80 % of impressions measurable, as in Google Ad Manager's Active View worked example (800 k of 1 M)."
        ),
        "measurement.censoring_mean_s": "Assumption: sessions end a mean 120 s after an impression starts.",
        "measurement.rounding_ms": "Assumption: the client logs milliseconds.",
        "measurement.sampling_rate": "Assumption: the complete log (no sampling).",
    }
    return Scenario(
        name="x-openai-2023",
        description="X, November 2023: 1.3 billion render-counted views of the OpenAI story in about five days",
        model=model,
        policy=PRESETS["platform"],
        sources=sources,
        ranges=_by_name(x_openai_ranges(model)),
        impressions=_X_VIEWS,
    )


#: Fitted by ``python tools/calibrate_news_site.py data/ebnerd`` (Weibull glance +
#: log-normal read: log-likelihood -37793.224 over 8,303 readings; log-normal + log-normal
#: -37793.492, Weibull + Weibull -37901.03).
EBNERD_DWELL = DwellMixture(
    zero=0.0506776,
    glance_weight=0.249470,
    glance=Weibull(scale_s=6.09479, shape=1.78422),
    read=LogNormal(median_s=29.2134, sigma=1.16964),
)
#: In how many front-page impressions a user had the same article in view, on average over the
#: 6,901 (user, article) pairs of ``behaviors.parquet``.
EBNERD_REPEATS = 1.571946
#: Clicked / in view in ``behaviors.parquet``: 1,047 / 10,848.
EBNERD_CLICK_SHARE = 1047 / 10848


def _news_site() -> Scenario:
    shape = 0.1
    model = FeedModel(
        viewers=100_000,
        exposure=Exposure(mean=exposure_mean_for_repeats(EBNERD_REPEATS, shape=shape), shape=shape),
        dwell=EBNERD_DWELL,
        visibility=Visibility(alpha=4.0, beta=1.0, in_view_share=1.0),
        interactions=(interaction_for_share("clicked", EBNERD_CLICK_SHARE, ratio=5.0, attention_s=2.0, dwell=EBNERD_DWELL),),
        bots=Bots(share=0.02, activity=3.0, flagged=0.5, with_user_agent=0.5),
        self_view_share=0.0,
        items=1,
        item_popularity=0.0,
        start_ms=1_677_110_400_000,  # 2023-02-23T00:00Z
        period_days=7.0,
        measurement=Measurement(measurable=1.0, censoring_mean_s=None, rounding_ms=1000.0, sampling_rate=1.0),
    )
    sources = {
        "viewers": "Assumption: 100,000 front-page readers.",
        "exposure.mean": (
            f"Derived: the mean that gives {EBNERD_REPEATS} impressions per reader who saw the teaser at all "
            "(Source: EB-NeRD behaviors.parquet, 6,901 (user, article) pairs in view)."
        ),
        "exposure.shape": (
            "Assumption: 0.1; a zero-truncated NB fit to the EB-NeRD repeats drifts to the log-series limit (shape "
            "-> 0), so the sample does not pin it down."
        ),
        "dwell.zero": (
            "Fitted: EB-NeRD history.parquet, 8,303 whole-second read times as intervals [s, s+1) with a zero mass "
            "(6.1 % read 0)."
        ),
        "dwell.glance_weight": "Fitted: see dwell.zero.",
        "dwell.glance": (
            "Fitted: see dwell.zero; Weibull + log-normal was the most likely of four family pairs. Assumption: "
            "article read time stands in for time on screen."
        ),
        "dwell.read": "Fitted: see dwell.glance.",
        "visibility.alpha": "Assumption: Beta(4, 1): EB-NeRD lists articles 'in view', so most are largely visible.",
        "visibility.beta": "Assumption: see visibility.alpha.",
        "visibility.in_view_share": "Assumption: in view for the whole dwell.",
        "interactions": (
            f"Derived: clicks on {EBNERD_CLICK_SHARE:.2%} of a person's impressions (Source: EB-NeRD behaviors, "
            "1,047 clicked of 10,848 in view). Assumption: five times as likely after >= 2 s."
        ),
        "bots.share": "Assumption: 2 % of impressions automated (logged-in readers).",
        "bots.activity": "Assumption: a bot account views 3 times as much as a reader.",
        "bots.flagged": "Assumption: half the bot accounts flagged upstream.",
        "bots.with_user_agent": "Assumption: half the bot accounts declare automation in the user agent.",
        "bots.user_agents": "Assumption: examples of declared automation (python-requests, HeadlessChrome, Googlebot).",
        "bots.dwell": "Assumption: exponential bot dwell with mean 0.1 s.",
        "self_view_share": "Assumption: no self-views (newsroom traffic is not in the sample).",
        "items": "Assumption: one article's teaser (the repeats are per article).",
        "item_popularity": "Assumption: one item, so no popularity spread.",
        "user_agents": "Assumption: three common phone and desktop browser user agents, none matching a bot pattern.",
        "start_ms": "Source: EB-NeRD behaviors.parquet starts on 23 Feb 2023.",
        "period_days": "Source: EB-NeRD behaviors.parquet spans 23 Feb - 2 Mar 2023, about seven days.",
        "measurement.measurable": (
            "Source: no read time is missing among EB-NeRD's 8,303 (history) and 1,046 (behaviors) rows. "
            "Assumption: visibility logged alongside."
        ),
        "measurement.censoring_mean_s": "Assumption: no session-end censoring (the sample has no flag for it).",
        "measurement.rounding_ms": "Source: EB-NeRD logs read times in whole seconds.",
        "measurement.sampling_rate": "Assumption: the complete log (no sampling).",
    }
    return Scenario(
        name="news-site",
        description="A news front page calibrated on the EB-NeRD sample: one article teaser's impressions over a week",
        model=model,
        policy=PRESETS["mrc-display"],
        sources=sources,
        ranges=_by_name(news_site_ranges(model)),
    )


def _short_video() -> Scenario:
    model = FeedModel(
        viewers=1_000_000,
        exposure=Exposure(mean=1.3, shape=1.0),
        dwell=DwellMixture(
            zero=0.0,
            glance_weight=0.45,
            glance=LogNormal(median_s=1.2, sigma=0.7),
            read=LogNormal(median_s=12.0, sigma=0.8),
        ),
        visibility=Visibility(alpha=50.0, beta=1.0, in_view_share=1.0),
        interactions=(Interaction(column="liked", attended=0.08, not_attended=0.005, attention_s=7.0),),
        bots=Bots(share=0.05, activity=5.0, flagged=0.5, with_user_agent=0.3),
        self_view_share=0.002,
        items=500,
        item_popularity=1.2,
        start_ms=1_743_379_200_000,  # 2025-03-31T00:00Z
        period_days=1.0,
        measurement=Measurement(measurable=0.95, censoring_mean_s=300.0, rounding_ms=0.0, sampling_rate=1.0),
    )
    sources = {
        "viewers": "Assumption: one million accounts.",
        "exposure.mean": "Assumption: 1.3 plays per account per day over the feed's 500 videos (replays included).",
        "exposure.shape": "Assumption: 1 (exponential rates: moderate heterogeneity).",
        "dwell.zero": "Assumption: none (a full-screen video autoplays).",
        "dwell.glance_weight": "Assumption: 45 % of plays are swipe-aways.",
        "dwell.glance": (
            "Assumption: log-normal swipe-aways, median 1.2 s, mostly below the 3 s short-play mark (Source for the"
            " mark: KuaiRec / KuaiRand READMEs)."
        ),
        "dwell.read": (
            "Assumption: log-normal plays, median 12 s: mostly past the 7 s valid-play mark, a quarter past the 18 "
            "s long-play mark (Source for the marks: KuaiRec / KuaiRand READMEs)."
        ),
        "visibility.alpha": "Assumption: Beta(50, 1), full screen.",
        "visibility.beta": "Assumption: see visibility.alpha.",
        "visibility.in_view_share": "Assumption: in view for the whole play.",
        "interactions": "Assumption: a like on 8 % of valid plays (> 7 s) and 0.5 % of the others.",
        "bots.share": "Assumption: 5 % of plays automated.",
        "bots.activity": "Assumption: a bot account plays 5 times as much as a person.",
        "bots.flagged": "Assumption: half the bot accounts flagged upstream.",
        "bots.with_user_agent": "Assumption: 30 % of bot accounts declare automation in the user agent.",
        "bots.user_agents": "Assumption: examples of declared automation (python-requests, HeadlessChrome, Googlebot).",
        "bots.dwell": "Assumption: exponential bot dwell with mean 0.1 s.",
        "self_view_share": "Assumption: 0.2 % of plays are creators replaying their own videos.",
        "items": "Assumption: 500 videos.",
        "item_popularity": "Assumption: Zipf popularity with exponent 1.2.",
        "user_agents": "Assumption: three common phone and desktop browser user agents, none matching a bot pattern.",
        "start_ms": (
            "Assumption: one day from 2025-03-31, when YouTube Shorts began counting every start or replay as a "
            "view (Source: TeamYouTube announcement)."
        ),
        "period_days": "Assumption: one day.",
        "measurement.measurable": "Assumption: 95 % measurable (a full-screen player reports its own play time).",
        "measurement.censoring_mean_s": "Assumption: sessions end a mean 300 s after a play starts.",
        "measurement.rounding_ms": "Assumption: the player logs milliseconds.",
        "measurement.sampling_rate": "Assumption: the complete log (no sampling).",
    }
    return Scenario(
        name="short-video",
        description="A short-video feed with Kuaishou-style valid (> 7 s), long (>= 18 s) and short (< 3 s) plays",
        model=model,
        policy=PRESETS["platform"],
        policies=tuple(RULES.values()),
        sources=sources,
        ranges=_by_name(short_video_ranges(model)),
    )


_BUILDERS = {"x-openai-2023": _x_openai_2023, "news-site": _news_site, "short-video": _short_video}


@functools.cache
def _all() -> dict[str, Scenario]:
    return {name: build() for name, build in _BUILDERS.items()}


def scenarios() -> dict[str, Scenario]:
    """Every named scenario, by name (a fresh dict of frozen objects)."""
    return dict(_all())


def get_scenario(name: str | Scenario) -> Scenario:
    """A scenario by name (or the scenario itself)."""
    if isinstance(name, Scenario):
        return name
    if not isinstance(name, str):
        raise TypeError(f"scenario must be a name (str) or a Scenario, got {name!r}")
    found = _all().get(name)
    if found is None:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(_BUILDERS)}")
    return found


__all__ = ["Scenario", "get_scenario", "scenarios"]
