"""Parameter ranges: how far each scenario parameter could be from its point value, and why.

A :class:`ParameterRange` names a parameter by dotted path (``"exposure.mean"``, as in
``FeedModel.to_dict()``; ``"interactions.liked.attended"`` for an interaction by its column)
or a figure it is derived from (``DERIVED``: ``"dwell.mean_s"`` sets the glance weight), and
carries its low and high ends, whether draws are uniform on it or on its logarithm, and its
source or the reason for the assumption. :func:`with_values` sets values on a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from viewaudit._model._derive import (
    exposure_mean_for_repeats,
    glance_weight_for_mean,
    interaction_for_share,
    interaction_ratio,
    interaction_share,
    repeats,
)
from viewaudit._model._dwell_mixture import DwellMixture
from viewaudit._model._params import FeedModel, Interaction

#: How a range's source line starts, as a scenario's ``sources``.
PREFIXES = ("Source:", "Fitted:", "Derived:", "Assumption:")

#: Figures a range may name instead of a parameter, and the parameter each sets.
DERIVED: dict[str, str] = {
    "dwell.mean_s": "dwell.glance_weight",
    "exposure.repeats": "exposure.mean",
    "interactions.*.share": "interactions.*.attended",
    "interactions.*.ratio": "interactions.*.not_attended",
}

#: Whole-number parameters: a draw is rounded.
INTEGERS = frozenset({"viewers", "items", "start_ms"})


def _finite(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"ParameterRange.{attribute.name} must be a finite number, got {value!r}")


def _source(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.startswith(PREFIXES):
        raise ValueError(f"ParameterRange.source must start with one of {', '.join(PREFIXES)}, got {value!r}")


@attrs.frozen(kw_only=True)
class ParameterRange:
    """A parameter's plausible values: ``low`` to ``high``, drawn uniformly on ``scale``.

    Parameters
    ----------
    name
        Dotted parameter path, or a figure of ``DERIVED``.
    low, high
        The ends, ``low <= high``; equal ends hold the parameter at that value.
    source
        ``"Source: ..."``, ``"Fitted: ..."``, ``"Derived: ..."`` or ``"Assumption: ..."``.
    scale
        ``"linear"`` (uniform) or ``"log"`` (log-uniform, for scale parameters; ``low > 0``).
    """

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    low: float = attrs.field(validator=_finite)
    high: float = attrs.field(validator=_finite)
    source: str = attrs.field(validator=_source)
    scale: Literal["linear", "log"] = attrs.field(default="linear", validator=attrs.validators.in_(("linear", "log")))

    def __attrs_post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"ParameterRange {self.name!r} needs low <= high, got {self.low!r} and {self.high!r}")
        if self.scale == "log" and not self.low > 0:
            raise ValueError(f"ParameterRange {self.name!r} on a log scale needs low > 0, got {self.low!r}")

    @property
    def held(self) -> bool:
        """True when the range is one value (the parameter is not varied)."""
        return self.low == self.high

    def value_at(self, u: Any) -> Any:
        """The value at quantile ``u`` in [0, 1] (arrays too)."""
        if self.scale == "log":
            return self.low * (self.high / self.low) ** u
        return self.low + (self.high - self.low) * u

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _pattern(name: str) -> str:
    parts = name.split(".")
    return f"interactions.*.{parts[2]}" if parts[0] == "interactions" and len(parts) == 3 else name


def is_derived(name: str) -> bool:
    return _pattern(name) in DERIVED


def sets(name: str) -> str:
    """The model parameter a range sets: itself, or the one its derived figure sets."""
    target = DERIVED.get(_pattern(name))
    if target is None:
        return name
    return target.replace("*", name.split(".")[1])


def numeric_parameters(model: FeedModel) -> dict[str, float]:
    """Every numeric parameter of a model by dotted path (dwell components and interactions
    expanded; user-agent lists and ``None`` are not numbers)."""
    out: dict[str, float] = {}

    def walk(prefix: str, data: Any) -> None:
        if isinstance(data, Mapping):
            for key, value in data.items():
                walk(f"{prefix}{key}.", value)
        elif isinstance(data, (int, float)) and not isinstance(data, bool):
            out[prefix[:-1]] = float(data)

    walk("", {k: v for k, v in model.to_dict().items() if k != "interactions"})
    for interaction in model.interactions:
        walk(f"interactions.{interaction.column}.", {k: v for k, v in attrs.asdict(interaction).items() if k != "column"})
    return out


def _interaction(model: FeedModel, column: str) -> Interaction:
    for interaction in model.interactions:
        if interaction.column == column:
            return interaction
    raise ValueError(f"the model has no interaction column {column!r}; it has {', '.join(i.column for i in model.interactions)}")


def parameter_value(model: FeedModel, name: str) -> float:
    """A parameter's (or a derived figure's) value in a model."""
    parts = name.split(".")
    if name == "dwell.mean_s":
        return model.dwell.mean_s
    if name == "exposure.repeats":
        return repeats(model.exposure)
    if parts[0] == "interactions" and len(parts) == 3 and parts[2] in ("share", "ratio"):
        interaction = _interaction(model, parts[1])
        return interaction_share(interaction, model.dwell) if parts[2] == "share" else interaction_ratio(interaction)
    values = numeric_parameters(model)
    if name not in values:
        raise ValueError(f"unknown parameter {name!r}; expected one of {', '.join(values)} or {', '.join(DERIVED)}")
    return values[name]


def _set_leaf(data: dict[str, Any], name: str, value: float) -> None:
    parts = name.split(".")
    if parts[0] == "interactions":
        (row,) = (i for i in data["interactions"] if i["column"] == parts[1])
        row[parts[2]] = value
        return
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = round(value) if name in INTEGERS else value


def _set_derived(data: dict[str, Any], name: str, value: float) -> None:
    parts = name.split(".")
    dwell = DwellMixture.from_dict(data["dwell"])
    if name == "dwell.mean_s":
        data["dwell"]["glance_weight"] = glance_weight_for_mean(value, zero=dwell.zero, glance=dwell.glance, read=dwell.read)
    elif name == "exposure.repeats":
        data["exposure"]["mean"] = exposure_mean_for_repeats(value, shape=data["exposure"]["shape"])
    else:
        index = next(i for i, row in enumerate(data["interactions"]) if row["column"] == parts[1])
        current = Interaction(**data["interactions"][index])
        share = value if parts[2] == "share" else interaction_share(current, dwell)
        ratio = value if parts[2] == "ratio" else interaction_ratio(current)
        new = interaction_for_share(current.column, share, ratio=ratio, attention_s=current.attention_s, dwell=dwell)
        data["interactions"][index] = attrs.asdict(new)


def with_values(model: FeedModel, values: Mapping[str, float]) -> FeedModel:
    """The model with these parameters (or derived figures) set, in the mapping's order.

    Order matters where a figure is derived: set ``dwell.*`` before ``dwell.mean_s`` and the
    dwell and ``attention_s`` before an interaction's ``share`` (which keeps it under the new
    dwell).
    """
    data = model.to_dict()
    for name, value in values.items():
        if is_derived(name):
            _set_derived(data, name, float(value))
        else:
            _set_leaf(data, name, float(value))
    return FeedModel.from_dict(data)


__all__ = ["ParameterRange"]
