"""Calls placed right as the modem comes back from an unplug: every one leaves a row (issue 14.1).

The simulator's unplug closes the pty and removes the port; it comes back as a new pty at the same
path and the call starts at once. The driver keeps its real back-off (0.25 s doubling to 5 s): only
noticing the port reappear lets it enable caller ID before the number is sent.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from callerid.appliance import ApplianceHooks, build_runtime
from callerid.model import CallerID
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.store import Store
from tests.test_appliance import Running, quiet_config, running  # noqa: F401 - the fixture

SCALE = 0.25  # Japanese ringing (1 s on, 2 s off) in a quarter of the time; caller ID 1.5 s in


def replug_run(tmp_path: Path, cycles: int, seed: int = 14) -> tuple[int, int, list[str]]:
    """(rows, rows with their number, numbers placed) after `cycles` unplug + call cycles."""
    rng = random.Random(seed)
    db = tmp_path / "calls.db"
    handled = threading.Semaphore(0)
    placed: list[str] = []
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            quiet_config(tmp_path), port=sim.port, db_path=str(db),
            hooks=ApplianceHooks(on_call=lambda record, timings: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(5.0)
            for i in range(cycles):
                sim.vanish(rng.uniform(2.0, 8.0))  # 0.5 to 2 s unplugged
                deadline = time.monotonic() + 3.0
                while os.path.exists(sim.port) and time.monotonic() < deadline:
                    time.sleep(0.005)
                deadline = time.monotonic() + 5.0
                while not os.path.exists(sim.port) and time.monotonic() < deadline:
                    time.sleep(0.005)
                assert os.path.exists(sim.port), "the simulated modem never came back"
                number = f"0312{i:06d}"
                placed.append(number)
                handle = sim.play_call(SimCall(CallerID("text", number=number), rings=2,
                                               ring_period=3.0, cid_delay=1.5))
                assert handle.wait(10.0)
                handled.acquire(timeout=RING_GAP_SECONDS * SCALE + 3.0)
        finally:
            runtime.stop()
            runtime.close()
    store = Store(str(db))
    try:
        rows = store.calls(limit=10_000)
    finally:
        store.close()
    numbers = {row.caller.number for row in rows}
    return len(rows), sum(n in numbers for n in placed), placed


def test_a_numberless_call_with_two_rings_is_logged_without_being_acted_on(running: Running) -> None:  # noqa: F811
    """Two rings and no caller ID (as when the number went by during a replug): one row, nothing
    done to a call that is already over."""
    for _ in range(2):  # a line (or a moment) with no caller ID: the modem prints RING only
        running.sim.send_raw(b"\r\nRING\r\n")
        time.sleep(6.0 * 0.05)
    assert running.handled.acquire(timeout=10), "the call was never logged"
    rows = running.runtime.store.calls()
    assert len(rows) == 1 and rows[0].caller.number is None
    assert rows[0].actions == ()
    assert running.recorder.calls == []  # the household was not warned of a call that had ended


def _check(tmp_path: Path, cycles: int) -> None:
    rows, with_number, _ = replug_run(tmp_path, cycles)
    print(f"replug: {cycles} cycles, {rows} rows, {with_number} with their caller ID")
    assert rows == cycles, f"{cycles - rows} of {cycles} calls left no row"
    assert with_number == cycles, f"{cycles - with_number} calls lost their caller ID at replug"


def test_calls_at_replug_are_all_logged_with_their_number(tmp_path: Path) -> None:
    _check(tmp_path, 5)


#: Minutes long: run with CALLERID_LONG_TESTS=1 (the default suite runs the short version).
LONG = pytest.mark.skipif(not os.environ.get("CALLERID_LONG_TESTS"), reason="set CALLERID_LONG_TESTS=1")


@pytest.mark.slow
@LONG
@pytest.mark.timeout(900)
def test_fifty_replugs_log_fifty_calls(tmp_path: Path) -> None:
    _check(tmp_path, 50)
