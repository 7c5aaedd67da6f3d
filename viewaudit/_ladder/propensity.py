"""Unique viewers among those whose only impressions on a rung are undetermined, when viewers differ.

A viewer with ``u`` undetermined impressions and none determined on a rung is on it if any of the
``u`` is. Taking every undetermined row as on the rung with the group's chance ``p``, independently,
gives ``1 - (1 - p)**u``; but viewers differ (an undetected bot that never dwells, a reader who
always does), and a viewer whose determined rows were all off the rung is likely one whose other
rows are off it too. Independence then overstates unique viewers (for any mixing distribution,
by the association inequality ``E[X**(f+u)] >= E[X**f] E[X]**u``, X = 1 - p).

Here each viewer has their own chance ``p_v`` for a row to be on the rung, drawn from a mixing
distribution G estimated from the viewers' determined rows (``t`` on the rung out of ``t + f``):
the nonparametric maximum likelihood estimate of a binomial mixture on a fixed grid (Kiefer &
Wolfowitz 1956; Laird 1978, by EM; Koenker & Mizera 2014 on the grid form), made separately for
each group and *exposure class* ``floor(log2(t + f + u))``: heavy accounts -- bots among them --
have their own propensities, so G is conditioned on how many rows a viewer has (rows are measured
or not independently of the viewer, so within a class the determined rows are a fair sample).
Classes with fewer than :data:`MIN_VIEWERS` viewers with determined rows are merged with their
neighbours, heaviest first; a group with fewer in all is counted as if its viewers were alike.
G is fitted only where at least :data:`MIN_VIEWERS` viewers have two determined rows or more
(with one row each, only its mean is identified), and kept only where it beats a point mass at
the stratum's share (a likelihood-ratio test, :data:`HOMOGENEITY_CHI2`); elsewhere every viewer
of the stratum takes the stratum's share.

Undetermined rows are of two kinds (:class:`UndeterminedChances`): rows not measured take the
viewer's own propensity (scaled by the ratio of the measured rows' share on the rung to the
determined rows'); rows whose time crosses a threshold take the chance ``r`` the time
distribution gives, pooled over viewers, shifted by the viewer's odds ratio against the group's
determined rows (share ``s``): ``odds(r_v) = odds(r) odds(p_v) / odds(s)`` (:func:`_shifted`;
exact where every viewer's time below the threshold ends alike, cutting is independent of the
time, and the rung's other conditions, such as visibility, hold alike for every viewer). A viewer
with ``f`` determined rows off the rung and ``u`` undetermined ones is on it with the posterior
chance

    1 - sum_k w_k (1 - p_k)**f (1 - r(p_k))**u / sum_k w_k (1 - p_k)**f,

``r(p)`` the chance of one of their undetermined rows: the group's mix of the two kinds. That a
row was still on screen when it was cut is not used (the log keeps one chance per group, not each
row's time): where it tells viewers apart, the estimate is low (docs/methods.md).

The interval adds, in quadrature, the viewers' Bernoulli noise, the move of the sum when the
group's chances run over their intervals, and the sampling error of G and of the strata's
shares (a Poisson bootstrap of the viewers, :data:`REPLICATES` replicates, seeded: the audit
stays deterministic).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import attrs
import numpy as np
from scipy.special import expit

from viewaudit._estimators.distinct import distinct_columns
from viewaudit._ladder.group_draws import poisson_by_place
from viewaudit._scan.statistics import ViewerRows

#: Viewers a class needs to stand alone (viewers with determined rows), and a stratum to have
#: its mixing distribution fitted (viewers with two determined rows or more).
MIN_VIEWERS = 100
#: Exposure classes floor(log2(rows)), the last holding every viewer with 2**8 rows or more.
CLASSES = 9
#: The grid of chances G lives on: logit-spaced, dense near 0 and 1 where bots and devoted
#: readers sit.
GRID = expit(np.linspace(-9.0, 9.0, 49))
#: A stratum's EM stops when its log-likelihood per viewer moves by no more than this in an
#: accelerated step, or after MAX_ITERATIONS of them; a bootstrap replicate starts from the
#: fit and takes BOOTSTRAP_ITERATIONS (its posterior chances move little after the first few).
TOLERANCE = 1e-6
MAX_ITERATIONS = 300
#: EM's start: a bump of this width (logit scale) at the stratum's pooled share, plus this
#: share of weight spread evenly.
START_WIDTH = 0.5
START_FLOOR = 0.05
#: A stratum whose mixing distribution does not beat a point mass by this likelihood-ratio
#: statistic (the chi-square(1) 95 % point) is taken as viewers alike.
HOMOGENEITY_CHI2 = 3.841
#: Poisson-bootstrap replicates of the viewers for the sampling error of G, and their seed.
REPLICATES = 30
BOOTSTRAP_ITERATIONS = 3
#: Strata are fitted together, and so are a stratum's bootstrap replicates: strata with about as
#: many cells are padded to one length, and each EM step is two stacked matrix products over
#: them (BLAS), holding at most this many (stratum x replicate x cell) values in a batch (one
#: batch in flight per thread).
STACKED_VALUES = 1 << 22
#: Threads the batches of strata are fitted on: EM's steps are NumPy's, which release the
#: interpreter's lock, and the machines this was measured on have two cores.
FIT_THREADS = 2
SEED = 20231117


def _kernel(t: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Per cell and grid point p, the binomial likelihood p**t (1 - p)**f, scaled to a maximum of
    1 per cell (the binomial coefficient and the scale cancel in EM and in the posterior)."""
    return _scaled_kernel(t, f)[0]


def _scaled_kernel(t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_kernel` and the log of each cell's scale (its largest log-likelihood): made once
    for the fit, the bootstrap refits and the homogeneity test, which all take the same cells.

    A row depends on (t, f) alone, and cells of different strata share them (on a 5M-row log,
    about 100k cells hold a few thousand distinct pairs): each distinct pair is computed once
    and copied, with the same values."""
    t, f = np.asarray(t), np.asarray(f)
    if t.size and t.dtype.kind in "iu" and f.dtype.kind in "iu" and min(int(t.min()), int(f.min())) >= 0:
        base = int(f.max()) + 1
        if (int(t.max()) + 1) * base < 1 << 62:
            pairs, inverse = np.unique(t.astype(np.int64) * base + f, return_inverse=True)
            kernel, top = _scaled_kernel_rows(pairs // base, pairs % base)
            return kernel[inverse.ravel()], top[inverse.ravel()]
    return _scaled_kernel_rows(t, f)


def _scaled_kernel_rows(t: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_scaled_kernel`, row by row."""
    log_p, log_q = np.log(GRID), np.log1p(-GRID)
    log_kernel = t[:, None] * log_p + f[:, None] * log_q
    top = log_kernel.max(axis=1)
    out: np.ndarray = np.exp(log_kernel - top[:, None])
    return out, top


def _start(stratum: np.ndarray, t: np.ndarray, f: np.ndarray, count: np.ndarray, n_strata: int) -> np.ndarray:
    """EM's start (n_strata, K): near every viewer alike (the stratum's pooled share), with a
    floor everywhere from which EM grows mass where viewers differ."""
    share = np.clip(_shares(stratum, t, f, count, n_strata), GRID[0], GRID[-1])
    logit = np.log(GRID) - np.log1p(-GRID)
    near = np.exp(-0.5 * ((logit[None, :] - np.log(share / (1 - share))[:, None]) / START_WIDTH) ** 2)
    start: np.ndarray = (1 - START_FLOOR) * near / near.sum(axis=1, keepdims=True) + START_FLOOR / GRID.size
    start[np.bincount(stratum, minlength=n_strata) == 0] = 1.0 / GRID.size
    return start


def _fit(
    stratum: np.ndarray,
    t: np.ndarray,
    f: np.ndarray,
    count: np.ndarray,
    n_strata: int,
    start: np.ndarray | None = None,
    iterations: int = MAX_ITERATIONS,
    kernel: np.ndarray | None = None,
) -> np.ndarray:
    """Grid weights (n_strata, K) of each stratum's mixing distribution: EM on its cells
    (``stratum`` sorted ascending), accelerated by SQUAREM (Varadhan & Roland 2008), whose
    extrapolated step is kept only where it does not lower the likelihood. A stratum without
    cells keeps its start (uniform weights by default)."""
    if start is None:
        start = _start(stratum, t, f, count, n_strata)
    fitted: np.ndarray = _fit_replicates(stratum, t, f, count[None], n_strata, start, iterations, kernel)[0]
    return fitted


def _squarem(w: np.ndarray, em: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One SQUAREM step (Varadhan & Roland 2008) from weights ``w`` (..., K): the new weights and
    the log-likelihood at ``w``. The extrapolated step is kept only where it does not lower the
    likelihood (EM from it only climbs)."""
    w1, at_w = em(w)
    w2, at_w1 = em(w1)
    r, v = w1 - w, w2 - 2 * w1 + w
    # Methods, not np.sum and friends, and in place where nothing else holds the array: the
    # same operations in the same order (the same values), without NumPy's Python wrappers,
    # which cost as much as the arithmetic on the small arrays of most steps.
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = (r * r).sum(axis=-1)
        alpha /= (v * v).sum(axis=-1)
        np.sqrt(alpha, out=alpha)
        np.negative(alpha, out=alpha)
    alpha = np.where(np.isfinite(alpha), np.minimum(alpha, -1.0), -1.0)[..., None]
    jump = 2 * alpha * r
    np.subtract(w, jump, out=jump)
    jump += alpha * alpha * v
    np.maximum(jump, 0.0, out=jump)
    jump /= jump.sum(axis=-1, keepdims=True)
    w3, at_jump = em(jump)
    step: np.ndarray = np.where((at_jump >= at_w1)[..., None], w3, w2)
    return step, at_w


def _stacked_em_step(
    kernel: np.ndarray, kernel_t: np.ndarray, count: np.ndarray, viewers: np.ndarray
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """One EM step for strata of equal (padded) length and their replicates: ``kernel`` (strata,
    cells, K) and its transpose, ``count`` (strata, replicates, cells), ``viewers`` (strata,
    replicates, 1); weights are (strata, replicates, K)."""

    def em(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        density = w @ kernel_t
        step = w * ((count / density) @ kernel) / viewers
        return step, (count * np.log(density)).sum(axis=2)

    return em


def _fit_replicates(
    stratum: np.ndarray,
    t: np.ndarray,
    f: np.ndarray,
    counts: np.ndarray,
    n_strata: int,
    start: np.ndarray,
    iterations: int,
    kernel: np.ndarray | None = None,
) -> np.ndarray:
    """Grid weights (replicates, n_strata, K) of each stratum's mixing distribution under each
    row of ``counts`` (replicates, cells), from the weights ``start`` (n_strata, K): SQUAREM
    steps of EM, each (stratum, replicate) stopping on its own (:data:`TOLERANCE`).
    ``kernel``: ``_kernel(t, f)``, when the caller has it already."""
    replicates = counts.shape[0]
    out = np.repeat(start[None], replicates, axis=0)
    if stratum.size == 0:
        return out
    cells = _StackedCells.of(stratum, _kernel(t, f) if kernel is None else kernel)
    with ThreadPoolExecutor(max_workers=FIT_THREADS, thread_name_prefix="viewaudit-em") as pool:
        for pieces in pool.map(lambda batch: cells.fit(batch, counts, start[None], iterations), cells.batches(replicates)):
            for chosen, w in pieces:
                out[:, cells.present[chosen]] = w.transpose(1, 0, 2)
    return out


def _fit_and_refit(
    stratum: np.ndarray,
    t: np.ndarray,
    f: np.ndarray,
    count: np.ndarray,
    n_strata: int,
    kernel: np.ndarray,
    resample: Callable[[], np.ndarray] | None,
    columns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Each stratum's mixing distribution (n_strata, K), fitted from :func:`_start` by up to
    :data:`MAX_ITERATIONS` SQUAREM steps, and, where ``resample`` is given, its bootstrap
    refits (:data:`REPLICATES`, n_strata, K) from the fit by :data:`BOOTSTRAP_ITERATIONS` steps
    on the counts ``resample()`` returns (replicates, the cells picked by ``columns``), and
    those counts (all of them).

    The values are those of :func:`_fit` then :func:`_fit_replicates`. Only the order of the
    work differs: the resampled counts are drawn on one thread while the fits start on the
    other, and a batch of strata is refitted as soon as its own fit ends, without waiting for
    the other batches'."""
    w = _start(stratum, t, f, count, n_strata)
    refits = np.repeat(w[None], REPLICATES, axis=0) if resample is not None else None
    if stratum.size == 0:
        return w, refits, resample() if resample is not None else None
    cells = _StackedCells.of(stratum, kernel)
    fitted = w[None]  # a view: the fits are written into w

    def draw() -> tuple[np.ndarray, np.ndarray]:
        assert resample is not None
        every = resample()
        return every, every[:, columns]

    def fit_then_refit(batch: tuple[int, np.ndarray], drawn: Future[tuple[np.ndarray, np.ndarray]] | None) -> None:
        for chosen, piece in cells.fit(batch, count[None], fitted, MAX_ITERATIONS):
            fitted[:, cells.present[chosen]] = piece.transpose(1, 0, 2)
        if drawn is None or refits is None:
            return
        for sub in cells.batches(REPLICATES, batch[1]):
            for part, piece in cells.fit(sub, drawn.result()[1], fitted, BOOTSTRAP_ITERATIONS):
                refits[:, cells.present[part]] = piece.transpose(1, 0, 2)

    with ThreadPoolExecutor(max_workers=FIT_THREADS, thread_name_prefix="viewaudit-em") as pool:
        drawn = pool.submit(draw) if resample is not None else None
        for done in [pool.submit(fit_then_refit, batch, drawn) for batch in cells.batches(1)]:
            done.result()
        return w, refits, drawn.result()[0] if drawn is not None else None


@attrs.frozen
class _StackedCells:
    """Cells sorted by stratum and their kernel, laid out for stacked EM steps.

    Strata are padded to one of 4, 6, 8, 12, 16, 24, ... cells (a power of two or 1.5 times one;
    a padded cell has count 0 and a kernel of ones, so it adds nothing), and strata of one
    length are fitted together: each EM step is two stacked matrix products over them (BLAS).
    Each stratum's figures are its own: they do not depend on which strata are fitted beside
    it, or on which thread."""

    kernel: np.ndarray
    starts: np.ndarray  # each stratum's first cell
    present: np.ndarray  # the strata that have cells
    sizes: np.ndarray  # their cells
    length: np.ndarray  # their padded length

    @classmethod
    def of(cls, stratum: np.ndarray, kernel: np.ndarray) -> _StackedCells:
        starts = np.flatnonzero(np.r_[True, stratum[1:] != stratum[:-1]])
        sizes = np.diff(np.r_[starts, stratum.size])
        # Lengths 4, 6, 8, 12, 16, 24, ...: a stratum is padded by less than half its cells.
        power = 1 << np.floor(np.log2(np.maximum(sizes - 1, 1))).astype(np.int64)
        length = np.maximum(np.where(sizes <= 3 * power // 2, 3 * power // 2, 2 * power), 4)
        return cls(kernel, starts, stratum[starts], sizes, length)

    def batches(self, replicates: int, among: np.ndarray | None = None) -> list[tuple[int, np.ndarray]]:
        """(length, strata) batches of the strata ``among`` (positions in :attr:`present`; all by
        default), each holding at most :data:`STACKED_VALUES` (stratum x replicate x cell)
        values, the largest first (so that two threads end together)."""
        among = np.arange(self.present.size) if among is None else among
        out: list[tuple[int, np.ndarray]] = []
        for width in np.unique(self.length[among]):
            members = among[self.length[among] == width]
            batch = max(1, STACKED_VALUES // (replicates * int(width)))
            out += [(int(width), members[first : first + batch]) for first in range(0, members.size, batch)]
        out.sort(key=lambda b: -b[0] * b[1].size)
        return out

    def fit(
        self, batch: tuple[int, np.ndarray], counts: np.ndarray, start: np.ndarray, iterations: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """SQUAREM steps of EM for the strata of ``batch`` under each row of ``counts``
        (replicates, cells), from their weights in ``start`` (start's replicates, n_strata, K;
        one row is shared by every replicate): the strata (positions in :attr:`present`) and
        their weights (strata, replicates, K), in the pieces they stopped in."""
        width, chosen = batch
        replicates = counts.shape[0]
        done: list[tuple[np.ndarray, np.ndarray]] = []
        cell = self.starts[chosen][:, None] + np.arange(width)
        real = np.arange(width) < self.sizes[chosen][:, None]
        cell = np.where(real, cell, 0)
        k_ = np.where(real[:, :, None], self.kernel[cell], 1.0)  # (strata, cells, K)
        k_t = np.ascontiguousarray(k_.transpose(0, 2, 1))
        n_ = np.where(real[:, None, :], counts[:, cell].transpose(1, 0, 2), 0.0)  # (strata, replicates, cells)
        viewers = n_.sum(axis=2)[:, :, None]
        em = _stacked_em_step(k_, k_t, n_, viewers)
        w = np.broadcast_to(start[:, self.present[chosen]].transpose(1, 0, 2), (chosen.size, replicates, GRID.size)).copy()
        active = np.ones(w.shape[:2], dtype=bool)
        previous = np.full(w.shape[:2], np.nan)
        tolerance = TOLERANCE * np.maximum(viewers[:, :, 0], 1)
        for _ in range(iterations):
            step, at_w = _squarem(w, em)
            # A replicate of a stratum that has stopped keeps its weights (computing on it
            # costs less than taking it out of the stacked arrays, until a quarter have stopped).
            w = np.where(active[:, :, None], step, w)
            moving = ~(np.abs(at_w - previous) <= tolerance)
            previous = np.where(active, at_w, previous)
            active &= moving
            going = active.any(axis=1)
            if 4 * np.count_nonzero(going) <= 3 * going.size:
                done.append((chosen[~going], w[~going]))
                chosen, w, active, previous = chosen[going], w[going], active[going], previous[going]
                k_, k_t, n_, viewers, tolerance = k_[going], k_t[going], n_[going], viewers[going], tolerance[going]
                em = _stacked_em_step(k_, k_t, n_, viewers)
            if not active.any():
                break
        done.append((chosen, w))
        return done


def _shifted(chance: np.ndarray, propensity: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """A crossing row's chance ``chance`` (the time distribution's, pooled over viewers) for a
    viewer whose determined rows are on the rung with ``propensity`` where the group's are with
    ``reference``: its odds times the viewer's odds ratio. Where ``chance`` is 0 or 1 it stays."""
    c = np.clip(chance, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = c / (1 - c) * (propensity / (1 - propensity)) / (reference / (1 - reference))
        shifted = odds / (1 + odds)
    out: np.ndarray = np.where((c <= 0) | (c >= 1), c, shifted)
    return out


def _posterior_terms(f: np.ndarray, u: np.ndarray, row_chance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per viewer and grid point p: the chance of their ``f`` determined rows all being off the
    rung (scaled per viewer) and that times their ``u`` undetermined rows all being off it, an
    undetermined row being on it with ``row_chance`` (per viewer and grid point). A viewer with
    G's weights w is on the rung with ``1 - (off_all . w) / (off_determined . w)``."""
    log_off = f[:, None] * np.log1p(-GRID)
    off_determined = np.exp(log_off - log_off.max(axis=1, keepdims=True))
    return off_determined, off_determined * np.power(1.0 - np.clip(row_chance, 0.0, 1.0), u[:, None])


def _posterior_on(w: np.ndarray, terms: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    off_determined, off_all = terms
    on: np.ndarray = 1.0 - np.einsum("ck,ck->c", off_all, w) / np.einsum("ck,ck->c", off_determined, w)
    return on


@attrs.frozen
class UndeterminedChances:
    """Per group, what an undetermined row's chance of being on the rung is made of.

    ``unmeasured``: the fraction of the undetermined rows that were not measured (missing at
    random: they take the viewer's own propensity, scaled by ``measured_share /
    determined_share`` -- the share on the rung of the measured rows over that of the determined
    ones, which differ where some measured rows cross the threshold); the rest cross a threshold
    and take ``crossing``, the chance the time distribution gives (pooled over viewers; each
    viewer's is shifted by their odds ratio against ``determined_share``).
    ``measured_share`` and ``crossing`` are (estimate, low, high).
    """

    unmeasured: np.ndarray
    measured_share: tuple[np.ndarray, np.ndarray, np.ndarray]
    crossing: tuple[np.ndarray, np.ndarray, np.ndarray]
    determined_share: np.ndarray

    def mean(self, end: int) -> np.ndarray:
        """Every viewer alike: the group's chance for an undetermined row (part ``end``)."""
        pi = self.unmeasured
        chance: np.ndarray = pi * self.measured_share[end] + (1 - pi) * self.crossing[end]
        return chance


def _merged_classes(g: np.ndarray, klass: np.ndarray, viewers: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, each exposure class's stratum label (n_groups, CLASSES), and whether the group
    is fitted at all. Classes are taken from the heaviest down, and a stratum closes once it holds
    MIN_VIEWERS viewers with determined rows; what is left at the light end joins the last
    stratum closed. A group that never closes one (fewer viewers in all) is not fitted."""
    counts = np.bincount(g * CLASSES + klass, weights=viewers, minlength=n_groups * CLASSES).reshape(n_groups, CLASSES)
    label = np.zeros((n_groups, CLASSES), dtype=np.int64)
    current = np.full(n_groups, CLASSES - 1)
    last_closed = np.full(n_groups, -1)
    held = np.zeros(n_groups)
    for c in range(CLASSES - 1, -1, -1):
        label[:, c] = current
        held += counts[:, c]
        closed = held >= MIN_VIEWERS
        last_closed = np.where(closed, current, last_closed)
        current = np.where(closed, c - 1, current)
        held = np.where(closed, 0.0, held)
    # The light end's leftover (an open stratum below the last closed one) joins that one.
    leftover = label < last_closed[:, None]
    label = np.where(leftover & (last_closed[:, None] >= 0), last_closed[:, None], label)
    return label, last_closed >= 0


def _shares(stratum: np.ndarray, t: np.ndarray, f: np.ndarray, count: np.ndarray, n_strata: int) -> np.ndarray:
    """Per stratum, the share on the rung of its viewers' determined rows."""
    on = np.bincount(stratum, weights=count * t, minlength=n_strata)
    rows = np.bincount(stratum, weights=count * (t + f), minlength=n_strata)
    return np.clip(on / np.maximum(rows, 1e-300), 1e-300, 1 - 1e-16)


def _differ(
    w: np.ndarray,
    share: np.ndarray,
    stratum: np.ndarray,
    t: np.ndarray,
    f: np.ndarray,
    count: np.ndarray,
    n_strata: int,
    scaled: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Per stratum, whether its viewers differ as far as the data tell: the likelihood-ratio
    statistic of G against a point mass at the stratum's share reaches :data:`HOMOGENEITY_CHI2`.
    The NPMLE of a point mass is a narrow spread, which would pull alike viewers' chances low (a
    viewer off the rung once would count as one less likely to be on it). ``scaled``:
    ``_scaled_kernel(t, f)``, when the caller has it already."""
    log_point = t * np.log(share[stratum]) + f * np.log1p(-share[stratum])
    kernel, top = _scaled_kernel(t, f) if scaled is None else scaled
    log_mixture = top + np.log(np.einsum("ck,ck->c", kernel, w[stratum]))
    return 2 * np.bincount(stratum, weights=count * (log_mixture - log_point), minlength=n_strata) >= HOMOGENEITY_CHI2


def _holding(n_strata: int, of_open: np.ndarray) -> np.ndarray:
    """Per stratum, whether an open viewer is in it (``of_open``: their strata): G is fitted
    only there, as it is used nowhere else; a fit and its refits are each stratum's own,
    whichever strata are fitted beside it. On the bench's 5M-row "many" log, 6 to 10 % of the
    strata, with 18 to 26 % of the cells, hold no open viewer."""
    holding = np.zeros(n_strata, dtype=bool)
    holding[of_open] = True
    return holding


def heterogeneous_viewers(
    rows: ViewerRows, n_groups: int, chances: UndeterminedChances, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) per group of the viewers on the rung among those with only
    undetermined impressions on it."""
    zeros = np.zeros(n_groups)
    g, t, f, u, count = (np.asarray(x, dtype=np.int64) for x in rows)
    open_ = (t == 0) & (u > 0)
    if not open_.any():
        return zeros, zeros, zeros
    count_f = count.astype(float)
    klass = np.minimum(np.floor(np.log2(np.maximum(t + f + u, 1))).astype(np.int64), CLASSES - 1)
    informative = (t + f) > 0
    label, fitted = _merged_classes(g, klass, count_f * informative, n_groups)
    # The distinct (stratum, t, f) of the viewers with determined rows (u does not enter the
    # likelihood), sorted by stratum.
    cell = np.flatnonzero(informative & fitted[g])
    keyed = np.stack([g[cell] * CLASSES + label[g[cell], klass[cell]], t[cell], f[cell]])
    fit, inverse = distinct_columns(keyed)
    fit_count = np.bincount(inverse.ravel(), weights=count_f[cell], minlength=fit.shape[1])
    # Strata numbered densely (0 .. n_strata - 1, sorted), so that arrays over strata hold only
    # those with viewers.
    names, stratum = np.unique(fit[0], return_inverse=True)
    stratum = stratum.ravel()
    n_strata = names.size
    ft, ff = fit[1], fit[2]
    share = _shares(stratum, ft, ff, fit_count, n_strata)
    # G is fitted where enough viewers have two determined rows or more (with one each, only G's
    # mean is identified): elsewhere every viewer of the stratum takes its share.
    identifying = np.bincount(stratum, weights=fit_count * ((ft + ff) >= 2), minlength=n_strata) >= MIN_VIEWERS
    og = g[open_]
    mixed = fitted[og]
    use = np.where(mixed, np.searchsorted(names, og * CLASSES + label[og, klass[open_]]), -1)
    in_fit = (identifying & _holding(n_strata, use[mixed]))[stratum]
    fit_names, fit_stratum = np.unique(stratum[in_fit], return_inverse=True)
    fit_stratum = fit_stratum.ravel()
    fit_t, fit_f = ft[in_fit], ff[in_fit]

    def resample() -> np.ndarray:
        # For the sampling error of G and of the strata's shares: Poisson-resampled viewer
        # counts, to refit on (G from its fit, by a few steps: Hanley & MacGibbon 2006).
        drawn: np.ndarray = np.maximum(poisson_by_place(SEED, REPLICATES, fit_count, fit[0] // CLASSES), 1e-12)
        return drawn

    w = np.zeros((0, GRID.size))
    refits: np.ndarray | None = None
    resampled: np.ndarray | None = None
    differ = np.zeros(n_strata, dtype=bool)
    if fit_names.size:
        scaled = _scaled_kernel(fit_t, fit_f)
        w, refits, resampled = _fit_and_refit(
            fit_stratum, fit_t, fit_f, fit_count[in_fit], fit_names.size, scaled[0], resample if mixed.any() else None, in_fit
        )
        differ[fit_names] = _differ(w, share[fit_names], fit_stratum, fit_t, fit_f, fit_count[in_fit], fit_names.size, scaled)
    posterior = np.flatnonzero(mixed)[differ[use[mixed]]]  # open viewers whose stratum's viewers differ
    alike = np.flatnonzero(mixed)[~differ[use[mixed]]]
    row_of = np.searchsorted(fit_names, use[posterior])  # their stratum's row of ``w``
    of, ou, oc = f[open_], u[open_], count_f[open_]
    pi = chances.unmeasured
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = [np.where(chances.determined_share > 0, m / chances.determined_share, 1.0) for m in chances.measured_share]

    # The odds a crossing row's chance is shifted by are the viewer's (or stratum's) against the
    # group's determined rows, both clipped to the grid G lives on (a group with no determined row
    # on the rung sits at its bottom, where its viewers' G does too).
    reference = np.clip(chances.determined_share, GRID[0], GRID[-1])
    terms: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def expected(w: np.ndarray, shares: np.ndarray, end: int) -> np.ndarray:
        p = np.clip(chances.mean(end), 0.0, 1.0)
        q = -np.expm1(ou * np.log1p(-np.minimum(p[og], 1 - 1e-16)))
        q = np.where(p[og] >= 1, 1.0, q)
        if posterior.size:
            if end not in terms:
                at = og[posterior]
                a, b = pi[at][:, None], scale[end][at][:, None]
                c = _shifted(chances.crossing[end][at][:, None], GRID[None, :], reference[at][:, None])
                terms[end] = _posterior_terms(of[posterior], ou[posterior], a * np.minimum(b * GRID, 1.0) + (1 - a) * c)
            q[posterior] = _posterior_on(w[row_of], terms[end])
        if alike.size:
            at = og[alike]
            crossing = _shifted(chances.crossing[end][at], np.clip(shares[use[alike]], GRID[0], GRID[-1]), reference[at])
            chance = pi[at] * np.minimum(scale[end][at] * shares[use[alike]], 1.0) + (1 - pi[at]) * crossing
            q[alike] = -np.expm1(ou[alike] * np.log1p(-np.minimum(chance, 1 - 1e-16)))
        return q

    q = expected(w, share, 0)
    est = np.bincount(og, weights=oc * q, minlength=n_groups)
    noise = np.bincount(og, weights=oc * q * (1 - q), minlength=n_groups)
    low = np.bincount(og, weights=oc * expected(w, share, 1), minlength=n_groups)
    high = np.bincount(og, weights=oc * expected(w, share, 2), minlength=n_groups)
    sampling = zeros
    if mixed.any():
        if resampled is None or refits is None:  # no stratum's G is fitted: only the shares move
            resampled, refits = resample(), np.repeat(w[None], REPLICATES, axis=0)
        draws = [
            np.bincount(
                og, weights=oc * expected(refits[b], _shares(stratum, ft, ff, resampled[b], n_strata), 0), minlength=n_groups
            )
            for b in range(REPLICATES)
        ]
        sampling = np.var(np.stack(draws), axis=0, ddof=1)
    bound = np.bincount(og, weights=oc, minlength=n_groups)
    lo = est - np.sqrt((est - low) ** 2 + z * z * (noise + sampling))
    hi = est + np.sqrt((high - est) ** 2 + z * z * (noise + sampling))
    return est, np.clip(lo, 0, bound), np.clip(hi, 0, bound)
