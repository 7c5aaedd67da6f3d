"""Contracts for estimators of impression logs: check that yours obeys the laws of its kind.

An estimator maps an impression log (a pyarrow Table in the canonical schema) to a number; its
kind (``"count"``, ``"unique"`` or ``"rate"``) says which laws it must obey on every log
(row-order invariance, additivity, duplicated rows, union bounds, ranges), optionally with
monotonicity in a threshold and a bound by a rung of the view ladder. Hypothesis draws the logs
(:mod:`viewaudit.strategies`) and shrinks a failure to a minimal log. See
``docs/property-testing.md``.

:func:`check_calibration` checks an estimator's intervals statistically: on logs simulated from
a feed model, they must cover the truth as often as their confidence level says, and the
estimates must not be biased.

pytest is not needed by this module; :func:`parametrize_with_contracts` and
:func:`parametrize_calibration` import it when called.
"""

from viewaudit._testing._runner import ContractCheck, check_estimator, contract_names, parametrize_with_contracts
from viewaudit._testing.calibration import (
    Calibration,
    CalibrationCheck,
    calibrate,
    calibration_simulation,
    check_calibration,
    draw_feed_models,
    parametrize_calibration,
    run_seeds,
    target_names,
)
from viewaudit._warnings import WideIntervalWarning

__all__ = [
    "Calibration",
    "CalibrationCheck",
    "ContractCheck",
    "WideIntervalWarning",
    "calibrate",
    "calibration_simulation",
    "check_calibration",
    "check_estimator",
    "contract_names",
    "draw_feed_models",
    "parametrize_calibration",
    "parametrize_with_contracts",
    "run_seeds",
    "target_names",
]
