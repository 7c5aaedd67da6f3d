"""How a platform's public counters (likes, reposts, ...) narrow the ranges of a published count.

Each quasi-Monte Carlo draw of the parameters predicts how many interactions the platform would
show; the draws whose predictions agree with the counters given get more weight (importance
weighting). The method is explained in ``docs/model.md`` ("Public counters").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from viewaudit._model._closed_form import expected_ladder
from viewaudit._model._params import FeedModel
from viewaudit._policy import PRESETS, Policy

#: Public counter -> the interaction column of the feed model it counts.
COUNTERS: dict[str, str] = {"likes": "liked", "reposts": "reposted", "replies": "replied", "bookmarks": "bookmarked"}

#: Standard deviation of log(observed / predicted) for one counter: see OBSERVATION_SOURCE.
OBSERVATION_SD = 0.5

OBSERVATION_SOURCE = (
    "Assumption: a counter differs from the feed model's prediction by a log-normal factor with standard "
    f"deviation {OBSERVATION_SD} of its log (a factor of about 1.6 either way for one standard deviation). The "
    "model's interaction rates are for a typical story; the rates of one story differ from them, and counts this "
    "large leave no other sampling error. Without this term a count would select only the few draws that "
    "predict it to within a fraction of a percent."
)

#: Below this effective sample size the conditioned intervals rest on too few draws (a warning).
MIN_EFFECTIVE_SAMPLES = 100
#: Below this one they rest on one draw or a few, and would look precise: an error.
MIN_USABLE_SAMPLES = 10


def check_counters(counters: Mapping[str, Any], views: float) -> dict[str, float]:
    """The counters given (``None`` left out), as floats, checked against the views."""
    out: dict[str, float] = {}
    for name, value in counters.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite count >= 0, got {value!r}")
        if name not in COUNTERS:
            raise ValueError(f"unknown counter {name!r}; expected one of {', '.join(COUNTERS)}")
        if value > views:
            raise ValueError(f"{name} must be at most the views ({views:,.0f}): each needs a view, got {value!r}")
        out[name] = float(value)
    return out


def _counting_policy(columns: Sequence[str]) -> Policy:
    # Every render, bots and the author's own looks included: the platform shows all interactions.
    return attrs.evolve(PRESETS["platform"], use_bot_flag=False, bot_user_agents=(), interactions=tuple(columns))


def predicted_counts(model: FeedModel, counters: Sequence[str]) -> dict[str, float]:
    """Expected number of each counter over all rendered impressions of ``model``: one
    interaction per impression that gets it."""
    return {
        name: float(expected_ladder(model, policy=_counting_policy([COUNTERS[name]])).ladder["engaged"].impressions.estimate)  # type: ignore[arg-type]
        for name in counters
    }


def matched_to_counters(model: FeedModel, counters: Mapping[str, float], predicted: Mapping[str, float]) -> FeedModel:
    """``model`` with each counted interaction's probabilities scaled by observed / predicted
    (at most 1), so that it predicts the counters given.

    A like is itself an engaged impression: the count pins the engaged rung down, whatever the
    draw's like rate. The draw's weight (:func:`log_likelihood`) says how plausible that rate is,
    and so conditions the other parameters; its figures come from the matched model."""
    scale = {COUNTERS[name]: (value / predicted[name] if predicted[name] > 0 else 1.0) for name, value in counters.items()}
    interactions = tuple(
        attrs.evolve(i, attended=min(1.0, i.attended * scale[i.column]), not_attended=min(1.0, i.not_attended * scale[i.column]))
        if i.column in scale
        else i
        for i in model.interactions
    )
    return attrs.evolve(model, interactions=interactions)


def log_likelihood(observed: Mapping[str, float], predicted: Mapping[str, float], sd: float = OBSERVATION_SD) -> float:
    """Log of the log-normal observation density of the counters, up to a constant: the sum of
    ``-(log(1 + observed) - log(1 + predicted))**2 / (2 sd**2)`` (``1 +`` so that zero is legal;
    for counts in the hundreds it is the log of the ratio)."""
    return float(sum(-0.5 * ((math.log1p(observed[n]) - math.log1p(predicted[n])) / sd) ** 2 for n in observed))


def normalised_weights(log_weights: Sequence[float]) -> np.ndarray:
    """Weights summing to 1 from their logs (shifted by the largest, so none overflows)."""
    logs = np.asarray(log_weights, dtype=float)
    weights = np.exp(logs - np.max(logs))
    return np.asarray(weights / np.sum(weights), dtype=float)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, ``(sum w)**2 / sum w**2`` (Kish 1965, *Survey Sampling*)."""
    return float(np.sum(weights) ** 2 / np.sum(weights**2))


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, probabilities: Sequence[float]) -> list[float]:
    """The smallest value whose cumulative weight reaches each probability (the inverse of the
    weighted empirical distribution function)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    positions = np.searchsorted(cumulative, np.asarray(probabilities) - 1e-12, side="left")
    return [float(values[order][min(p, len(values) - 1)]) for p in positions]


__all__ = [
    "COUNTERS",
    "MIN_EFFECTIVE_SAMPLES",
    "OBSERVATION_SD",
    "OBSERVATION_SOURCE",
    "check_counters",
    "effective_sample_size",
    "log_likelihood",
    "matched_to_counters",
    "normalised_weights",
    "predicted_counts",
    "weighted_quantiles",
]
