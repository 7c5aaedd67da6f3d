"""Shared test configuration: hypothesis profiles.

The default is the ``ci`` profile (derandomized: the same examples every run, so CI and the
README's test command are reproducible whether or not the runner sets ``CI``). Explore with
``HYPOTHESIS_PROFILE=dev pytest`` (random examples) or ``HYPOTHESIS_PROFILE=explore pytest`` and
keep every failure found as an explicit ``@example``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
