"""The ``viewaudit`` command line: audit, compare and list policies.

Errors print one line on stderr and exit with code 2 (bad input) or 1 (a bug); never a traceback.
A reader that leaves early (``| head``) ends the command quietly with code 141, as SIGPIPE would.
Text from files and policies is printed with its control characters escaped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from viewaudit._api import audit, compare
from viewaudit._policy import PRESETS, RULES, get_policy
from viewaudit._read.rejects import refuse_input
from viewaudit._report.values import printable
from viewaudit._schema import ColumnMap

EXIT_USAGE = 2
EXIT_BUG = 1
#: 128 + SIGPIPE: what a shell reports for a command whose reader closed the pipe.
EXIT_PIPE = 141


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        # The prefix every other error line has; the command's help says what it takes.
        raise _UsageError(f"viewaudit: error: {message} (see {self.prog} --help)")


def _rounding(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number of ms, got {text!r}") from None


def _add_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="Parquet, CSV or JSON Lines files, directories or globs")
    p.add_argument("--columns", metavar="MAP", help="canonical=source column pairs, e.g. item_id=post_id,viewer_id=user")
    p.add_argument(
        "--on-invalid", choices=("reject", "raise"), default="reject", help="reject bad rows (default) or stop at the first"
    )
    p.add_argument("--confidence-level", type=float, default=0.95, metavar="C", help="of every interval (default 0.95)")
    p.add_argument(
        "--rounding-ms",
        type=_rounding,
        default="auto",
        metavar="MS",
        help="the logger floored dwell and in-view times to multiples of this (1000: whole seconds; 0: exact; "
        "default auto: read from the values)",
    )
    p.add_argument(
        "--sample-rate",
        type=float,
        metavar="P",
        help="the log kept each row of the complete log with probability P (instead of a weight column)",
    )
    p.add_argument("--strata", metavar="COL", help="estimate unmeasured impressions within each value of this column")
    p.add_argument(
        "--format",
        choices=("ebnerd",),
        help="the sources are a dataset's files, mapped to impressions (ebnerd: EB-NeRD behaviors)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="show a progress bar on stderr (default: only when stderr is a terminal)",
    )


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading the
    installed packages' metadata costs every other command about 0.03 s)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")  # argparse's words
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None
    ) -> None:
        print(f"viewaudit {_version()}")
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given ``argv``, the feed model's subcommands are added only
    if it may name one: an audit does not load the model (about 0.1 s)."""
    parser = _Parser(prog="viewaudit", description="How many of those views were real, and how sure are we?")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("audit", help="the view ladder of an impression log under one policy")
    _add_source_options(p)
    p.add_argument(
        "--policy",
        default="mrc-display",
        metavar="NAME|FILE",
        help="a policy name (see `viewaudit policies`) or a .toml policy file (default mrc-display)",
    )
    p.add_argument("--by", action="append", metavar="COL", help="group by this column (repeatable)")
    p.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    p.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    p.add_argument("--html", metavar="PATH", help="also write the report as one self-contained HTML page (figures inline)")
    p.add_argument("--rejects", metavar="PATH", help="write rejected rows with their reason (.parquet, .csv or .jsonl)")
    p.add_argument(
        "--groups",
        metavar="PATH",
        help="write every group's ladder, a row per group and rung (.parquet, .csv or .jsonl; with --by)",
    )
    p.add_argument(
        "--unique-viewers",
        choices=("exact", "hll"),
        default="exact",
        help="count unique viewers exactly (default) or with HyperLogLog sketches (bounded memory)",
    )
    p.add_argument("--hll-precision", type=int, default=10, metavar="P", help="HyperLogLog registers 2**P (default 10)")
    p.add_argument(
        "--frequency", type=int, metavar="K", help="also report each rung's k+ reach (viewers with >= k impressions), k = 1..K"
    )
    p.add_argument("--population", type=float, metavar="N", help="report reach as a share of N people too")

    p = sub.add_parser("compare", help="one log's views under every preset (or the --policy ones)")
    _add_source_options(p)
    p.add_argument("--by", action="append", metavar="COL", help="group by this column too (repeatable; groups in --json)")
    p.add_argument(
        "--policy", action="append", metavar="NAME|FILE", help="a policy to include (repeatable; default: every preset)"
    )
    p.add_argument("--json", action="store_true", help="print only the JSON report on stdout")
    p.add_argument("--html", metavar="PATH", help="also write the comparison as one self-contained HTML page")

    p = sub.add_parser("policies", help="list the policy presets and other published rules, with their sources")
    p.add_argument("--json", action="store_true", help="print the presets as JSON")

    if argv is None or _may_name_extra(argv):
        _load_extra_commands()
        for register in _EXTRA_COMMANDS:
            register(sub)
    return parser


def _may_name_extra(argv: Sequence[str]) -> bool:
    """Whether ``argv`` may name a subcommand other than the core ones, or asks for the help
    that lists them all (or names none, for the error to list them all)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return True
        if not arg.startswith("-"):
            return arg not in _CORE_COMMANDS
    return True


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("viewaudit")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was not installed
        from viewaudit import __version__

        return __version__


#: Other modules (the feed model) add subcommands here: each is called with the subparsers.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []
#: The subcommands of this module; the others are loaded only when a command line may name one.
_CORE_COMMANDS = frozenset({"audit", "compare", "policies"})


def _sources(args: argparse.Namespace) -> Any:
    return args.sources[0] if len(args.sources) == 1 else list(args.sources)


def _run_audit(args: argparse.Namespace) -> int:
    if args.groups is not None:
        if not args.by:
            raise ValueError("--groups writes each group's ladder: give --by COL too")
        refuse_input(args.groups, _sources(args), what="groups")
    if args.html is not None:
        refuse_input(args.html, _sources(args), what="html")
    result = audit(
        _sources(args),
        policy=args.policy,
        columns=ColumnMap.parse(args.columns) if args.columns else None,
        by=args.by,
        on_invalid=args.on_invalid,
        rejects=args.rejects,
        confidence_level=args.confidence_level,
        progress=args.progress,
        unique_viewers=args.unique_viewers,
        hll_precision=args.hll_precision,
        rounding_ms=args.rounding_ms,
        sample_rate=args.sample_rate,
        strata=args.strata,
        frequency=args.frequency,
        population=args.population,
        format=args.format,
    )
    if args.groups is not None:
        result.write_groups(args.groups)
    if args.html is not None:
        result.write_html(args.html)
    if args.json:
        # Streamed: a million groups never sit in memory as one JSON text.
        result.write_json(sys.stdout)
        sys.stdout.write("\n")
        return 0
    # With --by, both end with the largest groups and where to find all of them.
    _echo(result.to_markdown() if args.markdown else str(result))
    if args.groups:
        _echo(f"\nEvery group's ladder is in {args.groups}.")
    return 0


def _run_compare(args: argparse.Namespace) -> int:
    if args.html is not None:
        refuse_input(args.html, _sources(args), what="html")
    result = compare(
        _sources(args),
        policies=args.policy,
        columns=ColumnMap.parse(args.columns) if args.columns else None,
        on_invalid=args.on_invalid,
        confidence_level=args.confidence_level,
        progress=args.progress,
        rounding_ms=args.rounding_ms,
        sample_rate=args.sample_rate,
        strata=args.strata,
        by=args.by,
        format=args.format,
    )
    if args.html is not None:
        result.write_html(args.html)
    if args.json:
        _print_json(result.to_dict())
    else:
        _echo(str(result))
    return 0


def _run_policies(args: argparse.Namespace) -> int:
    if args.json:
        _print_json([p.to_dict() for p in PRESETS.values()])
        return 0
    for p in PRESETS.values():
        _print_policy(p)
    print()
    print("Other published rules (the short-video scenario's; `--policy NAME` takes them, `compare` only when asked):")
    for p in RULES.values():
        _print_policy(p)
    return 0


def _print_policy(p: Any) -> None:
    print(f"{p.name}")
    print(f"  {p.description}")
    print(
        f"  viewable: visible >= {p.min_visible_fraction:g}, in view >= {p.min_in_view_ms:g} ms; "
        f"attended: dwell >= {p.attention_ms:g} ms; a view is: {p.counts_as_view}; "
        f"self-views {'excluded' if p.exclude_self_views else 'count'}"
    )
    print(f"  source: {p.source}")


def _echo(text: str) -> None:
    print(printable(text, lines=True))


def _print_json(value: Any) -> None:
    # Strict JSON: the report holds no NaN or infinity (null instead); should one slip through,
    # this fails loudly rather than print what JSON parsers reject.
    print(json.dumps(value, allow_nan=False))


def _error(message: str) -> None:
    print(printable(message), file=sys.stderr)


def _silence_stdout() -> None:
    # Python's advice (docs: "Note on SIGPIPE"): point stdout at devnull, so that the flush at
    # exit does not fail a second time with "Exception ignored ... BrokenPipeError".
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


_RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "audit": _run_audit,
    "compare": _run_compare,
    "policies": _run_policies,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``viewaudit`` command; returns the exit code."""
    try:
        args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
        if getattr(args, "policy", None) and isinstance(args.policy, str):
            get_policy(args.policy)  # fail fast on an unknown policy, before reading anything
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = _RUNNERS[args.command](args)
            sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
        for w in caught:
            _error(f"viewaudit: warning: {w.message}")
        return code
    except BrokenPipeError:  # e.g. piped into `head`: the reader left, nothing to report
        _silence_stdout()
        return EXIT_PIPE
    except _UsageError as err:
        _error(str(err))
        return EXIT_USAGE
    except (ValueError, TypeError, OSError, KeyError) as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        _error(f"viewaudit: error: {message}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("viewaudit: interrupted")
        return 130
    except Exception as err:  # a bug: still one line, never a traceback
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        _error(f"viewaudit: internal error ({type(err).__name__}): {message}")
        return EXIT_BUG


def run() -> NoReturn:
    sys.exit(main())


def _load_extra_commands() -> None:
    # The feed model's subcommands (model, claim, simulate, demo) live with the model, which is
    # imported only here, when a command line may name one of them (an audit does not: about
    # 0.1 s of start-up); viewaudit._model never imports this module, so there is no cycle.
    if _EXTRA_COMMANDS:
        return
    from viewaudit._cli.model import RUNNERS, register

    _EXTRA_COMMANDS.append(register)
    _RUNNERS.update(RUNNERS)
