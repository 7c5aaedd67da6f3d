"""Tests of viewaudit.testing: every contract catches an estimator built to break it, names
itself and shows the minimal log; correct estimators pass; the pytest form; bad arguments."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, Phase, settings

from viewaudit._testing._tables import format_log
from viewaudit.strategies import impression_logs
from viewaudit.testing import check_estimator, contract_names, parametrize_with_contracts

FAST = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Finding a failure, not shrinking it: a contract is broken as soon as one log breaks it
#: (shrinking is tested once, in test_failures_shrink_to_a_minimal_log).
FIND = settings(FAST, max_examples=150, phases=[Phase.generate])
#: Correct estimators, over fewer logs (nothing to shrink when every contract holds); also
#: the pytest form's expected failures, which break on the first logs drawn.
PASS = settings(FAST, max_examples=15, phases=[Phase.generate])
SMALL = impression_logs(max_size=60)


def rows(log: pa.Table) -> float:
    return float(log.num_rows)


def distinct(log: pa.Table, column: str) -> float:
    """Distinct non-null values of a column (0 where the log has no such column)."""
    if column not in log.column_names:
        return 0.0
    return float(pc.count_distinct(log[column], mode="only_valid").as_py())


def viewers(log: pa.Table) -> float:
    return distinct(log, "viewer_id")


def bot_share(log: pa.Table) -> float:
    if "is_bot" not in log.column_names or log.num_rows == 0:
        return 0.0
    return float(pc.sum(log["is_bot"]).as_py() or 0) / log.num_rows


def long_dwells(log: pa.Table, *, attention_ms: float = 2000.0) -> float:
    """Rows with dwell_ms >= attention_ms: falls as the threshold rises."""
    if "dwell_ms" not in log.column_names:
        return 0.0
    return float(pc.sum(pc.greater_equal(log["dwell_ms"], attention_ms)).as_py() or 0)


def short_dwells(log: pa.Table, *, attention_ms: float = 2000.0) -> float:
    """Rows with dwell_ms < attention_ms: rises with the threshold."""
    if "dwell_ms" not in log.column_names:
        return 0.0
    return float(pc.sum(pc.less(log["dwell_ms"], attention_ms)).as_py() or 0)


def first_item_rows(log: pa.Table) -> float:
    """Rows sharing the first row's item: depends on which row comes first."""
    if log.num_rows == 0:
        return 0.0
    return float(pc.sum(pc.equal(log["item_id"], log["item_id"][0])).as_py())


def first_two_viewers(log: pa.Table) -> float:
    return viewers(log.slice(0, 2))


def first_row_is_bot(log: pa.Table) -> float:
    if log.num_rows == 0 or "is_bot" not in log.column_names:
        return 0.0
    return float(log["is_bot"][0].as_py())


# (kind, contract, estimator built to break it, options): one row per contract.
BROKEN: list[tuple[str, str, Callable[..., float], dict[str, object]]] = [
    ("count", "non_negative", lambda log: rows(log) - 1, {}),
    ("count", "at_most_rows", lambda log: rows(log) + 1, {}),
    ("count", "row_order", first_item_rows, {}),
    ("count", "duplicated_rows", lambda log: distinct(log, "item_id"), {}),
    ("count", "additive", lambda log: min(rows(log), 3.0), {}),
    ("count", "threshold_monotone", short_dwells, {"threshold": ("attention_ms", "decreasing")}),
    ("count", "ladder_bound", rows, {"at_most": "valid"}),
    ("unique", "non_negative", lambda log: viewers(log) - 1, {}),
    ("unique", "row_order", first_two_viewers, {}),
    (
        "unique",
        "duplicated_rows",
        lambda log: rows(log) - (log["viewer_id"].null_count if "viewer_id" in log.column_names else 0),
        {},
    ),
    ("unique", "union_bounds", lambda log: viewers(log) / max(log.num_rows, 1), {}),
    ("unique", "threshold_monotone", long_dwells, {"threshold": ("attention_ms", "increasing")}),
    ("unique", "ladder_bound", viewers, {"at_most": "engaged"}),
    ("rate", "in_unit_interval", lambda log: 2 * bot_share(log), {}),
    ("rate", "row_order", first_row_is_bot, {}),
    ("rate", "duplicated_rows", lambda log: 1 / (1 + log.num_rows), {}),
    (
        "rate",
        "threshold_monotone",
        lambda log, attention_ms=0.0: min(attention_ms / 1e3, 1.0),
        {"threshold": ("attention_ms", "decreasing")},
    ),
]


def test_every_contract_has_a_broken_estimator() -> None:
    """The table below covers every contract of every kind."""
    covered = {(kind, contract) for kind, contract, _, _ in BROKEN}
    everything = {
        (kind, c)
        for kind in ("count", "unique", "rate")
        for c in contract_names(kind=kind, threshold=("t", "increasing"), at_most=None if kind == "rate" else "valid")
    }
    assert covered == everything


@pytest.mark.parametrize(("kind", "contract", "estimator", "options"), BROKEN, ids=[f"{k}-{c}" for k, c, _, _ in BROKEN])
def test_each_contract_catches_its_broken_estimator(
    kind: str, contract: str, estimator: Callable[..., float], options: dict[str, object]
) -> None:
    """The contract fails with an AssertionError naming it and showing the falsifying log."""
    with pytest.raises(AssertionError, match=f"contract '{contract}' broken") as caught:
        check_estimator(estimator, kind=kind, contracts=[contract], settings=FIND, logs=SMALL, **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "minimal falsifying example" in message
    assert "item_id" in message  # the log, as a table


@pytest.mark.parametrize(
    ("kind", "estimator", "options"),
    [
        ("count", rows, {"at_most": "rendered"}),
        ("count", long_dwells, {"threshold": ("attention_ms", "decreasing")}),
        ("unique", viewers, {"at_most": "rendered"}),
        ("rate", bot_share, {}),
    ],
    ids=["rows", "long-dwells", "distinct-viewers", "bot-share"],
)
def test_correct_estimators_pass(kind: str, estimator: Callable[..., float], options: dict[str, object]) -> None:
    """Estimators that obey the laws of their kind pass every contract that applies."""
    check_estimator(estimator, kind=kind, settings=PASS, logs=SMALL, **options)  # type: ignore[arg-type]


def test_failures_shrink_to_a_minimal_log() -> None:
    """The message shows the log Hypothesis shrank the failure to: one row, every value 0.
    (Shrinking of columns is shown by the documentation's example, tested on its own.)"""
    with pytest.raises(AssertionError) as caught:
        check_estimator(
            lambda log: distinct(log, "item_id"),
            kind="count",
            contracts=["duplicated_rows"],
            settings=FAST,
            logs=impression_logs(columns=["viewer_id"], max_size=20),
        )
    assert str(caught.value).endswith("log: 1 row:\n  item_id  viewer_id\n  0        0")
    assert "f(log) = 1.0, so f(every row twice) should be 2.0, but it is 1.0" in str(caught.value)


def test_a_crash_breaks_the_contract_and_keeps_its_cause() -> None:
    """An estimator that raises breaks the contract; the original exception is the cause."""

    def crashes(log: pa.Table) -> float:
        if log.num_rows > 1:
            raise ZeroDivisionError("boom")
        return 0.0

    with pytest.raises(AssertionError, match="raised ZeroDivisionError: boom") as caught:
        check_estimator(crashes, kind="count", contracts=["row_order"], settings=FIND)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize(
    ("returned", "match"),
    [(math.nan, "returned NaN"), (math.inf, "returned inf"), (None, "not a real number"), ("1", "not a real number")],
)
def test_non_numbers_break_contracts(returned: object, match: str) -> None:
    """NaN (unless allowed), infinity and non-numbers break the contract being run."""
    with pytest.raises(AssertionError, match=match):
        check_estimator(lambda log: returned, kind="rate", contracts=["row_order"], settings=FIND)  # type: ignore[arg-type,return-value]


def test_allow_nan_accepts_nan_as_undetermined() -> None:
    """With allow_nan, an estimator that cannot determine anything (NaN) passes, and one that
    turns NaN into a number when rows are duplicated does not."""
    check_estimator(lambda log: math.nan, kind="count", allow_nan=True, settings=PASS)

    def flips(log: pa.Table) -> float:
        return 0.0 if log.num_rows % 2 == 0 else math.nan

    with pytest.raises(AssertionError, match="duplicated_rows"):
        check_estimator(flips, kind="rate", contracts=["duplicated_rows"], allow_nan=True, settings=FIND)


@parametrize_with_contracts(rows, kind="count", settings=PASS, logs=SMALL)
def test_pytest_form_passes(contract: Callable[[], None]) -> None:
    """The pytest form runs one test per contract of a correct estimator."""
    contract()


def fewer_rows(log: pa.Table) -> float:
    """One less than the rows: negative on the empty log, not additive, not doubled."""
    return float(log.num_rows - 1)


@parametrize_with_contracts(
    fewer_rows,
    kind="count",
    settings=PASS,
    logs=SMALL,
    expected_failures={
        "non_negative": "-1 on the empty log",
        "additive": "loses one row per part",
        "duplicated_rows": "loses one row, not two",
    },
)
def test_pytest_form_expected_failures(contract: Callable[[], None]) -> None:
    """Expected failures are strict xfails; the other contracts pass."""
    contract()


def test_pytest_form_ids_and_marks() -> None:
    """Test ids are the contract names (after the name prefix); expected failures are strict
    xfails that expect an AssertionError with the given reason."""
    mark = parametrize_with_contracts(rows, kind="count", name="rows", expected_failures={"additive": "why"})
    argname, params = mark.args
    assert argname == "contract"
    assert [p.id for p in params] == [f"rows-{c}" for c in contract_names(kind="count")]
    (xfail,) = next(p for p in params if p.id == "rows-additive").marks
    assert xfail.name == "xfail"
    assert xfail.kwargs == {"reason": "why", "strict": True, "raises": AssertionError}
    assert all(not p.marks for p in params if p.id != "rows-additive")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "median"}, ValueError, "kind must be one of"),
        ({"kind": "count", "logs": [1]}, TypeError, "logs must be a hypothesis strategy"),
        ({"kind": "count", "threshold": "attention_ms"}, TypeError, "threshold must be"),
        ({"kind": "count", "threshold": ("attention_ms", "up")}, ValueError, "direction"),
        ({"kind": "count", "threshold": ("attention ms", "increasing")}, TypeError, "keyword must be a name"),
        ({"kind": "count", "threshold": ("t", "increasing", (5, 1))}, ValueError, "low <= high"),
        ({"kind": "rate", "at_most": "valid"}, ValueError, "not rates"),
        ({"kind": "count", "at_most": "seen"}, ValueError, "at_most must be a rung"),
        ({"kind": "count", "policy": "no-such-policy"}, ValueError, "unknown policy"),
        ({"kind": "count", "contracts": ["union_bounds"]}, ValueError, "do not apply"),
        ({"kind": "count", "contracts": "additive"}, TypeError, "collection of contract names"),
        ({"kind": "count", "allow_nan": 1}, TypeError, "allow_nan"),
        ({"kind": "count", "rtol": -1.0}, ValueError, "rtol"),
        ({"kind": "count", "settings": {"max_examples": 5}}, TypeError, "settings must be"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    """Bad arguments raise before any example is drawn, naming the argument."""
    with pytest.raises(error, match=match):
        check_estimator(rows, **kwargs)  # type: ignore[arg-type]


def test_bad_estimator_and_expected_failures() -> None:
    """A non-callable estimator and unknown or empty expected failures are rejected."""
    with pytest.raises(TypeError, match="estimator must be callable"):
        check_estimator(3, kind="count")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="do not apply"):
        parametrize_with_contracts(rows, kind="count", expected_failures={"union_bounds": "why"})
    with pytest.raises(ValueError, match="must be a reason"):
        parametrize_with_contracts(rows, kind="count", expected_failures={"additive": " "})
    with pytest.raises(TypeError, match="unexpected keyword"):
        parametrize_with_contracts(rows, kind="count", max_examples=5)


def test_pytest_is_not_a_runtime_dependency() -> None:
    """Importing viewaudit.testing (and checking an estimator) does not import pytest."""
    code = (
        "import sys\n"
        "from viewaudit.testing import check_estimator\n"
        "from hypothesis import settings\n"
        "check_estimator(lambda log: float(log.num_rows), kind='count', settings=settings(max_examples=3))\n"
        "assert 'pytest' not in sys.modules, 'pytest was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_format_log_shows_runs_nulls_and_text() -> None:
    """Runs of identical rows are shown once with a count; nulls and text ids are explicit."""
    log = pa.table({"item_id": ["a", "a", "a", ""], "dwell_ms": [1.5, 1.5, 1.5, None]})
    assert format_log(log) == (
        "4 rows (2 runs of identical rows):\n  n  item_id  dwell_ms\n  3  'a'      1.5\n  1  ''       null"
    )
    assert format_log(log.slice(0, 0)) == "0 rows; columns: item_id, dwell_ms"
