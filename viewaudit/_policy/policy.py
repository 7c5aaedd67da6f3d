"""Counting policies: the rules that put an impression on a rung, and the published presets."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from viewaudit._hypothesis_plugin import register_type
from viewaudit._policy.bots import BOT_USER_AGENTS
from viewaudit._rungs import LEVELS, Level
from viewaudit._schema import CANONICAL_COLUMNS


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be in [0, 1], got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 0.0:  # also rejects NaN
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")
    if math.isinf(value):  # no impression could ever reach the rung; and JSON has no infinity
        raise ValueError(f"{attribute.name} must be a finite number, got {value!r}")


def _patterns(instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    for pattern in value:
        if not isinstance(pattern, str):
            raise TypeError(f"{attribute.name} must hold str patterns, got {pattern!r}")
        try:
            re.compile(pattern)
            # Logs are matched by Arrow's RE2, which lacks some of Python's syntax (lookaround,
            # backreferences): refuse those here, not midway through a scan.
            pc.match_substring_regex(pa.nulls(1, pa.string()), f"(?i)(?:{pattern})")  # compiles it
        except (re.error, pa.ArrowInvalid) as err:
            raise ValueError(f"{attribute.name}: {pattern!r} is not a valid regular expression ({err})") from None


def _names(instance: object, attribute: attrs.Attribute[tuple[str, ...] | None], value: tuple[str, ...] | None) -> None:
    if value is None:
        return
    for name in value:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{attribute.name} must hold column names, got {name!r}")
        if name in CANONICAL_COLUMNS:
            # A canonical column has its own meaning and type (a dwell, an id): never a flag.
            raise ValueError(
                f"{attribute.name} must name interaction columns, but {name!r} is a canonical column; "
                "map your column to another name"
            )


def _level(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in LEVELS:
        raise ValueError(f"{attribute.name} must be one of {', '.join(LEVELS)}; got {value!r}")


def _boolean(instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be true or false, got {value!r}")


def _text(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be text, got {value!r}")


def _to_float(value: Any, field: attrs.Attribute[Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{field.name} must be a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:  # its repr may be too long to print (Python refuses 4,300+ digits)
        raise ValueError(f"{field.name} must be a number a float can hold, got an integer above 1.8e308") from None


def _to_tuple(value: Any, field: attrs.Attribute[Any]) -> tuple[str, ...]:
    # A bare string is iterable too, but tuple("liked") would be ('l', 'i', 'k', 'e', 'd').
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{field.name} must be a list of strings, got {value!r}")
    return tuple(value)


def _to_tuple_or_none(value: Any, field: attrs.Attribute[Any]) -> tuple[str, ...] | None:
    return None if value is None else _to_tuple(value, field)


# Converters that know their field, so that a bad value's message names it.
_as_float = attrs.Converter(_to_float, takes_field=True)
_as_tuple = attrs.Converter(_to_tuple, takes_field=True)
_as_tuple_or_none = attrs.Converter(_to_tuple_or_none, takes_field=True)


@attrs.frozen(kw_only=True)
class Policy:
    """A counting rule: what makes an impression valid, viewable, attended and engaged.

    Parameters
    ----------
    name, description, source
        What the policy is called, what it counts, and where the rule is published.
    min_visible_fraction
        ``viewable`` needs ``visible_fraction >= min_visible_fraction``.
    min_in_view_ms
        ``viewable`` needs ``in_view_ms`` (or ``dwell_ms`` where no in-view time is logged)
        ``>= min_in_view_ms``.
    attention_ms
        ``attended`` needs a viewable impression with ``dwell_ms >= attention_ms``.
    exclude_self_views
        A view by the item's author (``viewer_id == author_id``) is not ``valid``.
    use_bot_flag
        Rows with ``is_bot`` true are not ``valid``.
    bot_user_agents
        Case-insensitive regular expressions; a ``user_agent`` matching any is not ``valid``.
    interactions
        Columns whose truth makes a valid impression ``engaged``; ``None`` means those of
        ``liked, replied, reposted, clicked, expanded`` that exist in the log.
    counts_as_view
        The rung this policy calls "a view" (``rendered`` for render-counted platforms).
    """

    name: str = attrs.field(validator=_text)
    description: str = ""
    source: str = ""
    # ignore[misc]: mypy's attrs plugin does not read attrs.Converter (the converters take the field).
    min_visible_fraction: float = attrs.field(default=0.5, converter=_as_float, validator=_fraction)  # type: ignore[misc]
    min_in_view_ms: float = attrs.field(default=1000.0, converter=_as_float, validator=_non_negative)  # type: ignore[misc]
    attention_ms: float = attrs.field(default=2000.0, converter=_as_float, validator=_non_negative)  # type: ignore[misc]
    exclude_self_views: bool = attrs.field(default=True, validator=_boolean)
    use_bot_flag: bool = attrs.field(default=True, validator=_boolean)
    bot_user_agents: tuple[str, ...] = attrs.field(default=BOT_USER_AGENTS, converter=_as_tuple, validator=_patterns)  # type: ignore[misc]
    interactions: tuple[str, ...] | None = attrs.field(default=None, converter=_as_tuple_or_none, validator=_names)  # type: ignore[misc]
    counts_as_view: Level = attrs.field(default="viewable", validator=_level)

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> Policy:
        """Read a policy from a TOML file whose keys are this class's fields.

        The file may hold the fields at the top level or under a ``[policy]`` table; unknown
        keys raise ``ValueError`` naming them.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"policy file {str(path)!r} is not valid TOML: {err}") from None
        except RecursionError:  # tomllib recurses once per level of nested arrays or tables
            raise ValueError(f"policy file {str(path)!r}: arrays or tables nested too deeply") from None
        except UnicodeDecodeError as err:
            raise ValueError(f"policy file {str(path)!r} is not UTF-8 text ({err.reason} at byte {err.start})") from None
        table = data.get("policy", data)
        if not isinstance(table, Mapping):
            raise ValueError(f"policy file {str(path)!r}: [policy] must be a table")
        return cls.from_dict(dict(table), default_name=path.stem)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, default_name: str = "custom") -> Policy:
        """Build a policy from a mapping (the inverse of :meth:`to_dict`)."""
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown policy key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}")
        return cls(**{"name": default_name, **data})

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain JSON-ready values (the report's ``policy`` object)."""
        out = attrs.asdict(self)
        out["bot_user_agents"] = list(self.bot_user_agents)
        out["interactions"] = None if self.interactions is None else list(self.interactions)
        return out


_MRC = "MRC Viewable Ad Impression Measurement Guidelines (2014) and Mobile Viewable Ad Impression Measurement Guidelines (2016)"

#: The published rules, by name. Thresholds and sources as in ``docs/policies.md``.
PRESETS: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy(
            name="platform",
            description="X post views: every render in a feed counts, repeats and the author's own looks included",
            source="X Help, About view counts: https://help.twitter.com/en/using-twitter/view-counts",
            min_visible_fraction=0.0,
            min_in_view_ms=0.0,
            exclude_self_views=False,
            counts_as_view="rendered",
        ),
        Policy(
            name="mrc-display",
            description="MRC viewable display impression: >= 50 % of pixels in view for >= 1 continuous second",
            source=_MRC,
            min_visible_fraction=0.5,
            min_in_view_ms=1000.0,
        ),
        Policy(
            name="mrc-video",
            description="MRC viewable video impression: >= 50 % of pixels in view for >= 2 continuous seconds",
            source=_MRC,
            min_visible_fraction=0.5,
            min_in_view_ms=2000.0,
        ),
        Policy(
            name="meta-3s",
            description="Meta 3-second video view: >= 3 s on screen (no pixel share is published; any counts)",
            source="Meta (Facebook) ads help: 3-second video views",
            min_visible_fraction=0.0,
            min_in_view_ms=3000.0,
        ),
        Policy(
            name="linkedin-mobile",
            description="LinkedIn sponsored impression on mobile: >= 50 % in view for >= 300 ms",
            source="LinkedIn Help a424623",
            min_visible_fraction=0.5,
            min_in_view_ms=300.0,
        ),
        Policy(
            name="trueview",
            description="YouTube skippable (TrueView) ad view: 30 s watched (no pixel share is published)",
            source="Google Display & Video 360 help, answer 6298774",
            min_visible_fraction=0.0,
            min_in_view_ms=30000.0,
        ),
    )
}


_KUAISHOU = "KuaiRec / KuaiRand READMEs"

#: Published rules that are not presets, by name: ``get_policy`` and ``--policy`` take them, and
#: ``compare`` uses them only when asked. The short-video scenario counts its plays with them.
RULES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy(
            name="kuaishou-valid-play",
            description="Kuaishou valid play: played > 7 s (the whole video if shorter; video length is not modelled)",
            source=_KUAISHOU,
            min_visible_fraction=0.0,
            min_in_view_ms=7000.0,
            attention_ms=7000.0,
        ),
        Policy(
            name="kuaishou-long-play",
            description="Kuaishou long play: played >= 18 s",
            source=_KUAISHOU,
            min_visible_fraction=0.0,
            min_in_view_ms=18000.0,
            attention_ms=18000.0,
        ),
        Policy(
            name="kuaishou-not-short",
            description="Not a Kuaishou short play: played >= 3 s (short play: < min(3 s, video length))",
            source=_KUAISHOU,
            min_visible_fraction=0.0,
            min_in_view_ms=3000.0,
            attention_ms=3000.0,
        ),
    )
}


def get_policy(policy: Policy | str | PathLike[str]) -> Policy:
    """A preset or another published rule by name, a policy from a ``.toml`` file, or the policy itself."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str) and policy in PRESETS:
        return PRESETS[policy]
    if isinstance(policy, str) and policy in RULES:
        return RULES[policy]
    if isinstance(policy, str | PathLike) and str(policy).endswith(".toml"):
        path = Path(policy)
        if not path.is_file():
            raise ValueError(f"policy file {str(path)!r} does not exist")
        return Policy.from_toml(path)
    if isinstance(policy, str):
        raise ValueError(
            f"unknown policy {policy!r}; expected a preset ({', '.join(PRESETS)}), "
            f"another published rule ({', '.join(RULES)}) or a .toml file"
        )
    raise TypeError(f"policy must be a Policy, a preset name or a .toml path, got {policy!r}")


# So that ``st.from_type(Policy)`` works when Hypothesis was imported first.
register_type(Policy)
