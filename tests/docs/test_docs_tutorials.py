"""The quick start and the tutorials run, print what they show, and state the code's figures."""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pyarrow.parquet as pq
import pytest

import viewaudit
from viewaudit._model._claim import PLATFORMS
from viewaudit._report.dwell_view import dwell_view
from viewaudit._report.values import format_number
from viewaudit.datasets import load_ebnerd

from helpers.doc_pages import run_page

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SAMPLE = ROOT / "viewaudit" / "_data" / "ebnerd" / "behaviors.parquet"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
STORY = "story-1-3-billion.md"
PAGES = ("quickstart.md", "tutorial-ebnerd.md", "story-1-3-billion.md")


def _text(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def _prose(page: str) -> str:
    """The page without its code blocks, lines joined: what a reader reads as sentences."""
    return " ".join(BLOCK.sub("", _text(page)).split())


def _run(page: str, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[int, str]]:
    return run_page(DOCS / page, capsys)


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_figures", ROOT / "tools" / "docs_figures.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    return _load_hook()


@pytest.fixture(scope="module")
def generated(hook: ModuleType) -> dict[str, str]:
    files: dict[str, str] = hook.all_figures()
    return files


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the bundled EB-NeRD sample as behaviors.parquet."""
    shutil.copy(SAMPLE, tmp_path / "behaviors.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pages_are_in_the_site_with_runnable_examples() -> None:
    """Each page is in the nav, early, and holds shell and Python examples with output to compare."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert nav.index("quickstart.md") < nav.index("ladder.md")
    for page in PAGES:
        assert page in nav
        languages = [m.group(1) for m in BLOCK.finditer(_text(page))]
        assert {"bash", "python", "text"} <= set(languages), page


def test_the_quick_start_shows_the_readme_demo_command() -> None:
    """The quick start's install command is the README's first command, which runs the demo."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    demo = next(m.group(2).strip() for m in BLOCK.finditer(readme) if "viewaudit demo" in m.group(2))
    assert demo in _text("quickstart.md")


def test_every_figure_a_page_shows_is_generated(generated: dict[str, str]) -> None:
    """Every figures/ file a page links to is one the docs build generates, and the demo's
    report has its three figures."""
    assert {"demo-fig-ladder.svg", "demo-fig-inflation.svg", "demo-fig-dwell.svg", "demo-report.html"} <= set(generated)
    for page in PAGES:
        for name in re.findall(r"\]\(figures/([^)]+)\)", _text(page)):
            assert name in generated, (page, name)
    for name, content in generated.items():
        if name.endswith(".svg"):
            assert content.startswith("<svg "), name
            assert content.endswith("</svg>"), name
            assert 'xmlns="http://www.w3.org/2000/svg"' in content, name


def test_the_hook_adds_the_figures_to_the_site(generated: dict[str, str], tmp_path: Path) -> None:
    """The mkdocs hook that mkdocs.yml names adds every generated file under figures/ with its content (needs the docs
    extra; CI's docs build runs the hook too)."""
    config_module = pytest.importorskip("mkdocs.config", reason="mkdocs is absent: pip install -e '.[docs]'")
    from mkdocs.structure.files import Files

    config = config_module.load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    files = config.plugins.on_files(Files([]), config=config)  # runs the hooks mkdocs.yml names
    added = {f.src_uri: f.content_string for f in files}
    assert added == {f"figures/{name}": content for name, content in generated.items()}


def test_the_quick_start_runs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The quick start's commands run (the demo, simulate, audit --html, the Python) and print
    what it shows; the HTML report is written."""
    for _ in _run("quickstart.md", capsys):
        pass
    assert (workdir / "demo.parquet").is_file()
    assert "<svg" in (workdir / "report.html").read_text(encoding="utf-8")


def test_the_quick_starts_figures_are_the_demos(hook: ModuleType) -> None:
    """Every figure the quick start's prose states is the demo audit's."""
    audit = hook.demo_audit()
    prose = _prose("quickstart.md")
    factors = audit.inflation.factors
    for name, label in [
        ("invalid_traffic", "invalid traffic"),
        ("non_viewable", "non-viewable"),
        ("inattentive", "inattentive"),
        ("repeats", "repeats"),
    ]:
        assert f"{label}, \N{MULTIPLICATION SIGN} {format_number(factors[name].estimate)}:" in prose
    assert f"The headline is {format_number(audit.inflation.headline.estimate)} rendered" in prose
    viewable = audit.ladder["viewable"].impressions
    assert f"`{viewable}` means" in prose
    assert f"{format_number(viewable.estimate)} is the estimate" in prose
    assert f"{format_number(viewable.low)} to {format_number(viewable.high)} is the 95 % confidence" in prose
    unmeasured = 1 - viewaudit.get_scenario(hook.DEMO_SCENARIO).model.measurement.measurable
    assert f"did not measure {unmeasured:.0%} of impressions" in prose.replace("20 %", "20%")
    assert audit.ladder["rendered"].impressions.exact
    assert audit.ladder["valid"].impressions.exact
    # "Most impressions fall left of" the one-second threshold.
    view = dwell_view(audit.dwell, audit.policy)
    below = sum(m + c for m, c, edge in zip(view.measured, view.censored, view.edges_ms[1:], strict=True) if edge <= 1000)
    assert below > (sum(view.measured) + sum(view.censored)) / 2
    assert [ms for _, ms in view.thresholds] == [1000, 2000]


def test_the_ebnerd_tutorial_runs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The EB-NeRD tutorial's commands and Python run and print what it shows."""
    for _ in _run("tutorial-ebnerd.md", capsys):
        pass
    assert "<svg" in (workdir / "ebnerd.html").read_text(encoding="utf-8")


def test_the_ebnerd_tutorials_figures_are_the_samples() -> None:
    """Every figure the EB-NeRD tutorial's prose states is the sample's."""
    log = load_ebnerd()
    audit = viewaudit.audit(log, rounding_ms=1000)
    prose = _prose("tutorial-ebnerd.md")
    ladder = audit.ladder
    rendered = int(ladder["rendered"].impressions.estimate or 0)
    users = int(ladder["rendered"].unique_viewers.estimate or 0)
    engaged = int(ladder["engaged"].impressions.estimate or 0)
    measured = log.num_rows - log["dwell_ms"].null_count
    assert f"viewaudit ships {pq.read_metadata(SAMPLE).num_rows:,} such rows" in prose
    assert f"{rendered:,} articles were in view on {users} users' front pages." in prose
    assert f"{engaged:,} of them were clicked: {engaged / rendered:.2%}".replace("%", " %") in prose
    assert f"about {round(rendered / users)} articles in view" in prose
    assert ladder["valid"].impressions.estimate == rendered
    assert ladder["viewable"].impressions.estimate is None
    assert ladder["attended"].impressions.estimate is None
    assert audit.inflation.headline.estimate is None
    assert "is_bot" not in log.column_names
    assert "user_agent" not in log.column_names
    assert "visible_fraction" not in log.column_names
    dwell = log["dwell_ms"].drop_null().to_pylist()
    assert f"The {measured} measured ones" in prose
    assert f"for {min(dwell) / 1000:.0f} seconds or more" in prose
    assert f"The {log['dwell_ms'].null_count:,} others" in prose


def test_the_story_page_runs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 1.3-billion-views page's commands and Python run and print what it shows."""
    for _ in _run(STORY, capsys):
        pass


@pytest.fixture(scope="module")
def story_ranges() -> viewaudit.LadderRanges:
    """The ranges the page's model command and Python print: 1,024 draws, seed 0."""
    return viewaudit.expected_ladder_ranges(viewaudit.get_scenario("x-openai-2023"))


def _millions(value: float | None) -> str:
    return f"{round((value or 0.0) / 1e6)}"


def test_the_story_pages_ladder_is_the_models(story_ranges: viewaudit.LadderRanges) -> None:
    """Every figure the page's prose states about the ladder and its ranges is the feed model's."""
    scenario = viewaudit.get_scenario("x-openai-2023")
    model = scenario.model
    expected = viewaudit.expected_ladder(model, policy="mrc-display")
    prose = _prose(STORY)
    ladder = expected.ladder
    rendered = ladder["rendered"].impressions.estimate or 0.0

    def share(level: str) -> str:
        return f"{(ladder[level].impressions.estimate or 0.0) / rendered:.1%}".replace("%", " %")

    assert rendered == 1.3e9
    assert scenario.policy.counts_as_view == "rendered"
    assert scenario.policy.name == "platform"
    assert story_ranges.samples == 1024
    assert story_ranges.seed == 0
    assert "1,024 draws (a scrambled Sobol sequence, seed 0)" in prose
    reach = story_ranges.ladder["rendered"].unique_viewers
    assert f"1.3 billion impressions reach {ladder['rendered'].unique_viewers} accounts" in prose
    assert f"(from {_millions(reach.low)} to {_millions(reach.high)} million over the ranges)" in prose
    assert f"**valid**: {share('valid')} remain" in prose
    assert f"**viewable**: only {share('viewable')}" in prose
    assert f"**attended**: {share('attended')} stayed" in prose
    assert f"That is {ladder['attended'].unique_viewers} people." in prose
    assert round((ladder["attended"].unique_viewers.estimate or 0) / 1e6, -1) == 80  # "about 80 million people"
    attended = story_ranges.ladder["attended"].unique_viewers
    assert f"somewhere from {_millions(attended.low)} to {_millions(attended.high)} million" in prose
    assert f"**engaged**: {share('engaged')} got a like" in prose
    assert [i.column for i in model.interactions] == ["liked"]
    headline = story_ranges.inflation.headline
    assert f"accounts for {expected.inflation.headline} counted views: from {headline.low:.1f} to {headline.high:.0f}" in prose
    assert f"The inflation factor spans {headline.low:.1f} to {headline.high:.0f}" in prose
    assert f"assumes {model.bots.share:.0%} of impressions".replace("%", " %") in prose
    assert f"Half the bots are flagged, and {model.bots.with_user_agent:.0%}".replace("%", " %") in prose
    assert model.bots.flagged == 0.5
    caught = 1 - (1 - model.bots.flagged) * (1 - model.bots.with_user_agent)
    assert round(caught * 3) == 2  # "about two in three are caught"
    one = attrs.evolve(model, exposure=attrs.evolve(model.exposure, mean=1.0)).scaled(impressions=1.3e9)
    assert f"the headline falls to {viewaudit.expected_ladder(one, policy='mrc-display').inflation.headline}" in prose
    assert f"It then takes {one.viewers:,} accounts" in prose
    assert f"with 1 impression per account instead of {model.exposure.mean:g}" in prose


def test_the_story_pages_spans_are_the_models(story_ranges: viewaudit.LadderRanges) -> None:
    """The factors by which the page says each range spans (high end over low end) are the model's."""
    prose = _prose(STORY)
    spans = {
        "valid** impressions are known within a factor of": story_ranges.ladder["valid"].impressions,
        "viewable** impressions span a factor of": story_ranges.ladder["viewable"].impressions,
        "people who paid attention** span a factor of": story_ranges.ladder["attended"].unique_viewers,
    }
    for words, figure in spans.items():
        assert f"{words} {(figure.high or 0.0) / (figure.low or 1.0):.1f}" in prose, words


def test_the_story_pages_ranking_and_ranges_are_the_models(story_ranges: viewaudit.LadderRanges) -> None:
    """The ranking, each top parameter's range and how it was set, as the page states them."""
    scenario = viewaudit.get_scenario("x-openai-2023")
    prose = _prose(STORY)
    attended = dict(story_ranges.tornado())["attended_unique_viewers"]
    assert [s.parameter for s in attended] == [
        "exposure.shape",
        "exposure.mean",
        "bots.share",
        "dwell.glance.scale_s",
        "visibility.alpha",
    ]
    first = attended[0]
    assert f'"Moves it {first.swing / first.estimate:.0%}" means'.replace("%", " %") in prose
    viewable = [s.parameter for s in dict(story_ranges.tornado())["viewable_impressions"]]
    assert viewable[0] == "dwell.glance.scale_s"
    assert viewable[3] == "dwell.mean_s"  # "the mean time per item ranks fourth"
    assert not any(p.startswith("exposure.") for p in viewable)  # "The exposure does not move the viewable impressions"
    ranges = scenario.ranges
    mean, shape = ranges["exposure.mean"], ranges["exposure.shape"]
    assert f"the mean runs from {mean.low:g} to {mean.high:g} impressions per account over five days" in prose
    assert f"either side of {scenario.model.exposure.mean:g})" in prose
    assert f"The shape runs from {shape.low:g}" in prose
    assert f"to {shape.high:g} (closer to everyone" in prose
    assert 1.3e9 / scenario.model.exposure.mean == 325e6  # "4 each for 325 million accounts"
    bots = ranges["bots.share"]
    assert f"runs from {bots.low:.1%} to {bots.high:.0%} of impressions".replace("%", " %") in prose
    assert "19.42 %" in bots.source
    assert "under 5 %" in bots.source
    assert "19.42 % fake or spam" in prose
    assert "under 5 % of its monetizable daily" in prose
    assert abs(bots.high - 2 * 0.1942) < 0.02  # "the top, 40 %, is about twice SparkToro's figure"
    glance, mean_s = ranges["dwell.glance.scale_s"], ranges["dwell.mean_s"]
    assert f"(`dwell.glance.scale_s`, {glance.low:g} to {glance.high:g} s)" in prose
    assert f"runs from {mean_s.low:g} to {mean_s.high:g} s (`dwell.mean_s`)" in prose
    assert "1.7 s per feed item on mobile and 2.5 s on desktop" in mean_s.source
    assert scenario.model.dwell.glance.family == "weibull"
    assert ranges["dwell.glance.shape"].high < 1  # "a Weibull curve with shape below 1"
    alpha = ranges["visibility.alpha"]
    assert f"(`visibility.alpha`, {alpha.low:g} to {alpha.high:g})" in prose
    for swing in attended:
        assert ranges[swing.parameter].source.startswith("Assumption:"), swing.parameter
    assert mean_s.source.startswith("Source:")
    own = ranges["self_view_share"]
    share = scenario.model.self_view_share
    assert f"takes {share:.1%} of impressions as authors".replace("%", " %") in prose
    assert f"(from {own.low:.3%} to {own.high:.1%} over the ranges)".replace("%", " %") in prose
    assert f"That is {share * 1.3e9:,.0f} of the 1.3 billion" in prose
    self_view = next(
        s for s in story_ranges.sensitivity if s.figure == "attended_unique_viewers" and s.parameter == "self_view_share"
    )
    assert self_view.swing / self_view.estimate < 0.01  # "by less than 1 %"
    for swing in story_ranges.sensitivity:  # "its figures do not depend on the number of posts"
        if swing.parameter == "items":
            assert swing.swing == 0, swing.figure
    assert scenario.model.bots.dwell.family == "weibull"
    assert scenario.model.bots.dwell.scale_s == 0.1  # "glance for a tenth of a second" (shape 1: the mean)
    assert scenario.model.bots.dwell.shape == 1


def test_the_story_pages_counters_are_claims() -> None:
    """The like count's effect on the engaged rung and on attention, as the page states it."""
    prose = _prose(STORY)
    views_only = viewaudit.claim(1.3e9, platform="x")
    liked = viewaudit.claim(1.3e9, platform="x", likes=13_000_000)
    assert 1.3e9 / 100 == 13_000_000  # Musk's "100 times more than they are liked"
    before, after = views_only.ladder["engaged"].impressions, liked.ladder["engaged"].impressions
    assert (
        f"went from {(before.low or 0) / 1e6:.1f} to {(before.high or 0) / 1e6:.1f} million without the likes to "
        f"{(after.low or 0) / 1e6:.1f} to {(after.high or 0) / 1e6:.1f} million with them" in prose
    )
    assert (after.high or 0) < 13_000_000  # "It sits a little below 13 million"
    attended = liked.ladder["attended"].unique_viewers
    assert f"stay at {_millions(attended.low)} to {_millions(attended.high)} million" in prose
    assert (attended.high or 0) - (attended.low or 0) >= 0.9 * (
        (views_only.ladder["attended"].unique_viewers.high or 0) - (views_only.ladder["attended"].unique_viewers.low or 0)
    )  # "Attention does not narrow"
    ess = liked.effective_sample_size or 0.0
    assert f"worth: {ess:,.0f} of {liked.samples:,} here" in prose
    assert ess > 100
    assert "posts: 2,000 posts in the model, an assumption" in prose
    assert viewaudit.get_scenario("x-openai-2023").ranges["items"].source.startswith("Assumption")
    assert viewaudit.get_scenario("x-openai-2023").model.items == 2000
    assert "reposts" in viewaudit.claim(1.3e9, platform="x", reposts=1_000, samples=64).bounded_counters  # a floor, no rate
    assert PLATFORMS["x"].per_account == ("likes", "reposts", "bookmarks")  # "at most once per account and post"
