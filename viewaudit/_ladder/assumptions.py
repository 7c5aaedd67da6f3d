"""The assumptions an audit's figures rest on, as the report states them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from viewaudit._ladder.crossings import supported_until
from viewaudit._ladder.figures import undeterminable_levels
from viewaudit._ladder.propensity import MIN_VIEWERS
from viewaudit._rungs import ESTIMATED_LEVELS
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._scan.summary import Summary


def audit_assumptions(summary: Summary, table: pa.Table, confidence_level: float, whole: LadderStatistics) -> tuple[str, ...]:
    out = [f"Intervals are {confidence_level:.0%} intervals; exact figures have low = high = estimate."]
    undetermined = {level: int(np.sum(table[f"{level}_undetermined"].to_numpy())) for level in ESTIMATED_LEVELS}
    crossing = {level: int(whole.crossings[level][2].sum()) for level in ESTIMATED_LEVELS}
    missing = undeterminable_levels(summary)
    for level in missing:
        out.append(
            f"{level}: cannot be determined from this log (a column the policy needs is absent); "
            "the estimate is null and the interval spans 0 to the rung above."
        )
    if any(crossing[k] for k in crossing if k not in missing):
        how = (
            "the life table (product-limit estimate) of the valid visible rows' times, on 2.3 %-wide bins"
            if summary.rounding_ms == 0
            else f"the dwell model (glance/read mixture chosen by AIC) fitted to the valid visible rows' times floored to {summary.rounding_ms:g} ms"
            + (
                ", the chance from whole second to whole second being a life table's on whole seconds (the model says "
                "only where inside a second a time lies)"
                if summary.rounding_ms == 1000
                else ""
            )
            + "; where a floored interval holds the threshold, the interval spans every value the data allow"
        )
        bounds = (
            " Where the data only bound a count, its interval covers every value between the bounds at the "
            "confidence level (Imbens-Manski: the critical value falls from two-sided to one-sided as the bounds "
            "part, since a value near one bound can be missed only on its side)."
        )
        out.append(
            "Impressions whose time was censored or rounded across a threshold "
            f"({crossing['viewable']:,} for viewable, {crossing['attended']:,} for attended) are resolved by "
            f"{how}: a row censored at c reaches tau with probability S(tau)/S(c) (censoring taken as independent "
            "of the time, and the time distribution as shared by all groups). For attended, in-view time and "
            "dwell are taken as co-monotone (one time where they are equal; an in-view time cut with a censored "
            "dwell, or ended before it, conditions the dwell's chance), the interval reaching down to "
            "independent ones and to the dwell's own chance." + bounds
        )
        thresholds = {"viewable": summary.policy.min_in_view_ms, "attended": summary.policy.attention_ms}
        for level, hist in whole.histograms.items():
            end = supported_until(hist)
            if crossing[level] and level not in missing and thresholds[level] > end:
                out.append(
                    f"{level}: no time was observed as long as the {thresholds[level] / 1000:.3g} s threshold (the last "
                    f"at {end / 1000:.3g} s or later): the chance that a censored row reached it is bounded (0 to the chance of "
                    "lasting to the last observed time), not estimated; the point estimate extrapolates the dwell model."
                )
    if any(undetermined[k] - crossing[k] for k in undetermined if k not in missing):
        out.append(
            "Impressions whose dwell or visibility was not measured "
            f"({undetermined['viewable'] - crossing['viewable']:,} for viewable, "
            f"{undetermined['attended'] - crossing['attended']:,} for attended) are assumed missing at random "
            "within their group: their share on the rung is the share among the measured valid impressions "
            "(Jeffreys interval, with the binomial noise of the unmeasured rows added in quadrature)."
        )
    if any(undetermined[k] for k in undetermined if k not in missing):
        out.append(
            "A viewer whose only impressions on a rung are undetermined is counted with the chance that one of "
            "them is on it given who they are: viewers' own chances for a rung are a distribution estimated "
            "from the determined impressions (a nonparametric binomial mixture, per group and exposure class "
            "of 1, 2-3, 4-7, ... impressions), conditioned on the viewer's determined impressions off the "
            "rung. Unmeasured impressions take the viewer's chance (missing at random within a viewer); "
            "impressions whose time crosses a threshold take the time distribution's, shifted by the "
            "viewer's odds ratio against the group (every viewer's time below the threshold taken to end "
            "alike; that a row lasted until it was cut is not used, which leaves the count low where it "
            "tells viewers apart). Where the data do not tell a class's viewers apart (fewer than "
            f"{MIN_VIEWERS} viewers with two determined impressions, or a likelihood ratio against one "
            "shared chance below the chi-square(1) 95 % point), each takes the class's chance. A group with "
            f"fewer than {MIN_VIEWERS} viewers with determined impressions, and HyperLogLog counts, take a "
            "viewer's impressions as independent given the group's chance, which overstates unique viewers "
            "when viewers differ."
        )
    if summary.by:
        out.append(
            "A group with no determined valid impression takes the pooled share of all groups "
            "for its undetermined ones (group shares taken as exchangeable)."
        )
    if summary.weighted and whole.sample_rate is not None:
        out.append(
            f"The log is a sample that kept each row independently with probability {whole.sample_rate:.4g}: "
            "impressions are Horvitz-Thompson totals with normal intervals (sampling variance w(w-1) per "
            "impression; for viewable and attended a score interval, the variance taken at the interval's end). "
            "Unique viewers are estimated for the complete log, unseen viewers included, from "
            "the per-viewer counts: zero-truncated Gamma-Poisson (negative binomial) exposure, one shape for "
            "all groups, a group's mean shrunk toward groups with as many viewers seen; for viewable and "
            "attended the sample's undetermined impressions are imputed (5 seeded draws, each row on the rung "
            "with its group's chance, viewers of a group alike; draws combined by Rubin's rules), and so are "
            "they for the whole log's k+ reach (not estimated where no viewer is seen twice; with fewer than 20 "
            "seen k times its interval also spans the exact Poisson interval of that count). "
            "Where the data reject one class of Gamma-Poisson exposure for two (likelihood-ratio test, 5 %), the "
            "whole log's estimates (unique viewers and k+ reach) are the two classes' and their intervals span them. "
            "The whole log's intervals span the reach over the Gamma-Poisson and Poisson-log-normal "
            "parameters the likelihood does not reject (profile likelihood, within chi2_1/2 of the better "
            "model's maximum; the Gamma-Poisson within it of its own), with the noise of who was seen added, "
            "and, where the sample kept a quarter of the rows or more, the smoothed Good-Toulmin interval where "
            "it excludes the models' estimate; "
            "a heavy tail (a few accounts with very many impressions) biases the estimate upward (see "
            "the accuracy benchmark)."
        )
    elif summary.weighted:
        out.append(
            "Rows carry weights that differ: the log is taken as a Poisson sample with inclusion probability "
            "1/weight; impressions are Horvitz-Thompson totals with normal intervals (variance sum w(w-1)), "
            "undetermined rows at the weighted share of the determined ones; unique viewers are those seen "
            "in the sample, a lower bound on the complete log's (upper end: the impressions' upper end)."
        )
    if "viewer_id" not in summary.columns_seen:
        out.append("No viewer_id column: unique viewers cannot be determined.")
    out.append(
        "Inflation intervals divide the interval ends of their figures, which is conservative when both figures are uncertain."
    )
    return tuple(out)


REACH_NOTE = (
    "k+ reach: a viewer with t determined impressions on a rung and u undetermined ones reaches k with "
    "probability P(t + Binomial(u, p) >= k), p the group's chance for an undetermined row (a viewer's "
    "impressions independent given p; unlike unique viewers, k >= 2 does not yet use the viewer's own "
    "chance, so it can overstate k+ reach when viewers differ)."
)
SAMPLED_REACH_NOTE = (
    "k+ reach of the complete log: the Gamma-Poisson estimate from the sample's per-viewer counts (two "
    "Gamma-Poisson classes' where the data reject one), its interval spanning the Poisson-log-normal "
    "model's where the data do not reject it, the two classes' where they are used, and the exact "
    "Poisson interval of fewer than 20 viewers seen k times (viewaudit.estimators.k_plus_reach), for the "
    "whole log; per group only k = 1 (unique viewers) "
    "is estimated, k >= 2 is bounded by 0 and the group's unique viewers."
)
