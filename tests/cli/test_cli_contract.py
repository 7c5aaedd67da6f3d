"""The CLI contract on hostile input: one line and exit 2, quiet on a closed pipe, strict JSON, escaped text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from viewaudit._cli.main import main

CSV = "item_id,viewer_id,dwell_ms,visible_fraction\n1,1,2500,1.0\n1,2,500,0.9\n2,3,3000,0.2\n"


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(CSV)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("min_in_view_ms = 1" + "0" * 400 + "\n", "min_in_view_ms must be a number a float can hold"),
        ("a = " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
        ('interactions = ["dwell_ms"]\n', "interactions.*'dwell_ms' is a canonical column"),
        ('interactions = ["item_id"]\n', "interactions.*'item_id' is a canonical column"),
        ("min_in_view_ms = inf\n", "min_in_view_ms must be a finite number"),
        ("attention_ms = nan\n", "attention_ms must be >= 0, got nan"),
    ],
)
def test_bad_policy_files_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, log_path: Path, toml: str, match: str
) -> None:
    """A hostile policy file is a one-line error with exit 2, not an internal error."""
    policy = tmp_path / "p.toml"
    policy.write_text(toml)
    code, out, err = run(capsys, "audit", log_path, "--policy", policy)
    assert code == 2, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "internal error" not in err
    assert re.search(match, err), err


def test_closed_stdout_is_a_quiet_exit(tmp_path: Path, log_path: Path) -> None:
    """`viewaudit audit ... | head -c 1` ends quietly with exit 141, nothing on stderr."""
    script = "import sys; from viewaudit._cli.main import run; sys.argv=['viewaudit', 'policies']; run()"
    many = [sys.executable, "-c", script]
    proc = subprocess.Popen(many, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.read(1)
    proc.stdout.close()  # the reader leaves before the writer is done
    _, err = proc.communicate()
    assert err == b"", err
    assert proc.returncode in (0, 141)


def test_broken_pipe_in_main_returns_141(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A BrokenPipeError while printing is exit 141 with nothing on stderr."""
    import viewaudit._cli.main as cli

    def broken(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setitem(cli._RUNNERS, "policies", broken)
    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)
    code = cli.main(["policies"])
    _, err = capsys.readouterr()
    assert code == 141
    assert err == ""


@pytest.mark.parametrize(
    ("toml", "raw"),
    [
        ('name = "x\\u001b[31mred"\n', "\x1b"),
        ('description = "\\u009b2J"\n', "\x9b"),
        ('description = "bell\\u0007 and del\\u007f"\n', "\x07"),
    ],
)
def test_policy_text_is_escaped_in_text_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, log_path: Path, toml: str, raw: str
) -> None:
    """Control characters from a policy file reach the terminal escaped, in text and Markdown."""
    policy = tmp_path / "p.toml"
    policy.write_text(toml)
    for flags in ((), ("--markdown",)):
        code, out, err = run(capsys, "audit", log_path, "--policy", policy, *flags)
        assert code == 0, err
        assert raw not in out
        assert "\\x" in out


def test_column_names_in_errors_are_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An error quoting a column name with escape sequences prints it escaped, on one line."""
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x1b]0;pwned\x07name,other\n1,2\n")
    code, _out, err = run(capsys, "audit", path)
    assert code == 2
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "\\x1b" in err
    assert len(err.strip().splitlines()) == 1


def test_by_in_text_output_shows_the_groups(capsys: pytest.CaptureFixture[str], log_path: Path) -> None:
    """Text and Markdown output with --by end with the group table (--by is never silently ignored)."""
    for flags in ((), ("--markdown",)):
        code, out, _ = run(capsys, "audit", log_path, "--by", "item_id", *flags)
        assert code == 0
        assert "2 groups by item_id:" in out
        assert re.search(r"^\|? ?item_id +\|? ?rendered", out, re.MULTILINE)
    code, out, _ = run(capsys, "audit", log_path)
    assert "groups by" not in out


@pytest.mark.parametrize("precision", ["99", "3"])
def test_out_of_range_hll_precision_is_one_line_with_exact_counting(
    capsys: pytest.CaptureFixture[str], log_path: Path, precision: str
) -> None:
    """--hll-precision out of 4..16 is one error line and exit 2 even when viewers are counted
    exactly (it was accepted silently)."""
    code, out, err = run(capsys, "audit", log_path, "--hll-precision", precision)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"viewaudit: error: hll_precision must be an integer from 4 to 16, got {precision}"]
