"""The assumptions: one short plain line each, each linked to the docs section that derives it (issue 25)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import attrs
import pytest

import viewaudit as va
from viewaudit._ladder.assumptions import ASSUMPTIONS, Assumption

from helpers.logs import random_log

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: The longest line the table renders on the logs of test_assumptions.py is 250 characters (a
#: whole-second crossing line); the long paragraphs the lines replaced ran to about 1,500.
LONGEST = 260


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension (mkdocs' default) gives a heading."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: str) -> set[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("entry", ASSUMPTIONS, ids=lambda entry: entry.name)
def test_every_entry_links_to_a_section_that_exists(entry: Assumption) -> None:
    """Each entry's method names a docs page and one of its headings' anchors."""
    page, _, anchor = entry.method.partition("#")
    assert (DOCS / page).is_file()
    assert anchor in _anchors(page)


@pytest.fixture(scope="module")
def audit() -> va.Audit:
    """A grouped audit with censored times and unmeasured rows: several assumptions apply."""
    return va.audit(random_log(3, 6_000), by="item_id")


def test_lines_are_short_and_single(audit: va.Audit) -> None:
    """Every line is one line of at most LONGEST characters."""
    assert audit.assumptions
    assert all("\n" not in line and len(line) <= LONGEST for line in audit.assumptions)


def test_json_keeps_the_list_of_lines_and_adds_the_details(audit: va.Audit) -> None:
    """The JSON's assumptions stay a list of strings; assumption_details adds each one's name and section."""
    report = json.loads(audit.to_json())
    assert report["assumptions"] == list(audit.assumptions)
    details = report["assumption_details"]
    assert [d["text"] for d in details] == report["assumptions"]
    names = {entry.name: entry.method for entry in ASSUMPTIONS}
    assert all(set(d) == {"name", "text", "method"} and names[d["name"]] == d["method"] for d in details)


def test_html_links_each_line_to_its_own_section(audit: va.Audit) -> None:
    """Each list item of the HTML assumptions links to the built page of its entry's section."""
    items = re.findall(r'<li>([^<]*) \(<a href="([^"]*)">method</a>\)</li>', audit.to_html(docs_url="https://x.org/"))
    expected = [(d.text, d.method) for d in audit.assumption_details]
    assert len(items) == len(expected) > 1
    for (text, href), (line, method) in zip(items, expected, strict=True):
        page, _, anchor = method.partition("#")
        assert href == f"https://x.org/{page.removesuffix('.md')}/#{anchor}"
        assert text.replace("&#x27;", "'").replace("&gt;", ">").replace("&amp;", "&") == line
    assert len({href for _, href in items}) > 1


def test_markdown_lists_one_assumption_a_line(audit: va.Audit) -> None:
    """to_markdown() gives each assumption as its own list item."""
    markdown = audit.to_markdown()
    for line in audit.assumptions:
        assert f"\n- {line}\n" in markdown + "\n"


def test_html_without_details_links_the_general_section(audit: va.Audit) -> None:
    """An Audit built without assumption_details links every line to the methods page's audit section."""
    bare = attrs.evolve(audit, assumption_details=())
    hrefs = re.findall(r'\(<a href="([^"]*)">method</a>\)</li>', bare.to_html())
    assert hrefs == ["methods/#in-the-audit"] * len(audit.assumptions)
