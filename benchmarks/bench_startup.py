"""What importing viewaudit costs: `import viewaudit` beyond `import numpy, pyarrow`, and what
viewaudit's Hypothesis entry point adds to `import hypothesis`.

One command:  python benchmarks/bench_startup.py [--repeat 15]

Every figure is timed inside a fresh interpreter (so nothing is cached in ``sys.modules``), with
the interpreter's own start-up left out; the cases alternate round by round, and each row shows
the median of the rounds. The last row times viewaudit's entry point alone, after Hypothesis
is imported with plugins off. The baselines run in the same rounds: ``import numpy, pyarrow``, and
``import hypothesis`` with plugins off (``HYPOTHESIS_NO_PLUGINS=1``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

#: What each case imports before the clock starts, and what it times.
CASES = {
    "numpy + pyarrow (baseline)": ("", "import numpy, pyarrow"),
    "viewaudit, beyond numpy + pyarrow": ("import numpy, pyarrow", "import viewaudit"),
    "viewaudit.audit, beyond numpy + pyarrow": ("import numpy, pyarrow", "from viewaudit import audit"),
    "hypothesis, plugins off (baseline)": ("", "import hypothesis"),
    "hypothesis, with viewaudit's plugin": ("", "import hypothesis"),
    "viewaudit's plugin alone": ("import hypothesis", "import _viewaudit_hypothesis as p\np._register_hypothesis()"),
}
NO_PLUGINS = {"hypothesis, plugins off (baseline)", "viewaudit's plugin alone"}


def seconds(before: str, timed: str, *, plugins: bool) -> float:
    """The time ``timed`` takes in a fresh interpreter, after ``before``."""
    code = f"{before}\nimport time\nstart = time.perf_counter()\n{timed}\nprint(time.perf_counter() - start)"
    env = dict(os.environ)
    env.pop("HYPOTHESIS_NO_PLUGINS", None)
    if not plugins:
        env["HYPOTHESIS_NO_PLUGINS"] = "1"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="rounds; each row is their median")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, (before, timed) in CASES.items():
            times[name].append(seconds(before, timed, plugins=name not in NO_PLUGINS))
    median = {name: statistics.median(values) for name, values in times.items()}
    base, hyp_base = median["numpy + pyarrow (baseline)"], median["hypothesis, plugins off (baseline)"]
    print(f"median of {args.repeat} fresh interpreters, Python {sys.version.split()[0]}\n")
    print("| import | median (s) | against the baseline |")
    print("|---|---|---|")
    for name, value in median.items():
        if "beyond" in name:
            against = f"{value / base:.2f}x the baseline"
        elif name == "hypothesis, with viewaudit's plugin":
            against = f"{value - hyp_base:+.3f} s (Hypothesis' entry-point scan included)"
        elif name == "viewaudit's plugin alone":
            against = "the entry point's own call"
        else:
            against = "baseline"
        print(f"| {name} | {value:.3f} | {against} |")


if __name__ == "__main__":
    main()
