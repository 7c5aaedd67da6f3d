"""The inflation factor and its decomposition into one multiplicative factor per step."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: (name, numerator, denominator) with figures named "<level>_<figure>"; the product of the
#: factors is the headline: rendered impressions per unique attended viewer.
FACTORS: tuple[tuple[str, str, str], ...] = (
    ("invalid_traffic", "rendered_impressions", "valid_impressions"),
    ("non_viewable", "valid_impressions", "viewable_impressions"),
    ("inattentive", "viewable_impressions", "attended_impressions"),
    ("repeats", "attended_impressions", "attended_unique_viewers"),
)
HEADLINE = ("headline", "rendered_impressions", "attended_unique_viewers")


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: np.ndarray = np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)
    return ratio


def inflation_columns(ladder: pa.Table) -> dict[str, np.ndarray]:
    """``<factor>_estimate/low/high`` for the headline and each step, NaN where undefined, never below 1.

    Intervals divide the interval ends (numerator low by denominator high and so on), which is
    conservative when both ends are uncertain; exact where both figures are exact.
    """

    def get(figure: str, part: str) -> np.ndarray:
        values: np.ndarray = ladder[f"{figure}_{part}"].to_numpy()
        return values

    out: dict[str, np.ndarray] = {}
    for name, num, den in (HEADLINE, *FACTORS):
        # Every factor is at least 1 by the ladder's definitions (a rung holds no more than the
        # one above; a viewer has at least one impression): ends below 1 come from dividing
        # ends that cannot occur together, and are raised to 1. NaN (undefined) stays NaN.
        out[f"{name}_estimate"] = np.maximum(_ratio(get(num, "estimate"), get(den, "estimate")), 1.0)
        out[f"{name}_low"] = np.maximum(_ratio(get(num, "low"), get(den, "high")), 1.0)
        out[f"{name}_high"] = np.maximum(_ratio(get(num, "high"), get(den, "low")), 1.0)
    return out
