"""Validators and converters shared by the feed model's parameter classes.

Every message names the field (``Class.field``), what it must be and the value it got, so a
bad parameter deep inside a scenario is found from the message alone.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import attrs

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _where(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def as_float(value: Any) -> Any:
    """A real number as ``float``; anything else unchanged, for the validator to reject."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def as_int(value: Any) -> Any:
    """An integer, or a whole float (``1e6``), as ``int``; anything else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return operator.index(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(float(value))
    return value


def real(
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> Validator:
    """A finite real number in the given interval (``None``: unbounded on that side)."""
    left = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
    right = "" if high is None else f"{high:g}" + (")" if high_open else "]")
    if low is not None and high is not None:
        requirement = f"in {left}, {right}"
    elif low is not None:
        requirement = f"{'>' if low_open else '>='} {low:g}"
    elif high is not None:
        requirement = f"{'<' if high_open else '<='} {high:g}"
    else:
        requirement = "finite"

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        where = _where(instance, attribute)
        if not isinstance(value, float):
            raise TypeError(f"{where} must be a real number, got {value!r}")
        bad = not math.isfinite(value)
        if low is not None:
            bad = bad or value < low or (low_open and value == low)
        if high is not None:
            bad = bad or value > high or (high_open and value == high)
        if bad:
            raise ValueError(f"{where} must be a finite number {requirement}, got {value!r}")

    return check


def optional_real(**bounds: Any) -> Validator:
    """``None`` or a real number as :func:`real` checks it."""
    inner = real(**bounds)

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            inner(instance, attribute, value)

    return check


def integer(*, low: int) -> Validator:
    """An ``int`` >= ``low``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        where = _where(instance, attribute)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{where} must be an integer, got {value!r}")
        if value < low:
            raise ValueError(f"{where} must be an integer >= {low}, got {value!r}")

    return check


def instance_of(*types: type) -> Validator:
    """An instance of one of ``types``."""
    names = " or ".join(t.__name__ for t in types)
    article = "an" if names[0] in "AEIOU" else "a"

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types):
            raise TypeError(f"{_where(instance, attribute)} must be {article} {names}, got {value!r}")

    return check


def as_tuple(value: Any) -> Any:
    """A list or tuple as a tuple; a lone string or anything else unchanged (and rejected)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def strings(*, min_size: int = 1) -> Validator:
    """A tuple of at least ``min_size`` non-empty strings."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        where = _where(instance, attribute)
        if not isinstance(value, tuple):
            raise TypeError(f"{where} must be a tuple of strings, got {value!r}")
        if len(value) < min_size:
            raise ValueError(f"{where} must hold at least {min_size} string(s), got {value!r}")
        for item in value:
            if not isinstance(item, str) or not item:
                raise TypeError(f"{where} must hold non-empty strings, got {item!r}")

    return check
