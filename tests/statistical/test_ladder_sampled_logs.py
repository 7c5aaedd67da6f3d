"""Sampled logs in the audit, in seeded Monte-Carlo runs: imputed viewers whose rows are never
measured, unbiased and covered (the fast checks: ``tests/ladder/test_sampled_logs.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from viewaudit._estimators.intervals import jeffreys_interval
from viewaudit._ladder.imputation import imputed_figures as _imputed
from viewaudit._ladder.imputation import reach_figure as _reach_figure

from helpers.sampled_logs import _imputed_complete_log_viewers


def _half_unmeasured_samples() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]]:
    """One population of 10,000 viewers with Gamma-Poisson exposure (as the model assumes), 60 %
    of whose rows are on the rung and half of whom are never measured, and 20 seeded 10 %
    samples of it: (the complete log's counts on the rung, the sample's determined and
    undetermined counts, the measured share with its Jeffreys interval)."""
    rng = np.random.default_rng(9)
    n, share, p = 10_000, 0.6, 0.1
    rows = rng.poisson(rng.gamma(0.8, 3.0 / 0.8, n))
    on = rng.binomial(rows, share)
    measured = rng.random(n) < 0.5
    for rep in range(20):
        r = np.random.default_rng([9, rep])
        kept_on, kept_off = r.binomial(on, p), r.binomial(rows - on, p)
        t = np.where(measured, kept_on, 0)
        u = np.where(measured, 0, kept_on + kept_off)
        k, d = t.sum(), (kept_on + kept_off)[measured].sum()
        low, high = jeffreys_interval(np.array([k]), np.array([d]))
        yield on, t, u, (np.array([k / d]), low, high)


def _assert_unbiased_and_covering(errors: list[float], covered: int, truth: int) -> None:
    """Mean error within 3 standard errors of 0; at least 16 of 20 intervals cover the truth
    (P(fewer) = 0.003 at 95 %)."""
    errors_ = np.array(errors)
    assert abs(errors_.mean()) <= 3 * errors_.std(ddof=1) / np.sqrt(errors_.size), (errors_.mean(), truth)
    assert covered >= 16, covered


@pytest.mark.slow
def test_imputation_counts_viewers_whose_rows_are_never_measured() -> None:
    """A 10 % sample in which half the viewers' rows are never measured: determination depends
    on the viewer, which thinning the determined counts at p x q took it not to. Imputing the
    undetermined rows at the measured share gives the complete log's viewers on the rung."""
    errors, covered = [], 0
    for on, t, u, chance in _half_unmeasured_samples():
        truth = int(np.count_nonzero(on))
        est, lo, hi = _imputed_complete_log_viewers(np.zeros(t.size, dtype=np.int64), t, u, chance, 1, 0.1, 0.95)
        errors.append(est[0] - truth)
        covered += int(lo[0] <= truth <= hi[0])
    _assert_unbiased_and_covering(errors, covered, truth)


@pytest.mark.slow
def test_imputed_k_plus_reach_counts_viewers_whose_rows_are_never_measured() -> None:
    """The same samples, 2+ reach on the rung; the low end is never below the viewers with two
    determined rows (thinning at p x q was 29 % low here, covering the truth in no sample)."""
    errors, covered = [], 0
    for on, t, u, chance in _half_unmeasured_samples():
        truth = int(np.count_nonzero(on >= 2))
        ((est, lo, hi),) = _imputed(np.zeros(t.size, dtype=np.int64), t, u, chance, 1, [(_reach_figure(2, 0.1, 0.95), 2)], 0.95)
        assert lo[0] >= np.count_nonzero(t >= 2)
        errors.append(est[0] - truth)
        covered += int(lo[0] <= truth <= hi[0])
    _assert_unbiased_and_covering(errors, covered, truth)
