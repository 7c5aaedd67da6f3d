"""Sampled logs in the audit: ``sample_rate=`` or a ``weight`` column."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli import main

#: A population without bots: exposure is Gamma-Poisson, as the sampled-viewer model assumes.
MODEL = attrs.evolve(va.get_scenario("news-site").model, bots=va.Bots(share=0.0))


def _figures(result: va.Audit) -> list[tuple[float | None, ...]]:
    return [
        (r.impressions.estimate, r.impressions.low, r.impressions.high, r.unique_viewers.estimate, r.unique_viewers.low, r.unique_viewers.high)
        for r in result.ladder
    ]


def test_sample_rate_is_a_constant_weight() -> None:
    """sample_rate=p audits a log as a weight column of 1/p does."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.25)), impressions=20_000, rng=1)
    weighted = va.audit(sim.log)
    unweighted = sim.log.drop_columns(["weight"])
    assert _figures(va.audit(unweighted, sample_rate=0.25)) == _figures(weighted)
    with pytest.raises(ValueError, match="give one"):
        va.audit(sim.log, sample_rate=0.25)


def test_a_complete_log_is_its_own_sample() -> None:
    """sample_rate=1 changes no figure: every estimate is exact."""
    log = va.simulate(MODEL, impressions=5_000, rng=2).log
    assert _figures(va.audit(log, sample_rate=1.0)) == _figures(va.audit(log))


def test_unique_viewers_of_the_complete_log_from_a_ten_percent_sample() -> None:
    """A 10 % sample of a Gamma-Poisson population: on every rung, impressions and unique
    viewers are within 3 standard errors (half the interval / 1.96) of the complete log's
    figures, not of the sample's seen viewers."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.1)), impressions=300_000, rng=3)
    result = va.audit(sim.log)
    seen = len(set(sim.log["viewer_id"].drop_null().to_pylist()))
    for level in ("rendered", "valid", "viewable", "attended", "engaged"):
        for figure in ("impressions", "unique_viewers"):
            got, truth = getattr(result.ladder[level], figure), getattr(sim.truth.ladder[level], figure).estimate
            se = (got.high - got.low) / (2 * 1.96)
            assert abs(got.estimate - truth) <= 3 * se, (level, figure, got, truth)
    assert result.ladder["rendered"].unique_viewers.low > seen
    assert any("unseen viewers included" in a for a in result.assumptions)


def test_weights_that_differ_give_the_viewers_seen() -> None:
    """Unequal weights (no one sampling rate): unique viewers are those seen, a lower bound."""
    rng = np.random.default_rng(4)
    n = 2_000
    log = pa.table({"item_id": rng.integers(0, 3, n), "viewer_id": rng.integers(0, 500, n), "weight": rng.choice([2.0, 5.0], n)})
    result = va.audit(log)
    rendered = result.ladder["rendered"].unique_viewers
    assert rendered.estimate == len(set(log["viewer_id"].to_pylist())) == rendered.low
    assert any("a lower bound" in a for a in result.assumptions)


def test_cli_takes_the_log_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--sample-rate, --rounding-ms and --strata reach the audit."""
    sim = va.simulate(attrs.evolve(MODEL, measurement=va.Measurement(sampling_rate=0.5)), impressions=4_000, rng=5)
    path = tmp_path / "log.parquet"
    pq.write_table(sim.log.drop_columns(["weight"]), path)
    code = main(["audit", str(path), "--sample-rate", "0.5", "--rounding-ms", "1000", "--strata", "item_id", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    expected = va.audit(path, sample_rate=0.5, rounding_ms=1000, strata="item_id").to_dict()
    assert report["ladder"] == expected["ladder"]
    code = main(["audit", str(path), "--sample-rate", "2"])
    assert code != 0
    assert "sample_rate must be in (0, 1]" in capsys.readouterr().err
