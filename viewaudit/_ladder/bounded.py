"""A count known up to noise and, beyond it, only between bounds: the ladder's estimated impressions."""

from __future__ import annotations

import attrs
import numpy as np

from viewaudit._estimators.intervals import _z, partially_identified_z


@attrs.frozen
class BoundedCount:
    """A count known up to noise and, beyond it, only between two bounds (elementwise).

    ``estimate`` lies in ``[low_bound, high_bound]``, the range the data allow for the rows
    whose membership they cannot decide (a time straddling the threshold inside a whole second,
    a censoring time known to its second). ``sd_low`` and ``sd_high`` are the standard
    deviations of the noise at the low and the high bound (shares, the time distribution), and
    ``sampling`` the variance a sample adds per impression counted (0 for a complete log).

    A union of noise and bounds, ``low_bound - z sd``, covers values near the bounds at
    ``1 - alpha / 2`` and those between them at about 1: :meth:`interval` uses the critical
    value of :func:`~viewaudit._estimators.intervals.partially_identified_z` instead. (Adding the bounds'
    slack to the noise in quadrature is no interval: where the slack is wide, its end sits on
    the bound, covering a count at that bound about half the time.)
    """

    estimate: np.ndarray
    low_bound: np.ndarray
    high_bound: np.ndarray
    sd_low: np.ndarray
    sd_high: np.ndarray
    sampling: float = 0.0

    def interval(self, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
        """The ends ``low_bound - d_low`` and ``high_bound + d_high``.

        Sampling variance grows with the count: each margin ``d`` is the score interval's,
        solving ``d**2 = c**2 (sd**2 + sampling * (bound -+ d))`` (the variance of the count at
        the interval's end, not at the bound: as Wilson's interval does for a proportion, this
        keeps a low sample count from claiming too little noise)."""
        k, low, high = self.sampling, np.maximum(self.low_bound, 0), self.high_bound
        # A sample estimates the width too (about (w - 1) per impression between the bounds):
        # its one-sided lower limit stands in for it, so that noise cannot shrink c where the
        # bounds nearly meet (Stoye 2009: the width as estimated is safe only when superefficient).
        width = np.maximum(high - low, 0)
        one_sided = _z(2 * confidence_level - 1)
        width = np.maximum(width - one_sided * np.sqrt(k * width), 0)
        c = partially_identified_z(
            width, np.sqrt(np.maximum(self.sd_low**2 + k * low, self.sd_high**2 + k * high)), confidence_level=confidence_level
        )
        c2k = c * c * k
        d_low = (np.sqrt(c2k * c2k + 4 * c * c * (self.sd_low**2 + k * low)) - c2k) / 2
        d_high = (np.sqrt(c2k * c2k + 4 * c * c * (self.sd_high**2 + k * high)) + c2k) / 2
        return np.maximum(low - d_low, 0), high + d_high

    def scaled_up(self, rate: float) -> BoundedCount:
        """Horvitz-Thompson count of a log sampled at one ``rate``, from the sample's count.

        Every row weighs ``w = 1 / rate``: the estimate, the bounds and the noise are ``w``
        times the sample's, and a count ``N`` of the complete log gains the sampling variance
        ``w (w - 1)`` per sampled impression, ``(w - 1) N`` (Poisson sampling)."""
        w = 1.0 / rate
        return BoundedCount(
            w * self.estimate, w * self.low_bound, w * self.high_bound, w * self.sd_low, w * self.sd_high, sampling=w - 1.0
        )
