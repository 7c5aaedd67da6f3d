"""Helpers shared by a fast test module and its statistical twin in ``tests/statistical/``.

One module per topic, named after the fast test module (``helpers.propensity`` serves
``tests/ladder/test_propensity.py`` and ``tests/statistical/test_ladder_propensity.py``).
``tests/`` is on ``sys.path`` because ``tests/conftest.py`` is imported in pytest's default
``prepend`` import mode, so ``from helpers.propensity import population`` works from any folder.
"""
