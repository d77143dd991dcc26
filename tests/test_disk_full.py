"""A disk that fills up and empties again (issue 14.2): on a real, small tmpfs.

Nothing is lost: the write-ahead log is kept small and truncated when the disk fills, a reserve
file next to the log is given up for the calls that still need writing, held calls are written
as soon as space comes back, and at SIGTERM whatever could still not be written is kept in the
journal. Each failed write is one log line, not a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from callerid.appliance import ApplianceHooks, build_runtime
from callerid.model import CallerID
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.store import Store
from tests.test_appliance import quiet_config
from tests.test_run_process import CONFIG
from tests.web_support import police_record

SCALE = 0.05


@contextlib.contextmanager
def small_disk(where: Path, size: str = "400k") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` (skips when mounting is not permitted here)."""
    where.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip() or 'not root'})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk with a ballast file, leaving about `leave` bytes free."""
    ballast = disk / "ballast"
    with open(ballast, "ab") as out:
        while free_bytes(disk) > leave:
            try:
                out.write(b"\0" * min(4096, max(1, free_bytes(disk) - leave)))
                out.flush()
            except OSError:
                break
    return ballast


def give_back(ballast: Path, nbytes: int) -> None:
    size = ballast.stat().st_size
    os.truncate(ballast, max(0, size - nbytes))


def wal_bytes(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_write_ahead_log_stays_small_and_a_small_margin_still_takes_calls(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "calls.db"
        with Store(db) as store:
            store.add_call(police_record())
            fill(disk, leave=20 * 1024)
            for _ in range(10):
                store.add_call(police_record())
                assert wal_bytes(db) <= 128 * 1024, f"the WAL grew to {wal_bytes(db)} bytes"
            assert store.count_calls() == 11


def _appliance_on(disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):  # noqa: ANN202
    handled = threading.Semaphore(0)
    sim = SimulatedModem("conexant", time_scale=SCALE).start()
    runtime = build_runtime(
        quiet_config(tmp_path), port=sim.port, db_path=str(disk / "calls.db"),
        hooks=ApplianceHooks(on_call=lambda record, timings: handled.release()),
        ring_gap_seconds=RING_GAP_SECONDS * SCALE,
    )
    runtime.start_in_thread()
    assert runtime.wait_modem_ready(5.0)
    return sim, runtime, handled


def test_calls_held_on_a_full_disk_are_written_when_space_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with small_disk(tmp_path / "disk") as disk:
        sim, runtime, handled = _appliance_on(disk, tmp_path, caplog)
        try:
            ballast = fill(disk, leave=0)
            (disk / "calls.db-reserve").unlink(missing_ok=True)  # the reserve spent on earlier trouble
            fill(disk, leave=0)
            numbers = [f"0471{i:06d}" for i in range(21)]
            for number in numbers:
                sim.play_call(SimCall(CallerID("text", number=number), rings=1))
                assert handled.acquire(timeout=10), f"the call from {number} was not handled"
            held = [r for r in caplog.records
                    if r.levelno >= logging.ERROR and r.name == "callerid.appliance"]
            assert held, "no call was refused: the disk was not full"
            assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.ERROR), \
                "a failed write logged a traceback"
            before = runtime.store.count_calls()
            give_back(ballast, 20 * 1024)  # 20 KB back: the case, where none was written
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and runtime.store.count_calls() == before:
                time.sleep(0.1)
            assert runtime.store.count_calls() > before, "20 KB came back and no held call was written"
            give_back(ballast, 200 * 1024)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and runtime.store.count_calls() < len(numbers):
                time.sleep(0.1)
            logged = {r.caller.number for r in runtime.store.calls(limit=None)}
            missing = sorted(set(numbers) - logged)
            assert not missing, f"{len(missing)} held calls never written: {missing}"
        finally:
            runtime.stop()
            runtime.close()
            sim.stop()


def test_sigterm_on_a_full_disk_loses_no_held_call(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk, SimulatedModem("conexant", time_scale=SCALE) as sim:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG)
        db = disk / "calls.db"
        process = _run_appliance(config, sim.port, db, dict(os.environ))
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not sim.wait_for_command("AT+VCID=1", 0.1):
                pass
            time.sleep(0.3)
            fill(disk, leave=0)
            (disk / "calls.db-reserve").unlink(missing_ok=True)
            fill(disk, leave=0)
            numbers = [f"0312{i:06d}" for i in range(5)]
            for number in numbers:
                handle = sim.play_call(SimCall(CallerID("text", number=number), rings=1))
                handle.wait(5)
                time.sleep(0.3)
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=20)
        assert "Traceback" not in err, err[-2000:]
        kept = _logged_numbers(db)
        for line in err.splitlines():  # the journal holds what the full disk could not
            if "not written" in line and "{" in line:
                kept.add(json.loads(line[line.index("{"):])["number"])
        assert kept >= set(numbers), f"lost at SIGTERM: {sorted(set(numbers) - kept)}\n{err[-2000:]}"


def _run_appliance(config: Path, port: str, db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", port,
         "--db", str(db), "--no-web"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )


def _logged_numbers(db: Path) -> set[str]:
    with contextlib.suppress(Exception), Store(db) as store:
        return {r.caller.number for r in store.calls(limit=None) if r.caller.number}
    return set()


def test_a_kill_on_a_full_disk_loses_no_held_call(tmp_path: Path) -> None:
    """Held calls are kept in the runtime directory (tmpfs, off the full disk); after a kill -9
    the next start writes them to the log."""
    run_dir = tmp_path / "run"  # what systemd's RuntimeDirectory= gives the unit
    env = {**os.environ, "RUNTIME_DIRECTORY": str(run_dir)}
    with small_disk(tmp_path / "disk") as disk, SimulatedModem("conexant", time_scale=SCALE) as sim:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG)
        db = disk / "calls.db"
        first = _run_appliance(config, sim.port, db, env)
        try:
            assert sim.wait_for_command("AT+VCID=1", 20)
            time.sleep(0.3)
            ballast = fill(disk, leave=0)
            (disk / "calls.db-reserve").unlink(missing_ok=True)
            fill(disk, leave=0)
            numbers = [f"0312{i:06d}" for i in range(5)]
            for number in numbers:
                sim.play_call(SimCall(CallerID("text", number=number), rings=1)).wait(5)
                time.sleep(0.3)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(list(run_dir.glob("held-*/*.json"))) < len(numbers):
                time.sleep(0.1)
            assert len(list(run_dir.glob("held-*/*.json"))) == len(numbers)
            assert not _logged_numbers(db) & set(numbers)  # nothing of them reached the full disk
        finally:
            first.kill()
            first.communicate(timeout=20)
        ballast.unlink()  # space comes back while the appliance is down
        second = _run_appliance(config, sim.port, db, env)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not set(numbers) <= _logged_numbers(db):
                time.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=20)
        assert set(numbers) <= _logged_numbers(db), f"lost to the kill: {set(numbers) - _logged_numbers(db)}"
        assert "Traceback" not in err and not list(run_dir.glob("held-*/*.json")), err[-2000:]
