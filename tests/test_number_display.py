"""Japan's Number Display on a plain voice modem, end to end over a real pseudo-terminal.

The simulator plays the exchange: CAR (a RING every second), the FSK burst once the terminal
answers, normal ringing once it hangs up again. The driver must recognise CAR, answer in voice
mode, record with +VRX, hang up, decode the burst with our FSK demodulator and report the caller
before the first normal ring, so a blocked caller never rings the phone.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from callerid.model import CallerID
from callerid.modem import number_display as nd
from callerid.modem.events import CallerIDReceived, ModemStatus, Ring
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.transmit import modulator
from tests.modem_helpers import EventLog, fast_driver

SCALE = 0.1  # sim times x 0.1: CAR rings every 0.1 s, normal rings every 0.3 s
ND = {"number_display": "on", "car_max_interval": 0.2, "ring_gap_seconds": 1.0}
TANAKA = CallerID("ntt", number="0335814321", date="1125", time="0930")


def nd_call(**overrides: object) -> SimCall:
    options = {"caller": TANAKA, "rings": 3, "ring_period": 3.0, "mode": "ntt-audio", **overrides}
    return SimCall(**options)  # type: ignore[arg-type]


def run_call(
    call: SimCall,
    *,
    profile: str = "conexant",
    refuse: tuple[str, ...] = (),
    on_record=None,
    **driver_options: object,
) -> tuple[SimulatedModem, EventLog, object]:
    events = EventLog()
    sim = SimulatedModem(profile, time_scale=SCALE, refuse=refuse).start()
    driver = fast_driver(sim.port, events, **{**ND, **driver_options})
    if on_record is not None:
        events._hook = lambda e: on_record(driver, e)
    driver.start()
    try:
        assert driver.wait_ready(3.0)
        handle = sim.play_call(call)
        assert handle.wait(10.0)
        time.sleep(0.1)
    finally:
        driver.stop()
        sim.stop()
    return sim, events, handle


# -- pieces ------------------------------------------------------------------------------------


def test_car_cadence_is_told_from_normal_ringing() -> None:
    car = nd.CarDetector()
    assert [car.ring(t) for t in (0.0, 1.0, 2.0)] == [False, True, True]
    car.reset()
    assert [car.ring(t) for t in (10.0, 13.0, 16.0)] == [False, False, False]  # Japanese normal: 3 s


def test_switch() -> None:
    assert nd.enabled("on", "B5") and not nd.enabled("off", "00")
    assert nd.enabled("auto", "00") and not nd.enabled("auto", "B5") and not nd.enabled("auto", None)
    assert not nd.enabled("auto", "00", native=True)  # the modem decodes it itself (Silicon Labs)


def test_burst_watch_ends_after_the_burst_not_before() -> None:
    rate = 8000
    rng = np.random.default_rng(1)
    burst = modulator.caller_audio(TANAKA, "ntt", rate, level_dbfs=-14.0)
    line = np.concatenate([np.zeros(2400), burst, np.zeros(4000)]) + rng.normal(0, 0.003, 6400 + len(burst))
    samples = modulator.to_pcm(line, 1)
    watch = nd.BurstWatch(rate)
    stopped_at = None
    for end in range(0, len(samples), 160):  # fed as +VRX would, growing
        if watch(samples[:end]):
            stopped_at = end
            break
    burst_end = 2400 + len(burst)
    assert stopped_at is not None and burst_end + 0.15 * rate <= stopped_at <= burst_end + 0.25 * rate
    quiet = nd.BurstWatch(rate)
    assert not quiet(modulator.to_pcm(rng.normal(0, 0.003, 16000), 1))


def test_decode_capture_reads_8_bit_audio() -> None:
    audio = modulator.to_pcm(
        np.concatenate([np.zeros(800), modulator.caller_audio(TANAKA, "ntt"), np.zeros(800)]), 1
    )
    assert [(c.format, c.number) for c in nd.decode_capture(audio, 8000)] == [("ntt", "0335814321")]
    assert nd.decode_capture(b"", 8000) == [] and nd.decode_capture(bytes([128]) * 8000, 8000) == []


# -- the whole sequence over a pty -------------------------------------------------------------------


def test_number_display_call_is_reported_before_the_first_normal_ring() -> None:
    sim, events, handle = run_call(nd_call())
    records = events.of(CallerIDReceived)
    assert [(r.caller.format, r.caller.number, r.caller.date, r.caller.time) for r in records] == [
        ("ntt", "0335814321", "1125", "0930")
    ]
    # The exchange's view: CAR answered by going off-hook in voice mode, within its 6 s
    assert handle.caller_id_sent == "ntt-audio"
    assert handle.primary_response_at - handle.rings_at[0] < 6.0 * SCALE
    (offhook,) = sim.hangups
    assert offhook.via == "+VLS=1" and offhook.onhook_at is not None
    commands = sim.commands()
    vrx = commands.index("AT+VRX")
    assert commands[vrx - 3 : vrx + 4] == [
        "AT+FCLASS=8",
        "AT+VSM=1,8000,0,0",
        "AT+VLS=1",
        "AT+VRX",
        "ATH0",
        "AT+FCLASS=0",
        "AT+VCID=1",
    ]
    # The driver's view: two CAR rings, the record, then the normal rings.
    kinds = [type(e).__name__ for e in events.events if isinstance(e, (Ring, CallerIDReceived))]
    assert kinds[:3] == ["Ring", "Ring", "CallerIDReceived"] and kinds[3:] == ["Ring"] * 3
    normal_rings = [t for t in handle.rings_at if t > offhook.onhook_at]
    assert len(normal_rings) == 3 and records[0].at < normal_rings[0]


def test_a_blocked_caller_is_dropped_before_the_phone_rings() -> None:
    def block(driver, event) -> None:  # noqa: ANN001 - what the appliance does for a blocked number
        if isinstance(event, CallerIDReceived):
            driver.hang_up()

    sim, events, handle = run_call(nd_call(nd_ring_delay=2.0), on_record=block)
    assert [r.caller.number for r in events.of(CallerIDReceived)] == ["0335814321"]
    nd_line, dropped = sim.hangups
    assert nd_line.via == "+VLS=1" and dropped.via == "H1"
    assert [t for t in handle.rings_at if t > nd_line.onhook_at] == []  # not one normal ring


def test_noisy_line_still_decodes() -> None:
    _, events, _ = run_call(nd_call(nd_snr_db=8.0, nd_level_dbfs=-30.0))
    assert [r.caller.number for r in events.of(CallerIDReceived)] == ["0335814321"]


@pytest.mark.parametrize("setting,country", [("off", "00"), ("auto", "B5")])
def test_switched_off_the_call_just_rings(setting: str, country: str) -> None:
    sim, events, handle = run_call(nd_call(car_seconds=1.0), number_display=setting, country_code=country)
    assert sim.hangups == [] and "AT+VRX" not in sim.commands()
    assert events.of(CallerIDReceived) == []
    assert len(handle.rings_at) == 1 + 3  # CAR until the exchange gave up, then normal ringing


def test_auto_in_japan_answers_car() -> None:
    _, events, _ = run_call(nd_call(), number_display="auto", country_code="00")
    assert [r.caller.number for r in events.of(CallerIDReceived)] == ["0335814321"]


def test_modem_refusing_voice_mode_is_an_error_and_the_line_goes_back_on_hook() -> None:
    sim, events, handle = run_call(nd_call(), refuse=("+FCLASS=8",))
    assert events.of(CallerIDReceived) == []
    errors = [e.detail for e in events.of(ModemStatus) if e.state == "error"]
    assert errors and "Number Display" in errors[0]
    assert all(h.onhook_at is not None for h in sim.hangups)
    assert sim.commands()[-2:] == ["AT+FCLASS=0", "AT+VCID=1"]  # caller ID back on
    assert len(handle.rings_at) >= 4  # the phone still rings


def test_no_burst_after_the_primary_response_gives_no_record() -> None:
    call = nd_call(nd_level_dbfs=-90.0)  # an exchange that answers with silence
    sim, events, _ = run_call(call, number_display_seconds=0.5)
    assert events.of(CallerIDReceived) == []
    (offhook,) = sim.hangups
    assert offhook.onhook_at is not None and offhook.onhook_at - offhook.offhook_at < 1.5
