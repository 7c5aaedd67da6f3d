"""The complete log's viewer figures from a sample, with its undetermined rows imputed.

A sampled log's unique viewers and k+ reach come from the sample's per-viewer counts
(:mod:`viewaudit._ladder.sampled_viewers`, :mod:`viewaudit._ladder.reach`); where some of those
counts hide in undetermined rows, they are drawn several times and the draws combined by Rubin's
rules (:func:`imputed_figures`).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from viewaudit._estimators._deferred import stats
from viewaudit._estimators.flagged_class import viewers_with_flagged_class
from viewaudit._estimators.intervals import _z
from viewaudit._estimators.unseen import frequency_counts
from viewaudit._ladder.group_draws import uniforms_by_place
from viewaudit._ladder.reach import sampled_k_plus_reach
from viewaudit._ladder.sampled_viewers import complete_log_viewers
from viewaudit._rungs import ESTIMATED_LEVELS
from viewaudit._scan.statistics import LadderStatistics
from viewaudit._warnings import DegenerateDataWarning

#: (estimate, low, high) per group.
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]
#: A viewer figure of the complete log from the sample's per-viewer counts on a rung and their
#: groups (for the imputation, :func:`imputed_figures`).
Figure = Callable[[np.ndarray, np.ndarray], Triple]

#: Imputations of a sampled log's undetermined rows (multiple imputation, Rubin 1987), seeded so
#: that an audit's figures are the same on every run. Each costs one fit of the complete log's
#: viewers, and for a whole log that fit (the Gamma-Poisson and Poisson-log-normal models, and
#: two Gamma-Poisson classes) takes 0.1 to 1 s: 5 draws, Rubin's own advice, the imputation
#: noise then adding a fifth of the between-draw variance; the chance interval's ends reuse the
#: first draw's uniforms.
IMPUTATIONS = 5
_END_IMPUTATIONS = 1
IMPUTATION_SEED = 20231118


def complete_log_figures(
    stats: LadderStatistics,
    level: str,
    chance: Triple,
    ks: range,
    confidence_level: float,
) -> tuple[Triple, list[Triple]]:
    """Unique viewers of the complete log on a rung and, for k in ``ks``, its k+ reach (one group).

    From the sampled log's per-viewer counts on the rung
    (:func:`~viewaudit._ladder.sampled_viewers.complete_log_viewers`,
    :func:`~viewaudit._ladder.reach.sampled_k_plus_reach`). Where some of them hide in undetermined
    rows they are imputed (:func:`imputed_figures`, from ``stats.viewer_rows``) with each
    undetermined row's ``chance`` (per group: estimate, low, high) of being on the rung, the same
    draws serving every figure.
    """
    assert stats.sample_rate is not None
    assert stats.viewer_counts is not None
    sample_rate, n_groups = stats.sample_rate, stats.n_groups
    one_class = viewers_figure(n_groups, sample_rate, confidence_level)
    invalid_only = _invalid_only_pairs(stats)
    # The valid rung and those below it: for the whole log, the accounts with no valid impression
    # (those the rules caught) describe a second class, the invalid accounts no rule caught
    # (viewaudit._estimators.flagged_class); per group, the groups' own fits (a group's few
    # caught accounts describe no class).
    people = one_class
    if invalid_only is not None and n_groups == 1:
        _, rendered = stats.viewer_counts["rendered"]
        people = flagged_class_figure(frequency_counts(rendered[invalid_only]), sample_rate, confidence_level)
    figures = [
        (one_class if level == "rendered" else people, 1),
        *((reach_figure(k, sample_rate, confidence_level), k) for k in ks),
    ]
    if level in ESTIMATED_LEVELS and stats.viewer_rows is not None and stats.viewer_rows[level][3].any():
        group, determined, _, undetermined, viewers = stats.viewer_rows[level]
        # One entry per viewer again.
        group, determined, undetermined = (np.repeat(x, viewers) for x in (group, determined, undetermined))
        values = imputed_figures(group, determined, undetermined, chance, n_groups, figures, confidence_level)
    elif level == "rendered" and invalid_only is not None:
        # The rendered rung's unique viewers come from its two classes, so the one-class fit of
        # the whole table is not made at all.
        group, counts = stats.viewer_counts[level]
        values = [figure(counts, group) for figure, _ in figures[1:]]
        valid_group, valid = stats.viewer_counts["valid"]
        values.insert(0, _rendered_viewers(stats, invalid_only, people(valid, valid_group), one_class))
    else:
        group, counts = stats.viewer_counts[level]
        values = [figure(counts, group) for figure, _ in figures]
    return values[0], values[1:]


def flagged_class_figure(flagged: np.ndarray, sample_rate: float, confidence_level: float) -> Figure:
    """The whole log's unique viewers on a rung as a :data:`Figure`, with a second class exposed
    as the accounts the rules caught, whose frequency table is ``flagged``
    (:func:`~viewaudit._estimators.flagged_class.viewers_with_flagged_class`)."""

    def viewers(counts: np.ndarray, _: np.ndarray) -> Triple:
        est = viewers_with_flagged_class(
            frequency_counts(counts[counts > 0]), flagged, sample_rate=sample_rate, confidence_level=confidence_level
        )
        return np.array([est.estimate]), np.array([est.confidence_interval.low]), np.array([est.confidence_interval.high])

    return viewers


def _invalid_only_pairs(stats: LadderStatistics) -> np.ndarray | None:
    """Which (group, viewer) pairs of a sampled log have rendered impressions but no valid
    one; None when there is nothing to split (no such pair, or only such pairs)."""
    assert stats.viewer_counts is not None
    _, rendered = stats.viewer_counts["rendered"]
    _, valid = stats.viewer_counts["valid"]
    invalid_only: np.ndarray = (valid == 0) & (rendered > 0)
    if not invalid_only.any() or np.array_equal(invalid_only, rendered > 0):
        return None
    return invalid_only


def _rendered_viewers(stats: LadderStatistics, invalid_only: np.ndarray, people: Triple, viewers: Figure) -> Triple:
    """Unique viewers of the complete log on the rendered rung: the valid rung's, plus the
    viewers with no valid impression, each class estimated on its own.

    Rendered viewers are exactly those two disjoint classes. Bots and other invalid traffic are
    exposed unlike people (a bot account can view five times as much): one exposure model fitted
    to both reads the heavy class as many unseen light viewers, and on the short-video scenario's
    10 % samples it ran 4 % high. The valid class is the valid rung's own figure, ``people``
    (:func:`flagged_class_figure` for the whole log), so the rendered figure is never below it.
    The other class is estimated from the rendered impressions of the pairs with no valid one in
    the sample.
    Assumption: an account's impressions are all invalid or include valid ones alike in the
    sample and in the complete log; an account with both, whose valid rows all fell out of the
    sample, is counted in both classes. The two classes' errors are taken as independent: their
    interval half-widths add in quadrature, on either side.
    """
    assert stats.viewer_counts is not None
    group, _ = stats.viewer_counts["valid"]
    _, rendered = stats.viewer_counts["rendered"]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", DegenerateDataWarning)
        others = viewers(rendered[invalid_only], group[invalid_only])
    for w in record:
        if issubclass(w.category, DegenerateDataWarning):
            note = f"rendered rung, viewers with no valid impression: {w.message}"
            warnings.warn(note, DegenerateDataWarning, stacklevel=_CLASS_NOTE_STACKLEVEL)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    estimate = people[0] + others[0]
    low = estimate - np.hypot(people[0] - people[1], others[0] - others[1])
    high = estimate + np.hypot(people[2] - people[0], others[2] - others[0])
    return estimate, low, high


def viewers_figure(n_groups: int, sample_rate: float, confidence_level: float) -> Figure:
    """Unique viewers of the complete log per group as a :data:`Figure`
    (:func:`viewaudit._ladder.sampled_viewers.complete_log_viewers`)."""

    def viewers(counts: np.ndarray, group: np.ndarray) -> Triple:
        return complete_log_viewers(counts, group, n_groups, sample_rate=sample_rate, confidence_level=confidence_level)

    return viewers


def reach_figure(k: int, sample_rate: float, confidence_level: float) -> Figure:
    """The whole log's k+ reach as a :data:`Figure` (one group)."""

    def reach(counts: np.ndarray, _: np.ndarray) -> Triple:
        estimate, low, high = sampled_k_plus_reach(counts, k, sample_rate, confidence_level)
        return np.array([estimate]), np.array([low]), np.array([high])

    return reach


def imputed_figures(
    group: np.ndarray,
    determined: np.ndarray,
    undetermined: np.ndarray,
    chance: Triple,
    n_groups: int,
    figures: Sequence[tuple[Figure, int]],
    confidence_level: float,
) -> list[Triple]:
    """Complete-log viewer figures on a rung, from a sampled log with undetermined rows.

    Each of ``figures`` is a :data:`Figure` with the fewest determined rows ``at_least`` that put
    a viewer in it for certain (1 for unique viewers, k for k+ reach).

    The sample's true counts on the rung, per viewer, are a thinning of the complete log's at
    exactly the sampling rate (rows are kept whatever their times), but a viewer's undetermined
    rows hide part of them. Each imputation draws them: every undetermined row is on the rung
    with its group's per-row chance (``chance``: estimate, low, high per group; viewers of a
    group alike). Each draw's counts give every figure (drawn once for all); the draws combine by
    Rubin's rules (mean of the estimates; the ends widened in quadrature by ``z`` times the
    between-draw standard deviation, ``sqrt((1 + 1/M) B)``). The chance's own interval widens the
    ends too, in quadrature: imputations at its low and its high end (with the same uniforms, so
    that the difference is the chance's, not the draws') give how far either moves each end
    outward. The low end is never below the viewers with ``at_least`` determined rows on the rung
    (1 for unique viewers, k for k+ reach): the sample's rows are the complete log's.
    """
    z = _z(confidence_level)
    # Viewers in a canonical order (viewers with equal counts are interchangeable), so that the
    # draws do not depend on the order in which the viewers come (the log's parts, or rows
    # sorted with counts the draws do not use).
    order = np.lexsort((undetermined, determined, group))
    group, determined, undetermined = group[order], determined[order], undetermined[order]
    draw_counts = _count_drawer(group, determined, undetermined)
    # A warning about degenerate counts is the data's when every draw at the estimated chance
    # gives it (for one figure); in some draws only, it is the imputation's noise, and at the ends
    # of the chance's interval (a chance of 0 sees no viewer) it is the interval's.
    caught: list[list[warnings.WarningMessage]] = [[] for _ in figures]
    draws: list[list[Triple]] = [[] for _ in figures]
    for draw in range(IMPUTATIONS):
        counts = draw_counts(chance[0], draw)
        for i, (figure, _) in enumerate(figures):
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always", DegenerateDataWarning)
                draws[i].append(figure(counts, group))
            caught[i] += record
    at_ends = _draws_at_chance_ends(draw_counts, chance, group, figures)
    _pass_on_warnings(caught)
    return [
        _combined(np.array(draws[i]), at_ends[i], np.bincount(group[determined >= at_least], minlength=n_groups), z)
        for i, (_, at_least) in enumerate(figures)
    ]


def _count_drawer(group: np.ndarray, determined: np.ndarray, undetermined: np.ndarray) -> Callable[[np.ndarray, int], np.ndarray]:
    """``draw_counts(chance, draw)``: the viewers' counts on the rung in imputation ``draw`` with
    each undetermined row on it at its group's ``chance``."""
    open_ = np.flatnonzero(undetermined > 0)
    n_open = undetermined[open_]
    # One uniform per viewer with undetermined rows and draw, turned into a binomial count by
    # its quantile function: counts rise with the chance for the same uniform. Uniforms go by
    # the viewer's place in its group, so a group's draws do not hang on its label.
    uniform = uniforms_by_place(IMPUTATION_SEED, IMPUTATIONS, group[open_])

    def draw_counts(chance: np.ndarray, draw: int) -> np.ndarray:
        counts = determined.astype(np.int64)  # a copy
        on_rung = stats.binom.ppf(uniform[draw], n_open, np.clip(chance, 0.0, 1.0)[group[open_]])
        counts[open_] += on_rung.astype(np.int64)
        return counts

    return draw_counts


def _draws_at_chance_ends(
    draw_counts: Callable[[np.ndarray, int], np.ndarray],
    chance: Triple,
    group: np.ndarray,
    figures: Sequence[tuple[Figure, int]],
) -> list[list[list[Triple]]]:
    """Each figure's draws at either end of the chance's interval (figure, end, draw): more rows
    on the rung mean more viewers seen but fewer unseen ones, so either can move either end."""
    at_ends: list[list[list[Triple]]] = [[[] for _ in chance[1:]] for _ in figures]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        for (end, chance_at_end), draw in itertools.product(enumerate(chance[1:]), range(_END_IMPUTATIONS)):
            counts = draw_counts(chance_at_end, draw)
            for i, (figure, _) in enumerate(figures):
                at_ends[i][end].append(figure(counts, group))
    return at_ends


def _pass_on_warnings(caught: list[list[warnings.WarningMessage]]) -> None:
    """Warn again what the draws warned: other warnings once each (not ours to judge), and a
    degenerate count only where every draw gave it."""
    seen = set()
    for record in caught:
        for w in record:
            if not issubclass(w.category, DegenerateDataWarning) and (str(w.message), w.category) not in seen:
                seen.add((str(w.message), w.category))
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        messages = [str(w.message) for w in record if issubclass(w.category, DegenerateDataWarning)]
        for message in dict.fromkeys(messages):
            if messages.count(message) >= IMPUTATIONS:
                note = f"{message} (in every imputation of the sample's undetermined rows)"
                warnings.warn(note, DegenerateDataWarning, stacklevel=_NOTE_STACKLEVEL)


#: The note is attributed to the caller of :func:`viewaudit._ladder.figures.ladder_from_statistics`
#: (frames: :func:`_pass_on_warnings`, :func:`imputed_figures`, :func:`complete_log_figures`, the
#: ladder's ``_sampled_log_figures`` and ``_rung_columns``, ``ladder_from_statistics``, its caller).
_NOTE_STACKLEVEL = 7
#: Likewise for :func:`_rendered_viewers` (one frame fewer: it is called by
#: :func:`complete_log_figures` directly).
_CLASS_NOTE_STACKLEVEL = 6


def _combined(draws: np.ndarray, at_ends: list[list[Triple]], certain: np.ndarray, z: float) -> Triple:
    """Rubin's rules over one figure's draws ``(draw, part, group)``, the chance's ends
    (:func:`imputed_figures`) and the viewers in it for certain."""
    # A figure a draw does not identify (NaN estimate: no viewer seen twice, for k+ reach) is
    # not identified: NaN, bounded by what is certain and no more.
    unidentified = ~np.isfinite(draws[:, 0]).all(axis=0) | ~np.isfinite(draws[:, 2]).all(axis=0)
    with np.errstate(invalid="ignore"):  # inf - inf where a figure is not identified
        ends = [np.mean(end, axis=0) - draws[:_END_IMPUTATIONS].mean(axis=0) for end in at_ends]
        estimate = draws[:, 0].mean(axis=0)
        between = z * np.sqrt((1 + 1 / IMPUTATIONS) * draws[:, 0].var(axis=0, ddof=1))
        # The chance's own error is another source, independent of the sample's and the draws':
        # added in quadrature like them (added outright, it made 99.5 % intervals of 95 % ones).
        low_shift = np.minimum(np.minimum(ends[0][1], ends[1][1]), 0.0)
        high_shift = np.maximum(np.maximum(ends[0][2], ends[1][2]), 0.0)
        low = estimate - np.sqrt((estimate - draws[:, 1].mean(axis=0)) ** 2 + between**2 + low_shift**2)
        high = estimate + np.sqrt((draws[:, 2].mean(axis=0) - estimate) ** 2 + between**2 + high_shift**2)
    if unidentified.any():
        estimate = np.where(unidentified, np.nan, estimate)
        low = np.where(unidentified, certain, low)
        high = np.where(unidentified, np.inf, high)
    return estimate, np.maximum(low, certain), high
