"""The feed model's parameters: frozen value objects, validated on construction.

A :class:`FeedModel` says who sees an item how often (:class:`Exposure`), for how long
(:class:`~viewaudit._model._dwell_mixture.DwellMixture`), how much of it (:class:`Visibility`), whether
they interact (:class:`Interaction`), who is not a person (:class:`Bots`), how often authors
look at their own items, and what the log keeps of all that (:class:`Measurement`). The
closed form (``_closed_form``) and the simulation (``_simulate``) read the same objects.
"""

from __future__ import annotations

import keyword
from typing import Any

import attrs

from viewaudit._hypothesis_plugin import register_type
from viewaudit._model._dwell_mixture import COMPONENTS, Component, DwellMixture, LogNormal, Weibull, component_from_dict
from viewaudit._model._validators import as_float, as_int, as_tuple, instance_of, integer, optional_real, real, strings
from viewaudit._schema import CANONICAL_COLUMNS

#: Browser and app user agents of people, none of which matches the default bot patterns.
HUMAN_USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
)

#: User agents that declare automation (each matches a default bot pattern).
BOT_AGENTS: tuple[str, ...] = (
    "python-requests/2.31.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)


@attrs.frozen(kw_only=True)
class Exposure:
    """How often a person sees the model's items: Poisson counts with a Gamma-distributed rate.

    A person's rate is ``Gamma(shape, mean / shape)`` and their number of impressions given the
    rate is Poisson, so counts are negative binomial with mean ``mean`` and variance
    ``mean + mean**2 / shape`` (Ehrenberg 1959; Goodhardt, Ehrenberg & Chatfield 1984). A small
    ``shape`` is a heavy tail: most people see an item once or never, a few see it dozens of
    times. Zero counts are part of the model: ``P(0) = (1 + mean / shape) ** -shape``.

    Parameters
    ----------
    mean
        Mean impressions per person over the model's period and items (zeros included), > 0.
    shape
        Gamma shape ``k`` of the rate, > 0 (large: close to Poisson).
    """

    mean: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))
    shape: float = attrs.field(converter=as_float, validator=real(low=0, low_open=True))


@attrs.frozen(kw_only=True)
class Visibility:
    """How much of an item is on screen, and for how long continuously.

    ``visible_fraction ~ Beta(alpha, beta)`` independently per impression, and the longest
    continuous time in view is ``in_view_share * dwell`` (one number for every pixel rule, as
    the log holds one ``in_view_ms`` column).

    Parameters
    ----------
    alpha, beta
        Beta shape parameters of the largest visible share of the item's pixels, > 0.
    in_view_share
        Longest continuous in-view time as a share of the dwell, in (0, 1].
    """

    alpha: float = attrs.field(default=2.0, converter=as_float, validator=real(low=0, low_open=True))
    beta: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, low_open=True))
    in_view_share: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, high=1, low_open=True))


def _column_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"Interaction.column must be a column name (str), got {value!r}")
    if not value.isidentifier() or keyword.iskeyword(value) or value in CANONICAL_COLUMNS:
        raise ValueError(
            "Interaction.column must be an identifier that is not a canonical column "
            f"({', '.join(CANONICAL_COLUMNS)}), got {value!r}"
        )


@attrs.frozen(kw_only=True)
class Interaction:
    """One interaction column (``liked``, ``clicked``, ...) and how likely it is.

    An impression whose dwell reaches ``attention_s`` gets the interaction with probability
    ``attended``, any other with probability ``not_attended``; interactions are independent of
    one another given the dwell.

    Parameters
    ----------
    column
        The boolean column in the log; the audit's default policy reads ``liked``, ``replied``,
        ``reposted``, ``clicked`` and ``expanded``.
    attended, not_attended
        Probabilities in [0, 1].
    attention_s
        Dwell in seconds that counts as attention for this interaction, >= 0.
    """

    column: str = attrs.field(validator=_column_name)
    attended: float = attrs.field(converter=as_float, validator=real(low=0, high=1))
    not_attended: float = attrs.field(converter=as_float, validator=real(low=0, high=1))
    attention_s: float = attrs.field(default=2.0, converter=as_float, validator=real(low=0))


def _interactions(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise TypeError(f"FeedModel.interactions must be a tuple of Interaction, got {value!r}")
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, Interaction):
            raise TypeError(f"FeedModel.interactions must hold Interaction objects, got {item!r}")
        if item.column in seen:
            raise ValueError(f"FeedModel.interactions must name distinct columns, got {item.column!r} twice")
        seen.add(item.column)


@attrs.frozen(kw_only=True)
class Bots:
    """Automated accounts: how much they view, how they are caught, how they dwell.

    A bot account's exposure mean is ``activity`` times a person's (same Gamma shape). Each bot
    account is flagged upstream (``is_bot``) with probability ``flagged`` and, independently,
    sends a user agent that declares automation (drawn from ``user_agents``) with probability
    ``with_user_agent``; otherwise it sends a person's user agent. A bot that is neither flagged
    nor declared passes every rule: sophisticated invalid traffic, which a log cannot reveal.

    Parameters
    ----------
    share
        Share of the non-self impressions that come from bot accounts, in [0, 1].
    activity
        Bot account's mean impressions relative to a person's, > 0.
    flagged, with_user_agent
        Shares of bot accounts, in [0, 1].
    user_agents
        Declared bot user agents (non-empty strings).
    dwell
        Bot dwell (:class:`LogNormal` or :class:`Weibull`, seconds): near zero by default.
    """

    share: float = attrs.field(default=0.0, converter=as_float, validator=real(low=0, high=1))
    activity: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, low_open=True))
    flagged: float = attrs.field(default=0.5, converter=as_float, validator=real(low=0, high=1))
    with_user_agent: float = attrs.field(default=0.5, converter=as_float, validator=real(low=0, high=1))
    user_agents: tuple[str, ...] = attrs.field(default=BOT_AGENTS, converter=as_tuple, validator=strings())
    dwell: Component = attrs.field(factory=lambda: Weibull(scale_s=0.1, shape=1.0), validator=instance_of(LogNormal, Weibull))

    @property
    def account_share(self) -> float:
        """Share of accounts that are bots: ``share / (share + activity * (1 - share))``."""
        if self.share == 0:
            return 0.0
        return self.share / (self.share + self.activity * (1 - self.share))


@attrs.frozen(kw_only=True)
class Measurement:
    """What the log keeps: measurable rows, censoring, rounding and sampling.

    None of this changes the truth (the complete log); it changes the log an auditor gets.

    Parameters
    ----------
    measurable
        Share of impressions whose dwell, in-view time and visibility were measured (the others
        have nulls: unmeasurable, as in MRC and Active View), independently of everything else;
        in [0, 1].
    censoring_mean_s
        Mean time left in the session when an impression starts (exponential); a dwell longer
        than that is logged as the time left with ``dwell_censored`` true. ``None``: no censoring.
    rounding_ms
        Dwell and in-view time are floored to a multiple of this (1000 for whole-second
        loggers); 0 keeps milliseconds.
    sampling_rate
        Share of rows the log keeps (independently per row); kept rows carry
        ``weight = 1 / sampling_rate``. In (0, 1].
    """

    measurable: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, high=1))
    censoring_mean_s: float | None = attrs.field(default=None, converter=as_float, validator=optional_real(low=0, low_open=True))
    rounding_ms: float = attrs.field(default=0.0, converter=as_float, validator=real(low=0))
    sampling_rate: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, high=1, low_open=True))

    @property
    def complete(self) -> bool:
        """True when the log is the complete log (everything measured, nothing censored,
        rounded or sampled)."""
        return self.measurable == 1 and self.censoring_mean_s is None and self.rounding_ms == 0 and self.sampling_rate == 1


def _default_dwell() -> DwellMixture:
    return DwellMixture(
        zero=0.0,
        glance_weight=0.7,
        glance=Weibull(scale_s=0.8, shape=0.7),
        read=LogNormal(median_s=8.0, sigma=1.0),
    )


@attrs.frozen(kw_only=True)
class FeedModel:
    """A generative model of feed impressions of a set of items.

    People (``viewers`` accounts, bots included) see the items a negative-binomial number of
    times each; every impression has a dwell, a visible share, an in-view time and interactions
    drawn independently given who the account is. Authors (one per item, accounts of their own)
    look at their own item a Poisson number of times, ``self_view_share`` of all impressions on
    average. :func:`~viewaudit.expected_ladder` gives the expected ladder in closed form and
    :func:`~viewaudit.simulate` draws a log with its truth.

    Parameters
    ----------
    viewers
        Accounts in the population, bots included, >= 1 (those with no impression included).
    exposure
        Impressions per person (:class:`Exposure`).
    dwell
        Dwell of a person's impression (:class:`DwellMixture`).
    visibility
        Visible share and in-view time (:class:`Visibility`).
    interactions
        Interaction columns (:class:`Interaction`), possibly none.
    bots
        Bot accounts (:class:`Bots`).
    self_view_share
        Expected share of all impressions that are an author looking at their own item, in
        [0, 1).
    items
        Items (posts), >= 1, each with its own author.
    item_popularity
        Zipf exponent of the items' shares of impressions (0: all equal), >= 0.
    user_agents
        People's user agents; each account uses one, drawn uniformly.
    start_ms, period_days
        Impressions start uniformly in ``[start_ms, start_ms + period_days)`` (epoch ms).
    measurement
        What the log keeps (:class:`Measurement`).
    """

    viewers: int = attrs.field(converter=as_int, validator=integer(low=1))
    exposure: Exposure = attrs.field(factory=lambda: Exposure(mean=2.0, shape=1.0), validator=instance_of(Exposure))
    dwell: DwellMixture = attrs.field(factory=_default_dwell, validator=instance_of(DwellMixture))
    visibility: Visibility = attrs.field(factory=Visibility, validator=instance_of(Visibility))
    interactions: tuple[Interaction, ...] = attrs.field(
        factory=lambda: (Interaction(column="liked", attended=0.02, not_attended=0.002),),
        converter=as_tuple,
        validator=_interactions,
    )
    bots: Bots = attrs.field(factory=Bots, validator=instance_of(Bots))
    self_view_share: float = attrs.field(default=0.0, converter=as_float, validator=real(low=0, high=1, high_open=True))
    items: int = attrs.field(default=1, converter=as_int, validator=integer(low=1))
    item_popularity: float = attrs.field(default=0.0, converter=as_float, validator=real(low=0))
    user_agents: tuple[str, ...] = attrs.field(default=HUMAN_USER_AGENTS, converter=as_tuple, validator=strings())
    start_ms: int = attrs.field(default=1_700_000_000_000, converter=as_int, validator=integer(low=0))
    period_days: float = attrs.field(default=1.0, converter=as_float, validator=real(low=0, low_open=True))
    measurement: Measurement = attrs.field(factory=Measurement, validator=instance_of(Measurement))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a simulated log, in order (``weight`` only for sampled logs)."""
        weight = ("weight",) if self.measurement.sampling_rate < 1 else ()
        return (
            "item_id", "viewer_id", "ts", "dwell_ms", "dwell_censored", "in_view_ms",
            "visible_fraction", "is_bot", "user_agent", "author_id", *weight,
            *(i.column for i in self.interactions),
        )  # fmt: skip

    @property
    def impressions_per_viewer(self) -> float:
        """Expected impressions per account, self-views included (rendered / viewers)."""
        bots = self.bots.account_share
        per_account = self.exposure.mean * (1 - bots + bots * self.bots.activity)
        return per_account / (1 - self.self_view_share)

    def scaled(self, *, impressions: float | None = None, viewers: int | None = None) -> FeedModel:
        """The same model with a population sized for ``impressions`` expected rendered
        impressions, or with ``viewers`` accounts (give one)."""
        if (impressions is None) == (viewers is None):
            raise ValueError(f"scaled needs exactly one of impressions or viewers, got {impressions!r} and {viewers!r}")
        if viewers is None:
            target = as_float(impressions)
            if not isinstance(target, float) or not target > 0 or target == float("inf"):
                raise ValueError(f"impressions must be a finite number > 0, got {impressions!r}")
            viewers = max(1, round(target / self.impressions_per_viewer))
        return attrs.evolve(self, viewers=viewers)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as plain JSON-ready values (dwell components carry their family)."""
        out = attrs.asdict(self, recurse=True)
        out["dwell"] = self.dwell.to_dict()
        out["bots"]["dwell"] = self.bots.dwell.to_dict()
        out["bots"]["user_agents"] = list(self.bots.user_agents)
        out["user_agents"] = list(self.user_agents)
        out["interactions"] = [attrs.asdict(i) for i in self.interactions]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeedModel:
        """The inverse of :meth:`to_dict`."""
        data = dict(data)
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown FeedModel key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}")
        if "exposure" in data:
            data["exposure"] = Exposure(**data["exposure"])
        if "dwell" in data:
            data["dwell"] = DwellMixture.from_dict(data["dwell"])
        if "visibility" in data:
            data["visibility"] = Visibility(**data["visibility"])
        if "interactions" in data:
            data["interactions"] = tuple(Interaction(**i) for i in data["interactions"])
        if "bots" in data:
            bots = dict(data["bots"])
            if "dwell" in bots:
                bots["dwell"] = component_from_dict(bots["dwell"])
            data["bots"] = Bots(**bots)
        if "measurement" in data:
            data["measurement"] = Measurement(**data["measurement"])
        return cls(**data)


__all__ = [
    "COMPONENTS",
    "Bots",
    "Exposure",
    "FeedModel",
    "Interaction",
    "Measurement",
    "Visibility",
]

# So that ``st.from_type(FeedModel)`` works when Hypothesis was imported first.
register_type(FeedModel)
