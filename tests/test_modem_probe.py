"""`callerid modem probe` against the simulator, and its one-line error when there is no modem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callerid.modem.sim import SimulatedModem

ROOT = Path(__file__).resolve().parents[1]


def callerid(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLERID_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "callerid", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=30)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('region = "JP"\n')
    return path


def test_probe_prints_identity_profile_and_accepted_commands(config: Path) -> None:
    with SimulatedModem("usr") as sim:
        result = callerid("modem", "probe", "--port", sim.port, "--timeout", "0.5", config=config)
        commands = sim.commands()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "U.S. Robotics 56K FAX USB V1.2.23" in out
    assert "profile   usr: U.S. Robotics USB Faxmodem 5637 (matched by ati)" in out
    assert "AT#CID=1 OK, AT+VCID=1 ERROR, AT%CCID=1 ERROR" in out
    assert "enabled   AT#CID=1" in out
    assert "country   00: OK" in out
    # every fallback was tried, and the accepted one set last so the modem is left in that mode
    assert commands[-4:] == ["AT#CID=1", "AT+VCID=1", "AT%CCID=1", "AT#CID=1"]


def test_probe_json_for_silabs_in_japan(config: Path) -> None:
    with SimulatedModem("silabs") as sim:
        result = callerid("modem", "probe", "--port", sim.port, "--json", "--timeout", "0.5", config=config)
        commands = sim.commands()
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["profile"] == "silabs"
    assert info["caller_id_enabled"] == "AT+VCID=1"
    assert info["caller_id"] == {"AT+VCID=1": "OK", "AT#CID=1": "ERROR", "AT%CCID=1": "ERROR"}
    assert "AT+VCDT=3" in commands  # Japanese caller-ID detection selected for country 00


def test_probe_without_a_modem_is_one_clear_line(config: Path, tmp_path: Path) -> None:
    result = callerid("modem", "probe", "--discovery-root", str(tmp_path), config=config)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no modem found" in result.stderr and "Traceback" not in result.stderr


def test_probe_of_a_missing_port_is_one_clear_line(config: Path, tmp_path: Path) -> None:
    result = callerid("modem", "probe", "--port", str(tmp_path / "ttyACM9"), config=config)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("No such file or directory")
    assert result.stderr.count("\n") == 1


def test_probe_of_a_silent_device_times_out_cleanly(config: Path) -> None:
    with SimulatedModem("conexant") as sim:
        sim.go_silent(30)
        result = callerid("modem", "probe", "--port", sim.port, "--timeout", "0.2", config=config)
    assert result.returncode == 2
    assert "no answer to ATZ" in result.stderr
