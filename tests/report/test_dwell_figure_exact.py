"""The dwell figure of a log whose times are exact: bars and thresholds, no fitted model, and a
caption that says why."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._report.dwell_view import dwell_view

from helpers.logs import measured_log

SVG = "{http://www.w3.org/2000/svg}"


def dwell_svg(audit: va.Audit) -> ET.Element:
    """The report's dwell figure, parsed."""
    found = re.search(r'<svg [^>]*id="fig-dwell".*?</svg>', audit.to_html(), flags=re.S)
    assert found is not None
    return ET.fromstring(found.group(0))


def words(svg: ET.Element) -> str:
    return " ".join("".join(e.itertext()) for e in svg.iter() if e.tag in (f"{SVG}text", f"{SVG}title", f"{SVG}desc"))


@pytest.fixture(scope="module")
def exact_audit() -> va.Audit:
    """An audit of a log with exact dwell times (no censoring column, times not rounded)."""
    return va.audit(measured_log(1, 800, items=4))


def test_exact_log_draws_bars_and_thresholds(exact_audit: va.Audit) -> None:
    """Bars of the measured dwell and dashed lines at 1 s (viewable) and 2 s (attended), no curve."""
    svg = dwell_svg(exact_audit)
    assert len(svg.findall(f"{SVG}rect")) >= 10
    assert not svg.findall(f"{SVG}polyline")
    dashed = [line for line in svg.findall(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 2
    assert "viewable 1 s" in words(svg)
    assert "attended 2 s" in words(svg)


def test_exact_log_caption_says_no_model_was_fitted(exact_audit: va.Audit) -> None:
    """The caption says the times are exact and no model was fitted, and mentions no censored bars."""
    text = words(dwell_svg(exact_audit))
    assert "No dwell model was fitted: the times are exact" in text
    assert "censored" not in text
    assert "No dwell times to show" not in text


def test_exact_log_bars_hold_the_measured_times(exact_audit: va.Audit) -> None:
    """The bars count the valid visible rows' dwell times, none of them censored."""
    assert exact_audit.dwell is not None
    assert exact_audit.dwell_exact
    view = dwell_view(exact_audit.dwell, exact_audit.policy, fit=False)
    visible = measured_log(1, 800, items=4)["visible_fraction"].to_numpy() >= 0.5
    assert sum(view.measured) == np.count_nonzero(visible)
    assert not any(view.censored)
    assert view.fitted is None


def test_censored_log_is_not_exact_and_keeps_its_curve() -> None:
    """A log with a dwell_censored column is not exact: its figure still draws the fitted model."""
    log = measured_log(1, 800, items=4)
    cut = log.append_column("dwell_censored", pa.array(np.arange(log.num_rows) % 10 == 0))
    audit = va.audit(cut)
    assert not audit.dwell_exact
    svg = dwell_svg(audit)
    assert len(svg.findall(f"{SVG}polyline")) == 1
    assert "Line: the fitted dwell model" in words(svg)


def test_rounded_log_is_not_exact() -> None:
    """Times floored to whole seconds are not exact: a model is fitted to them."""
    log = measured_log(1, 800, items=4)
    floored = log.set_column(2, "dwell_ms", pa.array(np.floor(log["dwell_ms"].to_numpy() / 1000) * 1000))
    audit = va.audit(floored, rounding_ms=1000)
    assert not audit.dwell_exact
    assert len(dwell_svg(audit).findall(f"{SVG}polyline")) == 1
