"""``viewaudit claim --likes``: counters in text and JSON, small effective samples on stderr, bad counters on one line."""

from __future__ import annotations

import json

import pytest

from viewaudit._cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_likes_condition_the_json(capsys):
    """--likes adds the conditioning object and moves the engaged estimate up with the likes."""
    engaged = []
    for likes in ("3e6", "12_000_000"):
        code, out, err = _run(
            capsys, "claim", "--views", "1.3e9", "--platform", "x", "--likes", likes, "--samples", "256", "--json"
        )
        assert code == 0, err
        assert err == ""
        report = json.loads(out)
        assert report["conditioning"]["counters"] == {"likes": float(likes.replace("_", ""))}
        assert report["conditioning"]["effective_sample_size"] > 100
        engaged.append(report["ladder"][4]["impressions"]["estimate"])
    assert engaged[1] > engaged[0]


def test_without_counters_the_json_is_unchanged(capsys):
    """No counter options: the JSON has no conditioning object, the figures as before."""
    code, out, _ = _run(capsys, "claim", "--views", "1.3e9", "--platform", "x", "--samples", "32", "--json")
    assert code == 0
    assert "conditioning" not in json.loads(out)


def test_the_text_says_what_conditioning_did(capsys):
    """The text names the counters, the weighted medians and the effective sample size."""
    code, out, _ = _run(capsys, "claim", "--views", "1.3e9", "--platform", "x", "--likes", "6,000,000", "--samples", "256")
    assert code == 0
    assert "Conditioned on 6,000,000 likes" in out
    assert "estimates are weighted medians" in out
    assert "effective sample size" in out


def test_few_effective_draws_are_a_warning_on_stderr(capsys):
    """Likes the ranges barely explain still give a report, with one warning line on stderr."""
    code, out, err = _run(capsys, "claim", "--views", "1.3e9", "--platform", "x", "--likes", "2000000", "--samples", "64")
    assert code == 0
    assert out
    assert err.startswith("viewaudit: warning: the public counters")
    assert len(err.strip().splitlines()) == 1


def test_counters_that_fit_no_draw_are_one_error_line(capsys):
    """Likes the ranges cannot explain at all: one error line, exit 2, no report."""
    code, out, err = _run(capsys, "claim", "--views", "1.3e9", "--platform", "x", "--likes", "1000", "--samples", "64")
    assert code == 2
    assert not out
    assert err.startswith("viewaudit: error: the public counters (1,000 likes) fit almost no draw")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--likes", "-3"], "argument --likes: expected a count >= 0, got '-3'"),
        (["--likes", "many"], "argument --likes: expected a count >= 0, got 'many'"),
        (["--likes", "2e6"], "likes must be at most the views (1,000,000): each needs a view, got 2000000.0"),
        (["--reposts", "2e6"], "reposts must be at most the views (1,000,000)"),
        (["--replies", "nan"], "argument --replies: expected a count >= 0, got 'nan'"),
        (["--bookmarks", "-1"], "argument --bookmarks: expected a count >= 0, got '-1'"),
    ],
)
def test_bad_counters_are_one_line(capsys, argv, message):
    """A bad counter prints one line on stderr naming it and exits with 2."""
    code, out, err = _run(capsys, "claim", "--views", "1e6", "--platform", "x", "--samples", "16", *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_weighted_text_shows_each_factor_as_its_own_median(capsys):
    """With counters the headline is a weighted median; the factors are shown with their own
    intervals and the text says their medians need not multiply to it. Without counters the
    point model's factors multiply to the headline's estimate."""
    import viewaudit as va

    argv = ("claim", "--views", "50000000", "--platform", "x", "--samples", "256")
    code, out, _ = _run(capsys, *argv, "--likes", "400000")
    assert code == 0
    assert "each its own weighted median (they need not multiply to the headline)" in out
    weighted = va.claim(5e7, platform="x", likes=400_000, samples=256)
    for name, value in weighted.inflation.factors.items():
        assert f"    {name} {value}" in out
    code, out, _ = _run(capsys, *argv)
    plain = va.claim(5e7, platform="x", samples=256)
    product = 1.0
    for value in plain.expected.inflation.factors.values():
        product *= value.estimate
    assert abs(product / plain.inflation.headline.estimate - 1) < 1e-9
    assert "  = invalid_traffic" in out
