"""The feed model: parameters, the expected ladder in closed form, simulation, scenarios."""

from viewaudit._model._closed_form import ExpectedLadder, expected_ladder
from viewaudit._model._dwell_mixture import DwellMixture, LogNormal, Weibull
from viewaudit._model._params import Bots, Exposure, FeedModel, Interaction, Measurement, Visibility
from viewaudit._model._scenarios import Scenario, get_scenario, scenarios
from viewaudit._model._simulate import Simulation, simulate, simulate_batches

__all__ = [
    "Bots",
    "DwellMixture",
    "ExpectedLadder",
    "Exposure",
    "FeedModel",
    "Interaction",
    "LogNormal",
    "Measurement",
    "Scenario",
    "Simulation",
    "Visibility",
    "Weibull",
    "expected_ladder",
    "get_scenario",
    "scenarios",
    "simulate",
    "simulate_batches",
]
