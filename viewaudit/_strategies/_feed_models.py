"""Feed models: valid parameter sets of :class:`viewaudit.FeedModel`.

The feed model is imported when a strategy is first drawn, not when ``viewaudit.strategies`` is
imported, so the log, policy and summary strategies keep working in a tree whose model is
absent or broken; drawing a feed model there raises one clear ``ImportError``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from viewaudit._schema import DEFAULT_INTERACTIONS
from viewaudit._strategies._policies import as_strategy


def _model() -> Any:
    try:
        from viewaudit import _model
    except ImportError as err:  # pragma: no cover - depends on the tree
        raise ImportError(f"feed_models() needs viewaudit.FeedModel (viewaudit._model), which cannot be imported: {err}") from err
    return _model


def measurements() -> st.SearchStrategy[Any]:
    """What a log keeps of the feed (a feed model's ``Measurement``): the complete log (shrink
    target) or measurement gaps, censoring, whole-second rounding and sampling."""

    def build() -> st.SearchStrategy[Any]:
        m = _model()
        return st.one_of(
            st.builds(m.Measurement),
            st.builds(
                m.Measurement,
                measurable=st.floats(0.0, 1.0),
                censoring_mean_s=st.one_of(st.none(), st.floats(0.5, 600.0)),
                rounding_ms=st.sampled_from((0.0, 1.0, 100.0, 1000.0)),
                sampling_rate=st.one_of(st.just(1.0), st.floats(0.01, 1.0)),
            ),
        )

    return st.deferred(build)


def feed_models(*, max_viewers: int = 1_000, measurements: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    """Valid :class:`viewaudit.FeedModel` objects with at most ``max_viewers`` accounts.

    Every parameter is drawn over a range where simulation stays fast: exposure means up to
    20 impressions per person and Gamma shapes from heavy-tailed (0.1) to near Poisson (100);
    glance and read components of both families; bot shares from none to all, flagged or
    declared or neither; self-views; one to five items with any popularity skew; zero to three
    interaction columns. ``measurements`` (default :func:`measurements`) says what the log
    keeps; pass ``st.just(Measurement())`` for complete logs.
    """

    def build() -> st.SearchStrategy[Any]:
        if isinstance(max_viewers, bool) or not isinstance(max_viewers, int) or max_viewers < 1:
            raise InvalidArgument(f"max_viewers must be an integer >= 1, got {max_viewers!r}")
        kept = _measurements() if measurements is None else as_strategy(measurements, "measurements")
        m = _model()
        components = st.one_of(
            st.builds(m.Weibull, scale_s=st.floats(0.05, 120.0), shape=st.floats(0.2, 5.0)),
            st.builds(m.LogNormal, median_s=st.floats(0.05, 120.0), sigma=st.floats(0.05, 3.0)),
        )
        probabilities = st.floats(0.0, 1.0)
        interactions = st.lists(st.sampled_from(DEFAULT_INTERACTIONS), unique=True, max_size=3).flatmap(
            lambda names: st.tuples(
                *(
                    st.builds(
                        m.Interaction,
                        column=st.just(name),
                        attended=probabilities,
                        not_attended=probabilities,
                        attention_s=st.floats(0.0, 10.0),
                    )
                    for name in names
                )
            )
        )
        return st.builds(
            m.FeedModel,
            viewers=st.integers(1, max_viewers),
            exposure=st.builds(m.Exposure, mean=st.floats(0.05, 20.0), shape=st.floats(0.1, 100.0)),
            dwell=st.builds(m.DwellMixture, zero=probabilities, glance_weight=probabilities, glance=components, read=components),
            visibility=st.builds(
                m.Visibility, alpha=st.floats(0.1, 10.0), beta=st.floats(0.1, 10.0), in_view_share=st.floats(0.01, 1.0)
            ),
            interactions=interactions,
            bots=st.builds(
                m.Bots,
                share=probabilities,
                activity=st.floats(0.1, 100.0),
                flagged=probabilities,
                with_user_agent=probabilities,
                dwell=components,
            ),
            self_view_share=st.floats(0.0, 0.9),
            items=st.integers(1, 5),
            item_popularity=st.floats(0.0, 2.0),
            measurement=kept,
        )

    return st.deferred(build)


_measurements = measurements
