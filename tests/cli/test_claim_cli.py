"""``viewaudit claim``: the ladder a published count implies, in text and JSON; bad input on one line."""

from __future__ import annotations

import json
import re

import pytest

from viewaudit._cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_claim_json_holds_the_count_and_gives_intervals(capsys):
    """--json: rendered impressions are the published count; the other figures have intervals and a ranking."""
    code, out, err = _run(capsys, "claim", "--views", "50_000_000", "--platform", "x", "--json", "--samples", "32")
    assert code == 0, err
    report = json.loads(out)
    assert report["views_published"] == 50_000_000
    assert report["ladder"][0]["impressions"] == {"estimate": 50_000_000, "low": 50_000_000, "high": 50_000_000}
    attended = report["ladder"][3]["unique_viewers"]
    assert attended["low"] < attended["estimate"] < attended["high"]
    assert report["sensitivity"]
    assert "Sobol" in report["method"]


def test_claim_text_is_readable(capsys):
    """The text names the platform's rule and shows the ladder with intervals."""
    code, out, _ = _run(capsys, "claim", "--views", "1000000", "--platform", "youtube-shorts", "--samples", "16")
    assert code == 0
    assert "1,000,000 views published by youtube-shorts" in out
    assert "TeamYouTube" in out
    assert "what moves the figures most" in out
    assert "No public counters given" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--views", "-3", "--platform", "x"], "expected a count >= 1000, got '-3'"),
        (["--views", "lots", "--platform", "x"], "expected a count >= 1000, got 'lots'"),
        (["--views", "1000", "--platform", "myspace"], "argument --platform: expected one of x (or twitter), youtube-shorts, "),
        (["--views", "1000", "--platform", "x", "--days", "0"], "argument --days: expected a number > 0, got '0'"),
        (["--views", "1000", "--platform", "x", "--days", "nan"], "argument --days: expected a number > 0, got 'nan'"),
        (["--views", "1000", "--platform", "x", "--posts", "0"], "argument --posts: expected a whole number >= 1, got '0'"),
        (["--views", "1000", "--platform", "x", "--posts", "2.5"], "argument --posts: expected a whole number >= 1, got '2.5'"),
        (["--views", "1000", "--platform", "x", "--followers", "-1"], "argument --followers: expected a count >= 0"),
        (["--views", "1000", "--platform", "x", "--posts", "2000"], "posts must be at most the views (1,000)"),
        (["--views", "inf", "--platform", "x"], "expected a count >= 1000, got 'inf'"),
        (["--platform", "x"], "the following arguments are required: --views"),
    ],
)
def test_claim_errors_are_one_line(capsys, argv, message):
    """Bad arguments print one line on stderr and exit with 2."""
    code, out, err = _run(capsys, "claim", *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_twitter_is_taken_for_x(capsys):
    """--platform twitter is X: the JSON names the platform x and holds the same ladder."""
    code, out, err = _run(capsys, "claim", "--views", "1e6", "--platform", "twitter", "--json", "--samples", "16")
    assert code == 0, err
    report = json.loads(out)
    _, same, _ = _run(capsys, "claim", "--views", "1e6", "--platform", "x", "--json", "--samples", "16")
    assert report["platform"] == "x"
    assert report == json.loads(same)


def test_help_lists_the_platforms_and_their_aliases(capsys):
    """claim --help names every platform, and twitter beside x."""
    with pytest.raises(SystemExit):
        main(["claim", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "one of x (or twitter), youtube-shorts, tiktok, instagram, facebook, facebook-reels, facebook-3s, linkedin" in out


def test_draws_beyond_the_users_are_said_and_a_count_none_holds_is_an_error(capsys):
    """6e9 views on X: the draws ruled out by X's users are counted on stdout and in the JSON;
    1e11 views: every draw needs more viewers than X has users, one error line, exit code 2."""
    code, out, _ = _run(capsys, "claim", "--views", "6e9", "--platform", "x", "--samples", "64")
    assert code == 0
    assert re.search(r"\d+ of the 64 draws needed more viewers than x's 600,000,000 users and were ruled out", out)
    code, out, _ = _run(capsys, "claim", "--views", "6e9", "--platform", "x", "--samples", "64", "--json")
    report = json.loads(out)
    assert report["user_base"]["draws_ruled_out"] > 0
    assert report["ladder"][0]["unique_viewers"]["high"] < 6e8
    code, out, err = _run(capsys, "claim", "--views", "1e11", "--platform", "x", "--samples", "16")
    assert code == 2
    assert err.startswith("viewaudit: error: the count needs more viewers than x has users")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["claim", "--views", "10", "--platform", "x"],
        ["claim", "--views", "1e6", "--platform", "myspace"],
        ["claim", "--views", "1e6"],
        ["claim", "--views", "1e6", "--platform", "x", "--policy", "nope"],
        ["claim", "--views", "1.3e9", "--platform", "x", "--likes", "1000", "--samples", "64"],
        ["claim", "--views", "1.3e9", "--platform", "x", "--likes", "2000000", "--samples", "64"],
        ["claim", "--views", "1e11", "--platform", "x", "--samples", "16"],
        ["model", "--scenario", "nope"],
        ["model", "--scenario", "x-openai-2023", "--policy", "nope"],
        ["model", "--scenario", "x-openai-2023", "--samples", "3"],
    ],
)
def test_every_error_and_warning_line_has_the_cli_prefix(capsys, argv):
    """claim and model print errors and warnings as every other command does: 'viewaudit: error:' or 'viewaudit: warning:'."""
    _, _, err = _run(capsys, *argv)
    assert err
    for line in err.strip().splitlines():
        assert line.startswith(("viewaudit: error: ", "viewaudit: warning: ")), line
