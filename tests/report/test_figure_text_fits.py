"""Every text in the HTML pages' bar figures lies inside its figure: long figures widen the figure
(the page scales it down) instead of running off its edge."""

from __future__ import annotations

import re
import warnings

import pytest

import viewaudit as va
from viewaudit._report import svg

from helpers.logs import random_log

SVG = re.compile(r'<svg [^>]*viewBox="0 0 ([\d.]+) [\d.]+"[^>]*id="([^"]+)"[^>]*>(.*?)</svg>', re.S)
TEXT = re.compile(r'<text x="([-\d.]+)" y="[-\d.]+" text-anchor="(\w+)" fill="[^"]*" font-size="(\d+)">([^<]*)</text>')


def _outside(page: str) -> list[str]:
    """Texts of the page's figures that reach past their figure's left or right edge."""
    import html

    out = []
    for width, slug, body in SVG.findall(page):
        for x, anchor, size, content in TEXT.findall(body):
            text = html.unescape(content)
            span = svg.text_width(text, int(size))
            left = {"start": float(x), "end": float(x) - span, "middle": float(x) - span / 2}[anchor]
            if left < -0.5 or left + span > float(width) + 0.5:  # 0.5: positions are written to 0.1
                out.append(f"{slug}: {text!r} at {left:.0f} to {left + span:.0f} of {width}")
    return out


def _claim(views: float, platform: str) -> va.LadderRanges:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DegenerateDataWarning)
        return va.claim(views, platform=platform, samples=64)


@pytest.mark.parametrize(("views", "platform"), [(1.3e9, "x"), (2e9, "facebook-3s"), (2e4, "youtube-shorts")])
def test_claim_page_figures_hold_their_text(views, platform):
    """The ladder, inflation and tornado figures of a claim's page: no value or label past an edge."""
    page = _claim(views, platform).to_html()
    assert SVG.findall(page)
    assert _outside(page) == []


def test_parameter_names_are_shown_whole():
    """The tornado names each parameter in full (dwell.glance.scale_s, not dwell.glance.…)."""
    page = _claim(1.3e9, "x").to_html()
    assert ">dwell.glance.scale_s</text>" in page


def test_audit_page_figures_hold_their_text():
    """The audit's page, built from the same figures, holds its text too."""
    page = va.audit(random_log(3, 6_000), by="item_id").to_html()
    assert _outside(page) == []


def test_a_short_ladder_keeps_the_reports_width():
    """Figures whose text fits keep the report's 540 wide layout."""
    bars = [svg.Bar("rendered", va.Estimate(1000.0, 1000.0, 1000.0)), svg.Bar("valid", va.Estimate(900.0, 850.0, 950.0))]
    assert 'viewBox="0 0 540 ' in svg.funnel("fig", "ladder", bars)
