"""The figures of a calibration check: coverage with its binomial test and Clopper-Pearson
interval, relative bias with its t-test, median width, and the worst run to replay.

:func:`calibration_figures` turns the runs' records (estimate, low, high, truth) into a
:class:`Calibration`; the runs themselves are drawn in :mod:`viewaudit._testing.calibration`.
"""

from __future__ import annotations

import math
import warnings

import attrs
import numpy as np

from viewaudit._warnings import WideIntervalWarning


@attrs.frozen
class Calibration:
    """How an estimator's intervals of one figure did over the simulated runs.

    Attributes
    ----------
    target, scenario, runs, confidence_level, significance
        What was checked: the figure, the scenario (name, or "FeedModel"), the number of runs,
        the nominal level of the intervals, the level of the tests.
    determined
        Runs whose estimate and interval were numbers (the others were undetermined: skipped).
    covered
        Determined runs whose interval ``[low, high]`` held the truth.
    coverage, coverage_low, coverage_high
        ``covered / determined``, with its Clopper-Pearson interval at ``1 - significance``.
    coverage_pvalue
        Exact one-sided binomial test of "coverage >= confidence_level".
    wide_pvalue
        Exact one-sided binomial test of "coverage <= confidence_level", over the runs whose
        interval has a width (an exact figure that is right is not a wide interval).
    bias, bias_se, bias_pvalue
        Mean relative error ``(estimate - truth) / truth`` over determined runs with a non-zero
        truth, its standard error, and the two-sided t-test of "no bias".
    median_width
        Median of ``(high - low) / truth``.
    worst_seed
        The seed of the run whose truth lay furthest outside its interval (relative to the
        truth), or of the largest relative error when every interval covered.
    replay
        The call that draws the worst run's log and truth again.
    """

    target: str
    scenario: str
    runs: int
    confidence_level: float
    significance: float
    determined: int
    covered: int
    coverage: float
    coverage_low: float
    coverage_high: float
    coverage_pvalue: float
    wide_pvalue: float
    bias: float
    bias_se: float
    bias_pvalue: float
    median_width: float
    worst_seed: int
    replay: str

    @property
    def too_narrow(self) -> bool:
        """Coverage significantly below the nominal level."""
        return self.determined == 0 or self.coverage_pvalue < self.significance

    @property
    def biased(self) -> bool:
        """Mean relative error significantly different from zero."""
        return self.bias_pvalue < self.significance

    @property
    def too_wide(self) -> bool:
        """Coverage significantly above the nominal level."""
        return self.wide_pvalue < self.significance

    def _parts(self) -> tuple[str, ...]:
        level = f"{1 - self.significance:.0%}"
        return (
            f"coverage {self.coverage:.1%} ({self.covered} of {self.determined} determined runs; "
            f"{level} Clopper-Pearson interval {self.coverage_low:.1%} to {self.coverage_high:.1%}), "
            f"nominal {self.confidence_level:.0%}",
            f"relative bias {self.bias:+.2%} (standard error {self.bias_se:.2%})",
            f"median relative width {self.median_width:.2%}",
            f"worst run: seed {self.worst_seed}; replay with {self.replay}",
        )

    def summary(self) -> str:
        """The figures on one line."""
        return "; ".join(self._parts())

    def check(self) -> Calibration:
        """Raise ``AssertionError`` if too narrow or biased, warn if too wide; return self."""
        problems = []
        if self.too_narrow:
            problems.append(f"intervals too narrow (binomial test p = {self.coverage_pvalue:.2g})")
        if self.biased:
            problems.append(f"estimates biased (t-test p = {self.bias_pvalue:.2g})")
        if problems:
            raise AssertionError(
                f"{self.target} on {self.scenario}: {' and '.join(problems)} at significance {self.significance:g}, "
                f"over {self.runs} runs:\n" + "\n".join(f"  {part}" for part in self._parts())
            )
        if self.too_wide:
            warnings.warn(
                f"{self.target} on {self.scenario}: intervals wider than they need be (binomial test p = "
                f"{self.wide_pvalue:.2g}): {self.summary()}",
                WideIntervalWarning,
                stacklevel=2,
            )
        return self


def calibration_figures(
    target: str,
    records: np.ndarray,
    seeds: tuple[int, ...],
    label: str,
    *,
    confidence_level: float,
    significance: float,
    replay: str,
) -> Calibration:
    from scipy import stats  # on first use, as elsewhere in the package

    estimate, low, high, truth = records.T
    determined = np.isfinite(estimate) & np.isfinite(low) & np.isfinite(high)
    covered = determined & (low <= truth) & (truth <= high)
    n, k = int(determined.sum()), int(covered.sum())
    if n:
        test = stats.binomtest(k, n, confidence_level, alternative="less")
        # The interval is two-sided (Clopper-Pearson), whatever the side of the test.
        interval = stats.binomtest(k, n).proportion_ci(confidence_level=1 - significance, method="exact")
        coverage_pvalue, coverage_low, coverage_high = float(test.pvalue), float(interval.low), float(interval.high)
    else:
        coverage_pvalue, coverage_low, coverage_high = 0.0, 0.0, 1.0
    wide = determined & (high > low)
    n_wide = int(wide.sum())
    wide_pvalue = (
        float(stats.binomtest(int((covered & wide).sum()), n_wide, confidence_level, alternative="greater").pvalue)
        if n_wide
        else 1.0
    )
    scored = determined & (truth != 0)
    truth_safe = np.where(scored, truth, 1.0)
    relative = ((estimate - truth) / truth_safe)[scored]
    bias = float(relative.mean()) if relative.size else math.nan
    bias_se = float(relative.std(ddof=1) / math.sqrt(relative.size)) if relative.size > 1 else math.nan
    if relative.size < 2:
        bias_pvalue = 1.0
    elif bias_se == 0:  # every error the same: exact figures, right or wrong
        bias_pvalue = 1.0 if abs(bias) < 1e-12 else 0.0
    else:
        bias_pvalue = float(2 * stats.t.sf(abs(bias) / bias_se, relative.size - 1))
    width = ((high - low) / truth_safe)[scored]
    miss = np.where(determined, np.maximum(low - truth, truth - high) / np.abs(truth_safe), -np.inf)
    off = np.where(determined, np.abs(estimate - truth) / np.abs(truth_safe), -np.inf)
    worst = int(np.argmax(miss)) if covered.sum() < n else int(np.argmax(off))
    return Calibration(
        target=target,
        scenario=label,
        runs=len(seeds),
        confidence_level=confidence_level,
        significance=significance,
        determined=n,
        covered=k,
        coverage=k / n if n else math.nan,
        coverage_low=coverage_low,
        coverage_high=coverage_high,
        coverage_pvalue=coverage_pvalue,
        wide_pvalue=wide_pvalue,
        bias=bias,
        bias_se=bias_se,
        bias_pvalue=bias_pvalue,
        median_width=float(np.median(width)) if width.size else math.nan,
        worst_seed=seeds[worst],
        replay=replay.format(seed=seeds[worst], run=worst),
    )
