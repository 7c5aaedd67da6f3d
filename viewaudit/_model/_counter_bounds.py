"""What public counters imply without a rate: every counted interaction was made by an account
that saw the post.

A counter that counts at most one interaction per account and post (a like, a repost on X, a
bookmark) needs that many different impressions, and, on one post, that many different accounts.
Summed over several posts, one account can add one to each: the accounts needed are the count
divided by the posts. So the rendered rung holds at least the count's impressions and the count
over the posts in unique viewers, whatever the model says: a draw of the parameters below it is
impossible and gets weight zero. The engaged rung counts only valid
impressions (no bots, not the author), so the counter bounds it only under an assumption about
who interacts: here, that the counter's accounts are valid in the same share as the draw's
likes. A draw's engaged figures below that bound are raised to it. The bounds are explained in
``docs/model.md`` ("Public counters").
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from viewaudit._model._closed_form import expected_ladder
from viewaudit._model._conditioning import COUNTERS, predicted_counts
from viewaudit._model._params import FeedModel
from viewaudit._policy import Policy
from viewaudit._schema import DEFAULT_INTERACTIONS


def valid_like_share(model: FeedModel, policy: Policy) -> float:
    """Share of the model's likes that fall on impressions ``policy`` counts as valid (1 when
    the model predicts no like at all: then nothing says who interacts)."""
    every = predicted_counts(model, ["likes"])["likes"]
    if every <= 0:
        return 1.0
    liked = attrs.evolve(policy, interactions=("liked",))
    valid = expected_ladder(model, policy=liked).ladder["engaged"].impressions.estimate
    return min(1.0, float(valid) / every)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class CounterBounds:
    """The counters given, split into those that count at most one per account and the others.

    Parameters
    ----------
    per_account
        Counter name -> count, for counters an account adds at most one to (likes; reposts and
        bookmarks on X).
    other
        Counter name -> count, for counters one account can add to many times (replies): they
        bound nothing beyond one viewer.
    posts
        The posts the counters are summed over: one account can add one to each, so the
        counters bound unique viewers at ``count / posts`` (impressions at ``count``).
    """

    per_account: Mapping[str, float] = attrs.field(factory=dict)
    other: Mapping[str, float] = attrs.field(factory=dict)
    posts: int = 1

    def _posts_text(self) -> str:
        return "the one post" if self.posts == 1 else f"the {self.posts:,} posts"

    def _viewers(self, count: float) -> float:
        """The fewest accounts that can make ``count`` interactions, at most one per post."""
        return math.ceil(count / self.posts)

    def __bool__(self) -> bool:
        return bool(self.per_account or self.other)

    def _largest(self, names: list[str]) -> tuple[str, float] | None:
        if not names:
            return None
        name = max(names, key=lambda n: (self.per_account[n], n))
        return name, self.per_account[name]

    @property
    def accounts(self) -> tuple[str, float] | None:
        """The largest per-account counter: at least that many accounts saw the post."""
        return self._largest(list(self.per_account))

    def engaging(self, policy: Policy) -> tuple[str, float] | None:
        """The largest per-account counter whose interaction ``policy`` counts as engaged."""
        columns = DEFAULT_INTERACTIONS if policy.interactions is None else policy.interactions
        return self._largest([n for n in self.per_account if COUNTERS[n] in columns])

    def possible(self, figures: Mapping[str, float], policy: Policy, valid_share: float) -> bool:
        """False when a draw's ladder has fewer rendered impressions or viewers than the counter
        needs, or fewer valid ones than its engaged bound."""
        accounts = self.accounts
        if accounts is None:
            return True
        if figures["rendered_impressions"] < accounts[1] or figures["rendered_unique_viewers"] < self._viewers(accounts[1]):
            return False
        engaging = self.engaging(policy)
        if engaging is None:
            return True
        least = engaging[1] * valid_share
        return figures["valid_impressions"] >= least and figures["valid_unique_viewers"] >= self._viewers(least)

    def raised(self, figures: Mapping[str, float], policy: Policy, valid_share: float) -> dict[str, float]:
        """A draw's figures with its engaged impressions and unique viewers raised to the
        engaged bound (the valid share of the largest engaging per-account counter)."""
        out = dict(figures)
        engaging = self.engaging(policy)
        if engaging is not None:
            least = engaging[1] * valid_share
            out["engaged_impressions"] = max(out["engaged_impressions"], least)
            out["engaged_unique_viewers"] = max(out["engaged_unique_viewers"], self._viewers(least))
        return out

    def statements(self, policy: Policy) -> tuple[str, ...]:
        """The bounds applied, one sentence each, for the result's assumptions."""
        out: list[str] = []
        accounts = self.accounts
        if accounts is not None:
            out.append(
                f"Bound (no model needed): each of the {' and '.join(self.per_account)} counted is by an account that "
                f"saw the post, at most one per account and post, so rendered impressions are at least the largest "
                f"count, {accounts[1]:,.0f} {accounts[0]}, and rendered unique viewers at least that over "
                f"{self._posts_text()}, {self._viewers(accounts[1]):,.0f}; draws below it get weight zero."
            )
        engaging = self.engaging(policy)
        if engaging is not None:
            out.append(
                f"Bound (assumption): the accounts behind the {engaging[1]:,.0f} {engaging[0]} are valid (not bots, "
                "not the author) in the same share as the draw's likes, so engaged impressions are at least "
                f"{engaging[1]:,.0f} times that share, and engaged unique viewers that over {self._posts_text()}; "
                "a draw below it is raised to it. Engaged can be higher: the bound does not add the other counters, "
                "which may come from the same accounts."
            )
        columns = DEFAULT_INTERACTIONS if policy.interactions is None else policy.interactions
        for name in self.per_account:
            if COUNTERS[name] not in columns:
                out.append(
                    f"The {name} bound only the rendered rung: {COUNTERS[name]!r} is not an engaging interaction "
                    f"under policy {policy.name!r}."
                )
        for name, value in self.other.items():
            out.append(f"The {value:,.0f} {name} bound nothing beyond one viewer: one account can add many on this platform.")
        return tuple(out)


__all__ = ["CounterBounds", "valid_like_share"]
