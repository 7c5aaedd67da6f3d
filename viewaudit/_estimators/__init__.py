"""Estimators that work on summaries (histograms, frequency tables, weight sums), never on rows.

One concept per module: :mod:`.histogram` (the mergeable dwell histogram), :mod:`.dwell` (the
censored glance/read mixture fitted to it), :mod:`.unseen` (unique viewers of a sampled log from
its frequency-of-frequency table), :mod:`.gamma_poisson` (the negative-binomial exposure model),
:mod:`.poisson_lognormal` (the Poisson-log-normal one: its likelihood set is part of the
default's interval, and ``unique_viewers(method="model-average")`` averages the two),
:mod:`.gamma_poisson_mixture` (two classes of Gamma-Poisson exposure, tested against one: the
default's estimate, and part of its interval, where the data reject one class), :mod:`.sampling`
(Horvitz-Thompson totals) and :mod:`.bootstrap` (the viewer-clustered bootstrap). The public
names are re-exported by :mod:`viewaudit.estimators`.
"""
