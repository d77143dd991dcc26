"""Health: a modem unplugged and back, a stuck modem, garbage, and a clean stop. No record lost."""

from __future__ import annotations

import os
import resource
import threading
import time

from callerid.decode.stream import CallerIDStream
from callerid.model import CallerID
from callerid.modem.events import CallerIDReceived, ModemStatus, Ring
from callerid.modem.sim import SimCall, SimulatedModem
from tests.modem_helpers import EventLog, fast_driver, ready_driver

SCALE = 0.02
HANAKO = CallerID("text", number="0471230000", name="SATO HANAKO", date="1125", time="0930")
TARO = CallerID("text", number="0312345678", name="YAMADA TARO", date="1125", time="1000")


class RecordingStream(CallerIDStream):
    """The real stream, remembering every line the driver fed it (so a test can sync on it)."""

    def __init__(self, quiet_seconds: float) -> None:
        super().__init__(quiet_seconds=quiet_seconds)
        self.lines: list[str] = []
        self.fed = threading.Event()

    def feed_line(self, line: str, now: float):  # noqa: ANN201
        self.lines.append(line)
        self.fed.set()
        return super().feed_line(line, now)


def test_unplugged_and_back_with_a_call_arriving_during_reinitialisation() -> None:
    """The call's RING and caller ID come while the driver still waits for the last init OK."""
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE, response_delay=2.0) as sim,  # 40 ms per answer
        ready_driver(sim.port, events),
    ):
        before = len(sim.log)
        sim.vanish(10.0)  # 0.2 s unplugged
        assert events.wait_state("lost", timeout=2.0)
        assert not os.path.exists(sim.port)
        # plugged back: the driver reopens and initialises; the call comes as caller ID is enabled
        assert sim.wait_for_command("AT+VCID=1", 3.0, after=before) is not None
        handle = sim.play_call(SimCall(HANAKO, rings=3, cid_delay=0.5))  # caller ID 10 ms after RING
        assert events.wait_state("ready", count=2, timeout=3.0)
        received = events.wait_count(CallerIDReceived, 1, timeout=3.0)
        handle.wait(3.0)
    states = events.states()
    assert states[:4] == ["ready", "lost", "recovering", "ready"], states
    assert received and received[0].caller.number == "0471230000"
    assert received[0].caller.name == "SATO HANAKO"
    # the record really did arrive before the driver had finished initialising the modem
    ready_again = [e for e in events.of(ModemStatus) if e.state == "ready"][1]
    assert handle.caller_id_sent_at is not None
    assert handle.caller_id_sent_at < ready_again.at
    assert len(events.of(Ring)) == 3


def test_record_pending_when_the_port_vanishes_is_completed_not_lost() -> None:
    """UK style (number only, no NAME): the record is still pending when the modem disappears."""
    events = EventLog()
    streams: list[RecordingStream] = []

    def factory() -> RecordingStream:
        streams.append(RecordingStream(quiet_seconds=0.3))
        return streams[-1]

    with (
        SimulatedModem("conexant", time_scale=SCALE) as sim,
        ready_driver(sim.port, events, stream_factory=factory, backoff_initial=0.5, backoff_max=1.0),
    ):
        sim.play_call(SimCall(CallerID("text", number="01632960001"), rings=3, ring_period=50.0,
                              cid_delay=1.0))
        deadline = time.monotonic() + 3.0
        while not any("NMBR" in line for line in streams[0].lines) and time.monotonic() < deadline:
            streams[0].fed.wait(0.05)
            streams[0].fed.clear()
        sim.vanish(100.0)  # gone for 2 s: longer than the quiet time
        assert events.wait_state("lost", timeout=2.0)
        received = events.wait_count(CallerIDReceived, 1, timeout=2.0)
    assert received and received[0].caller.number == "01632960001"
    lost_at = next(e.at for e in events.of(ModemStatus) if e.state == "lost")
    assert received[0].at >= lost_at  # completed by the quiet timer while the modem was away


def test_stuck_modem_is_noticed_by_the_ping_and_recovered() -> None:
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE) as sim,
        ready_driver(sim.port, events, ping_seconds=0.1, command_timeout=0.15),
    ):
        assert sim.wait_for(lambda s: "AT" in s.commands(), 2.0)  # idle pings happen
        sim.go_silent(40.0)  # 0.8 s without a word
        assert events.wait_state("lost", timeout=3.0)
        assert events.wait_state("ready", count=2, timeout=5.0)
        sim.play_call(SimCall(TARO, rings=2))
        received = events.wait_count(CallerIDReceived, 1, timeout=3.0)
    lost = next(e for e in events.of(ModemStatus) if e.state == "lost")
    assert "stopped answering" in lost.detail
    assert events.states()[:4] == ["ready", "lost", "recovering", "ready"]
    assert received[0].caller.number == "0312345678"


def test_no_ping_in_the_middle_of_a_call() -> None:
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE) as sim,
        ready_driver(sim.port, events, ping_seconds=0.05, ring_gap_seconds=0.3),
    ):
        time.sleep(0.2)
        handle = sim.play_call(SimCall(HANAKO, rings=4, ring_period=10.0))  # 0.2 s apart
        rings = events.wait_count(Ring, 4, timeout=3.0)
        handle.wait(3.0)
        first, last = rings[0].at, rings[-1].at
        pings = [c.at for c in sim.log if c.text == "AT"]
    assert pings, "idle pings expected before the call"
    assert not [t for t in pings if first + 0.01 < t < last], "pinged during the call"


def test_garbage_does_not_stop_caller_id() -> None:
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE, seed=7) as sim, ready_driver(sim.port, events):
        sim.send_garbage(5000)
        sim.send_raw(b"\r\n")  # whatever line the garbage left open ends here
        sim.play_call(SimCall(HANAKO, rings=3)).wait(3.0)
        sim.send_garbage(300)
        sim.send_raw(b"\r\n")
        sim.play_call(SimCall(TARO, rings=3)).wait(3.0)
        received = events.wait_count(CallerIDReceived, 2, timeout=3.0)
    numbers = [e.caller.number for e in received]
    assert "0471230000" in numbers and "0312345678" in numbers
    assert events.states() == ["ready"]  # garbage is not a reason to reopen


def test_no_modem_at_start_then_plugged_in(tmp_path) -> None:  # noqa: ANN001
    events = EventLog()
    link = tmp_path / "ttyModem"
    driver = fast_driver(str(link), events, backoff_max=0.1)
    driver.start()
    try:
        assert events.wait_state("lost", timeout=2.0)
        assert "cannot open" in events.of(ModemStatus)[0].detail
        with SimulatedModem("usr", link_path=link, time_scale=SCALE) as sim:
            assert events.wait_state("ready", timeout=3.0)
            sim.play_call(SimCall(HANAKO, rings=2))
            received = events.wait_count(CallerIDReceived, 1, timeout=3.0)
            driver.stop()
    finally:
        driver.stop()
    assert events.states()[:3] == ["lost", "recovering", "ready"]
    assert received[0].caller.number == "0471230000"


def test_stop_is_prompt_and_flushes_the_pending_record() -> None:
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        driver = fast_driver(sim.port, events, quiet_seconds=30.0)
        driver.start()
        assert driver.wait_ready(3.0)
        sim.send_raw(b"\r\nDATE = 1125\r\nTIME = 0930\r\nNMBR = 0471230000\r\n")  # no NAME, no RING
        time.sleep(0.2)
        started = time.monotonic()
        driver.stop()
        took = time.monotonic() - started
        thread_alive = driver._thread is not None and driver._thread.is_alive()
    assert took < 0.5
    assert not thread_alive
    received = events.of(CallerIDReceived)
    assert [e.caller.number for e in received] == ["0471230000"]


def test_stop_while_the_modem_is_stuck_returns_within_two_seconds() -> None:
    events = EventLog()
    with SimulatedModem("conexant", time_scale=1.0) as sim:
        driver = fast_driver(sim.port, events, ping_seconds=0.05, command_timeout=5.0)
        driver.start()
        assert driver.wait_ready(3.0)
        sim.go_silent(30.0)
        time.sleep(0.2)  # the driver is now waiting for an OK that never comes
        started = time.monotonic()
        driver.stop()
        took = time.monotonic() - started
    assert took < 2.0
    assert driver._thread is not None and not driver._thread.is_alive()


def test_idle_driver_does_not_busy_poll() -> None:
    events = EventLog()
    with SimulatedModem("conexant") as sim, ready_driver(sim.port, events, ping_seconds=0.5):
        before = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(1.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 0.05, f"{cpu:.3f} s of CPU in 1 s idle (driver + simulator)"
