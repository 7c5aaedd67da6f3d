"""The feed model the simulation tests share (``tests/model/test_simulate.py`` and
``tests/statistical/test_model_simulate.py``)."""

from __future__ import annotations

import viewaudit as va

MODEL = va.FeedModel(
    viewers=3_000,
    exposure=va.Exposure(mean=2.0, shape=0.5),
    bots=va.Bots(share=0.2, activity=3.0),
    self_view_share=0.02,
    items=12,
    item_popularity=0.8,
    interactions=(
        va.Interaction(column="liked", attended=0.05, not_attended=0.005),
        va.Interaction(column="clicked", attended=0.1, not_attended=0.02, attention_s=1.0),
    ),
)
