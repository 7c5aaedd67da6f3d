"""The feed model: parameters, the expected ladder in closed form, simulation, scenarios."""

from viewaudit._model._claim import PLATFORMS, claim
from viewaudit._model._closed_form import ExpectedLadder, expected_ladder
from viewaudit._model._dwell_mixture import DwellMixture, LogNormal, Weibull
from viewaudit._model._params import Bots, Exposure, FeedModel, Interaction, Measurement, Visibility
from viewaudit._model._ranges import ParameterRange
from viewaudit._model._scenarios import Scenario, get_scenario, scenarios
from viewaudit._model._simulate import Simulation, simulate, simulate_batches
from viewaudit._model._uncertainty import LadderRanges, expected_ladder_ranges

__all__ = [
    "PLATFORMS",
    "Bots",
    "DwellMixture",
    "ExpectedLadder",
    "Exposure",
    "FeedModel",
    "Interaction",
    "LadderRanges",
    "LogNormal",
    "Measurement",
    "ParameterRange",
    "Scenario",
    "Simulation",
    "Visibility",
    "Weibull",
    "claim",
    "expected_ladder",
    "expected_ladder_ranges",
    "get_scenario",
    "scenarios",
    "simulate",
    "simulate_batches",
]
