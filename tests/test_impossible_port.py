"""`callerid run` refuses a port that can never be a modem, and still waits for a missing one (14.8)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callerid.modem.probe import impossible_port
from callerid.modem.sim import SimulatedModem
from tests.test_run_process import CONFIG


def _run(tmp_path: Path, port: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return subprocess.Popen(
        [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", port, "--no-web",
         "--db", str(tmp_path / "calls.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("kind", ["/dev/null", "folder", "regular file"])
def test_run_refuses_a_path_that_can_never_be_a_modem(tmp_path: Path, kind: str) -> None:
    ports = {"/dev/null": "/dev/null", "folder": str(tmp_path), "regular file": str(tmp_path / "modem.txt")}
    port = ports[kind]
    (tmp_path / "modem.txt").write_text("AT\r\n")
    process = _run(tmp_path, port)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"run kept going on {port}: {err[-500:]}")
    assert process.returncode != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert port in lines[0] and "not a modem" in lines[0]
    assert "ready" not in err


def test_run_waits_for_a_usb_modem_that_is_not_plugged_in(tmp_path: Path) -> None:
    process = _run(tmp_path, "/dev/serial/by-id/usb-no-such-modem-if00")
    try:
        time.sleep(3.0)
        assert process.poll() is None, process.communicate()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_impossible_port_knows_terminals_from_the_rest(tmp_path: Path) -> None:
    assert impossible_port("auto") is None
    assert impossible_port(str(tmp_path / "missing")) is None  # hot-plug: wait for it
    assert impossible_port("/dev/null") is not None
    assert impossible_port(str(tmp_path)) is not None
    with SimulatedModem() as sim:  # a real pseudo-terminal, as a USB modem's tty
        assert impossible_port(sim.port) is None
