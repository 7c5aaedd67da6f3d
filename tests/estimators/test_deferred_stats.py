"""scipy.stats is imported on first use, and the constants written out in its place are its values."""

from __future__ import annotations

import subprocess
import sys

from scipy import stats

from viewaudit._estimators import unseen
from viewaudit._estimators._deferred import stats as deferred_stats


def test_the_written_out_critical_values_are_scipys() -> None:
    """The chi-squared points written as literals equal scipy's, to the last bit."""
    assert float(stats.chi2.ppf(0.95, 3)) == unseen.MIXTURE_TEST_CRITICAL
    assert float(stats.chi2.ppf(0.99, 2)) == unseen.LOW_COUNTS_CRITICAL


def test_the_deferred_module_is_scipy_stats() -> None:
    """An attribute of the deferred module is scipy.stats' own."""
    assert deferred_stats.norm is stats.norm


def test_loading_the_audit_does_not_import_scipy_stats() -> None:
    """`from viewaudit import audit` leaves scipy.stats unimported until an estimator needs it."""
    code = "import sys\nfrom viewaudit import audit\nprint('scipy.stats' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
