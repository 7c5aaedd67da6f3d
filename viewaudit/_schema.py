"""The canonical impression schema and the mapping from a user's column names to it.

One row per impression. Only ``item_id`` is required; every other column is optional and its
absence turns the rung that needs it into "cannot be determined" (see ``docs/schema.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

#: What to do with a row that breaks the schema: drop it and count it, or raise.
OnInvalid = Literal["reject", "raise"]

#: Every canonical column with a short description (the order is the documented order).
CANONICAL_COLUMNS: dict[str, str] = {
    "item_id": "the post / content id (int or str, required)",
    "viewer_id": "person, account or device (int or str); null = logged out",
    "ts": "when the impression started (timestamp, ISO 8601 or RFC 2822 text, or epoch s/ms/us/ns)",
    "dwell_ms": "time on screen in ms (float >= 0); null = not measured",
    "dwell_censored": "dwell_ms is a lower bound (bool)",
    "in_view_ms": "longest continuous time with the policy's pixel share in view, ms",
    "visible_fraction": "largest share of the item's pixels on screen, in [0, 1]",
    "is_bot": "invalid traffic flagged upstream (bool)",
    "user_agent": "client user agent, matched against the policy's bot patterns",
    "author_id": "the item's author, for the self-view rule",
    "weight": "inverse inclusion probability of a sampled row (float from 1 to 1e9, default 1)",
}

#: Interaction columns a policy uses by default, when they exist in the log.
DEFAULT_INTERACTIONS: tuple[str, ...] = ("liked", "replied", "reposted", "clicked", "expanded")

ID_COLUMNS = ("item_id", "viewer_id", "author_id")
#: Columns of times in ms, which a mapping may give in another unit (``"read_time:s"``).
TIME_COLUMNS = ("dwell_ms", "in_view_ms")
#: The units a time column may be declared in, with their size in ms.
TIME_UNITS: dict[str, float] = {"s": 1000.0, "ms": 1.0, "us": 0.001}
FLOAT_COLUMNS = ("dwell_ms", "in_view_ms", "visible_fraction", "weight")

#: The largest weight a row may carry (a sample rate of 1e-9): weights are summed in fixed point
#: (``viewaudit._scan.summary``), and a larger one is a logging error rather than a sample.
MAX_WEIGHT = 1e9
#: The smallest ``sample_rate``: each row then weighs ``MAX_WEIGHT``.
MIN_SAMPLE_RATE = 1 / MAX_WEIGHT
BOOL_COLUMNS = ("dwell_censored", "is_bot")


def _check_mapping(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"columns must be a mapping of canonical name to column name, got {value!r}")
    for canonical, source in value.items():
        if not isinstance(canonical, str) or not isinstance(source, str):
            raise TypeError(f"columns must map str to str, got {canonical!r}: {source!r}")
        if canonical in TIME_COLUMNS and ":" in source:
            name, _, unit = source.rpartition(":")
            if unit not in TIME_UNITS or not name:
                raise ValueError(
                    f"columns= gives {canonical!r} as {source!r}: a unit after ':' must be one of "
                    f"{', '.join(TIME_UNITS)} (e.g. {canonical}=read_time:s), got {unit!r}"
                )


@attrs.frozen
class ColumnMap:
    """Which column of the source holds each canonical column.

    ``ColumnMap({"item_id": "post_id"})`` reads the canonical ``item_id`` from ``post_id``;
    canonical names that are not mapped are looked up under their own name. A time column may
    name its unit: ``{"dwell_ms": "read_time:s"}`` reads seconds and converts them to ms.
    """

    mapping: Mapping[str, str] = attrs.field(factory=dict, validator=_check_mapping)

    @classmethod
    def parse(cls, text: str) -> ColumnMap:
        """Parse the CLI form ``item_id=post_id,viewer_id=user``."""
        mapping: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            canonical, sep, source = part.partition("=")
            if not sep or not canonical.strip() or not source.strip():
                raise ValueError(f"--columns expects canonical=source pairs separated by commas, got {part!r}")
            mapping[canonical.strip()] = source.strip()
        return cls(mapping)

    def source_name(self, canonical: str) -> str:
        """The source column that holds ``canonical``."""
        return self._split(canonical)[0]

    def unit(self, canonical: str) -> str | None:
        """The unit the mapping declares for a time column (``"s"``, ``"ms"``, ``"us"``), or None."""
        return self._split(canonical)[1]

    def _split(self, canonical: str) -> tuple[str, str | None]:
        """(source column, declared unit or None): only time columns carry a ``:unit``."""
        source = self.mapping.get(canonical, canonical)
        if canonical in TIME_COLUMNS and ":" in source:
            name, _, unit = source.rpartition(":")
            return name, unit
        return source, None


def as_column_map(columns: Mapping[str, str] | ColumnMap | str | None) -> ColumnMap:
    """Normalise the ``columns=`` argument of the public functions."""
    if columns is None:
        return ColumnMap()
    if isinstance(columns, ColumnMap):
        return columns
    if isinstance(columns, str):
        return ColumnMap.parse(columns)
    return ColumnMap(dict(columns))


#: ``rounding_ms="auto"``: the step is read from the log's values (``viewaudit._read.granularity``).
Rounding = float | Literal["auto"]


def _rounding(value: object) -> Rounding:
    if value == "auto":
        return "auto"
    if isinstance(value, bool) or not isinstance(value, int | float) or not (value >= 0 and value != float("inf")):
        raise ValueError(f"rounding_ms must be 'auto' or a finite number >= 0, got {value!r}")
    return float(value)


def _sample_rate(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not MIN_SAMPLE_RATE <= value <= 1:
        raise ValueError(
            f"sample_rate must be in (0, 1] and at least {MIN_SAMPLE_RATE:g} (each row weighs 1/sample_rate, "
            f"at most {MAX_WEIGHT:g}), got {value!r}"
        )
    return float(value)


@attrs.frozen
class Recording:
    """How the log was recorded, beyond what its columns say.

    ``rounding_ms``: ``dwell_ms`` and ``in_view_ms`` were floored to multiples of this (1000 for
    a whole-second logger; 0: not rounded; ``"auto"``: to be read from the values before the
    scan, see :attr:`step_ms`). ``sample_rate``: every row of the complete log was
    kept independently with this probability (the log then has no ``weight`` column; each row
    weighs ``1 / sample_rate``).
    """

    rounding_ms: Rounding = attrs.field(default=0.0, converter=_rounding)
    sample_rate: float | None = attrs.field(default=None, converter=_sample_rate)

    @property
    def step_ms(self) -> float:
        """``rounding_ms`` once known (the scan runs only after ``"auto"`` is resolved)."""
        if isinstance(self.rounding_ms, str):
            raise ValueError("rounding_ms='auto' must be resolved from the log before the scan")
        return self.rounding_ms
