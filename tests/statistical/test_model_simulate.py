"""Simulation in seeded Monte-Carlo runs: the audit's intervals cover the truth at their level (the
fast checks: ``tests/model/test_simulate.py``)."""

from __future__ import annotations

import attrs
import pytest

import viewaudit as va

from helpers.simulate import MODEL


@pytest.mark.slow
def test_audit_intervals_cover_the_truth_at_their_level():
    """Over 40 seeded logs with 40 % of rows unmeasured, each 95 % interval covers the truth in
    at least 85 % of them (a binomial 6-sigma bound below 95 % for 40 runs)."""
    model = attrs.evolve(MODEL, viewers=1_500, bots=va.Bots(share=0.0), measurement=va.Measurement(measurable=0.6))
    covered = {}
    runs = 40
    for seed in range(runs):
        sim = va.simulate(model, rng=1000 + seed)
        audited = va.audit(sim.log)
        for level in ("viewable", "attended"):
            for figure in ("impressions", "unique_viewers"):
                est, truth = getattr(audited.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
                covered[level, figure] = covered.get((level, figure), 0) + (est.low <= truth <= est.high)
    assert all(c >= 0.85 * runs for c in covered.values()), covered
