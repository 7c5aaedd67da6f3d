"""``viewaudit model`` with parameter ranges: intervals and a tornado table in text and JSON,
the earlier keys kept, bad --samples on one line."""

from __future__ import annotations

import json
import re

import pytest

import viewaudit as va
from viewaudit._cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_model_json_gives_intervals_and_sensitivity(capsys):
    """Each figure is {estimate, low, high} with the point estimate inside; sensitivity and the method are there."""
    code, out, err = _run(capsys, "model", "--scenario", "x-openai-2023", "--json", "--samples", "64")
    assert code == 0, err
    report = json.loads(out)
    point = va.expected_ladder(va.get_scenario("x-openai-2023").model)
    for rung, want in zip(report["ladder"], point.ladder, strict=True):
        for kind in ("impressions", "unique_viewers"):
            figure = rung[kind]
            assert figure["estimate"] == pytest.approx(getattr(want, kind).estimate, rel=1e-12)
            assert figure["low"] <= figure["estimate"] <= figure["high"]
    assert report["ladder"][0]["impressions"]["low"] == report["ladder"][0]["impressions"]["high"]  # 1.3 billion, held
    assert report["ladder"][3]["unique_viewers"]["low"] < report["ladder"][3]["unique_viewers"]["high"]
    assert report["inflation"]["headline"]["low"] < report["inflation"]["headline"]["high"]
    assert "Sobol" in report["method"]
    assert report["samples"] == 64
    assert report["seed"] == 0
    first = report["sensitivity"][0]
    assert {"figure", "parameter", "low", "high", "at_low", "at_high", "swing", "estimate"} <= first.keys()
    assert {r["name"] for r in report["ranges"]} == set(va.get_scenario("x-openai-2023").ranges)
    # The keys from before the ranges are all still there.
    assert {"scenario", "description", "platform_policy", "model", "policy", "views", "ladder", "inflation",
            "sources", "compare"} <= report.keys()  # fmt: skip


def test_model_json_is_reproducible(capsys):
    """The same --seed prints the same JSON."""
    argv = ("model", "--scenario", "news-site", "--json", "--samples", "32", "--seed", "9")
    assert _run(capsys, *argv)[1] == _run(capsys, *argv)[1]


def test_model_text_shows_intervals_and_a_tornado(capsys):
    """The text output keeps the ladder table, now with intervals, and adds the tornado tables."""
    code, out, _ = _run(capsys, "model", "--scenario", "x-openai-2023", "--samples", "32")
    assert code == 0
    assert "with 95% intervals over the parameter ranges" in out
    assert re.search(r"\nattended +168,549,220 \[[\d,]+, [\d,]+\]", out)
    assert "what moves the figures most" in out
    assert "unique attended viewers" in out
    assert "exposure.shape" in out
    assert "expected views under each rule" in out


@pytest.mark.parametrize("samples", ["100", "8", "x"])
def test_bad_samples_is_one_line(capsys, samples):
    """A --samples that is not a power of two >= 16 exits 2 with one line."""
    code, out, err = _run(capsys, "model", "--scenario", "news-site", "--samples", samples)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"expected a power of two >= 16, got '{samples}'" in err


def test_model_html_has_a_tornado_per_headline_figure(tmp_path, capsys):
    """``model --html`` writes one page; each headline figure that a parameter moves has a
    tornado figure (one row per parameter, the figure's value at both ends) and its table."""
    import xml.etree.ElementTree as ET
    from html.parser import HTMLParser

    from viewaudit._report.values import format_number

    path = tmp_path / "model.html"
    assert main(["model", "--scenario", "x-openai-2023", "--samples", "64", "--html", str(path)]) == 0
    capsys.readouterr()
    page = path.read_text(encoding="utf-8")
    HTMLParser().feed(page)  # parses
    ranges = va.expected_ladder_ranges(va.get_scenario("x-openai-2023"), samples=64)
    tornado = ranges.tornado()
    assert tornado
    for figure, swings in tornado:
        start = page.index(f'id="fig-tornado-{figure}"')
        svg_text = page[page.rindex("<svg", 0, start) : page.index("</svg>", start) + len("</svg>")]
        ET.fromstring(svg_text)  # well-formed
        for swing in swings:
            assert swing.parameter in svg_text
            assert f"{format_number(swing.at_low)} to {format_number(swing.at_high)}" in svg_text
        assert svg_text.count("<circle") == len(swings)  # one dot per parameter


def test_model_html_to_an_unwritable_path_is_one_line(tmp_path, capsys):
    """An HTML path that cannot be written: one line on stderr, exit 2, no traceback."""
    code = main(["model", "--scenario", "news-site", "--samples", "16", "--html", str(tmp_path / "missing" / "m.html")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "cannot write the HTML page" in err
