"""The rungs of the view ladder: the vocabulary shared by code, report and docs."""

from __future__ import annotations

from typing import Literal

Level = Literal["rendered", "valid", "viewable", "attended", "engaged"]

#: The rungs in report order. Each is a subset of the one before, except ``engaged``, which is a
#: subset of ``valid``.
LEVELS: tuple[Level, ...] = ("rendered", "valid", "viewable", "attended", "engaged")

#: The rung each rung is a subset of.
PARENT: dict[Level, Level | None] = {
    "rendered": None,
    "valid": "rendered",
    "viewable": "valid",
    "attended": "viewable",
    "engaged": "valid",
}

#: Rungs whose membership can be undetermined for a row (dwell or visibility not measured, or
#: dwell censored below the threshold): estimated, not counted.
ESTIMATED_LEVELS: tuple[Level, ...] = ("viewable", "attended")
