"""The ``viewaudit`` command line: audit, compare, policies, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._cli.main import main

LOG = pa.table(
    {
        "item_id": [1, 1, 1, 2, 2, 2, 3, 3],
        "viewer_id": [10, 10, 11, 12, None, 13, 14, 14],
        "author_id": [99, 99, 99, 12, 98, 98, 98, 98],
        "dwell_ms": [2500.0, 500.0, 1500.0, 3000.0, 4000.0, 2200.0, 5000.0, 1200.0],
        "visible_fraction": [1.0, 0.9, 0.6, 1.0, 0.7, 0.8, 0.4, 0.5],
        "user_agent": ["Mozilla/5.0", "Mozilla/5.0", "Googlebot/2.1", "Mozilla/5.0", "x", "y", "z", "z"],
        "liked": [True, False, False, False, False, True, False, False],
    }
)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "log.parquet"
    pq.write_table(LOG, path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_audit_prints_the_ladder(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """`viewaudit audit FILE` prints the ladder and inflation as text, as str(Audit) does."""
    code, out, err = run(capsys, "audit", log_path)
    assert code == 0
    assert err == ""
    assert out.rstrip("\n") == str(va.audit(log_path))
    for level in va.LEVELS:
        assert level in out


def test_audit_json_prints_only_the_report(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """--json prints exactly one JSON document on stdout: Audit.to_dict()."""
    code, out, _ = run(capsys, "audit", log_path, "--json")
    assert code == 0
    report = json.loads(out)
    assert report == json.loads(json.dumps(va.audit(log_path).to_dict()))
    assert report["rows"] == {"read": 8, "accepted": 8, "rejected": {}}
    assert [r["level"] for r in report["ladder"]] == list(va.LEVELS)
    assert set(report) >= {"rows", "policy", "ladder", "inflation", "groups"}


def test_audit_reads_several_sources(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Several SOURCE arguments are one log."""
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pq.write_table(LOG.slice(0, 5), first)
    pq.write_table(LOG.slice(5), second)
    code, out, _ = run(capsys, "audit", first, second, "--json")
    assert code == 0
    assert json.loads(out)["ladder"] == va.audit(LOG).to_dict()["ladder"]


def test_audit_markdown(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """--markdown prints the report as Markdown tables."""
    code, out, _ = run(capsys, "audit", log_path, "--markdown")
    assert code == 0
    assert out.rstrip("\n") == va.audit(log_path).to_markdown()
    assert "| rung | impressions | unique viewers | undetermined |" in out


def test_audit_by_groups(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """--by COL adds one group per value to the JSON report."""
    code, out, _ = run(capsys, "audit", log_path, "--by", "item_id", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["by"] == ["item_id"]
    assert [g["key"] for g in report["groups"]] == [{"item_id": 1}, {"item_id": 2}, {"item_id": 3}]


def test_audit_columns_maps_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--columns canonical=source,... reads the user's own column names."""
    path = tmp_path / "renamed.csv"
    pa_csv.write_csv(LOG.rename_columns(["post", "user", *LOG.column_names[2:]]), path)
    code, out, _ = run(capsys, "audit", path, "--columns", "item_id=post,viewer_id=user", "--json")
    assert code == 0
    assert json.loads(out)["ladder"] == va.audit(LOG).to_dict()["ladder"]


def test_audit_rejects_writes_the_bad_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--rejects PATH writes the rejected rows with _row and _reason; the report counts them."""
    source = tmp_path / "log.csv"
    source.write_text("item_id,dwell_ms\n1,100\n2,-5\n,7\n3,abc\n")
    rejects = tmp_path / "rejects.jsonl"
    code, out, _ = run(capsys, "audit", source, "--rejects", rejects, "--json")
    assert code == 0
    assert json.loads(out)["rows"] == {
        "read": 4,
        "accepted": 1,
        "rejected": {"item_id: null": 1, "dwell_ms: negative": 1, "dwell_ms: not a number": 1},
    }
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["_row"], r["_reason"]) for r in rows] == [
        (1, "dwell_ms: negative"),
        (2, "item_id: null"),
        (3, "dwell_ms: not a number"),
    ]


def test_audit_policy_from_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path, log_path: Path) -> None:
    """--policy FILE.toml audits under a user policy."""
    policy = tmp_path / "strict.toml"
    policy.write_text(
        '[policy]\nname = "strict"\nmin_visible_fraction = 1\nmin_in_view_ms = 2000\n'
        'bot_user_agents = ["bot", "^z$"]\ninteractions = ["liked"]\n'
    )
    code, out, _ = run(capsys, "audit", log_path, "--policy", policy, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["policy"]["name"] == "strict"
    assert report == json.loads(json.dumps(va.audit(log_path, policy=va.Policy.from_toml(policy)).to_dict()))
    viewable = {r["level"]: r for r in report["ladder"]}["viewable"]["impressions"]
    # only row 0 is fully visible for >= 2 s and valid (row 3 is a self-view)
    assert viewable == {"estimate": 1, "low": 1, "high": 1}


def test_policies_lists_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    """`viewaudit policies` lists every preset with its rule and source; --json as objects."""
    code, out, _ = run(capsys, "policies")
    assert code == 0
    for name, policy in va.PRESETS.items():
        assert f"{name}\n" in out
        assert policy.source in out
    code, out, _ = run(capsys, "policies", "--json")
    assert code == 0
    assert json.loads(out) == [p.to_dict() for p in va.PRESETS.values()]


def test_compare_runs_every_preset(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """`viewaudit compare` audits the log under every preset (or the chosen ones)."""
    code, out, _ = run(capsys, "compare", log_path)
    assert code == 0
    assert out.rstrip("\n") == str(va.compare(log_path))
    code, out, _ = run(capsys, "compare", log_path, "--json")
    report = json.loads(out)
    assert [p["policy"]["name"] for p in report["policies"]] == list(va.PRESETS)
    platform = report["policies"][0]
    assert platform["views"]["estimate"] == 8  # every render
    code, out, _ = run(capsys, "compare", log_path, "--policy", "mrc-display", "--policy", "meta-3s", "--json")
    assert [p["policy"]["name"] for p in json.loads(out)["policies"]] == ["mrc-display", "meta-3s"]


def test_compare_in_python_is_one_audit_per_policy(log_path: Path) -> None:
    """compare() equals an audit under each policy."""
    comparison = va.compare(log_path, policies=["platform", "mrc-video"])
    for name in ("platform", "mrc-video"):
        assert comparison[name].ladder == va.audit(log_path, policy=name).ladder
    assert comparison.to_arrow().column("policy").to_pylist() == ["platform", "mrc-video"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit", "{tmp}/missing.parquet"], "viewaudit: error: no such file or directory: '{tmp}/missing.parquet'"),
        (["audit", "{bad}"], "viewaudit: error: column 'item_id' is required but missing; the source has columns 'post'"),
        (
            ["audit", "{log}", "--policy", "mrc"],
            "viewaudit: error: unknown policy 'mrc'; expected a preset (platform, mrc-display, mrc-video, meta-3s, "
            "linkedin-mobile, trueview), another published rule (kuaishou-valid-play, kuaishou-long-play, "
            "kuaishou-not-short) or a .toml file",
        ),
        (
            ["compare", "{log}", "--policy", "mrc"],
            "viewaudit: error: unknown policy 'mrc'; expected a preset (platform, mrc-display, mrc-video, meta-3s, "
            "linkedin-mobile, trueview), another published rule (kuaishou-valid-play, kuaishou-long-play, "
            "kuaishou-not-short) or a .toml file",
        ),
        (
            ["audit", "{log}", "--columns", "item_id"],
            "viewaudit: error: --columns expects canonical=source pairs separated by commas, got 'item_id'",
        ),
        (
            ["audit", "{log}", "--on-invalid", "raise", "--columns", "dwell_ms=visible_fraction,visible_fraction=dwell_ms"],
            "viewaudit: error: row 0: column 'visible_fraction' must be a value in [0, 1], got 2500.0",
        ),
        (
            ["audit", "{log}", "--rejects", "{tmp}/rejects.txt"],
            "viewaudit: error: rejects path must end in .parquet, .csv or .jsonl, got '{tmp}/rejects.txt'",
        ),
        (
            ["frobnicate"],
            "viewaudit: error: argument command: invalid choice: 'frobnicate' (choose from audit, compare, policies",
        ),
        (["audit"], "viewaudit: error: the following arguments are required: SOURCE (see viewaudit audit --help)"),
        (
            ["audit", "{log}", "--confidence-level", "high"],
            "viewaudit: error: argument --confidence-level: invalid float value: 'high' (see viewaudit audit --help)",
        ),
    ],
    ids=[
        "missing-file",
        "bad-schema",
        "unknown-policy",
        "compare-unknown-policy",
        "bad-columns",
        "raise-at-bad-row",
        "bad-rejects-path",
        "unknown-subcommand",
        "no-source",
        "bad-confidence",
    ],
)
def test_errors_are_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, log_path: Path, argv: list[str], message: str
) -> None:
    """Bad input: exactly one line on stderr, exit code 2, nothing on stdout, no traceback."""
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"post": [1]}), bad)
    fill = {"tmp": str(tmp_path), "log": str(log_path), "bad": str(bad)}
    code, out, err = run(capsys, *(a.format(**fill) for a in argv))
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    expected = message.format(**fill)
    if argv == ["frobnicate"]:  # argparse quotes the choices differently across Python versions
        assert lines[0].replace("'", "").startswith(expected.replace("'", ""))
    else:
        assert lines[0] == expected


def test_warnings_go_to_stderr_and_json_stays_clean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A warning is one line on stderr; stdout still holds only the JSON report."""
    path = tmp_path / "sampled.parquet"
    # A sample where every viewer was seen once: the reach model warns that it is degenerate.
    pq.write_table(pa.table({"item_id": [1, 2], "viewer_id": [1, 2]}), path)
    code, out, err = run(capsys, "audit", path, "--json", "--sample-rate", "0.5")
    assert code == 0
    json.loads(out)
    assert all(line.startswith("viewaudit: warning: ") for line in err.splitlines())
    assert err


def test_python_m_viewaudit_end_to_end(log_path: Path) -> None:
    """`python -m viewaudit audit ... --json` runs as a program and prints the JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "viewaudit", "audit", str(log_path), "--json", "--by", "item_id"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == json.loads(json.dumps(va.audit(log_path, by="item_id").to_dict()))
    assert len(report["groups"]) == 3


def _modules_after_main(*argv: str | Path) -> set[str]:
    """The modules loaded in a fresh interpreter that ran the command line with ``argv``."""
    code = (
        "import contextlib, io, sys\nfrom viewaudit._cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    code = main({[str(a) for a in argv]!r})\n"
        "print(code)\nprint('\\n'.join(sys.modules))"
    )
    here = str(Path(va.__file__).resolve().parents[1])  # this checkout's package, not another's
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, env=env)
    code_line, *modules = done.stdout.split()
    assert code_line == "0", done.stderr
    return set(modules)


def test_audit_does_not_load_the_feed_model(log_path: Path) -> None:
    """`viewaudit audit` loads neither the feed model's subcommands nor the model (about 0.1 s
    of start-up); `viewaudit model` still finds its subcommand."""
    loaded = _modules_after_main("audit", log_path, "--by", "item_id", "--json")
    assert "viewaudit._cli.model" not in loaded
    assert not {m for m in loaded if m.startswith("viewaudit._model")}
    assert "viewaudit._cli.model" in _modules_after_main("model", "--scenario", "x-openai-2023")


def test_a_plain_audit_does_not_load_the_optimiser(log_path: Path) -> None:
    """scipy.optimize (0.12 to 0.16 s of start-up) serves sampled logs and the exposure models:
    an audit of a complete log does not load it."""
    assert "scipy.optimize" not in _modules_after_main("audit", log_path, "--by", "item_id", "--json")


def test_help_lists_the_feed_model_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """The top-level help names every subcommand, those loaded on demand included."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("audit", "compare", "policies", "model", "claim", "simulate", "demo"):
        assert command in out
