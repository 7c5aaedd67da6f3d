"""The expected view ladder of a feed model, in closed form.

The model's accounts fall into a handful of *kinds* (a person, or a bot that is flagged or not
and declares itself or not, each with one user agent) and every impression of an account is on
a rung independently with a probability ``q`` that depends only on its kind and the policy. So
for ``N`` accounts of a kind with Gamma-Poisson exposure counts ``K`` (mean ``m``, shape ``k``):

* expected impressions on the rung: ``N * m * q``;
* expected unique viewers on it: ``N * (1 - E[(1 - q) ** K]) = N * (1 - (1 + q * m / k) ** -k)``,
  the negative-binomial probability generating function at ``1 - q``.

Authors' self-views are Poisson, so there ``1 - exp(-q * mu)``. Summing over kinds and items
gives the ladder at any scale in microseconds, for any :class:`~viewaudit.Policy`.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._model._params import FeedModel
from viewaudit._policy import Policy, get_policy
from viewaudit._policy.bots import bot_regex
from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._report.results import Estimate, Inflation, Ladder, Rung, format_ladder
from viewaudit._rungs import LEVELS
from viewaudit._schema import DEFAULT_INTERACTIONS


@attrs.frozen(eq=False)  # arrays inside: compared by identity, never by value
class Kinds:
    """The account kinds of a model: one entry per (kind, user agent), as parallel arrays.

    ``share`` is the share of the population's accounts of that kind; ``mean`` their mean
    impressions; ``bot`` and ``flagged`` their flags; ``agent`` their user agent.
    """

    share: np.ndarray
    mean: np.ndarray
    bot: np.ndarray
    flagged: np.ndarray
    agent: tuple[str, ...]


def account_kinds(model: FeedModel) -> Kinds:
    """Every (kind, user agent) of the model's population with its share of accounts."""
    bots = model.bots
    b = bots.account_share
    people = model.user_agents
    declared = bots.user_agents
    rows: list[tuple[float, float, bool, bool, str]] = []
    for agent in people:
        rows.append(((1 - b) / len(people), model.exposure.mean, False, False, agent))
    bot_mean = model.exposure.mean * bots.activity
    for flagged, p_flag in ((True, bots.flagged), (False, 1 - bots.flagged)):
        for agent in people:
            rows.append((b * p_flag * (1 - bots.with_user_agent) / len(people), bot_mean, True, flagged, agent))
        for agent in declared:
            rows.append((b * p_flag * bots.with_user_agent / len(declared), bot_mean, True, flagged, agent))
    share, mean, bot, flagged_, agent_ = zip(*rows, strict=True)
    return Kinds(share=np.array(share), mean=np.array(mean), bot=np.array(bot), flagged=np.array(flagged_), agent=tuple(agent_))


def item_shares(model: FeedModel) -> np.ndarray:
    """Each item's share of the (non-self) impressions: Zipf with the model's exponent."""
    weights = np.arange(1, model.items + 1, dtype=float) ** -model.item_popularity
    return np.asarray(weights / weights.sum(), dtype=float)


def self_view_means(model: FeedModel) -> np.ndarray:
    """Expected self-views of each item's author (Poisson means)."""
    kinds = account_kinds(model)
    others = model.viewers * float(np.sum(kinds.share * kinds.mean))
    total = others * model.self_view_share / (1 - model.self_view_share)
    return total * item_shares(model)


def agent_matches(agents: Sequence[str], policy: Policy) -> np.ndarray:
    """Which user agents the policy's bot patterns match, with the audit's own regex engine."""
    return _agent_matches(tuple(agents), tuple(policy.bot_user_agents))


@functools.lru_cache(maxsize=64)  # the parameter ranges evaluate thousands of models with the same agents
def _agent_matches(agents: tuple[str, ...], patterns: tuple[str, ...]) -> np.ndarray:
    if not patterns:
        matched = np.zeros(len(agents), dtype=bool)
    else:
        found = pc.match_substring_regex(pa.array(list(agents), pa.string()), bot_regex(patterns))
        matched = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    matched.flags.writeable = False
    return matched


def interaction_columns(model: FeedModel, policy: Policy) -> tuple[str, ...] | None:
    """The model's interaction columns the policy reads, or ``None`` when it reads none (then
    ``engaged`` cannot be determined, as in the audit)."""
    produced = [i.column for i in model.interactions]
    if policy.interactions is not None:
        missing = [c for c in policy.interactions if c not in produced]
        if missing:
            raise ValueError(
                f"policy {policy.name!r} reads interaction column(s) {', '.join(missing)} that the model does "
                f"not produce; the model's interactions are {', '.join(produced) or 'none'}"
            )
        used = tuple(policy.interactions)
    else:
        used = tuple(c for c in DEFAULT_INTERACTIONS if c in produced)
    return used or None


def survival(sf: Any, t_s: float) -> float:
    """``P(dwell >= t_s)``, 1 at a threshold of 0: the audit treats a zero threshold as met by
    every row, zero dwell included."""
    return 1.0 if t_s <= 0 else float(sf(t_s))


def engaged_share(model: FeedModel, sf: Any, columns: Sequence[str]) -> float:
    """P(at least one of ``columns``) for an impression with dwell survival ``sf`` (seconds).

    Each interaction's probability steps at its attention threshold, so the dwell line splits
    at the sorted thresholds and the probability of no interaction is summed piecewise.
    """
    chosen = [i for i in model.interactions if i.column in columns]
    lower = np.array(sorted({0.0, *(i.attention_s for i in chosen)}))
    surv = np.array([survival(sf, t) for t in lower])
    mass = surv - np.append(surv[1:], 0.0)  # P(lower[j] <= dwell < lower[j + 1])
    none = np.ones(len(lower))
    for i in chosen:
        none = none * (1 - np.where(lower >= i.attention_s, i.attended, i.not_attended))
    return float(np.clip(1 - np.sum(mass * none), 0.0, 1.0))


def _shares_on_rungs(model: FeedModel, policy: Policy, bot: bool, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Per-impression probability of each rung for accounts of one dwell family (people or bots)."""
    from scipy import stats  # on first use: see _dwell

    sf = model.bots.dwell.sf if bot else model.dwell.sf
    visible = (
        float(stats.beta.sf(policy.min_visible_fraction, model.visibility.alpha, model.visibility.beta))
        if policy.min_visible_fraction > 0
        else 1.0
    )
    in_view_s = policy.min_in_view_ms / 1000 / model.visibility.in_view_share
    attention_s = policy.attention_ms / 1000
    columns = interaction_columns(model, policy)
    engaged = engaged_share(model, sf, columns) if columns else float("nan")
    v = valid.astype(float)
    return {
        "rendered": np.ones(len(valid)),
        "valid": v,
        "viewable": v * visible * survival(sf, in_view_s),
        "attended": v * visible * survival(sf, max(in_view_s, attention_s)),
        "engaged": v * engaged,
    }


def _nb_reach(q: np.ndarray, mean: np.ndarray, shape: float) -> np.ndarray:
    """``1 - (1 + q m / k) ** -k``, computed without cancellation."""
    return np.asarray(-np.expm1(-shape * np.log1p(q * mean / shape)), dtype=float)


@attrs.frozen
class ExpectedLadder:
    """The expected view ladder of a :class:`FeedModel` under a policy (closed form).

    Shaped like an :class:`~viewaudit.Audit`: ``ladder`` and ``inflation`` hold
    :class:`~viewaudit.Estimate` objects with ``low == high == estimate`` (an expectation has
    no sampling interval), and :meth:`to_dict` gives the report's ``ladder`` and
    ``inflation`` objects.
    """

    model: FeedModel
    policy: Policy
    ladder: Ladder
    inflation: Inflation

    @property
    def views(self) -> Estimate:
        """Expected impressions on the rung the policy calls a view."""
        return self.ladder[self.policy.counts_as_view].impressions

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.to_dict(),
            "policy": self.policy.to_dict(),
            "views": {"level": self.policy.counts_as_view, **self.views.to_dict()},
            "ladder": self.ladder.to_list(),
            "inflation": self.inflation.to_dict(),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        header = [f"policy {self.policy.name}: {self.policy.description}", f"expected over {self.model.viewers:,} accounts"]
        return format_ladder(header, self.ladder, self.inflation)


def _exact(value: float) -> Estimate:
    return Estimate(value, value, value)


def expected_ladder(model: FeedModel, *, policy: Policy | str = "mrc-display") -> ExpectedLadder:
    """The expected ladder (impressions and unique viewers per rung) and inflation.

    Parameters
    ----------
    model
        The feed model, at the scale whose expectation is wanted.
    policy
        A :class:`~viewaudit.Policy`, a preset name or a ``.toml`` file.

    Returns
    -------
    ExpectedLadder
        Expected figures of the complete log (measurement does not change them), as exact
        estimates. Where the policy reads no interaction column the model produces,
        ``engaged`` is undetermined as in the audit: estimate ``None``, interval 0 to ``valid``.

    Notes
    -----
    For an account kind with ``N`` accounts, exposure mean ``m`` and Gamma shape ``k``, and a
    rung an impression reaches with probability ``q``, the expected impressions are ``N m q``
    and the expected unique viewers ``N (1 - (1 + q m / k) ** -k)`` (the negative-binomial
    pgf; Ehrenberg 1959, Goodhardt, Ehrenberg & Chatfield 1984). An author with Poisson(``mu``)
    self-views is on the rung with probability ``1 - exp(-q mu)``. ``q`` is ``valid x
    P(visible >= f) x P(dwell >= max(t_view / in_view_share, t_attention))`` down the ladder,
    with the dwell mixture's survival function from ``scipy.stats``.

    Examples
    --------
    >>> import viewaudit as va
    >>> model = va.FeedModel(viewers=1_000_000, exposure=va.Exposure(mean=3.0, shape=0.5))
    >>> expected = va.expected_ladder(model, policy="platform")
    >>> round(expected.ladder["rendered"].impressions.estimate)
    3000000
    """
    if not isinstance(model, FeedModel):
        raise TypeError(f"model must be a FeedModel, got {model!r}")
    policy = get_policy(policy)
    kinds = account_kinds(model)
    valid = np.ones(len(kinds.agent), dtype=bool)
    if policy.use_bot_flag:
        valid &= ~kinds.flagged
    valid &= ~agent_matches(kinds.agent, policy)
    shape = model.exposure.shape
    accounts = model.viewers * kinds.share

    people = agent_matches(model.user_agents, policy)
    author_valid = ~people & (not policy.exclude_self_views)
    author_share = np.full(len(model.user_agents), 1 / len(model.user_agents))
    mu = self_view_means(model)

    q_people = _shares_on_rungs(model, policy, False, valid)
    q_bots = _shares_on_rungs(model, policy, True, valid)
    q_authors = _shares_on_rungs(model, policy, False, author_valid)
    impressions: dict[str, float] = {}
    uniques: dict[str, float] = {}
    for level in LEVELS:
        q = np.where(kinds.bot, q_bots[level], q_people[level])
        qa = q_authors[level]
        imp = float(np.sum(accounts * kinds.mean * q)) + float(np.sum(mu)) * float(np.sum(author_share * qa))
        reach = float(np.sum(accounts * _nb_reach(q, kinds.mean, shape)))
        # Authors: sum over items of each agent's reach 1 - exp(-q mu).
        reach += float(np.sum(author_share[:, None] * -np.expm1(-qa[:, None] * mu[None, :]))) if mu.size else 0.0
        impressions[level] = imp
        # 1 - (1 + x) ** -k <= k x holds exactly; the min only absorbs the last rounding bit.
        uniques[level] = min(reach, imp)
    rungs = []
    for level in LEVELS:
        if level == "engaged" and math.isnan(impressions[level]):
            rungs.append(
                Rung(
                    level=level,
                    impressions=Estimate(None, 0.0, impressions["valid"]),
                    unique_viewers=Estimate(None, 0.0, uniques["valid"]),
                    undetermined=0,
                )
            )
        else:
            rungs.append(
                Rung(level=level, impressions=_exact(impressions[level]), unique_viewers=_exact(uniques[level]), undetermined=0)
            )
    figures = {f"{level}_impressions": impressions[level] for level in LEVELS}
    figures.update({f"{level}_unique_viewers": uniques[level] for level in LEVELS})

    def ratio(num: str, den: str) -> Estimate:
        a, b = figures[num], figures[den]
        if not b > 0:
            return Estimate(None, None, None)
        return _exact(a / b)

    inflation = Inflation(
        headline=ratio(HEADLINE[1], HEADLINE[2]),
        factors={name: ratio(num, den) for name, num, den in FACTORS},
    )
    return ExpectedLadder(model=model, policy=policy, ladder=Ladder(tuple(rungs)), inflation=inflation)


__all__ = ["ExpectedLadder", "expected_ladder"]
