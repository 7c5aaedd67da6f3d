"""The shipped scenarios' parameter ranges, each with its source or the reason for it.

Where the point value is an assumption, the range is wide and centred on it (the geometric
middle for a log-uniform range) and says why; where a source gives a figure, the range is the
one it supports. A parameter that cannot change the expected ladder (the time window, what the
log keeps) is held at its value, and says so. Ranges are listed in the order they are set
(see ``_ranges.with_values``).
"""

from __future__ import annotations

from typing import Literal

from viewaudit._model._params import FeedModel
from viewaudit._model._ranges import ParameterRange, parameter_value

_NO_EFFECT = (
    "Assumption: held at its value: the expected ladder of the complete log does not depend on it "
    "(the time window and what the log keeps change only what an auditor gets)."
)
_UNUSED = ("start_ms", "period_days", "measurement.measurable", "measurement.rounding_ms", "measurement.sampling_rate")
_OPTIONAL = ("measurement.censoring_mean_s",)


def _r(name: str, low: float, high: float, source: str, scale: Literal["linear", "log"] = "linear") -> ParameterRange:
    return ParameterRange(name=name, low=low, high=high, source=source, scale=scale)


def _held(model: FeedModel, name: str, source: str) -> ParameterRange:
    value = parameter_value(model, name)
    return ParameterRange(name=name, low=value, high=value, source=source)


def _unused(model: FeedModel) -> list[ParameterRange]:
    names = [*_UNUSED, *(n for n in _OPTIONAL if model.measurement.censoring_mean_s is not None)]
    return [_held(model, name, _NO_EFFECT) for name in names]


def _bot_dwell() -> list[ParameterRange]:
    return [
        _r("bots.dwell.scale_s", 0.05, 0.2, "Assumption: a near-zero bot dwell, mean 0.05 to 0.2 s.", "log"),
        _r("bots.dwell.shape", 0.7, 1.4, "Assumption: Weibull shape about 1 (exponential), 0.7 to 1.4.", "log"),
    ]


def x_openai_ranges(model: FeedModel) -> list[ParameterRange]:
    """Ranges of ``x-openai-2023``; the population is re-derived in each draw."""
    return [
        _held(
            model,
            "viewers",
            "Derived: re-derived in each draw so that the rendered impressions stay 1.3 billion (Source: X's CEO, "
            "22 Nov 2023); the value here is the point model's.",
        ),
        _r(
            "exposure.mean",
            2.0,
            8.0,
            "Assumption: a factor of two either side of 4 impressions per account over five days; no published "
            "figure measures exposure to one story.",
            "log",
        ),
        _r("exposure.shape", 0.1, 0.9, "Assumption: from a very heavy tail (0.1) to near-exponential rates (0.9).", "log"),
        _r("dwell.zero", 0.01, 0.09, "Assumption: 1 % to 9 % of renders never on screen for a frame."),
        _r("dwell.glance.scale_s", 0.4, 0.9, "Assumption: glance scale 0.4 to 0.9 s.", "log"),
        _r(
            "dwell.glance.shape",
            0.6,
            0.8,
            "Assumption: a Weibull shape below 1 (negative aging), as Liu, White & Dumais (SIGIR 2010) found for "
            "about 99 % of web pages.",
        ),
        _r("dwell.read.median_s", 3.0, 12.0, "Assumption: a read's median from 3 to 12 s.", "log"),
        _r("dwell.read.sigma", 0.7, 1.3, "Assumption: log-normal sigma 0.7 to 1.3."),
        _r(
            "dwell.mean_s",
            1.5,
            2.5,
            "Source: Facebook IQ 2016, about 1.7 s per feed item on mobile and 2.5 s on desktop (secondary). "
            "Assumption: a little below the mobile figure at the low end. Sets dwell.glance_weight.",
        ),
        _r("visibility.alpha", 1.25, 5.0, "Assumption: Beta alpha a factor of two either side of 2.5.", "log"),
        _r("visibility.beta", 0.7, 1.4, "Assumption: Beta beta about 1.", "log"),
        _r("visibility.in_view_share", 0.8, 1.0, "Assumption: the longest in-view stretch 80 % to all of the dwell."),
        _r("interactions.liked.attended", 0.01, 0.04, "Assumption: a like on 1 % to 4 % of attended impressions.", "log"),
        _r("interactions.liked.not_attended", 0.001, 0.004, "Assumption: a like on 0.1 % to 0.4 % of the others.", "log"),
        _r("interactions.liked.attention_s", 1.5, 2.5, "Assumption: the attention a like needs, 1.5 to 2.5 s."),
        _r(
            "bots.share",
            0.025,
            0.4,
            "Assumption: a factor of four either side of 10 %. It spans Twitter's own estimate, under 5 % of "
            "monetizable daily users false or spam (2022), and SparkToro and Followerwonk's 19.42 % of 44,058 active "
            "accounts (May 2022); the top, 40 %, is about twice the latter.",
            "log",
        ),
        _r("bots.activity", 2.0, 12.5, "Assumption: a bot account views 2 to 12.5 times as much as a person.", "log"),
        _r("bots.flagged", 0.2, 0.8, "Assumption: 20 % to 80 % of bot accounts flagged upstream."),
        _r("bots.with_user_agent", 0.1, 0.5, "Assumption: 10 % to 50 % of bot accounts declare automation."),
        *_bot_dwell(),
        _r("self_view_share", 0.00025, 0.004, "Assumption: a factor of four either side of 0.1 %.", "log"),
        _r("items", 500, 8000, "Assumption: a factor of four either side of 2,000 posts.", "log"),
        _r("item_popularity", 0.7, 1.3, "Assumption: Zipf exponent 0.7 to 1.3."),
        *_unused(model),
    ]


#: EB-NeRD behaviors.parquet: mean repeats 1.571946, standard deviation 1.19937 over 6,901
#: (user, article) pairs, so a standard error of 0.0144376.
_REPEATS_RANGE = (1.543648, 1.600244)
#: Wilson 95 % interval of 1,047 clicked of 10,848 in view (scipy.stats.binomtest).
_CLICK_RANGE = (0.0911006, 0.1022161)


def news_site_ranges(model: FeedModel) -> list[ParameterRange]:
    """Ranges of ``news-site``: the fitted and sourced figures within their sampling error."""
    fitted = (
        "Fitted: EB-NeRD history.parquet (see dwell.zero's source). Assumption: the range allows for read time "
        "standing in for time on screen; the fit's own sampling error is not computed."
    )
    return [
        _held(
            model,
            "viewers",
            "Assumption: the scenario's scale; every count scales in proportion, so it is held and the intervals "
            "are for 100,000 readers.",
        ),
        _r("exposure.shape", 0.03, 0.3, "Assumption: 0.03 to 0.3; the sample does not pin the shape down.", "log"),
        _r(
            "exposure.repeats",
            *_REPEATS_RANGE,
            "Source: EB-NeRD behaviors.parquet, 1.5719 impressions per exposed reader, +- 1.96 standard errors over "
            "6,901 (user, article) pairs. Sets exposure.mean.",
        ),
        _r("dwell.zero", 0.04, 0.06, fitted),
        _r("dwell.glance_weight", 0.2, 0.3, fitted),
        _r("dwell.glance.scale_s", 5.08, 7.31, fitted + " A factor of 1.2 either side.", "log"),
        _r("dwell.glance.shape", 1.6, 2.0, fitted),
        _r("dwell.read.median_s", 24.3, 35.1, fitted + " A factor of 1.2 either side.", "log"),
        _r("dwell.read.sigma", 1.05, 1.3, fitted),
        _r("visibility.alpha", 2.0, 8.0, "Assumption: Beta alpha a factor of two either side of 4.", "log"),
        _r("visibility.beta", 0.7, 1.4, "Assumption: Beta beta about 1.", "log"),
        _r("visibility.in_view_share", 0.9, 1.0, "Assumption: in view for 90 % to all of the dwell."),
        _r("interactions.clicked.attention_s", 1.5, 2.5, "Assumption: the attention a click needs, 1.5 to 2.5 s."),
        _r(
            "interactions.clicked.ratio",
            2.5,
            10.0,
            "Assumption: a click 2.5 to 10 times as likely after attention. Sets interactions.clicked.not_attended.",
            "log",
        ),
        _r(
            "interactions.clicked.share",
            *_CLICK_RANGE,
            "Source: EB-NeRD behaviors, 1,047 clicked of 10,848 in view (Wilson 95 % interval). Sets "
            "interactions.clicked.attended.",
        ),
        _r("bots.share", 0.005, 0.08, "Assumption: a factor of four either side of 2 % (logged-in readers).", "log"),
        _r("bots.activity", 1.5, 6.0, "Assumption: a bot account views 1.5 to 6 times as much as a reader.", "log"),
        _r("bots.flagged", 0.2, 0.8, "Assumption: 20 % to 80 % of bot accounts flagged upstream."),
        _r("bots.with_user_agent", 0.2, 0.8, "Assumption: 20 % to 80 % of bot accounts declare automation."),
        *_bot_dwell(),
        _held(model, "self_view_share", "Assumption: held at none: newsroom traffic is not in the sample."),
        _held(model, "items", "Assumption: held at one article's teaser (the repeats are per article)."),
        _held(model, "item_popularity", "Assumption: held: one item has no popularity spread."),
        *_unused(model),
    ]


def short_video_ranges(model: FeedModel) -> list[ParameterRange]:
    """Ranges of ``short-video``: every point an assumption, so every range wide."""
    return [
        _held(
            model,
            "viewers",
            "Assumption: the scenario's scale; every count scales in proportion, so it is held and the intervals "
            "are for one million accounts.",
        ),
        _r("exposure.mean", 0.65, 2.6, "Assumption: a factor of two either side of 1.3 plays per account.", "log"),
        _r("exposure.shape", 0.33, 3.0, "Assumption: a factor of three either side of 1.", "log"),
        _r("dwell.zero", 0.0, 0.02, "Assumption: up to 2 % of plays never on screen (a full-screen video autoplays)."),
        _r("dwell.glance_weight", 0.3, 0.6, "Assumption: 30 % to 60 % of plays are swipe-aways."),
        _r("dwell.glance.median_s", 0.8, 1.8, "Assumption: a swipe-away's median 0.8 to 1.8 s.", "log"),
        _r("dwell.glance.sigma", 0.5, 0.9, "Assumption: log-normal sigma 0.5 to 0.9."),
        _r("dwell.read.median_s", 8.0, 18.0, "Assumption: a play's median 8 to 18 s.", "log"),
        _r("dwell.read.sigma", 0.6, 1.0, "Assumption: log-normal sigma 0.6 to 1.0."),
        _r("visibility.alpha", 25.0, 100.0, "Assumption: Beta alpha a factor of two either side of 50 (full screen).", "log"),
        _r("visibility.beta", 0.7, 1.4, "Assumption: Beta beta about 1.", "log"),
        _r("visibility.in_view_share", 0.9, 1.0, "Assumption: in view for 90 % to all of the play."),
        _r("interactions.liked.attended", 0.04, 0.16, "Assumption: a like on 4 % to 16 % of valid plays.", "log"),
        _r("interactions.liked.not_attended", 0.0025, 0.01, "Assumption: a like on 0.25 % to 1 % of the others.", "log"),
        _held(
            model,
            "interactions.liked.attention_s",
            "Assumption: held at the 7 s valid-play mark (Source for the mark: KuaiRec / KuaiRand READMEs).",
        ),
        _r("bots.share", 0.0125, 0.2, "Assumption: a factor of four either side of 5 %.", "log"),
        _r("bots.activity", 2.0, 12.5, "Assumption: a bot account plays 2 to 12.5 times as much as a person.", "log"),
        _r("bots.flagged", 0.2, 0.8, "Assumption: 20 % to 80 % of bot accounts flagged upstream."),
        _r("bots.with_user_agent", 0.1, 0.5, "Assumption: 10 % to 50 % of bot accounts declare automation."),
        *_bot_dwell(),
        _r("self_view_share", 0.0005, 0.008, "Assumption: a factor of four either side of 0.2 %.", "log"),
        _r("items", 125, 2000, "Assumption: a factor of four either side of 500 videos.", "log"),
        _r("item_popularity", 0.9, 1.5, "Assumption: Zipf exponent 0.9 to 1.5."),
        *_unused(model),
    ]
