"""The HTML report: one self-contained page with a figure per part, every data value escaped (issue 25, item 2)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._report.html import FIGURE_GROUPS, share

from helpers.logs import measured_log, random_log

HOSTILE = "<script>alert(1)</script>"
SVG = "{http://www.w3.org/2000/svg}"


class Page(HTMLParser):
    """The tags, attributes and text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def figures(text: str) -> dict[str, ET.Element]:
    """Each inline SVG, parsed as XML, by its id."""
    return {svg.get("id", ""): svg for svg in (ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", text, flags=re.S))}


def figure_text(svg: ET.Element) -> str:
    return " ".join("".join(e.itertext()) for e in svg.iter() if e.tag in (f"{SVG}text", f"{SVG}title", f"{SVG}desc"))


@pytest.fixture(scope="module")
def censored_audit() -> va.Audit:
    """A grouped audit of a log with censored dwell times, so that it keeps a dwell histogram."""
    return va.audit(random_log(3, 6_000), by="item_id")


def test_page_is_self_contained_and_fits_a_phone(censored_audit: va.Audit) -> None:
    """A complete page with a viewport, inline styles, and nothing fetched: no script, no src, links only to docs."""
    text = censored_audit.to_html()
    page = Page(text)
    assert text.startswith("<!DOCTYPE html>")
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.named("meta")
    assert "max-width" in text
    assert page.named("style")
    assert not page.named("script")
    assert not page.named("link")
    assert not page.named("img")
    assert not [attrs for _, attrs in page.tags if "src" in attrs]
    assert [tag for tag, attrs in page.tags if "href" in attrs] == ["a"] * len([a for _, a in page.tags if "href" in a])
    assert all(not (a["href"] or "").startswith(("http:", "https:", "//")) for a in page.named("a"))


def test_every_figure_is_an_accessible_svg(censored_audit: va.Audit) -> None:
    """Funnel, waterfall, dwell and groups: each an <svg role=img> titled and described for screen readers."""
    found = figures(censored_audit.to_html())
    assert set(found) == {"fig-ladder", "fig-inflation", "fig-dwell", "fig-groups"}
    for slug, svg in found.items():
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{slug}-title {slug}-desc"
        assert (svg.findtext(f"{SVG}title") or "").strip()
        assert (svg.findtext(f"{SVG}desc") or "").strip()


def test_funnel_draws_each_rung_with_its_interval(censored_audit: va.Audit) -> None:
    """The funnel names the five rungs and prints each one's figure as the ladder table does."""
    svg = figures(censored_audit.to_html())["fig-ladder"]
    words = figure_text(svg)
    for rung in censored_audit.ladder:
        assert rung.level in words
        assert str(rung.impressions) in words
    # viewable is estimated: its interval is drawn (error-bar lines) besides its bar.
    assert not censored_audit.ladder["viewable"].impressions.exact
    assert len(svg.findall(f"{SVG}line")) >= 6


def test_headline_gives_the_count_the_strictest_rung_and_the_inflation(censored_audit: va.Audit) -> None:
    """One sentence: the policy's views, the attended rung, and the inflation factor with its interval."""
    headline = Page(censored_audit.to_html()).all_text
    assert f"counts {censored_audit.views} views (viewable impressions)" in headline
    assert "the strictest rung this log can determine, attended" in headline
    assert f"{censored_audit.inflation.headline} rendered impressions per unique attended viewer" in headline


def test_headline_says_n_a_when_the_log_cannot_inform_attention() -> None:
    """Without dwell times, attended cannot be determined: the strictest rung is viewable and the factor is n/a."""
    log = measured_log(2, 500, items=3)
    log = log.append_column("in_view_ms", log["dwell_ms"]).drop_columns(["dwell_ms"])
    result = va.audit(log)
    text = Page(result.to_html()).all_text
    assert "the strictest rung this log can determine, viewable" in text
    assert "rendered impressions per unique attended viewer: n/a" in text
    assert "n/a" in figure_text(figures(result.to_html())["fig-inflation"])


def test_dwell_figure_has_the_fitted_curve_and_the_thresholds(censored_audit: va.Audit) -> None:
    """Censored dwell: bars, the fitted model's line, and dashed lines at 1 s (viewable) and 2 s (attended)."""
    svg = figures(censored_audit.to_html())["fig-dwell"]
    assert len(svg.findall(f"{SVG}rect")) >= 10
    assert len(svg.findall(f"{SVG}polyline")) == 1
    dashed = [line for line in svg.findall(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 2
    assert "viewable 1 s" in figure_text(svg)
    assert "attended 2 s" in figure_text(svg)


def test_fitted_curve_adds_up_to_the_measured_times(censored_audit: va.Audit) -> None:
    """The curve is expected impressions per bin: over the bins shown it sums to at most the times measured."""
    from viewaudit._report.dwell_view import dwell_view, measured_times

    assert censored_audit.dwell is not None
    view = dwell_view(censored_audit.dwell, censored_audit.policy)
    assert view.fitted is not None
    total = measured_times(censored_audit.dwell)
    assert 0.9 * total <= sum(view.fitted) <= total * (1 + 1e-9)
    assert sum(view.measured) + sum(view.censored) <= total


def test_funnel_gives_the_bounds_of_an_undeterminable_rung() -> None:
    """engaged without interaction columns: 'n/a, 0 to N' beside a light band, never a bar as if measured."""
    result = va.audit(measured_log(2, 500, items=3))
    assert result.ladder["engaged"].impressions.estimate is None
    svg = figures(result.to_html())["fig-ladder"]
    assert "n/a, 0 to 500" in figure_text(svg)
    assert "#b8c7e0" in [r.get("fill") for r in svg.findall(f"{SVG}rect")]


def test_headline_when_the_policy_count_cannot_be_determined() -> None:
    """No time column: the policy's view count is said to be undeterminable, never printed as 'n/a views'."""
    result = va.audit(measured_log(2, 500, items=3).drop_columns(["dwell_ms"]))
    text = Page(result.to_html()).all_text
    assert "counts viewable impressions as views, which this log cannot determine" in text
    assert "n/a views" not in text
    assert "the strictest rung this log can determine, valid" in text


def test_no_dwell_log_says_so() -> None:
    """A log without dwell times keeps no dwell histogram: the figure says there is nothing to show."""
    result = va.audit(measured_log(1, 800, items=4).drop_columns(["dwell_ms"]))
    assert result.dwell is None
    svg = figures(result.to_html())["fig-dwell"]
    assert "No dwell times to show" in figure_text(svg)
    assert not svg.findall(f"{SVG}rect")


def test_ungrouped_report_has_no_group_figure() -> None:
    """Without by=, no group section."""
    text = va.audit(measured_log(1, 800, items=4)).to_html()
    assert "fig-groups" not in figures(text)
    assert "Groups by" not in text


def test_group_figure_shows_the_top_groups_sorted_and_says_how_many_more() -> None:
    """50 groups: the 20 largest, highest viewable share first, then '… and 30 more groups'."""
    result = va.audit(measured_log(4, 3_000, items=50), by="item_id")
    text = result.to_html()
    svg = figures(text)["fig-groups"]
    assert len(svg.findall(f"{SVG}circle")) == FIGURE_GROUPS
    values = [float((t.text or "").split(" ")[0]) for t in svg.findall(f"{SVG}text") if t.get("text-anchor") == "start"]
    assert len(values) == FIGURE_GROUPS
    assert values == sorted(values, reverse=True)
    assert "… and 30 more groups" in Page(text).all_text


def test_share_interval_holds_the_estimate_and_stays_in_0_1() -> None:
    """A group's viewable share: estimate inside its interval, both within [0, 1]; undetermined gives None."""
    row = {
        "viewable_impressions_estimate": 40.0,
        "viewable_impressions_low": 30.0,
        "viewable_impressions_high": 55.0,
        "rendered_impressions_estimate": 50.0,
        "rendered_impressions_low": 50.0,
        "rendered_impressions_high": 50.0,
    }
    s = share(row)
    assert (s.low, s.estimate, s.high) == (0.6, 0.8, 1.0)
    assert share({**row, "viewable_impressions_estimate": float("nan")}).estimate is None


def _hostile_log() -> pa.Table:
    log = measured_log(6, 1_000, items=3)
    names = np.array([HOSTILE, 'a "quoted" & <b>bold</b>', "plain"])
    return log.set_column(0, "item_id", pa.array(names[log["item_id"].to_numpy()]))


def test_values_from_the_data_are_escaped() -> None:
    """A group called <script>alert(1)</script> shows as text, in the table and in the figure."""
    result = va.audit(_hostile_log(), by="item_id", policy=va.Policy(name="p<i>", description="<img src=x onerror=alert(2)>"))
    text = result.to_html()
    page = Page(text)
    assert not page.named("script")
    assert not page.named("img")
    assert not page.named("b")
    assert not page.named("i")
    assert HOSTILE in page.all_text
    assert "<img src=x onerror=alert(2)>" in page.all_text
    assert HOSTILE in figure_text(figures(text)["fig-groups"])
    assert "&lt;script&gt;" in text
    assert HOSTILE not in text


def test_docs_links_follow_docs_url(censored_audit: va.Audit) -> None:
    """Method links are relative by default and start with docs_url when given (escaped)."""
    relative = [a["href"] for a in Page(censored_audit.to_html()).named("a")]
    assert "methods/#times-that-cross-a-threshold" in relative
    assert "ladder/#inflation" in relative
    absolute = [a["href"] for a in Page(censored_audit.to_html(docs_url='https://example.org/"x/')).named("a")]
    assert all(h and h.startswith('https://example.org/"x/') for h in absolute)


def test_one_assumption_a_line(censored_audit: va.Audit) -> None:
    """Each assumption is its own list item."""
    items = re.findall(r"<li>(.*?) \(<a ", censored_audit.to_html())
    assert len(items) == len(censored_audit.assumptions) > 0


def test_rows_table_counts_each_rejection_reason(censored_audit: va.Audit) -> None:
    """Rows read, accepted, and each rejection reason with its count."""
    text = Page(censored_audit.to_html()).all_text
    assert f"read{censored_audit.rows.read:,}" in text.replace("\n", "")
    for reason, n in censored_audit.rows.rejected.items():
        assert f"rejected: {reason}{n:,}" in text


def test_repr_html_is_a_compact_fragment(censored_audit: va.Audit) -> None:
    """_repr_html_: no <html> wrapper, the ladder table and a small funnel."""
    text = censored_audit._repr_html_()
    page = Page(text)
    assert not page.named("html")
    assert not page.named("body")
    assert len(page.named("svg")) == 1
    assert page.named("table")
    assert all(level in page.all_text for level in ("rendered", "valid", "viewable", "attended", "engaged"))


def test_comparison_html_and_repr() -> None:
    """Comparison.to_html is a page with the views figure; _repr_html_ a fragment; policy names escaped."""
    comparison = va.compare(_hostile_log(), policies=["mrc-display", va.Policy(name="<script>p</script>")])
    page = Page(comparison.to_html())
    assert not page.named("script")
    assert "<script>p</script>" in page.all_text
    assert "fig-views" in figures(comparison.to_html())
    fragment = Page(comparison._repr_html_())
    assert not fragment.named("html")
    assert fragment.named("svg")
    assert fragment.named("table")


def test_write_html_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--html writes the same page as to_html; the text output is as without it."""
    log = tmp_path / "log.parquet"
    import pyarrow.parquet as pq

    pq.write_table(random_log(3, 2_000), log)
    assert main(["audit", str(log)]) == 0
    plain = capsys.readouterr().out
    assert main(["audit", str(log), "--html", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().out == plain
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == va.audit(str(log)).to_html()


def test_cli_html_unwritable_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An HTML path in a missing folder: one line on stderr naming it, exit code 2."""
    log = tmp_path / "log.csv"
    log.write_text("item_id,viewer_id\n1,2\n")
    target = tmp_path / "missing" / "r.html"
    assert main(["audit", str(log), "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(target) in err
    assert "cannot write the HTML report" in err


def test_compare_html_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """compare --html writes the comparison's page; the text output is as without it; an
    unwritable path is one line on stderr and exit code 2."""
    import pyarrow.parquet as pq

    log = tmp_path / "log.parquet"
    pq.write_table(random_log(4, 2_000), log)
    assert main(["compare", str(log)]) == 0
    plain = capsys.readouterr().out
    assert main(["compare", str(log), "--html", str(tmp_path / "c.html")]) == 0
    assert capsys.readouterr().out == plain
    assert (tmp_path / "c.html").read_text(encoding="utf-8") == va.compare(str(log)).to_html()
    target = tmp_path / "missing" / "c.html"
    assert main(["compare", str(log), "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(target) in err
