"""Counting policies: the published presets and custom rules with arbitrary thresholds."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from viewaudit._policy import PRESETS, Policy
from viewaudit._policy.bots import BOT_USER_AGENTS
from viewaudit._rungs import LEVELS
from viewaudit._schema import DEFAULT_INTERACTIONS
from viewaudit._strategies._drawn_values import EXTRA_PATTERNS, FRACTION_EDGES, TIME_EDGES, straddle

#: The audit's default first, so that examples shrink to it.
_PRESET_ORDER = (PRESETS["mrc-display"], *(p for name, p in PRESETS.items() if name != "mrc-display"))


def as_strategy(value: Any, argument: str) -> st.SearchStrategy[Any]:
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{argument} must be a strategy (pass st.just(x) for one value), got {value!r}")
    return value


def _custom() -> st.SearchStrategy[Policy]:
    times = st.one_of(st.sampled_from(straddle(TIME_EDGES)), st.floats(min_value=0.0, max_value=1e6))
    fractions = st.one_of(st.sampled_from(straddle(FRACTION_EDGES)), st.floats(min_value=0.0, max_value=1.0))
    patterns = st.one_of(
        st.just(BOT_USER_AGENTS),
        st.lists(st.sampled_from((*BOT_USER_AGENTS, *EXTRA_PATTERNS)), unique=True, max_size=6).map(tuple),
    )
    interactions = st.one_of(st.none(), st.lists(st.sampled_from(DEFAULT_INTERACTIONS), unique=True, max_size=3).map(tuple))
    return st.builds(
        Policy,
        name=st.one_of(st.just("custom"), st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=12)),
        min_visible_fraction=fractions,
        min_in_view_ms=times,
        attention_ms=times,
        exclude_self_views=st.booleans(),
        use_bot_flag=st.booleans(),
        bot_user_agents=patterns,
        interactions=interactions,
        counts_as_view=st.sampled_from(LEVELS),
    )


def policies(*, presets: bool = True, custom: bool = True) -> st.SearchStrategy[Policy]:
    """Valid :class:`~viewaudit.Policy` objects: the presets and custom rules.

    Custom rules draw every threshold from the presets' values, the floats just below them and
    arbitrary values (pixel share in [0, 1], times in [0, 10⁶] ms, zero included: a zero
    threshold switches its rule off), the self-view and bot-flag switches, bot patterns (the
    built-in list, a subset, or patterns that also match people's browsers), interaction
    columns (``None`` or some of the defaults) and the rung called a view. Shrinks to the
    ``mrc-display`` preset.
    """

    def build() -> st.SearchStrategy[Policy]:
        for name, value in (("presets", presets), ("custom", custom)):
            if not isinstance(value, bool):
                raise InvalidArgument(f"{name} must be True or False, got {value!r}")
        if not (presets or custom):
            raise InvalidArgument("policies() needs presets=True or custom=True")
        parts = [st.sampled_from(_PRESET_ORDER)] if presets else []
        return st.one_of(*parts, *([_custom()] if custom else []))

    return st.deferred(build)
