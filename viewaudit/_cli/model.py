"""The feed model's subcommands: ``model``, ``simulate`` and ``demo``.

``viewaudit._cli.main`` registers them (``register`` adds the parsers, ``RUNNERS`` maps each command
to its runner); errors raise ``ValueError``/``TypeError``/``OSError``, which the main entry
point turns into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from viewaudit._api import compare
from viewaudit._model._claim import MIN_VIEWS, PLATFORMS, claim, platform_name, platform_names
from viewaudit._model._closed_form import ExpectedLadder, expected_ladder
from viewaudit._model._conditioning import COUNTERS, OBSERVATION_SD
from viewaudit._model._files import LogWriter
from viewaudit._model._scenarios import _BUILDERS, Scenario, get_scenario
from viewaudit._model._simulate import as_seed, check_streamable, dictionary_columns, run, schema, simulate
from viewaudit._model._uncertainty import LadderRanges, expected_ladder_ranges
from viewaudit._policy import PRESETS, Policy, get_policy
from viewaudit._report.results import Audit
from viewaudit._report.values import Estimate, format_number

DEMO_SCENARIO = "x-openai-2023"
DEMO_IMPRESSIONS = 200_000
MODEL_SAMPLES = 1024
TORNADO_ROWS = 5


def _positive_number(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _counted(text: str, least: float) -> float:
    """A count of at least ``least``, written with optional ``_`` or ``,`` separators."""
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a count >= {least:g}, got {text!r}") from None
    if not least <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a count >= {least:g}, got {text!r}")
    return value


def _platform(text: str) -> str:
    try:
        return platform_name(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected one of {platform_names()}, got {text!r}") from None


def _views(text: str) -> float:
    return _counted(text, MIN_VIEWS)


def _count(text: str) -> float:
    return _counted(text, 0)


def _whole(text: str) -> int:
    """A whole number >= 1 (a number of posts)."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _power_of_two(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a power of two >= 16, got {text!r}") from None
    if value < 16 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"expected a power of two >= 16, got {text!r}")
    return value


def _add_range_options(p: Any) -> None:
    """The options of the commands that give intervals over parameter ranges (model, claim)."""
    p.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    p.add_argument(
        "--samples",
        type=_power_of_two,
        default=MODEL_SAMPLES,
        metavar="N",
        help=f"Sobol points over the parameter ranges, a power of two >= 16 (default {MODEL_SAMPLES})",
    )
    p.add_argument("--seed", type=_seed, default=0, metavar="S", help="seed of the Sobol scrambling (default 0)")
    p.add_argument("--html", metavar="PATH", help="also write the result as one self-contained web page")


def register(sub: Any) -> None:
    """Add the ``model``, ``simulate`` and ``demo`` subcommands to the CLI's subparsers."""
    names = ", ".join(_BUILDERS)
    p = sub.add_parser("model", help="a scenario's expected view ladder at full scale (closed form, instant)")
    p.add_argument("--scenario", required=True, choices=list(_BUILDERS), metavar="NAME", help=f"one of {names}")
    p.add_argument(
        "--policy", default="mrc-display", metavar="NAME|FILE", help="a preset name or a .toml policy file (default mrc-display)"
    )
    _add_range_options(p)

    p = sub.add_parser("claim", help="the view ladder a platform's published view count could mean, with intervals")
    p.add_argument("--views", required=True, type=_views, metavar="N", help="the published view count (>= 1)")
    p.add_argument("--platform", required=True, type=_platform, metavar="NAME", help=f"one of {platform_names()}")
    p.add_argument("--policy", default="mrc-display", metavar="NAME|FILE", help="the rule to recount under (default mrc-display)")
    roles = {
        "likes": "weights the draws by how well each predicts it, and bounds the viewers",
        "reposts": "bounds the viewers where one account reposts once (no sourced rate)",
        "replies": "stated; bounds nothing, as one account can reply many times",
        "bookmarks": "bounds the viewers where one account bookmarks once (no sourced rate)",
    }
    for counter in COUNTERS:
        p.add_argument(f"--{counter}", type=_count, metavar="N", help=f"the public {counter} of the same posts: {roles[counter]}")
    p.add_argument("--days", type=_positive_number, metavar="D", help="the period the count was gathered over, in days (> 0)")
    p.add_argument("--posts", type=_whole, metavar="N", help="the number of posts the count is summed over (>= 1)")
    p.add_argument("--followers", type=_count, metavar="N", help="the author's follower count: context only")
    _add_range_options(p)

    p = sub.add_parser("simulate", help="write a simulated log of a scenario and its truth")
    p.add_argument("--scenario", required=True, choices=list(_BUILDERS), metavar="NAME", help=f"one of {names}")
    p.add_argument(
        "--impressions",
        required=True,
        type=_positive_number,
        metavar="N",
        help="expected rendered impressions (the population is scaled to match)",
    )
    p.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="random seed (default 0): the same seed writes the same log"
    )
    p.add_argument("--out", required=True, metavar="LOG", help="the log: .parquet, .csv or .jsonl")
    p.add_argument("--truth", metavar="TRUTH.json", help="write the truth (the audit report of the complete log) here")
    p.add_argument("--policy", default="mrc-display", metavar="NAME|FILE", help="policy of the truth (default mrc-display)")

    p = sub.add_parser("demo", help="simulate a scaled-down scenario, audit it and compare with the truth")
    p.add_argument(
        "--scenario",
        default=DEMO_SCENARIO,
        choices=list(_BUILDERS),
        metavar="NAME",
        help=f"one of {names} (default {DEMO_SCENARIO})",
    )
    p.add_argument("--seed", type=_seed, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--impressions",
        type=_positive_number,
        default=DEMO_IMPRESSIONS,
        metavar="N",
        help=f"expected impressions (default {DEMO_IMPRESSIONS:,})",
    )
    p.add_argument(
        "--policy", default="mrc-display", metavar="NAME|FILE", help="policy of the audited ladder (default mrc-display)"
    )


def _rule_policies(scenario: Scenario) -> list[Policy]:
    return [*PRESETS.values(), *scenario.policies]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[bool]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _share(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "n/a"
    return f"{part / whole:.1%}"


def _factors(inflation: Any) -> str:
    return " x ".join(f"{k} {v}" for k, v in inflation.factors.items())


def _factor_lines(ranges: LadderRanges) -> list[str]:
    """The headline's factors. Unweighted, the point model's, whose product is the headline's
    estimate. Weighted by counters, the headline is a weighted median and so is each factor: the
    medians of factors need not multiply to the median of their product, so say so."""
    if not ranges.counters:
        return [f"  = {_factors(ranges.expected.inflation)}"]
    factors = "\n    ".join(f"{name} {value}" for name, value in ranges.inflation.factors.items())
    return ["  factors, each its own weighted median (they need not multiply to the headline):", f"    {factors}"]


_FIGURE_NAMES = {
    "views": "views",
    "viewable_impressions": "viewable impressions",
    "attended_unique_viewers": "unique attended viewers",
    "inflation": "inflation",
}


def _tornado(ranges: LadderRanges) -> list[str]:
    """The parameters that move each headline figure most, one short table per figure."""
    lines: list[str] = []
    for figure, swings in ranges.tornado(TORNADO_ROWS):
        name = _FIGURE_NAMES[figure]
        if figure == "views":
            name = f"views ({ranges.expected.policy.counts_as_view})"
        lines += [
            "",
            *_table(
                (name, "low", "high", "at low", "at high", "swing"),
                [
                    (
                        s.parameter,
                        format_number(s.low),
                        format_number(s.high),
                        format_number(s.at_low),
                        format_number(s.at_high),
                        f"{s.swing / abs(s.estimate):.0%}",
                    )
                    for s in swings
                ],
                right=(False, True, True, True, True, True),
            ),
        ]
    return lines


def _ladder_with_ranges(ranges: LadderRanges) -> list[str]:
    """The ladder with its intervals, the inflation and the tornado tables, as text lines."""
    policy = ranges.expected.policy
    rendered = ranges.ladder["rendered"].impressions.estimate
    return [
        "",
        f"expected ladder under {policy.name} ({policy.description}), "
        f"with {ranges.confidence_level:.0%} intervals over the parameter ranges:",
        "",
        *_table(
            ("rung", "impressions", "unique viewers", "of rendered"),
            [
                (r.level, str(r.impressions), str(r.unique_viewers), _share(r.impressions.estimate, rendered))
                for r in ranges.ladder
            ],
            right=(False, True, True, True),
        ),
        "",
        f"inflation: {ranges.inflation.headline} rendered impressions per unique attended viewer",
        *_factor_lines(ranges),
        "",
        "what moves the figures most (each parameter from its low to its high end, the others at their values):",
        *_tornado(ranges),
    ]


def _run_claim(args: argparse.Namespace) -> int:
    counters = {name: getattr(args, name) for name in COUNTERS}
    # Warnings (too few effective draws, a count above the platform's users) are printed by the
    # entry point, with the prefix of every other warning line.
    ranges = claim(
        args.views,
        platform=args.platform,
        policy=get_policy(args.policy),
        samples=args.samples,
        rng=args.seed,
        days=args.days,
        posts=args.posts,
        followers=args.followers,
        **counters,
    )
    if args.html:
        ranges.write_html(args.html)
    if args.json:
        out = {
            "views_published": args.views,
            "platform": args.platform,  # an alias given is resolved by the option's type
            "counting_rule": PLATFORMS[args.platform].rule,
            "scenario": ranges.scenario,
            **ranges.to_dict(),
        }
        print(json.dumps(out))
        return 0
    platform = PLATFORMS[args.platform]
    if ranges.counters:
        given = ", ".join(f"{value:,.0f} {name}" for name, value in ranges.counters.items())
        conditioning = (
            f"Conditioned on {given}: each draw weighted by how well it predicts them (log-normal, sd "
            f"{OBSERVATION_SD} of the log); estimates are weighted medians, intervals weighted quantiles; "
            f"effective sample size {ranges.effective_sample_size:,.0f} of {ranges.samples} draws."
        )
        estimates = "Intervals"
    else:
        conditioning = "No public counters given: --likes narrows the intervals." if not ranges.bounds else ""
        estimates = "Estimates at the parameters' values; intervals" if not ranges.bounds else "Medians and intervals"
    lines = [
        f"{args.views:,.0f} views published by {args.platform}, counted by the rule {platform.rule!r}: "
        f"{platform.rule_text}. Source: {platform.source}.",
        f"The ladder they imply: the {platform.template} feed model, its population re-derived for the published count.",
        *(
            [
                f"{ranges.beyond_user_base:,} of the {ranges.samples:,} draws needed more viewers than {args.platform}'s "
                f"{platform.users:,.0f} users and were ruled out.",
            ]
            if ranges.beyond_user_base
            else []
        ),
        *_ladder_with_ranges(ranges),
        "",
        f"Expectations of the complete log (closed form). {estimates}: "
        f"{ranges.samples} scrambled Sobol draws over the ranges (seed {ranges.seed}). {conditioning} "
        "Every parameter's range and source: --json, or docs/model.md.",
        *(["", "Bounds from the counters:", *(f"- {b}" for b in ranges.bounds)] if ranges.bounds else []),
        "",
        "Assumptions:",
        *(f"- {a}" for a in ranges.assumptions[1:]),
    ]
    print("\n".join(lines))
    return 0


def _run_model(args: argparse.Namespace) -> int:
    scenario = get_scenario(args.scenario)
    policy = get_policy(args.policy)
    ranges = expected_ladder_ranges(scenario, policy=policy, samples=args.samples, rng=args.seed)
    expected = ranges.expected
    rules = [(p, expected_ladder(scenario.model, policy=p)) for p in _rule_policies(scenario)]
    if args.html:
        ranges.write_html(args.html)
    if args.json:
        out = {
            "scenario": scenario.name,
            "description": scenario.description,
            "platform_policy": scenario.policy.name,
            **expected.to_dict(),
            # The figures with their intervals over the parameter ranges (estimate: the point model).
            "views": ranges.to_dict()["views"],
            "ladder": ranges.ladder.to_list(),
            "inflation": ranges.inflation.to_dict(),
            "method": ranges.method,
            "samples": ranges.samples,
            "seed": ranges.seed,
            "confidence_level": ranges.confidence_level,
            "sensitivity": [s.to_dict() for s in ranges.sensitivity],
            "ranges": [r.to_dict() for r in ranges.ranges],
            "sources": dict(scenario.sources),
            "compare": [
                {
                    "policy": p.name,
                    "counts_as_view": p.counts_as_view,
                    "views": e.views.to_dict(),
                    "inflation": e.inflation.headline.to_dict(),
                }
                for p, e in rules
            ],
        }
        print(json.dumps(out))
        return 0
    rendered = expected.ladder["rendered"].impressions.estimate
    lines = [
        f"scenario {scenario.name}: {scenario.description}",
        f"{scenario.model.viewers:,} accounts; the platform counts a view as: "
        f"{scenario.policy.counts_as_view} ({scenario.policy.name})",
        *_ladder_with_ranges(ranges),
        "",
        "expected views under each rule (at the parameters' values):",
        "",
        *_table(
            ("policy", "a view is", "views", "of rendered", "rendered per attended viewer"),
            [
                (p.name, p.counts_as_view, str(e.views), _share(e.views.estimate, rendered), str(e.inflation.headline))
                for p, e in rules
            ],
            right=(False, False, True, True, True),
        ),
        "",
        "Expectations of the complete log (closed form). Estimates at the parameters' values; intervals: "
        f"{ranges.samples} scrambled Sobol draws over the ranges (seed {ranges.seed}). Every parameter's range "
        "and source: --json, or docs/model.md.",
    ]
    print("\n".join(lines))
    return 0


def _truth_report(truth: Audit, scenario: Scenario, seed: int, model: Any, impressions: float) -> dict[str, Any]:
    return {
        **truth.to_dict(),
        "scenario": scenario.name,
        "seed": seed,
        "impressions_requested": impressions,
        "model": model.to_dict(),
        "expected": expected_ladder(model, policy=truth.policy).to_dict()["ladder"],
    }


def _run_simulate(args: argparse.Namespace) -> int:
    scenario = get_scenario(args.scenario)
    policy = get_policy(args.policy)
    model = scenario.model.scaled(impressions=args.impressions)
    check_streamable(model)  # before the output file is opened
    seed = as_seed(args.seed)
    if args.truth and Path(args.truth).suffix.lower() != ".json":
        raise ValueError(f"--truth must end in .json, got {args.truth!r}")
    if args.truth and not Path(args.truth).resolve().parent.exists():
        raise ValueError(f"--truth {args.truth!r}: its directory does not exist")
    started = time.perf_counter()
    with LogWriter(args.out, schema(model), dictionary=dictionary_columns(model)) as writer:
        truths = run(model, seed=seed, policies=[policy], sink=writer.write)
    truth = truths[policy.name]
    elapsed = time.perf_counter() - started
    if args.truth:
        Path(args.truth).write_text(
            json.dumps(_truth_report(truth, scenario, seed, model, args.impressions)) + "\n", encoding="utf-8"
        )
    print(
        f"wrote {writer.rows:,} rows to {args.out} ({scenario.name}, {model.viewers:,} accounts, seed {seed}) "
        f"in {elapsed:.1f} s" + (f"; truth in {args.truth}" if args.truth else "")
    )
    print()
    print(f"truth (the audit of the complete log) under {truth.policy.name}:")
    print(_ladder_lines(truth))
    return 0


def _ladder_lines(result: Audit | ExpectedLadder) -> str:
    return "\n".join(
        _table(
            ("rung", "impressions", "unique viewers"),
            [(r.level, str(r.impressions), str(r.unique_viewers)) for r in result.ladder],
            right=(False, True, True),
        )
    )


def _inside(estimate: Estimate, truth: Estimate) -> str:
    if estimate.low is None or estimate.high is None or truth.estimate is None:
        return ""
    if estimate.exact:
        return "" if estimate.estimate == truth.estimate else "  (differs)"
    return "" if estimate.low <= truth.estimate <= estimate.high else "  (outside)"


def _run_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    scenario = get_scenario(args.scenario)
    policy = get_policy(args.policy)
    rules = _rule_policies(scenario)
    sim = simulate(scenario.model, impressions=args.impressions, policy=policy, compare=rules, rng=args.seed)
    # One read of the log for every rule, the audited policy's included.
    extra = [] if policy.name in {p.name for p in rules} else [policy]
    comparison = compare(sim.log, policies=[*rules, *extra])
    audited = comparison[policy.name]
    comparison = attrs.evolve(comparison, audits=tuple(a for a in comparison.audits if a.policy not in extra))
    m = sim.model.measurement
    truth = sim.truth
    rows = []
    for a, t in zip(audited.ladder, truth.ladder, strict=True):
        rows.append(
            (a.level, str(a.impressions) + _inside(a.impressions, t.impressions), str(t.impressions),
             str(a.unique_viewers) + _inside(a.unique_viewers, t.unique_viewers), str(t.unique_viewers))
        )  # fmt: skip
    rendered = truth.ladder["rendered"].impressions.estimate
    rule_rows = []
    for rule in comparison.audits:
        views, true_views = rule.views, sim.truths[rule.policy.name].views
        rule_rows.append(
            (
                rule.policy.name,
                rule.policy.counts_as_view,
                str(views) + _inside(views, true_views),
                str(true_views),
                _share(true_views.estimate, rendered),
            )
        )
    outside = sum("(outside)" in cell for row in (*rows, *rule_rows) for cell in row)
    caveat = []
    if outside:
        caveat = [
            "",
            f"{outside} truth(s) fell outside the audit's 95 % interval. An interval misses 1 time in 20 by "
            "design; the accuracy benchmark (docs/benchmarks.md) measures how often each figure's does, and "
            "docs/methods.md where an estimate leans.",
        ]
    full = expected_ladder(scenario.model, policy=policy)
    full_rendered = full.ladder["rendered"].impressions.estimate or 0
    full_attended = full.ladder["attended"]
    unmeasured = audited.ladder["viewable"].undetermined
    lines = [
        f"viewaudit demo: scenario {scenario.name}, scaled to {args.impressions:,.0f} expected impressions (seed {sim.seed})",
        f"  {scenario.description}",
        "",
        f"A simulated log of {sim.log.num_rows:,} impressions by "
        f"{format_number(truth.ladder['rendered'].unique_viewers.estimate)} accounts. "
        f"As an auditor gets it: {1 - m.measurable:.0%} of rows unmeasured (no dwell or visibility)"
        + (f", dwell censored when the session ends (mean {m.censoring_mean_s:g} s left)" if m.censoring_mean_s else "")
        + (f", dwell rounded down to {m.rounding_ms:g} ms" if m.rounding_ms else "")
        + (f", {m.sampling_rate:.0%} of rows sampled" if m.sampling_rate < 1 else "")
        + ".",
        "",
        f"The audited ladder under {policy.name} ({policy.description}), beside the truth",
        "(the same audit of the complete, fully measured log); intervals are 95 %:",
        "",
        *_table(
            ("rung", "impressions (audit)", "(truth)", "unique viewers (audit)", "(truth)"),
            rows,
            right=(False, True, True, True, True),
        ),
        "",
        f"{unmeasured:,} impressions could not be judged viewable from the log; the audit estimates them from the measured ones.",
        f"Inflation: {audited.inflation.headline} rendered impressions per unique attended viewer "
        f"(truth {truth.inflation.headline})",
        f"  = {_factors(audited.inflation)}",
        "",
        "What this log's views would be under each platform's rule (audit; truth; truth as a share of rendered):",
        "",
        *_table(
            ("policy", "a view is", "views (audit)", "(truth)", "of rendered"), rule_rows, right=(False, False, True, True, True)
        ),
        *caveat,
        "",
        f"At full scale ({scenario.model.viewers:,} accounts, closed form): {format_number(full_rendered)} rendered impressions, "
        f"{full_attended.impressions} attended by {full_attended.unique_viewers} people under {policy.name}.",
        f"More: viewaudit model --scenario {scenario.name}; "
        f"viewaudit simulate --scenario {scenario.name} --impressions N --out log.parquet",
        f"({time.perf_counter() - started:.1f} s)",
    ]
    print("\n".join(lines))
    return 0


RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "model": _run_model,
    "claim": _run_claim,
    "simulate": _run_simulate,
    "demo": _run_demo,
}
