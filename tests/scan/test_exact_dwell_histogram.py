"""A log whose times are exact keeps the dwell histogram of its valid visible rows (for the
report's figure), in both engines, without crossing codes."""

from __future__ import annotations

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import viewaudit
from viewaudit._api import summarize
from viewaudit._estimators.histogram import DwellHistogram
from viewaudit._policy import PRESETS

from helpers.logs import batches, random_log


def exact_log(seed: int) -> pa.Table:
    """A log with bots, self-views, unmeasured dwell and missing visibility, its times exact."""
    return random_log(seed).drop_columns(["dwell_censored"])


def valid_visible_dwell(log: pa.Table) -> DwellHistogram:
    """The histogram binned from the rows themselves: accepted, valid (no bot flag, no bot agent,
    no self-view) and at least half visible."""
    fraction = log["visible_fraction"].to_numpy(zero_copy_only=False).astype(float)
    accepted = ~(fraction > 1)
    viewer = log["viewer_id"].to_numpy(zero_copy_only=False).astype(float)
    self_view = viewer == log["author_id"].to_numpy().astype(float)
    bot_agent = np.asarray(pc.match_substring(log["user_agent"], "bot/")).astype(bool)
    valid = ~log["is_bot"].to_numpy(zero_copy_only=False).astype(bool) & ~bot_agent & ~self_view
    with np.errstate(invalid="ignore"):
        visible = fraction >= 0.5
    dwell = log["dwell_ms"].to_numpy(zero_copy_only=False).astype(float)
    return DwellHistogram.from_arrays(dwell[accepted & valid & visible])


@pytest.mark.parametrize("by", [None, "item_id"])
@pytest.mark.parametrize("seed", [0, 1])
def test_both_engines_bin_the_valid_visible_dwell(seed: int, by: str | None) -> None:
    """Packed and summary engines, in batches: the same histogram, that of the valid visible rows' dwell."""
    log = exact_log(seed)
    packed = viewaudit.audit(batches(log, 700), by=by, engine="packed")
    reference = viewaudit.audit(batches(log, 700), by=by, engine="summary")
    assert packed.dwell is not None
    assert packed.dwell == reference.dwell == valid_visible_dwell(log)
    assert packed.dwell.unmeasured > 0


def test_exact_histogram_is_the_censored_paths_with_nothing_censored() -> None:
    """Binned as a log with a dwell_censored column that is false everywhere bins it."""
    log = exact_log(2)
    uncut = log.append_column("dwell_censored", pa.array(np.zeros(log.num_rows, dtype=bool)))
    for engine in ("packed", "summary"):
        assert viewaudit.audit(log, engine=engine).dwell == viewaudit.audit(uncut, engine=engine).dwell


def test_exact_log_keeps_no_crossing_rows() -> None:
    """Exact times cross no threshold: the summary holds the dwell histogram and no crossing table."""
    summary = summarize(exact_log(3))
    assert summary.crossings is None
    assert summary.histograms is not None
    assert summary.histograms[0] == DwellHistogram.empty()
    assert summary.histograms[1].exact.sum() > 0


def test_no_attention_threshold_keeps_no_dwell() -> None:
    """As with censored logs, a policy without an attention threshold bins no dwell."""
    policy = attrs.evolve(PRESETS["mrc-display"], name="no-attention", attention_ms=0.0)
    for engine in ("packed", "summary"):
        assert viewaudit.audit(exact_log(4), policy=policy, engine=engine).dwell is None
