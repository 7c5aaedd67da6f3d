"""The feed model: parameters, the expected ladder in closed form, simulation, scenarios."""

from ._closed_form import ExpectedLadder, expected_ladder
from ._dwell import DwellMixture, LogNormal, Weibull
from ._params import Bots, Exposure, FeedModel, Interaction, Measurement, Visibility
from ._scenarios import Scenario, get_scenario, scenarios
from ._simulate import Simulation, simulate, simulate_batches

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
