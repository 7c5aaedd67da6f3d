"""Large weights give the right total with its interval, or a clear refusal; never a wrong number."""

from __future__ import annotations

import pyarrow as pa
import pytest

import viewaudit as va
from viewaudit._scan.summary import MAX_WEIGHT_SUM

# Equal weights with no viewable column: the unseen-viewer model has little to go on, and says so.
pytestmark = pytest.mark.filterwarnings("ignore::viewaudit.DegenerateDataWarning")


def _weighted(n: int, weight: float) -> pa.Table:
    return pa.table({"item_id": [1] * n, "viewer_id": [i // 2 for i in range(n)], "weight": [weight] * n})


def test_large_weights_give_the_total_with_an_interval() -> None:
    """1,000 rows at weight 1e9: 1e12 impressions with a Horvitz-Thompson interval, not an exact count."""
    rendered = va.audit(_weighted(1000, 1e9)).ladder["rendered"].impressions
    assert rendered.estimate == pytest.approx(1e12)
    # Var = sum w (w - 1) = 1000 * 1e9 * (1e9 - 1): half-width 1.96 * 3.16e10.
    assert rendered.high - rendered.estimate == pytest.approx(1.959964 * (1000 * 1e9 * (1e9 - 1)) ** 0.5, rel=1e-6)
    assert 0 <= rendered.low < rendered.estimate < rendered.high


def test_weights_summing_past_the_limit_are_refused() -> None:
    """Weights whose sum the fixed-point totals cannot hold raise a ValueError naming the column,
    the limit and the sum."""
    n = int(MAX_WEIGHT_SUM // 1e9) + 10
    message = r"column 'weight': the weights of one rung sum to 7\.03\de\+13, above the 7\.037e\+13 \(2\*\*46\)"
    with pytest.raises(ValueError, match=message):
        va.audit(_weighted(n, 1e9))


def test_weight_sums_past_the_limit_are_refused_across_batches(tmp_path) -> None:
    """The refusal holds when the sum only overflows once batches are merged."""
    half = int(MAX_WEIGHT_SUM // 1e9) // 2 + 10
    for part in range(2):
        rows = "".join(f"1,{part}-{i // 2},1e9\n" for i in range(half))
        (tmp_path / f"part{part}.csv").write_text("item_id,viewer_id,weight\n" + rows)
    assert va.audit(tmp_path / "part0.csv").rows.accepted == half
    with pytest.raises(ValueError, match="column 'weight'"):
        va.audit(tmp_path)


@pytest.mark.parametrize("rate", [1e-300, 1e-10])
def test_tiny_sample_rate_is_refused(rate: float) -> None:
    """A sample rate whose weight 1/rate passes MAX_WEIGHT is refused naming sample_rate and the limit."""
    with pytest.raises(ValueError, match=r"sample_rate must be in \(0, 1\] and at least 1e-09"):
        va.audit(pa.table({"item_id": [1, 2]}), sample_rate=rate)


def test_smallest_sample_rate_gives_a_total_with_an_interval() -> None:
    """At sample_rate=1e-9 two rows are 2e9 impressions with an interval."""
    rendered = va.audit(pa.table({"item_id": [1, 2]}), sample_rate=1e-9).ladder["rendered"].impressions
    assert rendered.estimate == pytest.approx(2e9)
    assert rendered.low < rendered.estimate < rendered.high
