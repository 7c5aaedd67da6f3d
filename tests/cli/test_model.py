"""The model, simulate and demo subcommands: output shapes, files, errors on one line."""

from __future__ import annotations

import json

import pytest

import viewaudit as va
from viewaudit._cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_model_json_has_the_audit_ladder_shape(capsys):
    """``model --json`` prints the closed form at full scale with the audit report's ladder."""
    code, out, err = _run(capsys, "model", "--scenario", "x-openai-2023", "--policy", "platform", "--json")
    assert code == 0
    assert err == ""
    report = json.loads(out)
    audited = va.simulate(va.FeedModel(viewers=50), rng=0).truth.to_dict()
    assert [r.keys() for r in report["ladder"]] == [r.keys() for r in audited["ladder"]]
    assert report["inflation"].keys() == audited["inflation"].keys()
    assert report["views"]["estimate"] == pytest.approx(1.3e9, rel=1e-8)
    assert {c["policy"] for c in report["compare"]} >= set(va.PRESETS)
    assert report["sources"]["exposure.mean"].startswith("Assumption:")


def test_model_text_lists_every_rule(capsys):
    """The text output shows the ladder, the inflation and each rule's views, scenario rules included."""
    code, out, _ = _run(capsys, "model", "--scenario", "short-video")
    assert code == 0
    assert "inflation:" in out
    assert "kuaishou-long-play" in out
    assert "trueview" in out


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_simulate_writes_the_log_and_its_truth(capsys, tmp_path, suffix):
    """``simulate`` writes the same log as the Python API, in the format of its suffix, and the
    truth JSON in the audit report's shape."""
    out, truth = tmp_path / f"log{suffix}", tmp_path / "truth.json"
    code, stdout, err = _run(
        capsys, "simulate", "--scenario", "news-site", "--impressions", "4000", "--seed", "7",
        "--out", str(out), "--truth", str(truth), "--policy", "meta-3s",
    )  # fmt: skip
    assert code == 0, err
    assert err == ""
    sim = va.simulate(va.get_scenario("news-site").model, impressions=4000, policy="meta-3s", rng=7)
    report = json.loads(truth.read_text())
    assert report["ladder"] == sim.truth.to_dict()["ladder"]
    assert report["seed"] == 7
    assert report["scenario"] == "news-site"
    assert report["policy"]["name"] == "meta-3s"
    assert va.audit(out, policy="meta-3s").ladder == va.audit(sim.log, policy="meta-3s").ladder
    assert f"wrote {sim.log.num_rows:,} rows" in stdout


def test_demo_is_readable(capsys):
    """``viewaudit demo`` audits a scaled-down X scenario beside its truth."""
    code, out, err = _run(capsys, "demo")
    assert code == 0
    assert err == ""
    assert "x-openai-2023" in out
    assert "(truth)" in out
    for name in va.PRESETS:
        assert name in out
    assert "At full scale" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["model", "--scenario", "tiktok"], "argument --scenario: invalid choice: 'tiktok'"),
        (["model", "--scenario", "news-site", "--policy", "nope"], "unknown policy 'nope'"),
        (
            ["simulate", "--scenario", "news-site", "--impressions", "10", "--out", "log.txt"],
            "--out must end in .parquet, .csv, .jsonl",
        ),
        (["simulate", "--scenario", "news-site", "--impressions", "-3", "--out", "log.csv"], "expected a number > 0, got '-3'"),
        (
            ["simulate", "--scenario", "news-site", "--impressions", "10", "--out", "log.csv", "--truth", "t.txt"],
            "--truth must end in .json",
        ),
        (["demo", "--seed", "x"], "expected a non-negative integer, got 'x'"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(capsys, tmp_path, monkeypatch, argv, message):
    """Bad arguments print one line on stderr and exit with 2, never a traceback."""
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err
