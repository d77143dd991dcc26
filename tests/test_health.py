"""Health: the pure detector's rules, then the whole appliance through the simulator (unplugged,
stuck, silent, every call without a number) with the real panel pins, outbox, webhook and log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from notify_helpers import Hook, wait_until

from callerid.alert.panel import PanelAlerts
from callerid.appliance import build_runtime
from callerid.config import (
    Config,
    HealthConfig,
    ModemConfig,
    NotifyConfig,
    PanelConfig,
    SpeechConfig,
    WebConfig,
)
from callerid.health.detector import HealthDetector, Thresholds
from callerid.health.watch import active_faults
from callerid.model import CallerID
from callerid.modem.sim import SimCall, SimulatedModem

T = Thresholds(modem_grace=60, silent_seconds=7 * 86400, unavailable_calls=5, min_free_bytes=50 << 20)
RED, AMBER = 17, 27


def codes(changes) -> list[tuple[str, bool]]:  # noqa: ANN001
    return [(c.condition, c.active) for c in changes]


# -- the pure state machine ------------------------------------------------------------------------


def test_a_modem_that_never_becomes_ready_is_a_fault_after_the_grace_time() -> None:
    d = HealthDetector(T, now=0.0, last_call_at=0.0)
    assert d.deadline() == 60.0
    assert d.modem("lost", "no modem found", 1.0) == []
    assert d.tick(59.9) == []
    (change,) = d.tick(60.0)
    assert (change.condition, change.active, change.since) == ("modem", True, 0.0)
    assert "no modem found" in change.detail
    assert d.tick(120.0) == []  # raised once
    assert codes(d.modem("ready", "conexant", 130.0)) == [("modem", False)]


def test_a_modem_that_recovers_within_the_grace_time_is_not_reported() -> None:
    d = HealthDetector(T, now=0.0, last_call_at=0.0)
    d.modem("ready", "", 1.0)
    assert d.modem("lost", "stopped answering", 100.0) == []
    assert d.modem("recovering", "reopening", 101.0) == []
    assert d.modem("ready", "", 150.0) == []
    assert d.tick(1000.0) == [] and d.active == {}


def test_days_of_silence_then_a_call_clears_it() -> None:
    d = HealthDetector(T, now=0.0, last_call_at=-86400.0)
    d.modem("ready", "", 0.0)
    assert d.deadline() == 6 * 86400.0
    assert codes(d.tick(6 * 86400.0)) == [("silent", True)]
    assert codes(d.call("ordinary", True, 6 * 86400.0 + 5)) == [("silent", False)]


def test_every_call_without_a_number_means_no_number_display() -> None:
    d = HealthDetector(T, now=0.0, last_call_at=0.0)
    for n in range(4):
        assert d.call("unavailable", False, float(n)) == []
    assert d.call("withheld", False, 4.0) == []  # "withheld" proves the service sends something
    for n in range(4):
        assert d.call("unavailable", False, 10.0 + n) == []
    assert codes(d.call("unavailable", False, 20.0)) == [("no-number", True)]
    assert codes(d.call("ordinary", True, 30.0)) == [("no-number", False)]


def test_storage_sound_and_an_unclean_restart() -> None:
    d = HealthDetector(T, now=0.0, last_call_at=0.0, unclean_restart=True)
    assert codes(d.tick(0.0)) == [("restart", True)]
    assert codes(d.write(False, "disk I/O error", 1.0)) == [("storage", True)]
    assert d.disk(10 << 20, 2.0) == []  # still one storage fault
    assert d.write(True, "", 3.0) == []  # the write works, the disk is still nearly full
    assert codes(d.disk(1 << 30, 4.0)) == [("storage", False)]
    assert codes(d.sound(False, "aplay exited 1", 5.0)) == [("sound", True)]
    assert codes(d.sound(True, "", 6.0)) == [("sound", False)]
    d.modem("ready", "", 7.0)
    assert codes(d.tick(600.0)) == [("restart", False)]


def test_the_same_events_give_the_same_faults() -> None:
    def run() -> list[tuple[str, bool]]:
        d = HealthDetector(T, now=0.0, last_call_at=0.0)
        out = d.modem("lost", "x", 5.0) + d.tick(70.0) + d.call("unavailable", False, 71.0)
        return codes(out + d.modem("ready", "", 80.0))

    assert run() == run() == [("modem", True), ("modem", False)]


# -- the appliance through the simulator -----------------------------------------------------------

SCALE = 0.05


def _config(tmp_path: Path, hook: Hook, **health: float) -> Config:
    return Config(
        modem=ModemConfig(quiet_seconds=0.2, number_display="off", ping_seconds=5),
        speech=SpeechConfig(enabled=False, cache_dir=str(tmp_path / "speech")),
        panel=PanelConfig(),
        web=WebConfig(enabled=False),
        notify=NotifyConfig(urls=(hook.url,), language="en", retry_first_seconds=0.2, retry_max_seconds=1.0),
        health=HealthConfig(**{"modem_grace_seconds": 1.0, "silent_days": 0, "unavailable_calls": 3,
                               **health}),
    )


@pytest.fixture
def pins():  # noqa: ANN201
    from gpiozero import Device

    before = Device.pin_factory
    Device.pin_factory = factory = MockFactory()
    yield factory
    Device.pin_factory = before


class Running:
    """build_runtime + appliance thread, closed on the way out."""

    def __init__(self, config: Config, port: str, db: Path) -> None:
        self.runtime = build_runtime(config, port=port, db_path=str(db),
                                     driver_options={"backoff_initial": 0.05, "backoff_max": 0.2,
                                                     "command_timeout": 0.3},
                                     ring_gap_seconds=0.6)
        self.runtime.start_in_thread()

    @property
    def panel(self) -> PanelAlerts:
        assert self.runtime.panel is not None
        return self.runtime.panel

    def faults(self) -> list[str]:
        return [f["condition"] for f in active_faults(self.runtime.store)]

    def close(self) -> None:
        self.runtime.stop()
        self.runtime.close()


def test_no_modem_warns_banners_lights_and_notifies_once_then_plugging_it_in_clears_all(
    tmp_path: Path, pins: MockFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    link = tmp_path / "modem"  # nothing there yet: the modem is not plugged in
    with Hook() as hook:
        running = Running(_config(tmp_path, hook), str(link), tmp_path / "calls.db")
        try:
            assert hook.wait(1, 10), "no notification that the modem is missing"
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "PROBLEM" in r.message]
            assert [r.message.split(" (")[0] for r in warnings] == [
                "PROBLEM: The modem is missing or not answering"]
            assert running.faults() == ["modem"]
            assert pins.pin(RED).state and pins.pin(AMBER).state  # the fault pattern: both steady
            assert "FAULT: modem" in running.panel.render_text()
            assert not hook.wait(2, 1.0), "the fault was notified more than once"
            assert "modem" in hook.messages()[0] and "NOT being screened" in hook.messages()[0]

            with SimulatedModem("conexant", link, time_scale=SCALE):  # plugged in
                assert hook.wait(2, 10), "no 'back to normal'"
                assert hook.messages()[1].startswith("Call guard: back to normal")
                assert wait_until(lambda: running.faults() == [], 5)
                assert not pins.pin(RED).state and not pins.pin(AMBER).state
                assert "FAULT" not in running.panel.render_text()
                assert any("back to normal" in r.message and r.levelno == logging.WARNING
                           for r in caplog.records)
        finally:
            running.close()


def test_a_modem_unplugged_while_running_is_reported_and_cleared(tmp_path: Path, pins: MockFactory) -> None:
    with Hook() as hook, SimulatedModem("conexant", tmp_path / "modem", time_scale=SCALE) as sim:
        running = Running(_config(tmp_path, hook, modem_grace_seconds=3.0), sim.port, tmp_path / "calls.db")
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            assert not hook.wait(1, 3.5)  # ready within the grace time: nothing to say
            sim.vanish(8.0 / SCALE)  # unplugged for 8 s
            assert hook.wait(1, 8) and "missing" in hook.messages()[0]
            assert running.faults() == ["modem"]
            assert hook.wait(2, 10) and "back to normal" in hook.messages()[1]
            assert wait_until(lambda: running.faults() == [], 5)
        finally:
            running.close()


def test_every_call_without_a_number_says_number_display_then_a_number_clears_it(
    tmp_path: Path, pins: MockFactory
) -> None:
    with Hook() as hook, SimulatedModem("conexant", tmp_path / "modem", time_scale=SCALE) as sim:
        running = Running(_config(tmp_path, hook), sim.port, tmp_path / "calls.db")
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            for _ in range(3):
                sim.play_call(SimCall(caller=CallerID(format="text", absence="O"), rings=2)).wait(10)
            assert wait_until(lambda: running.faults() == ["no-number"], 10)
            assert hook.wait(1, 5)
            assert "Number Display" in hook.messages()[0]
            sim.play_call(SimCall(caller=CallerID(format="text", number="0471230000"), rings=2)).wait(10)
            assert wait_until(lambda: running.faults() == [], 10)
            assert hook.wait(2, 5) and "back to normal" in hook.messages()[1]
        finally:
            running.close()


def test_a_silent_line_is_reported_and_a_call_clears_it(tmp_path: Path, pins: MockFactory) -> None:
    with Hook() as hook, SimulatedModem("conexant", tmp_path / "modem", time_scale=SCALE) as sim:
        running = Running(_config(tmp_path, hook, silent_days=2.0 / 86400), sim.port, tmp_path / "calls.db")
        try:
            assert wait_until(lambda: running.faults() == ["silent"], 10)
            assert hook.wait(1, 5) and "No calls for a long time" in hook.messages()[0]
            sim.play_call(SimCall(caller=CallerID(format="text", number="0471230000"), rings=2)).wait(10)
            assert wait_until(lambda: running.faults() != ["silent"], 10)
        finally:
            running.close()


def test_a_stuck_modem_is_reported(tmp_path: Path, pins: MockFactory) -> None:
    with Hook() as hook, SimulatedModem("conexant", tmp_path / "modem", time_scale=SCALE) as sim:
        config = _config(tmp_path, hook)
        running = Running(config, sim.port, tmp_path / "calls.db")
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10)
            sim.go_silent(60 / SCALE)  # stops answering for a minute
            assert wait_until(lambda: running.faults() == ["modem"], 20)
        finally:
            running.close()


def test_an_unclean_stop_is_reported_at_the_next_start(tmp_path: Path, pins: MockFactory) -> None:
    from callerid.store import Store

    with Store(tmp_path / "calls.db") as store:
        store.set_setting("health.running", "1")  # what a kill -9 or the watchdog leaves behind
    with Hook() as hook, SimulatedModem("conexant", tmp_path / "modem", time_scale=SCALE) as sim:
        running = Running(_config(tmp_path, hook), sim.port, tmp_path / "calls.db")
        try:
            assert hook.wait(1, 5) and "restarted" in hook.messages()[0]
        finally:
            running.close()
    with Store(tmp_path / "calls.db") as store:
        assert store.get_setting("health.running") == "0"
        assert json.loads(store.get_setting("health.active")) == []
