"""The public-counters example in docs/model.md states the figures claim gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import viewaudit as va

PAGE = Path(__file__).resolve().parents[2] / "docs" / "model.md"


@pytest.mark.parametrize("likes", [None, 3_000_000, 10_000_000])
def test_the_likes_table_states_claims_figures(likes):
    """Each row of the likes table is what claim(1.3e9, platform="x", likes=...) gives at its defaults."""
    result = va.claim(1.3e9, platform="x", likes=likes)
    ess = "—" if result.effective_sample_size is None else f"{result.effective_sample_size:,.0f}"
    given = "none" if likes is None else f"{likes:,}"
    row = f"| {given} | {result.ladder['engaged'].impressions} | {result.ladder['attended'].unique_viewers} | {ess} |"
    assert row in PAGE.read_text(encoding="utf-8").splitlines()
