"""docs/model.md lists every claim platform with its rule, source URL and template, as the code has them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import viewaudit as va
from viewaudit._model._claim import PLATFORMS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "model.md"
CLI = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _row(platform: str) -> str:
    rows = [line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith(f"| `{platform}` |")]
    assert len(rows) == 1, f"docs/model.md has {len(rows)} rows for {platform!r}"
    return rows[0]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_each_platform_row_states_rule_source_and_template(platform):
    """The row names the preset, the template, and the URL the code cites."""
    row = _row(platform)
    chosen = PLATFORMS[platform]
    assert f"(`{chosen.rule}`)" in row
    assert f"| `{chosen.template}` |" in row
    url = next(word for word in chosen.source.split() if word.startswith("https://"))
    assert url in row or "| as `" in row


def test_the_cli_page_lists_every_platform():
    """docs/cli.md names every platform --platform takes."""
    text = CLI.read_text(encoding="utf-8")
    for platform in PLATFORMS:
        assert f"`{platform}`" in text


@pytest.mark.parametrize("reposts", [None, 1_000_000, 10_000_000])
def test_the_reposts_table_states_claims_figures(reposts):
    """Each row of the reposts table is what claim(1.3e9, platform="x", reposts=...) gives at its defaults."""
    result = va.claim(1.3e9, platform="x", reposts=reposts)
    given = "none" if reposts is None else f"{reposts:,}"
    row = f"| {given} | {result.ladder['engaged'].impressions} | {result.ladder['rendered'].unique_viewers} |"
    assert row in PAGE.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_each_platforms_users_are_in_the_docs_with_their_source(platform):
    """docs/model.md's users table gives each platform's users and the URL the code cites for them."""
    chosen = PLATFORMS[platform]
    rows = [
        line
        for line in PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| {chosen.users:,.0f} | ") and f"`{platform}`" in line.split(" | ")[1]
    ]
    assert len(rows) == 1, f"docs/model.md has {len(rows)} users rows for {platform!r}"
    url = next(word for word in chosen.users_source.split() if word.startswith("https://"))
    assert url in rows[0]


@pytest.mark.parametrize("views", [1.3e9, 6e9, 1e10])
def test_the_users_table_states_claims_figures(views):
    """Each row of the users' table is what claim(views, platform="x") gives at its defaults."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DegenerateDataWarning)
        result = va.claim(views, platform="x")
    row = (
        f"| {result.ladder['rendered'].unique_viewers} | {result.ladder['engaged'].unique_viewers} | "
        f"{result.inflation.headline} | {result.beyond_user_base:,} |"
    )
    assert any(line.endswith(row) for line in PAGE.read_text(encoding="utf-8").splitlines()), row


def test_a_count_no_draw_holds_is_refused_as_the_docs_say():
    """docs/model.md: 20 billion views on X are refused, every draw needing more than X's users."""
    with pytest.raises(ValueError, match="more viewers than x has users"):
        va.claim(2e10, platform="x")
    assert "20 billion views on X are refused" in PAGE.read_text(encoding="utf-8")
