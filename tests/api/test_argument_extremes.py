"""Extreme but well-typed arguments give a clear error or sane figures, never a hang or a traceback."""

from __future__ import annotations

import re
import warnings

import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._cli.main import main

LOG = pa.table({"item_id": [i % 7 for i in range(200)], "viewer_id": [i % 13 for i in range(200)]})

BAD = [
    ({"confidence_level": 1 - 1e-17}, "confidence_level must be in (0, 1), got 1.0"),
    ({"population": 5e-324}, "population must be a finite number > 0, at least 1 (people the reach is a share of), got 5e-324"),
    ({"population": 0.5}, "population must be a finite number > 0, at least 1"),
    ({"population": 2**1100}, "population must be a finite number > 0, at least 1"),
    ({"hll_precision": 10**9, "unique_viewers": "hll"}, "hll_precision must be an integer from 4 to 16, got 1000000000"),
    ({"sample_rate": 1e-300}, "sample_rate must be in (0, 1] and at least 1e-09"),
    ({"sample_rate": 0.0}, "sample_rate must be in (0, 1] and at least 1e-09"),
    ({"sample_rate": 1.5}, "sample_rate must be in (0, 1] and at least 1e-09"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD, ids=[str(b[0]) for b in BAD])
def test_extreme_arguments_raise_a_clear_error(arguments, message):
    """Each extreme argument raises ValueError naming the parameter and the value."""
    with pytest.raises(ValueError, match=re.escape(message)):
        va.audit(LOG, **arguments)


@pytest.mark.parametrize(
    "arguments",
    [{"population": 1e308, "frequency": 3}, {"frequency": 2**70}, {"sample_rate": 1e-9, "frequency": 10**9}],
    ids=str,
)
def test_extreme_arguments_give_finite_figures(arguments):
    """Huge populations and frequencies return figures that are finite and not negative."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DegenerateDataWarning)
        rung = va.audit(LOG, **arguments).ladder["rendered"]
    for estimate in (rung.impressions, rung.unique_viewers, *(r.viewers for r in rung.reach)):
        assert 0 <= estimate.low <= estimate.high < float("inf")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sample-rate", "1e-300"], "sample_rate must be in (0, 1] and at least 1e-09"),
        (["--population", "1e-300"], "at least 1"),
    ],
)
def test_cli_extremes_are_one_line_exit_2(tmp_path, capsys, argv, message):
    """The CLI prints one line and exits 2 for an argument out of range."""
    path = tmp_path / "log.csv"
    path.write_text("item_id,viewer_id\n1,1\n2,2\n")
    code = main(["audit", str(path), *argv])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err
