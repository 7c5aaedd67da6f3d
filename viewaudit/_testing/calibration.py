"""Statistical contracts: check on simulated logs that an estimator's intervals mean what they say.

Each run draws one log from a feed model with :func:`viewaudit.simulate`, whose truth is the
exact audit of the complete log, and asks the estimator for an estimate and an interval of one
ladder figure. Over the runs, the share of intervals that cover the truth must not be
significantly below the nominal level, and the mean relative error must not be significantly
away from zero. The method and a power table are in ``docs/property-testing.md``.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import attrs
import numpy as np
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as Settings
from hypothesis import strategies as st

from viewaudit._model import FeedModel, Scenario, Simulation, get_scenario, scenarios, simulate
from viewaudit._model._simulate import as_seed
from viewaudit._policy import Policy, get_policy
from viewaudit._rungs import LEVELS
from viewaudit._testing.calibration_figures import Calibration, calibration_figures
from viewaudit._warnings import DegenerateDataWarning

FIGURES = ("impressions", "unique_viewers")
#: k+ reach is simulated up to this k (as ``audit(frequency=...)`` allows).
MAX_REACH = 9
#: Fewer runs than this cannot tell 90 % coverage from 95 % (power under 10 % at the default
#: significance; see the table in docs/property-testing.md).
MIN_RUNS = 20
#: (estimate, low, high, truth) of one target in one run.
Record = tuple[float, float, float, float]
_TARGET = re.compile(r"^(?P<level>[a-z]+)\.(?P<figure>impressions|unique_viewers|reach_(?P<k>[0-9]+))$")


def target_names() -> tuple[str, ...]:
    """The targets :func:`check_calibration` accepts: ``"<rung>.<figure>"`` for every rung and
    figure, ``<rung>.reach_<k>`` (k = 2 .. 9) included."""
    figures = (*FIGURES, *(f"reach_{k}" for k in range(2, MAX_REACH + 1)))
    return tuple(f"{level}.{figure}" for level in LEVELS for figure in figures)


def _target(value: Any) -> tuple[str, str, int]:
    """(rung, figure, k) of a target name; k is 0 except for ``reach_k``."""
    match = _TARGET.match(value) if isinstance(value, str) else None
    k = int(match["k"]) if match and match["k"] else 0
    if match is None or match["level"] not in LEVELS or (match["k"] and not 2 <= k <= MAX_REACH):
        valid = ", ".join(f"{level}.{figure}" for level in LEVELS for figure in FIGURES)
        raise ValueError(
            f"target must be '<rung>.<figure>': one of {valid}, or '<rung>.reach_<k>' with k = 2 .. {MAX_REACH}; got {value!r}"
        )
    return match["level"], match["figure"], k


@attrs.frozen
class Setup:
    """Where the logs come from: the normalised simulation arguments, enough to replay a run."""

    #: One model for every run, or one per run (drawn from a strategy).
    models: tuple[FeedModel, ...]
    label: str
    impressions: float
    policy: Policy
    frequency: int

    def simulation(self, seed: int, run: int = 0) -> Simulation:
        model = self.models[run % len(self.models)]
        return simulate(model, impressions=self.impressions, policy=self.policy, rng=seed, frequency=self.frequency or None)


def draw_feed_models(strategy: st.SearchStrategy[FeedModel], runs: int, *, rng: int = 0) -> tuple[FeedModel, ...]:
    """The feed models :func:`check_calibration` draws from a strategy: one per run, the same
    for the same ``rng`` (Hypothesis' ``@seed``, no example database), ``runs`` examples of its
    generate phase. A new Hypothesis version may draw other models."""
    drawn: list[FeedModel] = []
    settings = Settings(
        max_examples=runs,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )

    @hypothesis_seed(as_seed(rng))
    @settings
    @given(strategy)
    def collect(model: Any) -> None:
        if not isinstance(model, FeedModel):
            raise TypeError(f"scenario: the strategy must draw FeedModel objects, drew {model!r}")
        drawn.append(model)

    collect()
    return tuple(drawn)


def _models(scenario: Any, runs: int, rng: Any) -> tuple[tuple[FeedModel, ...], str]:
    """The models of the runs and the scenario's label."""
    if isinstance(scenario, st.SearchStrategy):
        return draw_feed_models(scenario, runs, rng=as_seed(rng)), "drawn feed models"
    if isinstance(scenario, str):
        if scenario not in scenarios():
            raise ValueError(f"scenario must be one of {', '.join(scenarios())}, a Scenario or a FeedModel; got {scenario!r}")
        scenario = get_scenario(scenario)
    if isinstance(scenario, Scenario):
        return (scenario.model,), scenario.name
    if isinstance(scenario, FeedModel):
        return (scenario,), "FeedModel"
    raise TypeError(f"scenario must be a scenario name, a Scenario, a FeedModel or a strategy of FeedModels, got {scenario!r}")


def _setup(
    scenario: Any,
    *,
    impressions: Any,
    policy: Any,
    sample_rate: Any,
    rounding_ms: Any,
    frequency: int,
    runs: int = 1,
    rng: Any = 0,
) -> Setup:
    models, label = _models(scenario, runs, rng)
    if isinstance(impressions, bool) or not isinstance(impressions, int | float) or not 1 <= impressions <= 10**7:
        raise ValueError(f"impressions must be a number in [1, 10**7] (expected impressions per log), got {impressions!r}")
    changes: dict[str, float] = {}
    if sample_rate is not None:
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | float) or not 0 < sample_rate <= 1:
            raise ValueError(f"sample_rate must be a share of rows in (0, 1], got {sample_rate!r}")
        changes["sampling_rate"] = float(sample_rate)
    if rounding_ms is not None:
        if isinstance(rounding_ms, bool) or not isinstance(rounding_ms, int | float) or not 0 <= rounding_ms < math.inf:
            raise ValueError(
                f"rounding_ms must be a finite number of ms >= 0 (1000 floors times to whole seconds), got {rounding_ms!r}"
            )
        changes["rounding_ms"] = float(rounding_ms)
    if changes:
        models = tuple(attrs.evolve(model, measurement=attrs.evolve(model.measurement, **changes)) for model in models)
    return Setup(models=models, label=label, impressions=float(impressions), policy=get_policy(policy), frequency=frequency)


def run_seeds(rng: Any, runs: int) -> tuple[int, ...]:
    """The seed of each run: ``SeedSequence(root).spawn(runs)``, each child made an int seed
    as :func:`viewaudit.simulate` does (``generate_state(1, uint64)[0]``)."""
    root = np.random.SeedSequence(as_seed(rng))
    return tuple(as_seed(child) for child in root.spawn(runs))


def calibration_simulation(
    seed: int,
    *,
    scenario: str | Scenario | FeedModel = "news-site",
    impressions: float = 20_000,
    policy: Policy | str = "mrc-display",
    sample_rate: float | None = None,
    rounding_ms: float | None = None,
    frequency: int | None = None,
) -> Simulation:
    """Replay one run of :func:`check_calibration`: the log its estimator saw, and the truth.

    Pass the seed its message names and the same simulation arguments; ``frequency`` is the
    k of a ``reach_k`` target.
    """
    setup = _setup(
        scenario,
        impressions=impressions,
        policy=policy,
        sample_rate=sample_rate,
        rounding_ms=rounding_ms,
        frequency=frequency or 0,
    )
    return setup.simulation(as_seed(seed))


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"the estimator must return numbers (or None where undetermined), got {value!r}")
    return float(value)


def _triple(result: Any, target: str) -> tuple[float, float, float]:
    """(estimate, low, high) of ``target`` from what the estimator returned."""
    level, figure, k = _target(target)
    if hasattr(result, "ladder"):  # an Audit
        rung = result.ladder[level]
        result = rung.reach[k - 1].viewers if k else getattr(rung, figure)
    elif isinstance(result, Mapping):
        result = result[target]
    if all(hasattr(result, name) for name in ("estimate", "low", "high")):
        values = (result.estimate, result.low, result.high)
    elif isinstance(result, Sequence) and not isinstance(result, str) and len(result) == 3:
        values = tuple(result)
    else:
        raise TypeError(
            "the estimator must return (estimate, low, high), an object with those attributes, an Audit, "
            f"or a mapping from target to one of those; got {result!r}"
        )
    return _number(values[0]), _number(values[1]), _number(values[2])


def _truth(sim: Simulation, target: str) -> float:
    level, figure, k = _target(target)
    rung = sim.truth.ladder[level]
    value = rung.reach[k - 1].viewers.estimate if k else getattr(rung, figure).estimate
    return math.nan if value is None else float(value)


def _runs(job: tuple[Callable[..., Any], Setup, tuple[str, ...], tuple[int, ...], int]) -> list[list[Record]]:
    """Records (estimate, low, high, truth) per run and target, for a block of seeds from run ``first``."""
    estimator, setup, targets, seeds, first = job
    out = []
    for run, seed in enumerate(seeds, start=first):
        sim = setup.simulation(seed, run)
        with warnings.catch_warnings():
            # Small simulated logs include rungs the log cannot determine, on which viewaudit's
            # own estimators warn; the check counts those figures as undetermined.
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                result = estimator(sim.log)
                out.append([(*_triple(result, target), _truth(sim, target)) for target in targets])
            except Exception as error:
                error.add_note(f"check_calibration: in the run with seed {seed} (replay it with calibration_simulation)")
                raise
    return out


def _init_worker() -> None:
    import pyarrow as pa

    from viewaudit._ladder import propensity

    # The pool already has a process per core: Arrow and the viewers' own chances use one each.
    pa.set_cpu_count(1)
    propensity.FIT_THREADS = 1


def _picklable(estimator: Any) -> bool:
    try:
        pickle.dumps(estimator)
    except Exception:
        return False
    return True


def _records(estimator: Any, setup: Setup, targets: tuple[str, ...], seeds: tuple[int, ...], processes: int) -> np.ndarray:
    """An array (runs, targets, 4) of estimate, low, high, truth; the same whatever ``processes``."""
    workers = min(processes, len(seeds)) if _picklable(estimator) else 1
    if workers <= 1:
        rows = _runs((estimator, setup, targets, seeds, 0))
    else:
        # Contiguous blocks of seeds, a few per worker (so a slow block does not hold the
        # others up); results come back in the order of the blocks, so in the order of runs.
        blocks = np.array_split(np.arange(len(seeds)), workers * 4)
        jobs = [(estimator, setup, targets, tuple(seeds[i] for i in block), int(block[0])) for block in blocks if block.size]
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
            rows = [row for part in pool.map(_runs, jobs) for row in part]
    return np.array(rows, dtype=float).reshape(len(seeds), len(targets), 4)


def _probability(name: str, value: Any, *, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < high:
        raise ValueError(f"{name} must be a number in (0, {high:g}), got {value!r}")
    return float(value)


def _count(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def calibrate(
    estimator: Callable[..., Any],
    *,
    targets: Collection[str] = ("viewable.impressions",),
    scenario: str | Scenario | FeedModel = "news-site",
    runs: int = 200,
    impressions: float = 20_000,
    policy: Policy | str = "mrc-display",
    confidence_level: float = 0.95,
    significance: float = 0.01,
    sample_rate: float | None = None,
    rounding_ms: float | None = None,
    rng: int | np.random.SeedSequence = 0,
    processes: int | None = None,
) -> dict[str, Calibration]:
    """The figures of :func:`check_calibration` for several targets, from one set of runs.

    The estimator is called once per log and must return an :class:`~viewaudit.Audit` or a
    mapping from target to ``(estimate, low, high)`` when there are several targets. Nothing
    is asserted: call :meth:`Calibration.check` on each result. Arguments as in
    :func:`check_calibration`.
    """
    if not callable(estimator):
        raise TypeError(f"estimator must be callable (log -> (estimate, low, high)), got {estimator!r}")
    if isinstance(targets, str) or not isinstance(targets, Collection) or not targets:
        raise TypeError(f"targets must be a non-empty collection of target names, got {targets!r}")
    parsed = [_target(t) for t in targets]
    frequency = max(k for _, _, k in parsed)
    runs = _count("runs", runs, low=1)
    if runs < MIN_RUNS:
        raise ValueError(
            f"runs must be at least {MIN_RUNS}: fewer runs detect even 90 % coverage of a 95 % interval "
            f"less than one time in ten (see the power table in docs/property-testing.md); got {runs!r}"
        )
    confidence_level = _probability("confidence_level", confidence_level)
    significance = _probability("significance", significance, high=0.5)
    if processes is None:
        processes = os.cpu_count() or 1
    processes = _count("processes", processes, low=1)
    setup = _setup(
        scenario, impressions=impressions, policy=policy, sample_rate=sample_rate, rounding_ms=rounding_ms, frequency=frequency
    )
    seeds = run_seeds(rng, runs)
    records = _records(estimator, setup, tuple(targets), seeds, processes)
    where = {"FeedModel": "<your FeedModel>", "drawn feed models": "draw_feed_models(<your strategy>, runs, rng=rng)[{run}]"}
    where_text = where.get(setup.label, repr(setup.label))
    options = "".join(
        f", {name}={value!r}"
        for name, value, default in (
            ("policy", setup.policy.name, "mrc-display"),
            ("sample_rate", sample_rate, None),
            ("rounding_ms", rounding_ms, None),
            ("frequency", frequency or None, None),
        )
        if value != default
    )
    replay = f"calibration_simulation({{seed}}, scenario={where_text}, impressions={impressions!r}{options})"
    return {
        target: calibration_figures(
            target,
            records[:, i, :],
            seeds,
            setup.label,
            confidence_level=confidence_level,
            significance=significance,
            replay=replay,
        )
        for i, target in enumerate(targets)
    }


def check_calibration(
    estimator: Callable[..., Any],
    *,
    target: str = "viewable.impressions",
    scenario: str | Scenario | FeedModel = "news-site",
    runs: int = 200,
    impressions: float = 20_000,
    policy: Policy | str = "mrc-display",
    confidence_level: float = 0.95,
    significance: float = 0.01,
    sample_rate: float | None = None,
    rounding_ms: float | None = None,
    rng: int | np.random.SeedSequence = 0,
    processes: int | None = None,
) -> Calibration:
    """Check on simulated logs that an estimator's intervals cover the truth as often as they claim.

    Parameters
    ----------
    estimator
        ``estimator(log)`` for a pyarrow Table in the canonical schema, returning
        ``(estimate, low, high)``, an object with those attributes (an
        :class:`~viewaudit.Estimate`), or an :class:`~viewaudit.Audit` (the target's figure is
        taken from its ladder). ``None`` or NaN: undetermined on that log (skipped, counted).
        It must count under ``policy`` and give intervals at ``confidence_level``.
    target
        ``"<rung>.<figure>"``: a rung of the ladder and ``impressions``, ``unique_viewers`` or
        ``reach_<k>`` (viewers with at least k impressions on the rung, k = 2 .. 9); see
        :func:`target_names`.
    scenario
        A scenario name (:func:`viewaudit.scenarios`), a :class:`~viewaudit.Scenario`, a
        :class:`~viewaudit.FeedModel`, or a Hypothesis strategy of feed models (such as
        :func:`viewaudit.strategies.feed_models`): run i then simulates the i-th model of
        :func:`draw_feed_models`. Each model is scaled to ``impressions`` expected impressions.
    runs
        Logs to simulate; at least 20. See the power table in ``docs/property-testing.md``.
    policy
        The counting policy of the truth.
    confidence_level
        The nominal coverage of the estimator's intervals.
    significance
        The level of each test: a calibrated estimator fails the coverage test, or the bias
        test, at most this often.
    sample_rate, rounding_ms
        Replace the scenario's sampling rate (rows kept, with a ``weight`` column) and rounding
        of times (1000: whole seconds) in the log the estimator sees. The truth stays that of
        the complete log.
    rng
        The root seed. Run ``i`` simulates with seed ``run_seeds(rng, runs)[i]``: the children
        of ``numpy.random.SeedSequence(rng).spawn(runs)``, each made an int.
    processes
        Worker processes (default: one per core). Results do not depend on it. An estimator
        that cannot be pickled (a lambda, a local function) runs in this process.

    Returns
    -------
    Calibration
        Coverage with its Clopper-Pearson interval, relative bias with its standard error,
        the median relative width, the worst run's seed and the call that replays it.

    Raises
    ------
    AssertionError
        When coverage is significantly below ``confidence_level`` (exact one-sided binomial
        test) or the mean relative error significantly differs from zero (two-sided t-test),
        at ``significance``; the message gives the figures above.

    Warns
    -----
    WideIntervalWarning
        When coverage of the intervals with a width is significantly above
        ``confidence_level``: they are wider than they need be.

    Notes
    -----
    The truth of each log is the exact audit of the complete log, before measurement gaps,
    censoring, rounding and sampling (:func:`viewaudit.simulate`). Running one log costs one
    simulation plus one call of the estimator: about 0.04 s to simulate 20,000 impressions
    and 0.03 s to audit them on one core of a 2-core machine (docs/property-testing.md).
    """
    calibration = calibrate(
        estimator,
        targets=(target,),
        scenario=scenario,
        runs=runs,
        impressions=impressions,
        policy=policy,
        confidence_level=confidence_level,
        significance=significance,
        sample_rate=sample_rate,
        rounding_ms=rounding_ms,
        rng=rng,
        processes=processes,
    )
    return calibration[target].check()


@attrs.frozen
class CalibrationCheck:
    """One scenario and target of one estimator, as a pytest parameter: call it to run the check."""

    scenario: str
    target: str
    estimator: Callable[..., Any]
    options: Mapping[str, Any]

    def __call__(self) -> Calibration:
        return check_calibration(self.estimator, target=self.target, scenario=self.scenario, **self.options)

    def __repr__(self) -> str:
        return f"<calibration of {self.target} on {self.scenario}>"


def parametrize_calibration(
    estimator: Callable[..., Any],
    *,
    scenarios: Sequence[str] = ("news-site",),
    targets: Sequence[str] = ("viewable.impressions",),
    expected_failures: Mapping[str, str] | None = None,
    **options: Any,
) -> Any:
    """A ``pytest.mark.parametrize`` over scenarios x targets, one test per pair.

    ::

        @parametrize_calibration(my_estimator, scenarios=["news-site"], targets=["viewable.impressions"])
        def test_my_estimator(calibration):
            calibration()

    Test ids are ``"<scenario>-<target>"``. An id listed in ``expected_failures`` (id ->
    reason) is marked ``xfail(strict=True)``. Other keyword arguments are those of
    :func:`check_calibration`; seeds are fixed (``rng=0``) unless given. Needs pytest.
    """
    import pytest

    allowed = {
        "runs",
        "impressions",
        "policy",
        "confidence_level",
        "significance",
        "sample_rate",
        "rounding_ms",
        "rng",
        "processes",
    }
    unexpected = sorted(set(options) - allowed)
    if unexpected:
        raise TypeError(f"parametrize_calibration got unexpected keyword(s) {', '.join(unexpected)}")
    if not callable(estimator):
        raise TypeError(f"estimator must be callable (log -> (estimate, low, high)), got {estimator!r}")
    for name, values in (("scenarios", scenarios), ("targets", targets)):
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise TypeError(f"{name} must be a non-empty sequence of names, got {values!r}")
    for target in targets:
        _target(target)
    for scenario in scenarios:
        if not isinstance(scenario, str):
            raise TypeError(f"scenarios must be scenario names (they are the test ids), got {scenario!r}")
        _setup(scenario, impressions=1, policy="mrc-display", sample_rate=None, rounding_ms=None, frequency=0)
    ids = [f"{scenario}-{target}" for scenario in scenarios for target in targets]
    expected = dict(expected_failures or {})
    unknown = sorted(set(expected) - set(ids))
    if unknown:
        raise ValueError(f"expected_failures names {', '.join(map(repr, unknown))}; the tests are {', '.join(ids)}")
    params = []
    for scenario in scenarios:
        for target in targets:
            test_id = f"{scenario}-{target}"
            marks = (
                [pytest.mark.xfail(reason=expected[test_id], strict=True, raises=AssertionError)] if test_id in expected else []
            )
            params.append(pytest.param(CalibrationCheck(scenario, target, estimator, options), id=test_id, marks=marks))
    return pytest.mark.parametrize("calibration", params)


__all__ = [
    "Calibration",
    "CalibrationCheck",
    "calibrate",
    "calibration_simulation",
    "check_calibration",
    "draw_feed_models",
    "parametrize_calibration",
    "run_seeds",
    "target_names",
]
