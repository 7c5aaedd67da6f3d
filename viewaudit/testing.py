"""Contracts for estimators of impression logs: check that yours obeys the laws of its kind.

An estimator maps an impression log (a pyarrow Table in the canonical schema) to a number; its
kind (``"count"``, ``"unique"`` or ``"rate"``) says which laws it must obey on every log
(row-order invariance, additivity, duplicated rows, union bounds, ranges), optionally with
monotonicity in a threshold and a bound by a rung of the view ladder. Hypothesis draws the logs
(:mod:`viewaudit.strategies`) and shrinks a failure to a minimal log. See
``docs/property-testing.md``.

pytest is not needed by this module; :func:`parametrize_with_contracts` imports it when called.
"""

from viewaudit._testing._runner import ContractCheck, check_estimator, contract_names, parametrize_with_contracts

__all__ = ["ContractCheck", "check_estimator", "contract_names", "parametrize_with_contracts"]
