"""The log records the hang-up that was done, not the one that was asked for (issue 14.3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from callerid.appliance import ApplianceHooks, Runtime, build_runtime
from callerid.model import Action, CallerID, CallRecord
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.store import Store
from tests.test_appliance import quiet_config

SCALE = 0.05
FAKE_POLICE = CallerID(format="text", number="+8014190110")


@contextmanager
def appliance(
    tmp_path: Path, ready_timeout: float = 5.0, **sim_options: object
) -> Iterator[tuple[Runtime, SimulatedModem, threading.Semaphore]]:
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE, **sim_options) as sim:  # type: ignore[arg-type]
        runtime = build_runtime(
            quiet_config(tmp_path), port=sim.port, db_path=str(tmp_path / "calls.db"),
            hooks=ApplianceHooks(on_call=lambda record, timings: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(ready_timeout)
            yield runtime, sim, handled
        finally:
            runtime.stop()
            runtime.close()


def wait_row(store: Store, predicate, timeout: float = 5.0) -> CallRecord:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while True:
        rows = store.calls()
        if rows and predicate(rows[0]):
            return rows[0]
        assert time.monotonic() < deadline, f"the row never settled: {rows}"
        time.sleep(0.02)


def test_a_hang_up_the_modem_refused_is_logged_as_failed_not_as_a_block(tmp_path: Path) -> None:
    with appliance(tmp_path, refuse=("ATH1",)) as (runtime, sim, handled):
        sim.play_call(SimCall(FAKE_POLICE, rings=3))
        assert handled.acquire(timeout=10)
        row = wait_row(runtime.store, lambda r: r.hang_up_done is not None)
    assert row.verdict.verdict == "police-lookalike"
    assert row.hang_up_done is False
    assert Action.BLOCK not in row.actions  # asked for, never done
    assert row.to_json()["hang_up_done"] is False


def test_a_hang_up_that_reached_the_line_is_logged_as_done(tmp_path: Path) -> None:
    with appliance(tmp_path) as (runtime, sim, handled):
        sim.play_call(SimCall(FAKE_POLICE, rings=3))
        assert handled.acquire(timeout=10)
        row = wait_row(runtime.store, lambda r: r.hang_up_done is not None)
        assert sim.hangups, "no hang-up reached the modem"
    assert row.hang_up_done is True and Action.BLOCK in row.actions


def test_a_hang_up_lost_with_the_modem_is_logged_as_failed(tmp_path: Path) -> None:
    """The modem vanishes as the call is screened: the queued hang-up never reaches a line."""
    with appliance(tmp_path, 30.0, response_delay=20.0) as (runtime, sim, handled):  # ATH1 takes 1 s
        sim.play_call(SimCall(FAKE_POLICE, rings=3))
        assert handled.acquire(timeout=10)
        sim.vanish(200.0)  # 10 s unplugged
        row = wait_row(runtime.store, lambda r: r.hang_up_done is not None, timeout=15)
    assert row.hang_up_done is False and Action.BLOCK not in row.actions


def test_ordinary_calls_have_no_hang_up_to_report(tmp_path: Path) -> None:
    with appliance(tmp_path) as (runtime, sim, handled):
        sim.play_call(SimCall(CallerID(format="text", number="0471230000"), rings=2))
        assert handled.acquire(timeout=10)
        time.sleep(0.3)
        row = runtime.store.calls()[0]
    assert row.hang_up_done is None and row.to_json()["hang_up_done"] is None


def test_the_call_page_says_hang_up_failed_when_it_did(tmp_path: Path) -> None:
    from web_support import police_record, web_site

    with web_site(tmp_path, logged_in=True) as site:
        failed = site.store.add_call(police_record())
        site.store.record_hang_up(failed, False, ["warn-household"])
        done = site.store.add_call(police_record())
        site.store.record_hang_up(done, True, ["block", "warn-household"])
        failed_html = site.client.get(f"/calls/{failed}").get_data(as_text=True)
        done_html = site.client.get(f"/calls/{done}").get_data(as_text=True)
    assert "Hang-up failed" in failed_html and "Blocked (hung up)" not in failed_html
    assert "Hang-up failed" not in done_html and "Blocked (hung up)" in done_html
