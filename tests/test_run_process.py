"""`callerid run` as a real process: clean shutdown on SIGTERM, and kill -9 loses no committed call."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from callerid.model import CallerID
from callerid.modem.sim import SimCall, SimulatedModem

SCALE = 0.05

CONFIG = """
[speech]
enabled = false
[panel]
enabled = false
[web]
enabled = false
[modem]
quiet_seconds = 0.2
number_display = "off"
"""


def _start(tmp_path: Path, port: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    return subprocess.Popen(
        [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", port,
         "--db", str(tmp_path / "calls.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _logged(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as conn:
        try:
            return conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _wait(predicate, timeout: float) -> bool:  # noqa: ANN001 - a zero-argument callable
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_sigterm_shuts_down_cleanly_within_five_seconds(tmp_path: Path) -> None:
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        proc = _start(tmp_path, sim.port)
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10), "modem never initialised"
            sim.play_call(SimCall(caller=CallerID(format="text", number="0335814321"), rings=2)).wait(5)
            assert _wait(lambda: _logged(tmp_path / "calls.db") == 1, 5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=5)
            assert time.monotonic() - started < 5
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, output
    assert "Traceback" not in output


def test_kill_9_mid_call_loses_no_committed_record(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    numbers = ["0335814321", "+8014190110", "0471230000", "0335814311"]
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        proc = _start(tmp_path, sim.port)
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            for n, number in enumerate(numbers, start=1):
                sim.play_call(SimCall(caller=CallerID(format="text", number=number), rings=2)).wait(5)
                assert _wait(lambda n=n: _logged(db) >= n, 5)
            # A fifth call is ringing when the power goes.
            sim.play_call(SimCall(caller=CallerID(format="text", number="0312345678"), rings=3))
            time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        finally:
            if proc.poll() is None:
                proc.kill()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    logged = [row[0] for row in sqlite3.connect(db).execute("SELECT number FROM calls ORDER BY id")]
    assert logged[: len(numbers)] == numbers


def test_a_broken_police_csv_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "police.csv").write_text("kind,prefecture_ja\nhq,x\n")
    (tmp_path / "config.toml").write_text('[police]\nextra_csv = "police.csv"\n[web]\nenabled = false\n')
    out = subprocess.run(
        [sys.executable, "-m", "callerid", "run", "--config", str(tmp_path / "config.toml"),
         "--db", str(tmp_path / "calls.db")],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "police.csv" in out.stderr and "Traceback" not in out.stderr
