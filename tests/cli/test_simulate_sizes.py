"""simulate and demo refuse sizes they cannot write or hold, on one line, before writing anything."""

from __future__ import annotations

import pytest

import viewaudit as va
from viewaudit._cli.main import main
from viewaudit._model._simulate import MAX_STREAMED, run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["simulate", "--scenario", "news-site", "--impressions", "1e300", "--out", "big.csv"],
            "1e+300 impressions, more than the 1,000,000,000",
        ),
        (["simulate", "--scenario", "news-site", "--impressions", "2e9", "--out", "big.parquet"], "more than the 1,000,000,000"),
        (["demo", "--impressions", "1e300"], "expects 1e+300 impressions (more than 100,000,000)"),
    ],
)
def test_too_large_is_refused_on_one_line(capsys, tmp_path, monkeypatch, argv, message):
    """Too many impressions exit 2 with one short line, and no output file is created."""
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert len(err) < 300
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_past_max_streamed():
    """The streaming run refuses a model expecting more than MAX_STREAMED rows before drawing any."""
    model = va.FeedModel(viewers=10).scaled(impressions=MAX_STREAMED * 2.0)
    sunk = []
    with pytest.raises(ValueError, match=r"^impressions: this model expects 2,000,000,\d{3} impressions"):
        run(model, seed=0, policies=[va.get_policy("mrc-display")], sink=sunk.append)
    assert sunk == []
