"""A platform's users bound the distinct accounts any count on it can reach.

A feed model sized to a published count can need more accounts than the platform has (1e11
views on X need 12.7 billion). ``claim`` caps every rung's unique viewers at the platform's
users and says when the cap binds. The bound is explained in ``docs/model.md`` ("The platform's
users").
"""

from __future__ import annotations

from typing import Any

import attrs

from viewaudit._model._closed_form import ExpectedLadder
from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._report.results import Estimate, Inflation, Ladder


def _at_most(value: float | None, cap: float) -> float | None:
    return None if value is None else min(value, cap)


@attrs.frozen(kw_only=True)
class UserBase:
    """The accounts a platform has: no rung's unique viewers can exceed them.

    Attributes
    ----------
    accounts
        The platform's users (a published figure, or an upper bound).
    what, source
        What the figure is, and where it is published (a URL and its date).
    """

    accounts: float = attrs.field(converter=float)
    what: str
    source: str

    def capped(self, expected: ExpectedLadder) -> ExpectedLadder:
        """``expected`` with every unique viewers figure at most :attr:`accounts`, and the
        inflation recomputed from the capped figures (its repeats step and headline divide by
        the attended unique viewers). Where the cap binds no figure, ``expected`` itself."""
        if all(_below(rung.unique_viewers, self.accounts) for rung in expected.ladder):
            return expected
        rungs = tuple(
            attrs.evolve(
                rung,
                unique_viewers=Estimate(
                    _at_most(rung.unique_viewers.estimate, self.accounts),
                    _at_most(rung.unique_viewers.low, self.accounts),
                    _at_most(rung.unique_viewers.high, self.accounts),
                ),
            )
            for rung in expected.ladder
        )
        ladder = Ladder(rungs)

        def ratio(numerator: str, denominator: str) -> Estimate:
            top, bottom = (_figure(ladder, name) for name in (numerator, denominator))
            if top is None or bottom is None or not bottom > 0:
                return Estimate(None, None, None)
            return Estimate(top / bottom, top / bottom, top / bottom)

        inflation = Inflation(
            headline=ratio(HEADLINE[1], HEADLINE[2]),
            factors={name: ratio(numerator, denominator) for name, numerator, denominator in FACTORS},
        )
        return attrs.evolve(expected, ladder=ladder, inflation=inflation)

    def statement(self, platform: str) -> str:
        """The bound, for the result's assumptions."""
        return (
            f"Users: {self.accounts:,.0f}, {self.what}. Source: {self.source}. No count on {platform} reaches more "
            "distinct accounts, so every rung's unique viewers (estimate and interval) are capped at it."
        )

    def exceeded(self, platform: str, views: float, population: int, unique_viewers: float) -> str:
        """What a count whose model needs more accounts than the platform has means, in a sentence."""
        return (
            f"the {views:,.0f} views imply more accounts than {platform} has: the model's population is "
            f"{population:,} accounts, {unique_viewers:,.0f} of them viewers, above its {self.accounts:,.0f} users. "
            f"Unique viewers are capped at {self.accounts:,.0f}: those figures are the bound, not estimates, and the "
            f"inflation is a lower bound. The count means more views per account than the template assumes: at least "
            f"{views / self.accounts:,.1f} per user"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "what": self.what, "source": self.source}


def _below(estimate: Estimate, cap: float) -> bool:
    return all(value is None or value <= cap for value in (estimate.estimate, estimate.low, estimate.high))


def _figure(ladder: Ladder, name: str) -> float | None:
    """A figure named ``<level>_impressions`` or ``<level>_unique_viewers`` from ``ladder``."""
    level, _, kind = name.partition("_")
    rung = ladder[level]
    value: float | None = (rung.impressions if kind == "impressions" else rung.unique_viewers).estimate
    return value


__all__ = ["UserBase"]
