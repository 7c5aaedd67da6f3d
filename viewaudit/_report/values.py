"""The value objects of a report: estimates with intervals, rungs, the ladder, inflation, rows.

Plain frozen values, apart from the :class:`~viewaudit._report.results.Audit` that holds them,
so that what draws or prints a ladder needs only this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from viewaudit._report.inflation import FACTORS, HEADLINE
from viewaudit._rungs import LEVELS, Level

#: Control characters (C0, DEL, C1) and the bidirectional overrides, which a terminal would act
#: on, mapped to their escapes: text from files and policies is shown, never obeyed.
_CONTROLS = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_LINES = {k: v for k, v in _CONTROLS.items() if chr(k) not in "\n\t"}


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with its control characters escaped (``\\x1b``); ``lines=True`` keeps newlines and tabs."""
    return text.translate(_LINES if lines else _CONTROLS)


def _num(value: float) -> float | int | None:
    # JSON has no NaN or infinity: a non-finite figure is null (see docs/report.md).
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float


@attrs.frozen
class Estimate:
    """A figure with its confidence interval; exact when ``low == high == estimate``."""

    estimate: float | None
    low: float | None
    high: float | None

    @property
    def exact(self) -> bool:
        return self.estimate is not None and self.low == self.estimate == self.high

    def to_dict(self) -> dict[str, float | int | None]:
        return {"estimate": _num(self.estimate), "low": _num(self.low), "high": _num(self.high)}  # type: ignore[arg-type]

    def __str__(self) -> str:
        if self.estimate is None:
            return "n/a"
        if self.exact:
            return format_number(self.estimate)
        return f"{format_number(self.estimate)} [{format_number(self.low)}, {format_number(self.high)}]"

    def __float__(self) -> float:
        """The estimate as a number; NaN where the log cannot determine it (``n/a``)."""
        return math.nan if self.estimate is None else float(self.estimate)

    def __format__(self, spec: str) -> str:
        """With a format spec, the estimate formatted by it (``f"{e:,.0f}"``); without one, ``str(e)``."""
        return format(float(self), spec) if spec else str(self)


def format_number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 100 else f"{value:,.0f}"


@attrs.frozen
class Reach:
    """Viewers with at least ``k`` impressions on a rung and, when a population was given, the
    share of it they are (``viewers / population``)."""

    k: int
    viewers: Estimate
    share: Estimate | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"k": self.k, "viewers": self.viewers.to_dict()}
        if self.share is not None:
            out["share"] = self.share.to_dict()
        return out


@attrs.frozen
class Rung:
    """One rung of the ladder: impressions and unique viewers, with intervals, and the k+ reach
    asked for (``audit(..., frequency=K)``: k = 1 .. K; empty otherwise)."""

    level: Level
    impressions: Estimate
    unique_viewers: Estimate
    undetermined: int
    reach: tuple[Reach, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "level": self.level,
            "impressions": self.impressions.to_dict(),
            "unique_viewers": self.unique_viewers.to_dict(),
            "undetermined_impressions": self.undetermined,
        }
        if self.reach:
            out["reach"] = [r.to_dict() for r in self.reach]
        return out


@attrs.frozen
class Ladder:
    """The five rungs in order; ``ladder["viewable"]`` picks one."""

    rungs: tuple[Rung, ...]

    def __getitem__(self, level: str) -> Rung:
        for rung in self.rungs:
            if rung.level == level:
                return rung
        raise KeyError(f"no rung {level!r}; the rungs are {', '.join(LEVELS)}")

    def __iter__(self) -> Iterator[Rung]:
        return iter(self.rungs)

    def __len__(self) -> int:
        return len(self.rungs)

    def to_list(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rungs]


@attrs.frozen
class Inflation:
    """Reported views per stricter figure: the headline and one factor per step.

    ``headline`` is rendered impressions per unique attended viewer; it equals the product of
    ``factors`` (invalid_traffic x non_viewable x inattentive x repeats).
    """

    headline: Estimate
    factors: Mapping[str, Estimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline.to_dict(),
            "definition": "rendered impressions per unique attended viewer",
            "factors": {k: v.to_dict() for k, v in self.factors.items()},
        }


@attrs.frozen
class GroupAudit:
    """The ladder and inflation of one group (``by=``)."""

    key: Mapping[str, Any]
    ladder: Ladder
    inflation: Inflation

    def to_dict(self) -> dict[str, Any]:
        return {"key": dict(self.key), "ladder": self.ladder.to_list(), "inflation": self.inflation.to_dict()}


@attrs.frozen
class Rows:
    """Row accounting: read = accepted + sum(rejected.values())."""

    read: int
    accepted: int
    rejected: Mapping[str, int]
    #: Values of accepted rows that could not be read and were made null (their rows count), per reason.
    nulled: Mapping[str, int] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.read != self.accepted + sum(self.rejected.values()):
            raise AssertionError(
                f"row accounting broken: read {self.read} != accepted {self.accepted} + rejected {dict(self.rejected)}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = {"read": self.read, "accepted": self.accepted, "rejected": dict(self.rejected)}
        # Added only when something was nulled: reports of readable logs keep their keys.
        return out | ({"nulled": dict(self.nulled)} if self.nulled else {})


def ladder_from_row(row: Mapping[str, Any], population: float | None = None) -> Ladder:
    """A :class:`Ladder` from one row of the ladder table (with its ``<level>_reach_<k>_*``
    columns, and their share of ``population``, when it has them)."""

    def est(name: str) -> Estimate:
        # An undeterminable figure is NaN in the table and None here, as in inflation.
        return Estimate(*(_nan_to_none(row[f"{name}_{p}"]) for p in ("estimate", "low", "high")))

    def reach(level: str) -> tuple[Reach, ...]:
        out = []
        k = 1
        while f"{level}_reach_{k}_estimate" in row:
            viewers = est(f"{level}_reach_{k}")
            out.append(Reach(k, viewers, None if population is None else share_of(viewers, population)))
            k += 1
        return tuple(out)

    return Ladder(
        tuple(
            Rung(
                level=level,
                impressions=est(f"{level}_impressions"),
                unique_viewers=est(f"{level}_unique_viewers"),
                undetermined=int(row[f"{level}_undetermined"]),
                reach=reach(level),
            )
            for level in LEVELS
        )
    )


def share_of(viewers: Estimate, population: float) -> Estimate:
    """``viewers / population``, interval ends included (None stays None)."""
    return Estimate(*(None if v is None else v / population for v in (viewers.estimate, viewers.low, viewers.high)))


def inflation_from_row(row: Mapping[str, Any]) -> Inflation:
    """An :class:`Inflation` from one row of the ladder table (with inflation columns)."""

    def est(name: str) -> Estimate:
        return Estimate(*(_nan_to_none(row[f"{name}_{p}"]) for p in ("estimate", "low", "high")))

    return Inflation(headline=est(HEADLINE[0]), factors={name: est(name) for name, _, _ in FACTORS})


def _nan_to_none(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
