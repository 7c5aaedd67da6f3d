"""Estimators on summaries: dwell model, unseen viewers, sampled totals, clustered bootstrap.

Every function here reads a summary (a :class:`DwellHistogram`, a frequency-of-frequency
table, weight sums or per-viewer count arrays), never the rows, so its cost does not grow with
the log. Methods, assumptions and references: ``docs/methods.md``.

Inputs from a :class:`viewaudit.Summary` (one row per group and viewer):

* unique viewers on a rung of a sampled log: ``f = frequency_counts(n_<level>)`` over the
  group's rows with a viewer, then ``unique_viewers(f, sample_rate=p)``;
* Horvitz-Thompson impressions: ``WeightSums.from_indicator_sums(n_<level>,
  w_<level> / WEIGHT_SCALE, w2_<level> / WEIGHT2_SCALE)`` summed per group, then
  ``horvitz_thompson_total``;
* inflation ratios: ``ratio_bootstrap(n_rendered, n_attended > 0)`` per viewer.
"""

from viewaudit._estimators._common import ConfidenceInterval, CountEstimate
from viewaudit._estimators.bootstrap import BootstrapResult, ratio_bootstrap, viewer_bootstrap
from viewaudit._estimators.dwell import DwellFit, DwellModelSelection, SurvivalEstimate, fit_dwell, select_dwell_model
from viewaudit._estimators.gamma_poisson import GammaPoissonFit, fit_gamma_poisson
from viewaudit._estimators.histogram import DWELL_EDGES_MS, MAX_SECONDS, DwellHistogram
from viewaudit._estimators.model_free import ModelFreeRange, model_free_reach
from viewaudit._estimators.sampling import WeightSums, horvitz_thompson_total, total_from_sample_rate
from viewaudit._estimators.unseen import (
    DEFAULT_UNIQUE_METHOD,
    chao1,
    frequency_counts,
    good_toulmin,
    k_plus_reach,
    unique_viewers,
)

__all__ = [
    "DEFAULT_UNIQUE_METHOD",
    "DWELL_EDGES_MS",
    "MAX_SECONDS",
    "BootstrapResult",
    "ConfidenceInterval",
    "CountEstimate",
    "DwellFit",
    "DwellHistogram",
    "DwellModelSelection",
    "GammaPoissonFit",
    "ModelFreeRange",
    "SurvivalEstimate",
    "WeightSums",
    "chao1",
    "fit_dwell",
    "fit_gamma_poisson",
    "frequency_counts",
    "good_toulmin",
    "horvitz_thompson_total",
    "k_plus_reach",
    "model_free_reach",
    "ratio_bootstrap",
    "select_dwell_model",
    "total_from_sample_rate",
    "unique_viewers",
    "viewer_bootstrap",
]
