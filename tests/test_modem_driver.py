"""The modem driver against the simulator over a real pseudo-terminal: init, calls, hang-up."""

from __future__ import annotations

import time

import pytest

from callerid.model import CallerID
from callerid.modem.events import CallEnded, CallerIDReceived, ModemStatus, Ring
from callerid.modem.sim import SimCall, SimulatedModem
from tests.modem_helpers import EventLog, fast_driver, ready_driver

SCALE = 0.02  # a 6 s ring period becomes 0.12 s

HANAKO = CallerID("text", number="0471230000", name="SATO HANAKO", date="1125", time="0930")
INIT = ["ATZ", "ATE0", "ATV1", "ATI", "ATI3"]


@pytest.mark.parametrize(
    ("profile", "country", "expected_tail", "enabled"),
    [
        ("conexant", "00", ["AT+GCI=00", "AT+VCID=1"], "+VCID=1"),
        ("usr", "00", ["AT+GCI=00", "AT#CID=1"], "#CID=1"),
        ("silabs", "00", ["AT+GCI=00", "AT+VCDT=3", "AT+VCID=1"], "+VCID=1"),
        ("silabs", "B5", ["AT+GCI=B5", "AT+VCID=1"], "+VCID=1"),
        ("generic", "B4", ["AT+GCI=B4", "AT+VCID=1"], "+VCID=1"),
    ],
)
def test_init_sequence_per_profile(
    profile: str, country: str, expected_tail: list[str], enabled: str
) -> None:
    events = EventLog()
    with SimulatedModem(profile, time_scale=SCALE) as sim:
        with ready_driver(sim.port, events, country_code=country) as driver:
            info = driver.identify()
        assert sim.commands()[: len(INIT) + len(expected_tail)] == INIT + expected_tail
    assert info.profile == profile
    assert info.matched_by == ("default" if profile == "generic" else "ati")
    assert info.caller_id_command == enabled
    assert info.country_accepted is True
    assert events.states()[0] == "ready"


def test_caller_id_fallbacks_when_the_profile_is_unknown() -> None:
    """A USR answers ERROR to +VCID; driven as `generic`, the driver falls back to #CID."""
    events = EventLog()
    with SimulatedModem("usr", time_scale=SCALE) as sim:
        with ready_driver(sim.port, events, profile="generic") as driver:
            info = driver.identify()
            sim.play_call(SimCall(HANAKO, rings=2))
            received = events.wait_count(CallerIDReceived, 1, timeout=3.0)
        assert sim.commands()[5:] == ["AT+GCI=00", "AT+VCID=1", "AT#CID=1"]
    assert info.caller_id_results == (("+VCID=1", "ERROR"), ("#CID=1", "OK"))
    assert received[0].caller.number == "0471230000"


def test_no_caller_id_command_accepted_still_reports_rings() -> None:
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE, refuse=("+VCID=1", "#CID=1", "%CCID=1")) as sim,
        ready_driver(sim.port, events),
    ):
        sim.play_call(SimCall(HANAKO, rings=3)).wait(3.0)
        rings = events.wait_count(Ring, 3, timeout=3.0)
        assert events.wait_count(CallEnded, 1, timeout=3.0)
    assert len(rings) == 3
    assert events.of(CallerIDReceived) == []
    assert "no caller-ID command accepted" in events.of(ModemStatus)[0].detail


CALLS = [
    pytest.param("text", SimCall(HANAKO, style="spaced"), id="text-spaced"),
    pytest.param("text", SimCall(HANAKO, style="compact"), id="text-compact"),
    pytest.param("text", SimCall(HANAKO, style="oneline"), id="text-oneline"),
    pytest.param("text", SimCall(CallerID("text", absence="P", date="1125", time="0931")), id="text-private"),
    pytest.param("text", SimCall(CallerID("text", number="01632960001")), id="text-number-only"),
    pytest.param("hex", SimCall(CallerID("sdmf", number="5045551234", date="0321", time="1405")),
                 id="hex-sdmf"),
    pytest.param("hex", SimCall(HANAKO, message="mdmf"), id="hex-mdmf"),
    pytest.param("hex", SimCall(CallerID("etsi", number="02079460000", name="A N OTHER", date="0321",
                                         time="1405")), id="hex-etsi"),
    pytest.param("hex", SimCall(CallerID("ntt", number="0335814321")), id="hex-ntt"),
    pytest.param("hex", SimCall(CallerID("mdmf", absence="O", date="1231", time="2359")),
                 id="hex-mdmf-absent"),
]


@pytest.mark.parametrize(("cid_mode", "call"), CALLS)
def test_calls_of_every_format_reach_on_event(cid_mode: str, call: SimCall) -> None:
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE) as sim,
        ready_driver(sim.port, events, caller_id_mode=cid_mode),
    ):
        assert sim.caller_id_mode == cid_mode
        handle = sim.play_call(call)
        assert handle.wait(3.0)
        assert events.wait_count(CallEnded, 1, timeout=3.0)
    received = events.of(CallerIDReceived)
    assert len(received) == 1, events.events
    got, want = received[0].caller, call.caller
    expected_format = "text" if cid_mode == "text" else (call.message or want.format)
    assert got.format == expected_format
    assert (got.number, got.absence, got.date, got.time) == (want.number, want.absence, want.date, want.time)
    if want.name and expected_format != "sdmf":
        assert got.name == want.name
    if cid_mode == "hex" and expected_format != "text":
        assert got.checksum_ok is True
    # order: RING, caller ID, RING, RING, end of call
    kinds = [type(e).__name__ for e in events.events if not isinstance(e, ModemStatus)]
    assert kinds == ["Ring", "CallerIDReceived", "Ring", "Ring", "CallEnded"]


def test_ring_events_carry_the_cadence() -> None:
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim, ready_driver(sim.port, events):
        sim.play_call(SimCall(HANAKO, rings=4, ring_period=6.0)).wait(3.0)
        rings = events.wait_count(Ring, 4, timeout=3.0)
    gaps = [b.at - a.at for a, b in zip(rings, rings[1:], strict=False)]
    assert len(gaps) == 3
    for gap in gaps:
        assert gap == pytest.approx(6.0 * SCALE, abs=0.04)


def test_call_ended_after_rings_stop() -> None:
    events = EventLog()
    with (
        SimulatedModem("conexant", time_scale=SCALE) as sim,
        ready_driver(sim.port, events, ring_gap_seconds=0.4),
    ):
        sim.play_call(SimCall(HANAKO, rings=2))
        ended = events.wait_count(CallEnded, 1, timeout=3.0)
    last_ring = events.of(Ring)[-1]
    assert len(ended) == 1
    assert ended[0].at - last_ring.at == pytest.approx(0.4, abs=0.1)


def test_hang_up_from_the_event_handler_is_written_at_once() -> None:
    """As the appliance does: on a blocked caller's record, hang_up() from inside on_event."""
    asked: list[float] = []
    driver_box: list = []

    def on_event(event: object) -> None:
        if isinstance(event, CallerIDReceived):
            asked.append(time.monotonic())
            started = time.monotonic()
            driver_box[0].hang_up()
            assert time.monotonic() - started < 0.01  # queued, not waited for

    events = EventLog(on_event)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        driver = fast_driver(sim.port, events, hangup_hold_seconds=0.1)
        driver_box.append(driver)
        driver.start()
        try:
            assert driver.wait_ready(3.0)
            handle = sim.play_call(SimCall(HANAKO, rings=5, ring_period=10.0))
            assert sim.wait_for(lambda s: any(h.onhook_at for h in s.hangups), 3.0)
            assert events.wait_count(CallEnded, 1, timeout=2.0)
            handle.wait(3.0)
        finally:
            driver.stop()
        offhook = sim.wait_for_command("ATH1", 0)
        onhook = sim.wait_for_command("ATH0", 0)
        hangups = sim.hangups
    assert offhook is not None and onhook is not None
    assert offhook.at - asked[0] < 0.05  # written within 50 ms of the decision
    assert onhook.at - offhook.at == pytest.approx(0.1, abs=0.06)
    assert len(hangups) == 1 and hangups[0].via == "H1"
    assert handle.answered
    assert len(events.of(Ring)) == 1  # the remaining rings never came: the call was dropped
    assert len(events.of(CallEnded)) == 1


def test_stale_hang_up_is_dropped_not_replayed_on_the_next_call() -> None:
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        driver = fast_driver(sim.port, events, ring_gap_seconds=0.2)
        driver.hang_up()  # queued before the modem is even open
        time.sleep(0.3)
        driver.start()
        try:
            assert driver.wait_ready(3.0)
            time.sleep(0.1)
        finally:
            driver.stop()
        assert "ATH1" not in sim.commands()


def test_auto_port_found_through_by_id_link(tmp_path) -> None:  # noqa: ANN001
    events = EventLog()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        by_id = tmp_path / "dev" / "serial" / "by-id"
        by_id.mkdir(parents=True)
        (by_id / "usb-Conexant_USB_Modem_24680246-if00").symlink_to(sim.port)
        with ready_driver("auto", events, discovery_root=str(tmp_path)) as driver:
            info = driver.identify()
    assert info.port.endswith("usb-Conexant_USB_Modem_24680246-if00")
    assert info.profile == "conexant"


def test_bad_arguments_are_refused() -> None:
    from callerid.modem.driver import ModemDriver

    with pytest.raises(ValueError, match="unknown modem profile"):
        ModemDriver("/dev/null", profile="hayes", on_event=print)
    with pytest.raises(ValueError, match="caller_id_mode"):
        ModemDriver("/dev/null", caller_id_mode="morse", on_event=print)
