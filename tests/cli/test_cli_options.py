"""The CLI's --version, --progress / --no-progress, and the published rules that are not presets."""

from __future__ import annotations

import importlib.metadata
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import viewaudit as va
from viewaudit._policy import RULES

from test_main import LOG, run

#: The bar's unit, as tqdm prints it (" rows" with unit_scale).
BAR = "rows/s"


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "log.parquet"
    pq.write_table(LOG, path)
    return path


def _stderr_on_a_terminal(code: str) -> str:
    """What ``python -c code`` writes on stderr when stderr is a pseudo-terminal."""
    pty = pytest.importorskip("pty")
    fcntl, termios = pytest.importorskip("fcntl"), pytest.importorskip("termios")
    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, where tqdm draws nothing: give it 100.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=follower) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 0
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`viewaudit --version` prints `viewaudit X.Y.Z` from the package metadata and exits 0."""
    with pytest.raises(SystemExit) as stopped:
        run(capsys, "--version")
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"viewaudit {importlib.metadata.version('viewaudit')}\n"


@pytest.mark.parametrize("command", ["audit", "compare"])
def test_progress_draws_a_bar_on_stderr(capsys: pytest.CaptureFixture[str], log_path: Path, command: str) -> None:
    """--progress draws the bar even when stderr is not a terminal; the output is unchanged."""
    code, out, err = run(capsys, command, log_path, "--progress")
    assert code == 0
    assert BAR in err
    assert out == run(capsys, command, log_path)[1]


@pytest.mark.parametrize("flags", [(), ("--no-progress",)])
def test_no_bar_when_stderr_is_not_a_terminal_or_with_no_progress(
    capsys: pytest.CaptureFixture[str], log_path: Path, flags: tuple[str, ...]
) -> None:
    """By default (stderr captured, not a terminal) and with --no-progress, stderr stays empty."""
    code, _, err = run(capsys, "audit", log_path, *flags)
    assert code == 0
    assert err == ""


def test_the_cli_draws_the_bar_by_default_on_a_terminal(log_path: Path) -> None:
    """With stderr a terminal, `viewaudit audit` draws the bar without being asked."""
    code = f"from viewaudit._cli.main import main; raise SystemExit(main(['audit', {str(log_path)!r}]))"
    assert BAR in _stderr_on_a_terminal(code)


def test_no_progress_silences_the_bar_on_a_terminal(log_path: Path) -> None:
    """--no-progress turns the bar off even when stderr is a terminal."""
    code = f"from viewaudit._cli.main import main; raise SystemExit(main(['audit', {str(log_path)!r}, '--no-progress']))"
    assert BAR not in _stderr_on_a_terminal(code)


def test_python_audit_draws_the_bar_by_default_only_on_a_terminal(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """viewaudit.audit(progress=None), the default, draws the bar on a terminal and not otherwise."""
    va.audit(log_path)
    assert capsys.readouterr().err == ""
    assert BAR in _stderr_on_a_terminal(f"import viewaudit; viewaudit.audit({str(log_path)!r})")


@pytest.mark.parametrize("name", list(RULES))
def test_audit_takes_a_published_rule_by_name(capsys: pytest.CaptureFixture[str], log_path: Path, name: str) -> None:
    """`audit --policy kuaishou-...` audits under that rule, as the Python API does with its name."""
    code, out, err = run(capsys, "audit", log_path, "--policy", name, "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["policy"] == RULES[name].to_dict()
    assert report == json.loads(json.dumps(va.audit(log_path, policy=name).to_dict()))


def test_compare_takes_published_rules_only_when_asked(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """compare's default set is the presets; --policy adds a published rule by name."""
    _, out, _ = run(capsys, "compare", log_path, "--json")
    default = {a["policy"]["name"] for a in json.loads(out)["policies"]}
    assert default == set(va.PRESETS)
    code, out, _ = run(capsys, "compare", log_path, "--policy", "platform", "--policy", "kuaishou-long-play", "--json")
    assert code == 0
    assert [a["policy"]["name"] for a in json.loads(out)["policies"]] == ["platform", "kuaishou-long-play"]


def test_policies_lists_the_published_rules_apart(capsys: pytest.CaptureFixture[str]) -> None:
    """`viewaudit policies` lists the presets, then the other rules under a heading that says how to use them."""
    code, out, _ = run(capsys, "policies")
    assert code == 0
    presets, heading, rules = out.partition("Other published rules")
    assert heading
    assert all(f"\n{name}\n" in f"\n{presets}" for name in va.PRESETS)
    assert all(f"\n{name}\n" in rules for name in RULES)
    assert "--policy NAME" in rules.splitlines()[0]


def test_the_short_video_scenario_counts_with_the_published_rules() -> None:
    """The scenario's rules are the very policies `--policy` takes by name."""
    assert va.get_scenario("short-video").policies == tuple(RULES.values())
    assert all(va.get_policy(name) is rule for name, rule in RULES.items())
