"""A platform's users bound the distinct accounts any count on it can reach.

A feed model sized to a published count can need more viewers than the platform has users
(1e11 views on X need 12.7 billion in the ``x-openai-2023`` feed). Such a draw of the parameter
ranges cannot be what happened: ``claim`` rules it out (weight zero), as it rules out draws the
public counters make impossible, and refuses a count that no draw can hold. Capping the figures
instead would print the platform's users as an interval of width zero, a precise-looking figure
the model does not support. The bound is explained in ``docs/model.md`` ("The platform's users").
"""

from __future__ import annotations

from typing import Any

import attrs

#: The figure a draw's viewers are checked against: every rung's viewers are among the rendered.
VIEWERS = "rendered_unique_viewers"


@attrs.frozen(kw_only=True)
class UserBase:
    """The accounts a platform has: no count on it reaches more distinct viewers.

    Attributes
    ----------
    platform
        The platform's name, for messages.
    accounts
        The platform's users (a published figure, or an upper bound).
    what, source
        What the figure is, and where it is published (a URL and its date).
    """

    platform: str
    accounts: float = attrs.field(converter=float)
    what: str
    source: str

    def holds(self, figures: dict[str, float]) -> bool:
        """Whether a draw's figures (``_uncertainty._figures``) need at most :attr:`accounts` viewers."""
        return bool(figures[VIEWERS] <= self.accounts)

    def statement(self) -> str:
        """The bound, for the result's assumptions."""
        return (
            f"Users: {self.accounts:,.0f}, {self.what}. Source: {self.source}. No count on {self.platform} reaches more "
            "distinct accounts: a draw of the ranges that needs more viewers is ruled out."
        )

    def none_hold(self, least: float) -> str:
        """Why a count that every draw needs more viewers for than the platform has is refused."""
        return (
            f"the count needs more viewers than {self.platform} has users: every draw of the feed model's ranges "
            f"needs at least {least:,.0f}, above {self.accounts:,.0f} ({self.what}). The count means more views per "
            "account than the feed model allows, so it cannot say who saw them"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "accounts": self.accounts, "what": self.what, "source": self.source}
