"""The bias of unique viewers of a small row sample: where the default estimator leans, and why.

One command:  python benchmarks/bench_sampled_bias.py [--runs 100] [--json PATH]

The audit's 95 % intervals of a 10 % sample cover the truth (94-99 % of runs in the
calibration suite), but the one-class estimate of unique viewers leaned by 2 to 6 % on logs of
20,000 impressions (tests/statistical/test_testing_calibration.py: six strict xfails, three
since the audit lets the flagged bots describe the unflagged ones). This benchmark
isolates the two mechanisms with the public estimator ``viewaudit.estimators.unique_viewers``
(the default, ``method="gamma-poisson"``) on populations drawn here with numpy, p = 10 %:

* **gamma, shape 0.1**: the model is right. Exposure rates Gamma(shape 0.1, mean 0.12), as in
  the news-site scenario. About 1,900 viewers are seen, nearly all once, and the shape is barely
  identified: a third or more of the fits sit on the shape's lower bound (the log-series limit),
  where the reach is the highest the model allows. The fits off the bound can only be lower, so
  the estimate leans low. Ten times the population shows whether the lean shrinks as the
  sample grows.
* **gamma + bots**: the model is wrong. People with Gamma(shape 1, mean 1.3) rates, as in the
  short-video scenario, and 5 % of accounts with five times that rate. The one-class fit reads
  the heavy accounts as many unseen light ones and leans high; too few viewers are seen more
  than five times for the two-class test to run.

Each row prints the relative bias with its standard error, the spread of the estimates, the
coverage of the 95 % interval and the share of fits on the shape's lower bound. Four fixes that
were tried, and not adopted, are measured on the same samples (their bias and spread): a
delete-one jackknife of the reach ratio of the one-class fit; the one-class fit with the
shape allowed below zero (Engen's extended negative binomial, Engen 1974, Biometrika 61:263-270),
which removes the bound at the log-series limit; a parametric bootstrap of the one-class
fit's bias taken off its estimate (:data:`REFITS` refits from the fitted model per sample); and
the extended fit to the light viewers only (:func:`light`), the heavy ones counted as seen.

A third population is x-openai-2023's valid rung: people with Gamma(shape 0.3, mean 4) rates
and 3.5 % of accounts five times as active (the bots no rule flagged). Its heavy accounts
stand out in a 10 % sample (many are seen more than five times); short-video's do not.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import optimize, special

from viewaudit import DegenerateDataWarning
from viewaudit._estimators.gamma_poisson import GammaPoissonFit, _cells, _fit, _Model
from viewaudit.estimators import fit_gamma_poisson, frequency_counts, unique_viewers

P = 0.1
#: name -> (people, shape, mean, bot share of accounts, bot activity)
CELLS: dict[str, tuple[int, float, float, float, float]] = {
    "gamma shape 0.1": (170_000, 0.1, 0.12, 0.0, 1.0),
    "gamma shape 0.1, 10x people": (1_700_000, 0.1, 0.12, 0.0, 1.0),
    "gamma shape 1 + 5 % bots at 5x": (12_000, 1.0, 1.3, 0.05, 5.0),
    "gamma shape 1 + 5 % bots at 5x, 10x people": (120_000, 1.0, 1.3, 0.05, 5.0),
    "gamma shape 0.3 + 3.5 % bots at 5x": (5_000, 0.3, 4.0, 0.035, 5.0),
    "gamma shape 0.3 + 3.5 % bots at 5x, 10x people": (50_000, 0.3, 4.0, 0.035, 5.0),
}


def _ratio(f: np.ndarray) -> float:
    """Complete-log viewers per viewer seen under the one-class Gamma-Poisson fit."""
    fit = fit_gamma_poisson(f, sample_rate=P)
    return fit.unique_viewers().estimate / fit.observed if fit.observed else float("nan")


def jackknife(f: np.ndarray) -> float:
    """Delete-one jackknife of the reach ratio (one refit per distinct count), times the seen."""
    seen = int(f.sum())
    ratio = _ratio(f)
    ks = np.flatnonzero(f)
    left_out = []
    for k in ks:
        g = f.copy()
        g[k] -= 1
        left_out.append(_ratio(g))
    mean = float(np.dot(f[ks], left_out) / seen)
    return seen * (seen * ratio - (seen - 1) * mean)


#: Refits of the parametric bootstrap of the one-class fit's bias.
REFITS = 40


def bootstrap_corrected(fit: GammaPoissonFit, rng: np.random.Generator) -> float:
    """The one-class estimate divided by its bootstrap bias ratio: the mean, over tables drawn
    from the fitted model (the whole population, seen or not, as multinomial cells), of the
    refit's estimate over that table's complete-log viewers."""
    model = _Model(fit.shape, fit.sample_mean, fit.sample_rate)
    probs, y_of_cell, reached = _cells(model, 1, int(fit.frequencies.size))
    start = np.log([fit.shape, fit.sample_mean])
    ratios = np.empty(REFITS)
    for b in range(REFITS):
        cells = rng.multinomial(round(fit.population), probs)
        f = np.bincount(y_of_cell, weights=cells, minlength=int(y_of_cell.max()) + 1).astype(np.int64)
        f[0] = 0
        ks = np.flatnonzero(f)
        theta, _, _ = _fit(ks.astype(np.float64), f[ks].astype(np.float64), start=start)
        refit = _Model(float(np.exp(theta[0])), float(np.exp(theta[1])), P)
        ratios[b] = max(f.sum() * refit.reach_share(1), f.sum()) / int(cells[reached].sum())
    one_class = max(fit.unique_viewers().estimate, fit.observed)
    return float(one_class / ratios.mean())


def _expm1_over(a: float, x: float) -> float:
    """expm1(a x) / a, continuous at a = 0 (where it is x)."""
    return x * (1 + a * x / 2) if abs(a) < 1e-8 else float(np.expm1(a * x) / a)


def extended(f: np.ndarray) -> float:
    """Unique viewers under the zero-truncated negative binomial with shape a > -1 (a < 0:
    Engen's extension; a = 0: the log-series), fitted by maximum likelihood in (a, ln scale)."""
    ks = np.flatnonzero(f).astype(float)
    fk = f[np.flatnonzero(f)].astype(float)

    def minus_loglik(theta: np.ndarray) -> float:
        a, ln_scale = theta
        log1p_scale = float(np.log1p(np.exp(ln_scale)))
        terms = special.gammaln(ks + a) - special.gammaln(a + 1) - special.gammaln(ks + 1)
        terms += ks * (ln_scale - log1p_scale) - np.log(_expm1_over(a, log1p_scale))
        return -float(np.dot(fk, terms))

    starts = [(a0, np.log(s0)) for a0 in (-0.5, 0.0, 0.5, 2.0) for s0 in (0.01, 0.1, 1.0)]
    bounds = [(-0.999, 1e4), (np.log(1e-8), np.log(1e6))]
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        # Far from the maximum the terms overflow; the optimiser steps back from such points.
        warnings.simplefilter("ignore", RuntimeWarning)
        fits = [optimize.minimize(minus_loglik, x0, method="L-BFGS-B", bounds=bounds) for x0 in starts]
    best = min((fit for fit in fits if np.isfinite(fit.fun)), key=lambda r: r.fun)
    a, ln_scale = best.x
    scale = float(np.exp(ln_scale))
    ratio = _expm1_over(-a, float(np.log1p(scale / P))) / _expm1_over(-a, float(np.log1p(scale)))
    return float(f.sum()) * ratio


#: Viewers seen more than this many times in the sample are counted, not modelled (:func:`light`).
LIGHT_CUT = 5


def _extended_terms(a: float, ln_scale: float, k: np.ndarray) -> np.ndarray:
    """ln P(Y = k), k >= 1, of the extended negative binomial up to its normaliser."""
    return special.gammaln(k + a) - special.gammaln(a + 1) - special.gammaln(k + 1) + k * (ln_scale - np.log1p(np.exp(ln_scale)))


def light(f: np.ndarray, cut: int = LIGHT_CUT) -> float:
    """Unique viewers when only the light viewers are modelled. The extended negative binomial
    (shape above -1, as :func:`extended`) is fitted to the viewers seen at most ``cut`` times,
    by the likelihood of their counts given that they are at most ``cut``; the viewers seen more
    often are counted as seen (as Chao & Lee's 1992 ACE counts its abundant species). A viewer
    seen more than 5 times at p = 10 % had about 50 impressions in the complete log: the chance
    that such an account is missed, 0.9^50, is 0.5 %, so the heavy accounts say next to nothing
    about the unseen, and a second class of them cannot bend the model of the light ones."""
    ks = np.flatnonzero(f)
    ks = ks[ks > 0]
    rare = ks[ks <= cut]
    kr, fr = rare.astype(float), f[rare].astype(float)
    grid = np.arange(1, cut + 1, dtype=float)

    def minus_loglik(theta: np.ndarray) -> float:
        a, ln_scale = theta
        if not -0.999 < a < 1e4:
            return 1e300
        value = np.dot(fr, _extended_terms(a, ln_scale, kr)) - fr.sum() * special.logsumexp(_extended_terms(a, ln_scale, grid))
        return -float(value) if np.isfinite(value) else 1e300

    with np.errstate(all="ignore"):
        fits = [
            optimize.minimize(
                minus_loglik, [a0, np.log(s0)], method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000}
            )
            for a0 in (-0.5, 0.0, 0.5, 2.0)
            for s0 in (0.01, 0.1, 1.0)
        ]
        a, ln_scale = min(fits, key=lambda r: r.fun).x
        scale = float(np.exp(ln_scale))
        # The light viewers' share of all the viewers the model sees, and its reach ratio.
        mass = np.log(_expm1_over(a, float(np.log1p(scale))))
        share = float(np.exp(special.logsumexp(_extended_terms(a, ln_scale, grid)) - mass))
        ratio = _expm1_over(-a, float(np.log1p(scale / P))) / _expm1_over(-a, float(np.log1p(scale)))
    seen_by_model = fr.sum() / share
    return float(f.sum() + seen_by_model * (ratio - 1))


def run_cell(name: str, runs: int, seed: int) -> dict[str, float]:
    people, shape, mean, bot_share, activity = CELLS[name]
    rng = np.random.default_rng(seed)
    rel, covered, on_floor, seen, jack, ext, boot, lite = [], [], [], [], [], [], [], []
    refit_rng = np.random.default_rng([seed, 1])
    for _ in range(runs):
        rates = rng.gamma(shape, mean / shape, people)
        rates[rng.random(people) < bot_share] *= activity
        complete = rng.poisson(rates)
        sampled = rng.binomial(complete, P)
        truth = int(np.count_nonzero(complete))
        f = frequency_counts(sampled[sampled > 0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            est = unique_viewers(f, sample_rate=P)
            fit = fit_gamma_poisson(f, sample_rate=P)
            jack.append(jackknife(f) / truth - 1)
            ext.append(extended(f) / truth - 1)
            boot.append(bootstrap_corrected(fit, refit_rng) / truth - 1)
            lite.append(light(f) / truth - 1)
        rel.append(est.estimate / truth - 1)
        covered.append(est.confidence_interval.low <= truth <= est.confidence_interval.high)
        on_floor.append(fit.shape <= 1.001e-3)
        seen.append(int(f.sum()))
    return {
        **_errors("jackknife_", jack),
        **_errors("extended_", ext),
        **_errors("bootstrap_", boot),
        **_errors("light_", lite),
        **_errors("", rel),
        "seen": float(np.median(seen)),
        "coverage": float(np.mean(covered)),
        "on_shape_floor": float(np.mean(on_floor)),
    }


def _errors(prefix: str, relative_errors: list[float]) -> dict[str, float]:
    """Mean relative error (bias), its standard error and the spread of one estimator's runs."""
    r = np.array(relative_errors)
    return {
        f"{prefix}bias": float(r.mean()),
        f"{prefix}bias_se": float(r.std(ddof=1) / np.sqrt(r.size)),
        f"{prefix}sd": float(r.std(ddof=1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20_261_207)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = {}
    print(f"p = {P:.0%}, {args.runs} runs a cell, seed {args.seed}")
    print(
        f"{'cell':44} {'seen':>6} {'bias':>7} {'(SE)':>7} {'sd':>5} {'coverage':>8} {'on floor':>8}"
        f" | {'jackknife':>9} {'(SE)':>7} {'sd':>5} | {'extended':>8} {'(SE)':>7} {'sd':>5}"
        f" | {'bootstrap':>9} {'(SE)':>7} {'sd':>5} | {'light':>8} {'(SE)':>7} {'sd':>5} {'s':>4}"
    )
    for i, name in enumerate(CELLS):
        start = time.perf_counter()
        res = run_cell(name, args.runs, args.seed + i)
        results[name] = res
        print(
            f"{name:44} {res['seen']:6.0f} {res['bias']:+7.2%} ({res['bias_se']:5.2%}) {res['sd']:5.1%} "
            f"{res['coverage']:8.0%} {res['on_shape_floor']:8.0%} | {res['jackknife_bias']:+9.2%} "
            f"({res['jackknife_bias_se']:5.2%}) {res['jackknife_sd']:5.1%} | {res['extended_bias']:+8.2%} "
            f"({res['extended_bias_se']:5.2%}) {res['extended_sd']:5.1%} | {res['bootstrap_bias']:+9.2%} "
            f"({res['bootstrap_bias_se']:5.2%}) {res['bootstrap_sd']:5.1%} | {res['light_bias']:+8.2%} "
            f"({res['light_bias_se']:5.2%}) {res['light_sd']:5.1%} {time.perf_counter() - start:4.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
