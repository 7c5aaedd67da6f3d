"""Parameters derived from a cited figure: each setter beside the figure it reproduces.

A scenario often knows a figure (a mean dwell, repeats per exposed reader, a click share)
rather than the model parameter behind it; these functions go both ways, so that the scenarios
and the parameter ranges (``_ranges``) set a parameter from its figure and read it back.
"""

from __future__ import annotations

import math

from viewaudit._model._dwell_mixture import Component, DwellMixture
from viewaudit._model._params import Exposure, Interaction


def glance_weight_for_mean(mean_s: float, *, zero: float, glance: Component, read: Component) -> float:
    """The glance weight that gives a mixture this mean dwell (seconds, zeros included)."""
    weight = (mean_s / (1 - zero) - read.mean_s) / (glance.mean_s - read.mean_s)
    if not 0 <= weight <= 1:
        raise ValueError(f"no glance weight in [0, 1] gives a mean dwell of {mean_s} s (got {weight})")
    return weight


def exposure_mean_for_repeats(repeats: float, *, shape: float) -> float:
    """The NB mean ``m`` whose zero-truncated mean ``m / (1 - (1 + m / k) ** -k)`` is ``repeats``."""
    from scipy import optimize  # on first use: scenarios are built lazily

    def gap(m: float) -> float:
        return m / -math.expm1(-shape * math.log1p(m / shape)) - repeats

    return float(optimize.brentq(gap, 1e-9, 1e9, xtol=1e-14, rtol=1e-12))


def repeats(exposure: Exposure) -> float:
    """Mean impressions per account that has at least one: the zero-truncated NB mean."""
    m, k = exposure.mean, exposure.shape
    return m / -math.expm1(-k * math.log1p(m / k))


def interaction_for_share(column: str, share: float, *, ratio: float, attention_s: float, dwell: DwellMixture) -> Interaction:
    """An interaction with overall probability ``share`` whose attended probability is
    ``ratio`` times the unattended one."""
    attended_share = float(dwell.sf(attention_s))
    not_attended = share / (ratio * attended_share + 1 - attended_share)
    return Interaction(column=column, attended=ratio * not_attended, not_attended=not_attended, attention_s=attention_s)


def interaction_share(interaction: Interaction, dwell: DwellMixture) -> float:
    """The overall probability of an interaction on a person's impression with this dwell."""
    attended_share = float(dwell.sf(interaction.attention_s))
    return interaction.attended * attended_share + interaction.not_attended * (1 - attended_share)


def interaction_ratio(interaction: Interaction) -> float:
    """How many times likelier the interaction is after attention than without it."""
    if interaction.not_attended == 0:
        return math.inf
    return interaction.attended / interaction.not_attended
