"""`callerid run` as a real process with notifications to a real webhook: a police call arrives
within 5 s; with the hook down and the process killed -9 and restarted, it arrives once afterwards;
with no modem, one warning line and one notification, cleared when the simulator is plugged in."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from notify_helpers import Hook, wait_until

from callerid.model import CallerID
from callerid.modem.sim import SimCall, SimulatedModem

SCALE = 0.05
POLICE = "+8014190110"  # a foreign number made to look like a police line: police-lookalike


class TimedModem(SimulatedModem):
    """The simulator, noting when its write of each caller-ID record returned."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.written: dict[str, float] = {}

    def _send_caller_id(self, handle):  # noqa: ANN001, ANN202
        super()._send_caller_id(handle)
        self.written[handle.call.caller.number or ""] = time.monotonic()


def _config(tmp_path: Path, hook: Hook, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[speech]
enabled = false
[panel]
enabled = false
[web]
enabled = false
[modem]
quiet_seconds = 0.2
number_display = "off"
[notify]
urls = ["{hook.url}"]
language = "en"
retry_first_seconds = 0.2
retry_max_seconds = 1.0
[health]
modem_grace_seconds = 2.0
{extra}
""")
    return path


class Proc:
    """`callerid run` in its own process, its stderr collected line by line."""

    def __init__(self, config: Path, port: str, db: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", port,
             "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _attempts(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            row = conn.execute("SELECT MAX(attempts) FROM outbox WHERE key LIKE 'call:%'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return row[0] or 0


def _call_posts(hook: Hook) -> list[tuple[float, str]]:
    return [(t, f"{b.get('title')}\n{b.get('message')}") for t, b in hook.posts
            if str(b.get("title", "")).startswith("Call warning")]


def test_a_police_call_reaches_the_hook_within_five_seconds(tmp_path: Path) -> None:
    with Hook() as hook, TimedModem("conexant", time_scale=SCALE) as sim:
        proc = Proc(_config(tmp_path, hook), sim.port, tmp_path / "calls.db")
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=15)
            sim.play_call(SimCall(caller=CallerID(format="text", number=POLICE), rings=2))
            assert wait_until(lambda: _call_posts(hook), 10), "\n".join(proc.lines)
        finally:
            proc.stop()
    (arrived, text), = _call_posts(hook)
    assert arrived - sim.written[POLICE] < 5.0
    assert POLICE in text and "Fake police number" in text and "hung up automatically" in text


def test_with_the_hook_down_and_a_kill_9_the_call_arrives_once_afterwards(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    hook = Hook()  # down
    with TimedModem("conexant", time_scale=SCALE) as sim:
        config = _config(tmp_path, hook)
        proc = Proc(config, sim.port, db)
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=15)
            sim.play_call(SimCall(caller=CallerID(format="text", number=POLICE), rings=2))
            assert wait_until(lambda: _attempts(db) >= 2, 15), "never tried while the hook was down"
            proc.kill9()
        finally:
            proc.stop()
        proc = Proc(config, sim.port, db)  # restarted while the hook is still down
        try:
            assert wait_until(lambda: _attempts(db) >= 3, 15)
            with hook:  # the network is back
                assert wait_until(lambda: _call_posts(hook), 10)
                time.sleep(3.0)  # several retry periods: nothing may come twice
        finally:
            proc.stop()
    (_, text), = _call_posts(hook)
    assert POLICE in text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0


def test_no_modem_gives_one_warning_line_and_one_notification_and_plugging_in_clears_them(
    tmp_path: Path,
) -> None:
    link = tmp_path / "modem"
    with Hook() as hook:
        proc = Proc(_config(tmp_path, hook), str(link), tmp_path / "calls.db")
        try:
            assert hook.wait(1, 15), "\n".join(proc.lines)
            problems = [line for line in proc.lines if line.startswith("WARNING") and "PROBLEM" in line]
            assert len(problems) == 1 and "modem is missing" in problems[0]
            time.sleep(2.0)
            assert len(hook.posts) == 1
            with SimulatedModem("conexant", link, time_scale=SCALE):
                assert hook.wait(2, 20), "\n".join(proc.lines)
                assert wait_until(lambda: any("back to normal" in line for line in proc.lines), 5)
        finally:
            proc.stop()
    assert "back to normal" in hook.messages()[1]


def test_under_systemd_the_warning_is_a_warning_priority_journal_line(tmp_path: Path) -> None:
    """journald files a line at the priority in its `<N>` prefix: `journalctl -p warning` shows the fault."""
    log = tmp_path / "journal.txt"
    config = _config(tmp_path, Hook())
    with log.open("w") as stderr:
        info = os.fstat(stderr.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "callerid", "run", "--config", str(config),
             "--port", str(tmp_path / "none"), "--db", str(tmp_path / "calls.db")],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        try:
            assert wait_until(lambda: "PROBLEM" in log.read_text(), 15)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    lines = log.read_text().splitlines()
    assert any(line.startswith("<4>WARNING callerid.health: PROBLEM: The modem is missing") for line in lines)
    assert any(line.startswith("<6>INFO ") for line in lines)
    assert all(line.startswith("<") for line in lines)
