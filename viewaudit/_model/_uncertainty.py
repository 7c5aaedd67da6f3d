"""How uncertain a scenario's expected ladder is, given how uncertain its parameters are.

Quasi-Monte Carlo over the scenario's parameter ranges gives every figure an interval, and
one-at-a-time swings rank the parameters by how much they move the headline figures (a
tornado table). The method is explained in ``docs/model.md`` ("Parameter ranges").
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from viewaudit._model._closed_form import ExpectedLadder, expected_ladder
from viewaudit._model._conditioning import (
    MIN_EFFECTIVE_SAMPLES,
    MIN_USABLE_SAMPLES,
    OBSERVATION_SD,
    OBSERVATION_SOURCE,
    effective_sample_size,
    log_likelihood,
    matched_to_counters,
    normalised_weights,
    predicted_counts,
    weighted_quantiles,
)
from viewaudit._model._counter_bounds import CounterBounds, valid_like_share
from viewaudit._model._params import FeedModel
from viewaudit._model._ranges import ParameterRange, with_values
from viewaudit._model._scenarios import Scenario, get_scenario
from viewaudit._model._user_base import VIEWERS, UserBase
from viewaudit._policy import Policy, get_policy
from viewaudit._report.html import write_text
from viewaudit._report.ranges_html import ranges_html
from viewaudit._report.results import Estimate, Inflation, Ladder, Rung
from viewaudit._report.values import format_number
from viewaudit._rungs import LEVELS
from viewaudit._warnings import DegenerateDataWarning

#: The figures the sensitivity ranking is computed for, in the order reported.
HEADLINE_FIGURES = ("views", "viewable_impressions", "attended_unique_viewers", "inflation")


@attrs.frozen(kw_only=True)
class Swing:
    """How far one figure moves when one parameter goes from its low to its high end, the
    others at their point values."""

    figure: str
    parameter: str
    low: float
    high: float
    at_low: float
    at_high: float
    estimate: float

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)

    def to_dict(self) -> dict[str, Any]:
        share = self.swing / abs(self.estimate) if self.estimate else None
        return {**attrs.asdict(self), "swing": self.swing, "swing_share": share}


@attrs.frozen(kw_only=True)
class LadderRanges:
    """The expected ladder of a scenario with an interval for every figure from its parameter
    ranges, and the parameters ranked by how much they move the headline figures.

    ``ladder``, ``views`` and ``inflation`` hold :class:`~viewaudit.Estimate` objects whose
    ``estimate`` is the point model's figure (as :func:`expected_ladder` gives it; a count the
    scenario holds is the published count itself) and whose ``low`` and ``high`` are the
    interval over the ranges (see :attr:`method`). With public counters (``claim``) the draws
    are weighted, and ``estimate`` is the weighted median instead. ``views`` are the views under
    the policy recounted by, not the published count (that is :attr:`held_impressions`).
    """

    scenario: str
    expected: ExpectedLadder
    ladder: Ladder
    views: Estimate
    inflation: Inflation
    sensitivity: tuple[Swing, ...]
    ranges: tuple[ParameterRange, ...]
    samples: int
    seed: int | None
    confidence_level: float
    held_impressions: float | None
    widened: tuple[str, ...]
    #: Public counters the draws were weighted by (empty: none, the draws count equally).
    counters: Mapping[str, float] = attrs.field(factory=dict)
    #: Kish's effective sample size of the weighted draws; ``None`` without counters.
    effective_sample_size: float | None = None
    #: The rule the held count is counted by, when it is not a count of renders (``None``: renders).
    held_policy: str | None = None
    #: Counters used as bounds only (no rate), and the bounds they set, one sentence each.
    bounded_counters: Mapping[str, float] = attrs.field(factory=dict)
    bounds: tuple[str, ...] = ()
    #: What else the figures rest on (a claim's platform rule, period, posts, followers).
    assumptions: tuple[str, ...] = ()
    #: The platform's users (``None``: no bound), and how many draws needed more viewers than
    #: that and were ruled out.
    user_base: UserBase | None = None
    beyond_user_base: int = 0
    #: What the result is about, in words, for the HTML page's title (``None``: the scenario's name).
    title: str | None = None

    @property
    def method(self) -> str:
        varied = sum(not r.held for r in self.ranges)
        tail = (1 - self.confidence_level) / 2
        seed = f"seed {self.seed}" if self.seed is not None else "seeded by the caller's Generator"
        # With counters or bounds the draws are weighted, and the estimate is their (weighted) median.
        estimate_is = (
            "the estimate is the figure at the point values"
            if self.effective_sample_size is None
            else "the estimate is set by the weighted draws, as said below"
        )
        text = (
            f"Quasi-Monte Carlo: {self.samples} scrambled Sobol points (scipy.stats.qmc.Sobol, {seed}) over "
            f"the {varied} varied parameters, each uniform on its range or, for scale parameters, on the log of it. "
            f"An interval runs from the {tail:.1%} to the {1 - tail:.1%} point of the figure over the draws, widened "
            f"to include the estimate where it falls outside; {estimate_is}. "
            "Sensitivity: each parameter from its low to its high end, the others at their point values."
        )
        if self.held_impressions is not None and self.held_policy is None:
            text += (
                f" The published count ({self.held_impressions:,.0f} rendered impressions) is held: each draw "
                "re-derives the population."
            )
        elif self.held_impressions is not None:
            text += (
                f" The published count ({self.held_impressions:,.0f} views under the rule {self.held_policy!r}) is "
                "held: each draw re-derives the population so that its expected views under that rule are the count."
            )
        if self.bounds and not self.counters and self.effective_sample_size is not None:
            text += (
                f" Bounded by the public counters: draws the counters rule out get weight zero, each estimate is the "
                f"median and each interval runs between the {tail:.1%} and {1 - tail:.1%} points of the remaining "
                f"draws. Effective sample size (Kish): {self.effective_sample_size:,.0f} of {self.samples} draws."
            )
        if self.bounds:
            text += " " + " ".join(self.bounds)
        if self.counters:
            given = ", ".join(f"{value:,.0f} {name}" for name, value in self.counters.items())
            text += (
                f" Conditioned on the public counters ({given}): each draw is weighted by the log-normal density of "
                f"the counters given its predicted counts (sd {OBSERVATION_SD} of the log); each interval runs between "
                f"the weighted {tail:.1%} and {1 - tail:.1%} points and the estimate is the weighted median, for every "
                f"figure the published count does not hold. Effective sample size (Kish): "
                f"{self.effective_sample_size:,.0f} of {self.samples} draws. The sensitivity ranking is over the "
                "ranges, before conditioning."
            )
        return text

    def tornado(self, rows: int = 5) -> list[tuple[str, tuple[Swing, ...]]]:
        """The ``rows`` parameters that move each headline figure most, by figure; a figure
        that nothing moves (a count held by construction) or that repeats another (views
        counted as viewable impressions) is left out."""
        out = []
        for figure in HEADLINE_FIGURES:
            swings = tuple(s for s in self.sensitivity if s.figure == figure)[:rows]
            if not swings or swings[0].swing == 0:
                continue
            if figure == "views" and self.expected.policy.counts_as_view == "viewable":
                continue
            out.append((figure, swings))
        return out

    def to_markdown(self, *, rows: int = 5) -> str:
        """The ladder with its intervals, the inflation, and the ``rows`` parameters that move
        each headline figure most, as Markdown (as in ``docs/model.md``)."""
        ladder = [
            "| rung | impressions | unique viewers |",
            "|---|---|---|",
            *(f"| {r.level} | {r.impressions} | {r.unique_viewers} |" for r in self.ladder),
        ]
        lines = [*ladder, "", f"Inflation: {self.inflation.headline} rendered impressions per unique attended viewer."]
        for figure, swings in self.tornado(rows):
            lines += [
                "",
                f"| `{figure}`: parameter | low | high | figure at low | figure at high | swing |",
                "|---|---|---|---|---|---|",
                *(
                    f"| `{s.parameter}` | {format_number(s.low)} | {format_number(s.high)} | {format_number(s.at_low)} "
                    f"| {format_number(s.at_high)} | {s.swing / abs(s.estimate):.0%} |"
                    for s in swings
                ),
            ]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The ladder with its intervals, the inflation, the parameters that move each headline
        figure most (:meth:`tornado`), the method, the bounds and the assumptions, as one
        self-contained HTML page."""
        rendered = self.ladder["rendered"]
        subject = "The ladder they imply" if self.title else self.scenario
        headline = (
            f"{subject}: {rendered.impressions} rendered impressions from {rendered.unique_viewers} unique "
            f"viewers; {self.ladder['attended'].unique_viewers} unique attended viewers; {self.inflation.headline} "
            f"rendered impressions per unique attended viewer ({self.confidence_level:.0%} intervals)."
        )
        return ranges_html(
            title=self.title or f"viewaudit: {self.scenario}",
            headline=headline,
            ladder=self.ladder,
            inflation=self.inflation,
            method=self.method,
            assumptions=[*self.assumptions, *self.bounds, *(f"{r.name}: {r.source}" for r in self.ranges if not r.held)],
            sensitivity=self.tornado(),
        )

    def write_html(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_html` to ``path`` (an ``OSError`` naming the path when it cannot)."""
        write_text(path, self.to_html(), what="HTML page")

    def to_dict(self) -> dict[str, Any]:
        conditioning: dict[str, Any] = (
            {
                "conditioning": {
                    "counters": dict(self.counters),
                    "observation_model": {"family": "log-normal", "sd_log": OBSERVATION_SD, "source": OBSERVATION_SOURCE},
                    "estimate": "weighted median",
                    "effective_sample_size": self.effective_sample_size,
                }
            }
            if self.counters
            else {}
        )
        if self.bounds:
            conditioning["bounds"] = {
                "counters": dict(self.bounded_counters),
                "statements": list(self.bounds),
                "effective_sample_size": self.effective_sample_size,
            }
        extra: dict[str, Any] = {"assumptions": list(self.assumptions)} if self.assumptions else {}
        if self.user_base is not None:
            extra["user_base"] = {**self.user_base.to_dict(), "draws_ruled_out": self.beyond_user_base}
        return {
            "method": self.method,
            "samples": self.samples,
            "seed": self.seed,
            "confidence_level": self.confidence_level,
            "views": {"level": self.expected.policy.counts_as_view, **self.views.to_dict()},
            "ladder": self.ladder.to_list(),
            "inflation": self.inflation.to_dict(),
            "widened": list(self.widened),
            "sensitivity": [s.to_dict() for s in self.sensitivity],
            "ranges": [r.to_dict() for r in self.ranges],
            **conditioning,
            **extra,
        }


def _figures(expected: ExpectedLadder) -> dict[str, float]:
    out: dict[str, float] = {}
    for rung in expected.ladder:
        out[f"{rung.level}_impressions"] = float(rung.impressions)
        out[f"{rung.level}_unique_viewers"] = float(rung.unique_viewers)
    out["views"] = float(expected.views)
    out["inflation"] = float(expected.inflation.headline)
    out.update({f"inflation.{name}": float(value) for name, value in expected.inflation.factors.items()})
    return out


def holding_count(model: FeedModel, count: float, rule: Policy) -> FeedModel:
    """``model`` with its population sized so that its expected views under ``rule`` are
    ``count`` (rendered impressions, for a rule that counts renders)."""
    model = model.scaled(impressions=count)
    if rule.counts_as_view != "rendered":
        # Expected counts are proportional to the population: one rescaling lands on the count.
        views = float(expected_ladder(model, policy=rule).views)
        if views > 0:
            model = model.scaled(viewers=max(1, round(model.viewers * count / views)))
    return model


def _model_at(scenario: Scenario, values: Mapping[str, float]) -> FeedModel:
    model = with_values(scenario.model, values)
    if scenario.impressions is not None:
        model = holding_count(model, scenario.impressions, scenario.policy)
    return model


def _evaluate(scenario: Scenario, values: Mapping[str, float], policy: Policy) -> dict[str, float]:
    return _figures(expected_ladder(_model_at(scenario, values), policy=policy))


def _check(scenario: Any, policy: Any, samples: Any, confidence_level: Any, rng: Any) -> tuple[Scenario, Policy, int]:
    scenario = get_scenario(scenario)
    if not scenario.ranges:
        raise ValueError(f"scenario {scenario.name!r} has no parameter ranges")
    policy = get_policy(policy)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 16 or samples & (samples - 1):
        raise ValueError(f"samples must be a power of two >= 16 (Sobol points keep their balance), got {samples!r}")
    if isinstance(confidence_level, bool) or not isinstance(confidence_level, (int, float)) or not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be a number in (0, 1), got {confidence_level!r}")
    if not (
        rng is None or isinstance(rng, np.random.Generator) or (isinstance(rng, int) and not isinstance(rng, bool) and rng >= 0)
    ):
        raise ValueError(f"rng must be a seed (an int >= 0), a numpy Generator or None, got {rng!r}")
    return scenario, policy, samples.bit_length() - 1


def _interval(point: float, draws: np.ndarray, confidence_level: float, weights: np.ndarray | None) -> tuple[Estimate, bool]:
    if math.isnan(point):
        return Estimate(None, None, None), False
    tail = (1 - confidence_level) / 2
    if weights is not None:  # conditioned: the weighted median between the weighted quantiles
        low, median, high = weighted_quantiles(draws, weights, [tail, 0.5, 1 - tail])
        return Estimate(median, low, high), False
    low, high = (float(q) for q in np.quantile(draws, [tail, 1 - tail]))
    widened = not low <= point <= high
    return Estimate(point, min(low, point), max(high, point)), widened


def _swings(scenario: Scenario, policy: Policy, point: Mapping[str, float]) -> tuple[Swing, ...]:
    varied = [r for r in scenario.ranges.values() if not r.held]
    ends = {r.name: (_evaluate(scenario, {r.name: r.low}, policy), _evaluate(scenario, {r.name: r.high}, policy)) for r in varied}
    out: list[Swing] = []
    for figure in HEADLINE_FIGURES:
        if math.isnan(point[figure]):
            continue
        rows = [
            Swing(
                figure=figure,
                parameter=r.name,
                low=r.low,
                high=r.high,
                at_low=ends[r.name][0][figure],
                at_high=ends[r.name][1][figure],
                estimate=point[figure],
            )
            for r in varied
        ]
        out.extend(sorted(rows, key=lambda s: -s.swing))
    return tuple(out)


def expected_ladder_ranges(
    scenario: Scenario | str,
    *,
    policy: Policy | str = "mrc-display",
    samples: int = 1024,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = 0,
) -> LadderRanges:
    """The scenario's expected ladder with an interval for every figure over its parameter
    ranges, and a sensitivity ranking of the parameters.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the name of a shipped one.
    policy
        A :class:`~viewaudit.Policy`, a preset name or a ``.toml`` file.
    samples
        Sobol points, a power of two >= 16.
    confidence_level
        Share of the draws between an interval's ends.
    rng
        The seed of the scrambling: the same seed gives the same figures.

    Returns
    -------
    LadderRanges
        Each figure's estimate (the point model's) and its interval; the method in
        :attr:`LadderRanges.method`.

    Notes
    -----
    Each varied parameter is drawn uniformly on its range, or on the log of its range for scale
    parameters (``ParameterRange.scale``), by a scrambled Sobol sequence (Owen scrambling, in
    ``scipy.stats.qmc.Sobol``), all parameters independent. Where the scenario holds a published
    count (``Scenario.impressions``), each draw re-derives the population so that the rendered
    impressions stay that count. The sensitivity ranking sets one parameter at a time to its
    low and high ends with the others at their point values (a tornado table).

    Examples
    --------
    >>> import viewaudit as va
    >>> ranges = va.expected_ladder_ranges("x-openai-2023", samples=64)
    >>> ranges.ladder["rendered"].impressions.exact
    True
    """
    return conditioned_ladder_ranges(
        scenario, counters={}, policy=policy, samples=samples, confidence_level=confidence_level, rng=rng
    )


def _weights(
    models: list[FeedModel],
    counters: Mapping[str, float],
    predicted: list[dict[str, float]],
    possible: list[bool] | None = None,
    given: Mapping[str, float] | None = None,
    user_base: UserBase | None = None,
) -> tuple[np.ndarray | None, float | None]:
    """Each draw's weight given the counters (``predicted``: each draw's prediction of them; a
    draw not ``possible`` under the counters' bounds or the platform's users gets none), and
    Kish's effective sample size; warns when it is small."""
    if not counters and possible is None:
        return None, None
    logs = [log_likelihood(counters, counts) for counts in predicted] if counters else [0.0] * len(models)
    if possible is not None:
        logs = [log if ok else -math.inf for log, ok in zip(logs, possible, strict=True)]
    counters = dict(given) if given is not None else dict(counters)
    shown = ", ".join(f"{value:,.0f} {name}" for name, value in counters.items())
    what = f"the public counters ({shown})" if counters else ""
    if user_base is not None:
        users = f"the platform's {user_base.accounts:,.0f} users"
        what = f"{what} and {users}" if what else users
    if not np.isfinite(np.max(logs)):
        raise ValueError(
            f"counters {dict(counters)!r} are impossible under every draw of the parameter ranges: no draw has "
            "enough viewers for them"
        )
    weights = normalised_weights(logs)
    ess = effective_sample_size(weights)
    if ess < MIN_USABLE_SAMPLES:
        # A weighted quantile of one or two draws is that draw: an interval of width zero that
        # would look precise where the counters fit almost nothing.
        if not counters and user_base is not None:
            raise ValueError(
                f"the count needs more viewers than {user_base.platform} has users ({user_base.accounts:,.0f}) in almost "
                f"every draw of the feed model's ranges: {ess:.1f} of {len(models):,} are left, below "
                f"{MIN_USABLE_SAMPLES}; no interval can rest on that"
            )
        raise ValueError(
            f"{what} fit almost no draw of the parameter ranges: {ess:.1f} effective draws of "
            f"{len(models):,}, below {MIN_USABLE_SAMPLES}; no interval can rest on that. Check the counts against the "
            "views (a count far from what the platform's feed predicts fits no draw)"
        )
    if ess < MIN_EFFECTIVE_SAMPLES:
        warnings.warn(
            f"{what} leave {ess:.1f} effective draws of {len(models):,} (< "
            f"{MIN_EFFECTIVE_SAMPLES}): the counts are unlikely under the parameter ranges or the draws too few "
            "(raise samples); the intervals are unreliable",
            DegenerateDataWarning,
            stacklevel=4,
        )
    return weights, ess


def conditioned_ladder_ranges(
    scenario: Scenario | str,
    *,
    counters: Mapping[str, float],
    policy: Policy | str = "mrc-display",
    samples: int = 1024,
    confidence_level: float = 0.95,
    rng: int | np.random.Generator | None = 0,
    bounds: CounterBounds | None = None,
    assumptions: tuple[str, ...] = (),
    user_base: UserBase | None = None,
) -> LadderRanges:
    """As :func:`expected_ladder_ranges`, each draw weighted by how well it predicts the public
    ``counters`` (checked by the caller; see ``viewaudit._model._conditioning``), and bounded by
    ``bounds`` (``viewaudit._model._counter_bounds``): draws they rule out get weight zero and
    engaged figures are raised to their bound. Without counters or bounds, the same result as
    :func:`expected_ladder_ranges`. ``assumptions`` are carried into the result. A draw that
    needs more viewers than ``user_base`` (a platform's users) is ruled out too; a ``ValueError``
    says so when every draw does (``viewaudit._model._user_base``)."""
    from scipy.stats import qmc  # on first use, as scipy.stats elsewhere in the model

    scenario, policy, power = _check(scenario, policy, samples, confidence_level, rng)
    point_ladder = expected_ladder(scenario.model, policy=policy)
    point = _figures(point_ladder)
    varied = [r for r in scenario.ranges.values() if not r.held]
    unit = qmc.Sobol(d=len(varied), scramble=True, seed=rng).random_base2(power)
    models = [_model_at(scenario, {r.name: r.value_at(u[j]) for j, r in enumerate(varied)}) for u in unit]
    predicted = [predicted_counts(model, list(counters)) for model in models] if counters else []
    if counters:
        # Each draw with its interaction rates scaled to the counts: a like is an engaged impression.
        models = [matched_to_counters(model, counters, counts) for model, counts in zip(models, predicted, strict=True)]
    draws = [_figures(expected_ladder(model, policy=policy)) for model in models]
    possible = None
    if bounds is not None and bounds.accounts is not None:  # only per-account counters rule draws out
        shares = [valid_like_share(model, policy) for model in models]
        possible = [bounds.possible(d, policy, share) for d, share in zip(draws, shares, strict=True)]
        raised = [bounds.raised(d, policy, share) for d, share in zip(draws, shares, strict=True)]
        if all(possible) and raised == draws:
            possible = None  # the bounds bind no draw: the figures are those of the ranges alone
        draws = raised
    # The counters named in messages: those that weight or rule out draws.
    given = {**counters, **bounds.per_account} if bounds is not None and possible is not None else dict(counters)
    held_by_users = [user_base.holds(d) for d in draws] if user_base is not None else []
    if user_base is not None and not any(held_by_users):
        raise ValueError(user_base.none_hold(min(d[VIEWERS] for d in draws)))
    binding = user_base if held_by_users and not all(held_by_users) else None
    if binding is not None:
        possible = [ok and fits for ok, fits in zip(possible or held_by_users, held_by_users, strict=True)]
    weights, ess = _weights(models, counters, predicted, possible, given, binding)
    held = _held_figures(scenario, policy)
    intervals: dict[str, Estimate] = {}
    widened: list[str] = []
    for name, value in point.items():
        if name in held:  # the published count itself, which the model matches up to a whole population
            count = float(scenario.impressions)  # type: ignore[arg-type]
            intervals[name] = Estimate(count, count, count)
            continue
        intervals[name], outside = _interval(value, np.array([d[name] for d in draws]), confidence_level, weights)
        if outside:
            widened.append(name)
    rungs: list[Rung] = []
    for rung in point_ladder.ladder:
        if rung.impressions.estimate is None:  # undetermined, as in the audit: 0 to valid, over the ranges
            valid = rungs[LEVELS.index("valid")]
            rungs.append(
                attrs.evolve(
                    rung,
                    impressions=Estimate(None, 0.0, valid.impressions.high),
                    unique_viewers=Estimate(None, 0.0, valid.unique_viewers.high),
                )
            )
            continue
        rungs.append(
            Rung(
                level=rung.level,
                impressions=intervals[f"{rung.level}_impressions"],
                unique_viewers=intervals[f"{rung.level}_unique_viewers"],
                undetermined=0,
            )
        )
    inflation = Inflation(
        headline=intervals["inflation"],
        factors={name: intervals[f"inflation.{name}"] for name in point_ladder.inflation.factors},
    )
    return LadderRanges(
        scenario=scenario.name,
        expected=point_ladder,
        ladder=Ladder(tuple(rungs)),
        views=intervals["views"],
        inflation=inflation,
        sensitivity=_swings(scenario, policy, point),
        ranges=tuple(scenario.ranges.values()),
        samples=samples,
        seed=rng if isinstance(rng, int) else None,
        confidence_level=float(confidence_level),
        held_impressions=scenario.impressions,
        widened=tuple(widened),
        counters=dict(counters),
        effective_sample_size=ess,
        held_policy=scenario.policy.name if scenario.impressions is not None and not _counts_renders(scenario) else None,
        bounded_counters={k: v for k, v in {**bounds.per_account, **bounds.other}.items() if k not in counters} if bounds else {},
        bounds=bounds.statements(policy) if bounds else (),
        assumptions=tuple(assumptions),
        user_base=user_base,
        beyond_user_base=held_by_users.count(False),
    )


def _counts_renders(scenario: Scenario) -> bool:
    return scenario.policy.counts_as_view == "rendered"


def _held_figures(scenario: Scenario, policy: Policy) -> set[str]:
    """The figures a held count fixes by construction: exact, as the draws differ only by
    rounding of the population."""
    if scenario.impressions is None:
        return set()
    if _counts_renders(scenario):
        return {"rendered_impressions", "views"} if policy.counts_as_view == "rendered" else {"rendered_impressions"}
    # Views under the platform's own rule: held only when recounted under that same rule.
    return {f"{policy.counts_as_view}_impressions", "views"} if policy == scenario.policy else set()


__all__ = [
    "HEADLINE_FIGURES",
    "LadderRanges",
    "Swing",
    "conditioned_ladder_ranges",
    "expected_ladder_ranges",
    "holding_count",
]
