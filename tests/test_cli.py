"""The command line's contract: help everywhere, one-line errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from callerid.cli import COMMANDS, main


def test_python_dash_m_runs_the_same_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "callerid", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("callerid ")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_unknown_option_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-option"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "/nonexistent/callerid.toml", "check", "0312345678"],
        ["check", "--config", "/nonexistent/callerid.toml", "0312345678"],
        ["modem", "probe", "--config", "/nonexistent/callerid.toml"],
        ["modem", "--config", "/nonexistent/callerid.toml", "probe"],
    ],
)
def test_config_is_honoured_wherever_it_is_given(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`--config` before or after the command (and its sub-command) must reach the command."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/callerid.toml" in err and len(err.strip().splitlines()) == 1
