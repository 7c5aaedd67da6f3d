"""Run estimator contracts with Hypothesis: ``check_estimator`` and its pytest form."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from viewaudit._policy import Policy, get_policy
from viewaudit._rungs import LEVELS
from viewaudit._strategies._drawn_values import OPTIONAL_COLUMNS
from viewaudit._strategies._logs import column_sets, impression_logs
from viewaudit._testing._contracts import CONTRACTS, KINDS, OPTIONAL, Broken, Case, Contract, Options, Threshold
from viewaudit._warnings import DegenerateDataWarning

_DIRECTIONS = ("increasing", "decreasing")


def _default_settings() -> Settings:
    # Built per call, so that fields not set here follow the profile loaded at that time.
    return Settings(
        max_examples=100,
        derandomize=True,  # the same examples on every run: reproducible in users' CI
        database=None,
        deadline=None,  # estimators may be slow; a contract is about values, not time
        print_blob=False,
        # The message shows the minimal log; Hypothesis' "explain" phase would only add noise.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _threshold(value: Any) -> Threshold | None:
    if value is None:
        return None
    if not isinstance(value, tuple) or len(value) not in (2, 3):
        raise TypeError(
            f"threshold must be (keyword, 'increasing' | 'decreasing') or (keyword, direction, (low, high)), got {value!r}"
        )
    name, direction, *rest = value
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(f"threshold: the keyword must be a name, got {name!r}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"threshold: the direction must be 'increasing' or 'decreasing', got {direction!r}")
    if rest:
        bounds = rest[0]
        if not (isinstance(bounds, tuple) and len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds)):
            raise TypeError(f"threshold: the range must be a (low, high) pair of numbers, got {bounds!r}")
        low, high = float(bounds[0]), float(bounds[1])
    elif "fraction" in name:  # a share of pixels, like Policy.min_visible_fraction
        low, high = 0.0, 1.0
    else:  # a time in ms, like Policy.attention_ms
        low, high = 0.0, 1e6
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
        raise ValueError(f"threshold: the range must satisfy 0 <= low <= high (finite), got ({low!r}, {high!r})")
    columns = ("visible_fraction",) if "fraction" in name else ("dwell_ms", "in_view_ms")
    return Threshold(name, direction, low, high, columns)


def _options(
    estimator: Any,
    *,
    kind: Any,
    logs: Any,
    threshold: Any,
    at_most: Any,
    policy: Any,
    allow_nan: Any,
    rtol: Any,
    atol: Any,
) -> Options:
    """Check and normalise the arguments; every contract body can then trust them."""
    if not callable(estimator):
        raise TypeError(f"estimator must be callable (log -> float), got {estimator!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    if logs is None:
        # Unsampled logs: "at most the number of rows" is a law of counts of a complete log,
        # and a Horvitz-Thompson count of a sample is allowed to exceed it.
        logs = impression_logs(columns=column_sets(optional=[c for c in OPTIONAL_COLUMNS if c != "weight"]))
    elif not isinstance(logs, st.SearchStrategy):
        raise TypeError(f"logs must be a hypothesis strategy of pyarrow Tables, got {logs!r}")
    if at_most is not None:
        if kind == "rate":
            raise ValueError("at_most bounds counts and unique viewers, not rates (kind='rate')")
        if at_most not in LEVELS:
            raise ValueError(f"at_most must be a rung, one of {', '.join(LEVELS)}; got {at_most!r}")
    if not isinstance(allow_nan, bool):
        raise TypeError(f"allow_nan must be True or False, got {allow_nan!r}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < math.inf:
            raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")
    return Options(
        kind=kind,
        logs=logs,
        threshold=_threshold(threshold),
        at_most=at_most,
        policy=get_policy(policy),
        allow_nan=allow_nan,
        rtol=float(rtol),
        atol=float(atol),
    )


def contract_names(*, kind: str, threshold: Any = None, at_most: str | None = None) -> tuple[str, ...]:
    """The contracts an estimator of this ``kind`` (and these options) must satisfy, in the
    order :func:`check_estimator` runs them."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    given_options = {"threshold": threshold is not None, "at_most": at_most is not None}
    return tuple(
        c.name for c in CONTRACTS.values() if kind in c.kinds and (c.name not in OPTIONAL or given_options[OPTIONAL[c.name]])
    )


def _chosen(contracts: Any, applicable: tuple[str, ...]) -> tuple[str, ...]:
    """The requested contracts, in run order; all that apply when none are named."""
    if contracts is None:
        return applicable
    if isinstance(contracts, str) or not isinstance(contracts, Collection):
        raise TypeError(f"contracts must be a collection of contract names, got {contracts!r}")
    unknown = [c for c in contracts if c not in applicable]
    if unknown:
        raise ValueError(
            f"contracts: {', '.join(map(repr, unknown))} do not apply to this estimator; expected some of {', '.join(applicable)}"
        )
    return tuple(c for c in applicable if c in set(contracts))


def _name_of(estimator: Any) -> str:
    name = getattr(estimator, "__qualname__", None) or getattr(getattr(estimator, "func", None), "__qualname__", None)
    return name if isinstance(name, str) else type(estimator).__name__


def _run(contract: Contract, estimator: Callable[..., Any], options: Options, settings: Settings) -> None:
    def check(case: Case) -> None:
        with warnings.catch_warnings():
            # Drawn logs include ones whose rows are all undetermined: a legal log on which
            # viewaudit's own estimators warn that their estimate is uninformative.
            warnings.simplefilter("ignore", DegenerateDataWarning)
            try:
                contract.check(estimator, case, options)
            except Broken as broken:
                raise AssertionError(
                    f"contract {contract.name!r} broken by {_name_of(estimator)} ({options.kind} estimator: "
                    f"{contract.statement}):\n{broken}\nminimal falsifying example:\n{case.describe()}"
                ) from broken.__cause__

    settings(given(case=contract.cases(options))(check))()


def check_estimator(
    estimator: Callable[..., Any],
    *,
    kind: str,
    logs: st.SearchStrategy[Any] | None = None,
    threshold: tuple[Any, ...] | None = None,
    at_most: str | None = None,
    policy: Policy | str = "mrc-display",
    contracts: Collection[str] | None = None,
    allow_nan: bool = False,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    settings: Settings | None = None,
) -> None:
    """Check that an estimator obeys the laws of its kind on generated impression logs.

    Parameters
    ----------
    estimator
        ``estimator(log) -> float`` for a pyarrow Table in the canonical schema. With
        ``threshold``, it must also accept the threshold as a keyword argument.
    kind
        ``"count"``: non-negative, at most the number of rows, row-order invariant, additive
        over disjoint logs, doubled when every row is duplicated. ``"unique"``: non-negative,
        row-order invariant, unchanged when rows are duplicated, and the estimate of a union at
        least the larger and at most the sum of its parts'. ``"rate"``: in [0, 1], row-order
        invariant, unchanged when every row is duplicated.
    logs
        Strategy of logs to check on (default: :func:`viewaudit.strategies.impression_logs`
        without ``weight``, i.e. complete, unsampled logs with every other column optional).
    threshold
        ``(keyword, "increasing" | "decreasing")``, optionally with a ``(low, high)`` range:
        adds the ``threshold_monotone`` contract, ``estimator(log, keyword=t2)`` vs ``t1`` for
        ``t1 <= t2`` drawn from the range (default [0, 1] for a keyword containing "fraction",
        else [0, 10⁶] ms), often at values the log holds.
    at_most, policy
        A rung: adds the ``ladder_bound`` contract, the estimate never exceeds the rows (or the
        distinct viewers, for ``kind="unique"``) that are or may be on that rung under
        ``policy`` (a :class:`~viewaudit.Policy` or preset name), by the reference rules.
    contracts
        Names of the contracts to run (default: all that apply, see :func:`contract_names`).
    allow_nan
        Accept NaN as "cannot be determined": NaN must stay NaN under reordering and
        duplication, and is exempt from bounds, additivity, union and monotonicity.
    rtol, atol
        Tolerance of every comparison: ``|x - y| <= atol + rtol * max(|x|, |y|)``.
    settings
        Hypothesis settings. Default: 100 examples per contract, ``derandomize=True`` (the same
        examples every run), no deadline, no example database.

    Raises
    ------
    AssertionError
        Naming the first broken contract and showing the minimal falsifying log(s) that
        Hypothesis shrank the failure to, as small tables. A crash of the estimator, a
        non-number, infinity or (without ``allow_nan``) NaN break the contract being run.
    """
    options = _options(
        estimator,
        kind=kind,
        logs=logs,
        threshold=threshold,
        at_most=at_most,
        policy=policy,
        allow_nan=allow_nan,
        rtol=rtol,
        atol=atol,
    )
    chosen = _chosen(contracts, contract_names(kind=kind, threshold=threshold, at_most=at_most))
    if settings is None:
        run_settings = _default_settings()
    elif isinstance(settings, Settings):
        # One failure per contract: the message describes the minimal example of that failure.
        run_settings = Settings(settings, report_multiple_bugs=False)
    else:
        raise TypeError(f"settings must be a hypothesis.settings object, got {settings!r}")
    for name in chosen:
        _run(CONTRACTS[name], estimator, options, run_settings)


@attrs.frozen
class ContractCheck:
    """One contract of one estimator, as a pytest parameter: call it to run the check."""

    name: str
    estimator: Callable[..., Any]
    options: Mapping[str, Any]

    def __call__(self) -> None:
        check_estimator(self.estimator, contracts=(self.name,), **self.options)

    def __repr__(self) -> str:
        return f"<contract {self.name!r} of {_name_of(self.estimator)}>"


def parametrize_with_contracts(
    estimator: Callable[..., Any],
    *,
    kind: str,
    contracts: Collection[str] | None = None,
    expected_failures: Mapping[str, str] | None = None,
    name: str | None = None,
    **options: Any,
) -> Any:
    """A ``pytest.mark.parametrize`` over the contracts of ``estimator``, one test per contract.

    ::

        @parametrize_with_contracts(my_estimator, kind="count", expected_failures={"additive": "why"})
        def test_my_estimator(contract):
            contract()

    One test per contract that applies (or per name in ``contracts``); test ids are the
    contract names, prefixed by ``name`` if given. A contract listed in
    ``expected_failures`` (name -> reason) is marked ``xfail(strict=True)``: the test fails if
    the contract unexpectedly holds. Other keyword arguments are those of
    :func:`check_estimator`. Needs pytest (imported here, not by ``viewaudit.testing``).
    """
    import pytest

    defaults: dict[str, Any] = {"logs": None, "threshold": None, "at_most": None, "policy": "mrc-display"}
    defaults |= {"allow_nan": False, "rtol": 1e-9, "atol": 1e-9}
    unexpected = sorted(set(options) - {*defaults, "settings"})
    if unexpected:
        raise TypeError(f"parametrize_with_contracts got unexpected keyword(s) {', '.join(unexpected)}")
    if not isinstance(options.get("settings", Settings()), Settings):
        raise TypeError(f"settings must be a hypothesis.settings object, got {options['settings']!r}")
    # Check the options now, at collection, rather than once per test.
    _options(estimator, kind=kind, **{k: options.get(k, d) for k, d in defaults.items()})
    applicable = _chosen(contracts, contract_names(kind=kind, threshold=options.get("threshold"), at_most=options.get("at_most")))
    expected = dict(expected_failures or {})
    unknown = sorted(set(expected) - set(applicable))
    if unknown:
        raise ValueError(
            f"expected_failures names {', '.join(map(repr, unknown))}, which do not apply; "
            f"the contracts are {', '.join(applicable)}"
        )
    for contract, reason in expected.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"expected_failures[{contract!r}] must be a reason (non-empty str), got {reason!r}")
    params = []
    for contract in applicable:
        marks = [pytest.mark.xfail(reason=expected[contract], strict=True, raises=AssertionError)] if contract in expected else []
        check = ContractCheck(contract, estimator, {"kind": kind, **options})
        params.append(pytest.param(check, id=f"{name}-{contract}" if name else contract, marks=marks))
    return pytest.mark.parametrize("contract", params)
