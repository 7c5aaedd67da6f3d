"""The logs and calls behind the stored reference JSON (``tests/data/reference/<case>.json``).

Not a test module: ``tests/test_reference_json.py`` recomputes each case and compares it with the
stored file, and ``tools/update_reference.py`` rewrites the files. Both import this module (pytest's
default ``prepend`` import mode puts ``tests/`` on ``sys.path``, as ``tests/`` has no
``__init__.py``; the updater inserts it).

Every case builds its log in memory, deterministically (literal seeds), through the public API
only (``import viewaudit``), makes one public call and returns a JSON-able object (the call's
``to_dict()``). :func:`run_case` runs a case with warnings as errors (the test suite's
``filterwarnings = error``) and passes the result through :func:`normalise`.
"""

from __future__ import annotations

import functools
import json
import math
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import viewaudit

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "data" / "reference"
EBNERD = ROOT / "data" / "ebnerd" / "behaviors.parquet"

#: Keys removed from every dict before storing or comparing: values that legitimately vary from
#: run to run (timings, absolute paths, versions). None of the current outputs holds one (checked
#: by running every case in two fresh processes, with different PYTHONHASHSEED, and diffing);
#: the hook is here so that a key added later is dropped in one documented place.
VOLATILE_KEYS: frozenset[str] = frozenset()

#: What NaN becomes before comparing: ``float("nan") != float("nan")``, so two equal results
#: holding NaN would compare unequal. (``to_dict`` writes NaN as null today; this is a guard.)
NAN = "<NaN>"

CASES: dict[str, Callable[[], Any]] = {}


def case(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Register ``fn`` as a reference case under its name."""
    CASES[fn.__name__] = fn
    return fn


# --- logs --------------------------------------------------------------------------------------


@functools.cache
def scenario_log(name: str, impressions: int, seed: int) -> pa.Table:
    """The simulated log of a named scenario at about this many rendered impressions."""
    return viewaudit.simulate(viewaudit.get_scenario(name).model, impressions=impressions, rng=seed).log


def _small_model(**measurement: Any) -> viewaudit.FeedModel:
    """A feed of 40 items (so ``by="item_id"`` stays small), with likes, bots, self-views,
    unmeasured and censored rows."""
    return viewaudit.FeedModel(
        viewers=5_000,
        exposure=viewaudit.Exposure(mean=3.0, shape=0.8),
        interactions=(viewaudit.Interaction(column="liked", attended=0.1, not_attended=0.01),),
        bots=viewaudit.Bots(share=0.05, activity=3.0),
        self_view_share=0.01,
        items=40,
        item_popularity=1.0,
        measurement=viewaudit.Measurement(**({"measurable": 0.9, "censoring_mean_s": 60.0} | measurement)),
    )


@functools.cache
def small_log(impressions: int = 15_000, seed: int = 11) -> pa.Table:
    """The 40-item feed's log, with a ``surface`` column (feed/search/profile, seeded)."""
    log = viewaudit.simulate(_small_model(), impressions=impressions, rng=seed).log
    surface = np.random.default_rng(12).choice(np.array(["feed", "search", "profile"]), size=log.num_rows, p=[0.7, 0.2, 0.1])
    return log.append_column("surface", pa.array(surface, pa.string()))


def floored(log: pa.Table, ms: float) -> pa.Table:
    """``dwell_ms`` and ``in_view_ms`` floored to multiples of ``ms`` (a whole-second logger)."""
    for name in ("dwell_ms", "in_view_ms"):
        i = log.column_names.index(name)
        log = log.set_column(i, name, pc.multiply(pc.floor(pc.divide(log[name], ms)), ms))
    return log


def row_sample(log: pa.Table, rate: float, seed: int) -> pa.Table:
    """Each row kept independently with probability ``rate`` (a seeded numpy Generator)."""
    return log.filter(pa.array(np.random.default_rng(seed).random(log.num_rows) < rate))


def weighted(log: pa.Table, seed: int) -> pa.Table:
    """A Poisson sample: each row kept with probability 1/2 or 1/4 (drawn per row), with
    ``weight`` the inverse of it."""
    rng = np.random.default_rng(seed)
    p = np.where(rng.random(log.num_rows) < 0.5, 0.5, 0.25)
    keep = rng.random(log.num_rows) < p
    return log.filter(pa.array(keep)).append_column("weight", pa.array(1 / p[keep]))


def corrupted(log: pa.Table, seed: int) -> pa.Table:
    """Some rows made invalid: negative ``dwell_ms``, null ``item_id``, ``visible_fraction`` > 1."""
    rng = np.random.default_rng(seed)
    n = log.num_rows
    dwell = log["dwell_ms"].to_numpy(zero_copy_only=False).copy()
    dwell[rng.choice(n, 40, replace=False)] = -5.0
    item_mask = np.zeros(n, bool)
    item_mask[rng.choice(n, 25, replace=False)] = True
    visible = log["visible_fraction"].to_numpy(zero_copy_only=False).copy()
    visible[rng.choice(n, 15, replace=False)] = 1.5
    log = log.set_column(log.column_names.index("dwell_ms"), "dwell_ms", pa.array(dwell, mask=np.isnan(dwell)))
    log = log.set_column(log.column_names.index("item_id"), "item_id", pa.array(log["item_id"].to_numpy(), mask=item_mask))
    return log.set_column(
        log.column_names.index("visible_fraction"), "visible_fraction", pa.array(visible, mask=np.isnan(visible))
    )


# --- cases: the packed engine (the default where it applies) ------------------------------------


@case
def default_x_openai() -> Any:
    """The x-openai-2023 scenario's log, default audit (mrc-display, packed engine)."""
    return viewaudit.audit(scenario_log("x-openai-2023", 20_000, 1)).to_dict()


@case
def default_short_video_platform() -> Any:
    """The short-video scenario's log under its own policy (platform: X-style render-counted views)."""
    scenario = viewaudit.get_scenario("short-video")
    return viewaudit.audit(scenario_log("short-video", 20_000, 2), policy=scenario.policy).to_dict()


@case
def news_site_rounding_1000() -> Any:
    """The news-site scenario's log (its logger floors to whole seconds), ``rounding_ms=1000``."""
    log = scenario_log("news-site", 20_000, 3)
    assert pc.all(pc.equal(pc.divide(log["dwell_ms"], 1000.0), pc.floor(pc.divide(log["dwell_ms"], 1000.0)))).as_py()
    return viewaudit.audit(log, rounding_ms=1000).to_dict()


@case
def packed_by_item() -> Any:
    """The 40-item feed grouped by item on the packed engine."""
    return viewaudit.audit(small_log(), by="item_id", engine="packed").to_dict()


@case
def hll_whole_log() -> Any:
    """HyperLogLog unique viewers (default precision 10) on the x-openai-2023 log."""
    return viewaudit.audit(scenario_log("x-openai-2023", 20_000, 1), unique_viewers="hll").to_dict()


@case
def hll_by_item_precision_12() -> Any:
    """HyperLogLog unique viewers at precision 12, grouped by item."""
    return viewaudit.audit(small_log(), by="item_id", unique_viewers="hll", hll_precision=12).to_dict()


@case
def rounding_1000_floored_meta_3s() -> Any:
    """The short-video log floored to whole seconds here (pyarrow.compute), ``rounding_ms=1000``, meta-3s."""
    return viewaudit.audit(floored(scenario_log("short-video", 20_000, 2), 1000.0), rounding_ms=1000, policy="meta-3s").to_dict()


@case
def sample_rate_10_percent() -> Any:
    """A 10 % row sample (seeded Generator) of a 60k-row log, ``sample_rate=0.1``."""
    return viewaudit.audit(row_sample(small_log(60_000, 13), 0.1, 14), sample_rate=0.1).to_dict()


@case
def sample_rate_10_percent_by_item() -> Any:
    """The same 10 % sample grouped by item."""
    return viewaudit.audit(row_sample(small_log(60_000, 13), 0.1, 14), sample_rate=0.1, by="item_id").to_dict()


@case
def weight_column() -> Any:
    """A Poisson sample with a ``weight`` column of 2 or 4."""
    return viewaudit.audit(weighted(small_log(30_000, 15), 16)).to_dict()


@case
def confidence_level_90() -> Any:
    """90 % intervals on the 40-item feed."""
    return viewaudit.audit(small_log(), confidence_level=0.9).to_dict()


# --- cases: the summary engine --------------------------------------------------------------------


@case
def summary_whole_log() -> Any:
    """The 40-item feed, ``engine="summary"``, no groups."""
    return viewaudit.audit(small_log(), engine="summary").to_dict()


@case
def summary_by_item() -> Any:
    """The 40-item feed, ``engine="summary"``, grouped by item."""
    return viewaudit.audit(small_log(), engine="summary", by="item_id").to_dict()


@case
def auto_by_item_and_surface() -> Any:
    """Two ``by`` columns: the packed engine declines and ``engine="auto"`` falls back to the summary one."""
    return viewaudit.audit(small_log(), by=["item_id", "surface"]).to_dict()


@case
def strata_surface() -> Any:
    """Unmeasured impressions estimated within each surface (``strata="surface"``)."""
    return viewaudit.audit(small_log(), strata="surface").to_dict()


@case
def frequency_3() -> Any:
    """k+ reach for k = 1..3 (``frequency=3``)."""
    return viewaudit.audit(small_log(), frequency=3).to_dict()


@case
def population_only() -> Any:
    """Reach as a share of a population (``population=``, k = 1 only)."""
    return viewaudit.audit(small_log(), population=20_000).to_dict()


@case
def frequency_population_by_item() -> Any:
    """k+ reach (k = 1..2) with a population, grouped by item."""
    return viewaudit.audit(small_log(), by="item_id", frequency=2, population=20_000).to_dict()


@case
def sample_rate_frequency_3() -> Any:
    """The 10 % sample's k+ reach of the complete log (``sample_rate=0.1, frequency=3``)."""
    return viewaudit.audit(row_sample(small_log(60_000, 13), 0.1, 14), sample_rate=0.1, frequency=3).to_dict()


# --- cases: policies ----------------------------------------------------------------------------------


@case
def policy_trueview() -> Any:
    """The trueview preset (30 s) on the short-video log."""
    return viewaudit.audit(scenario_log("short-video", 20_000, 2), policy="trueview").to_dict()


@case
def policy_liked_engaged() -> Any:
    """A policy with explicit interactions (``liked``) whose view is the engaged rung."""
    policy = viewaudit.Policy(
        name="liked-engaged", description="a like makes it engaged", interactions=("liked",), counts_as_view="engaged"
    )
    return viewaudit.audit(small_log(), policy=policy).to_dict()


@case
def compare_all_presets() -> Any:
    """``compare`` under every preset on the x-openai-2023 log."""
    return viewaudit.compare(scenario_log("x-openai-2023", 20_000, 1)).to_dict()


@case
def compare_kuaishou_policies() -> Any:
    """``compare`` under the short-video scenario's own policies, summary engine."""
    scenario = viewaudit.get_scenario("short-video")
    return viewaudit.compare(scenario_log("short-video", 20_000, 2), policies=scenario.policies, engine="summary").to_dict()


# --- cases: summarize / merge / estimate --------------------------------------------------------------


@case
def summarize_estimate_by_item() -> Any:
    """``estimate(summarize(log, by="item_id"))``."""
    return viewaudit.estimate(viewaudit.summarize(small_log(), by="item_id")).to_dict()


@case
def merge_halves_estimate_strata() -> Any:
    """Two halves summarized apart, merged, estimated with ``strata="surface"``."""
    log = small_log()
    half = log.num_rows // 2
    parts = [viewaudit.summarize(t, by="surface", policy="meta-3s") for t in (log.slice(0, half), log.slice(half))]
    return viewaudit.estimate(viewaudit.merge(*parts), strata="surface").to_dict()


@case
def summarize_policy_list_estimate() -> Any:
    """``summarize`` under a list of policies, each estimated with ``frequency=2``."""
    summaries = viewaudit.summarize(small_log(), policy=["platform", "mrc-video", "linkedin-mobile"])
    return [viewaudit.estimate(s, frequency=2).to_dict() for s in summaries]


# --- cases: rejects, real data, simulation truth, CLI -------------------------------------------------


@case
def rejected_rows() -> Any:
    """Negative dwell, null item_id and visible_fraction > 1: the rows accounting and the rejected rows."""
    rejects: list[pa.Table] = []
    result = viewaudit.audit(corrupted(small_log(), 17), rejects=rejects.append).to_dict()
    return {"audit": result, "rejects": pa.concat_tables(rejects).select(["_row", "_reason"]).to_pylist()}


@case
def ebnerd_behaviors() -> Any:
    """The bundled EB-NeRD sample: read_time (s) as dwell_ms, whole seconds; front-page rows (null article_id) rejected."""
    table = pq.read_table(EBNERD)
    table = table.append_column("dwell_ms", pc.multiply(table["read_time"].cast(pa.float64()), 1000.0))
    columns = {"item_id": "article_id", "viewer_id": "user_id", "ts": "impression_time"}
    return viewaudit.audit(table, columns=columns, rounding_ms=1000).to_dict()


@case
def ebnerd_behaviors_visible() -> Any:
    """The EB-NeRD sample with the front page as item 0 (null article_id filled), ``visible_fraction``
    1 (an impression taken as fully on screen) and thresholds of 4.5 s and 7.5 s, which the whole
    seconds cross: viewable and attended are resolved by the dwell model fitted to the real read times."""
    table = pq.read_table(EBNERD)
    table = table.append_column("item_id", pc.fill_null(table["article_id"], 0))
    table = table.append_column("dwell_ms", pc.multiply(table["read_time"].cast(pa.float64()), 1000.0))
    table = table.append_column("visible_fraction", pa.array(np.ones(table.num_rows)))
    columns = {"viewer_id": "user_id", "ts": "impression_time"}
    policy = viewaudit.Policy(name="ebnerd-4.5s", min_in_view_ms=4500, attention_ms=7500)
    return viewaudit.audit(table, columns=columns, rounding_ms=1000, policy=policy).to_dict()


@case
def simulation_truths() -> Any:
    """The simulator's truth (the audit of the complete log) under three presets."""
    sim = viewaudit.simulate(_small_model(), impressions=8_000, rng=18, compare=["platform", "mrc-display", "trueview"])
    return {name: truth.to_dict() for name, truth in sorted(sim.truths.items())}


def _csv(log: pa.Table, path: Path) -> Path:
    log = log.set_column(log.column_names.index("user_agent"), "user_agent", log["user_agent"].cast(pa.string()))
    pa_csv.write_csv(log, path)
    return path


@case
def cli_audit_json() -> Any:
    """``python -m viewaudit audit <csv> --json --by surface`` on the 40-item feed written as CSV, parsed."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _csv(small_log(), Path(tmp) / "log.csv")
        args = [sys.executable, "-m", "viewaudit", "audit", str(path), "--json", "--by", "surface"]
        done = subprocess.run(args, capture_output=True, text=True, check=True)
    assert done.stderr == "", done.stderr
    return json.loads(done.stdout)


# --- running and normalising --------------------------------------------------------------------------


def normalise(obj: Any) -> Any:
    """What is stored and compared: ``obj`` through JSON (tuples -> lists, numpy scalars -> Python
    numbers, keys -> str), with :data:`VOLATILE_KEYS` dropped from every dict."""
    obj = json.loads(json.dumps(obj, allow_nan=True))

    def drop(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: drop(v) for k, v in x.items() if k not in VOLATILE_KEYS}
        if isinstance(x, list):
            return [drop(v) for v in x]
        return x

    return drop(obj)


def nan_to_sentinel(obj: Any) -> Any:
    """NaN anywhere in ``obj`` replaced by :data:`NAN`, so that ``==`` can compare it."""
    if isinstance(obj, float) and math.isnan(obj):
        return NAN
    if isinstance(obj, dict):
        return {k: nan_to_sentinel(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [nan_to_sentinel(v) for v in obj]
    return obj


def run_case(name: str) -> Any:
    """Case ``name``'s normalised result, computed with warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return normalise(CASES[name]())


def dumps(obj: Any) -> str:
    """The stored form of a result."""
    return json.dumps(obj, indent=1, sort_keys=True, allow_nan=True) + "\n"


def reference_path(name: str) -> Path:
    return REFERENCE_DIR / f"{name}.json"
