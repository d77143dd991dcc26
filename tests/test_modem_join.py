"""Joining an answered call over the pty (issue 18): the driver, the simulator's line, no appliance.

Each scenario is a scripted call on the simulated modem; the driver is armed to join it as the
appliance would be after screening. What is checked: whether the line was seized and released,
whether the announcement was played, what the recording holds (against the speech samples the
simulator sent), and that caller ID is enabled again within 2 s of the end.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from callerid.model import CallerID
from callerid.modem.events import CallEnded, CallerIDReceived
from callerid.modem.join import JoinResult, JoinSettings, PickupWatch
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.wavfile import write_wav
from tests.modem_helpers import EventLog, ready_driver

SCALE = 0.05
WITHHELD = CallerID("text", absence="P", date="1130", time="2101")
RING_GAP = 7.0 * SCALE


def announcement(tmp_path: Path, seconds: float = 1.0) -> Path:
    t = np.arange(int(8000 * seconds)) / 8000
    return write_wav(tmp_path / "announce.wav", 0.1 * np.sin(2 * np.pi * 440 * t), 8000)


class Joined:
    def __init__(self) -> None:
        self.results: list[JoinResult] = []
        self.done = threading.Event()

    def __call__(self, result: JoinResult) -> None:
        self.results.append(result)
        self.done.set()


def run_call(tmp_path: Path, call: SimCall, profile: str = "conexant", **settings: float):
    """Play `call`, arm the join when its caller ID arrives; returns (sim, events, joined, end time)."""
    events = EventLog()
    joined = Joined()
    wav = announcement(tmp_path)
    join_settings = JoinSettings(**{"listen_seconds": 1.0, "quiet_seconds": 4.0, **settings})
    sim = SimulatedModem(profile, time_scale=SCALE).start()
    try:
        with ready_driver(sim.port, events, ring_gap_seconds=RING_GAP, command_timeout=1.0) as driver:
            armed = threading.Event()

            def arm(evs: list) -> bool:
                if not armed.is_set() and any(isinstance(e, CallerIDReceived) for e in evs):
                    armed.set()
                    driver.join_if_answered(wav, join_settings, joined)
                return armed.is_set()

            handle = sim.play_call(call)
            assert events.wait(arm, 10)
            assert events.wait_count(CallEnded, 1, timeout=30)
            ended_at = time.monotonic()
            cid = "AT#CID=1" if profile == "usr" else "AT+VCID=1"
            back = sim.wait_for(lambda s: s.commands()[-1:] == [cid], 5)
            cid_at = sim.log[-1].at
            return sim, events, joined, handle, back, ended_at, cid_at
    finally:
        sim.stop()


def test_household_pickup_and_a_caller_who_talks_on_is_announced_and_recorded(tmp_path: Path) -> None:
    call = SimCall(caller=WITHHELD, rings=5, pickup_after=2, after_pickup="talks", talk_seconds=6.0)
    sim, _, joined, handle, back, _, _ = run_call(tmp_path, call)
    assert joined.done.is_set()
    result = joined.results[0]
    assert result.outcome == "recorded" and result.announced, result
    assert result.ended_by == "busy"
    # The recording is exactly the speech the simulated caller sent after the announcement.
    assert handle.talk_samples_sent == 6 * 8000
    assert len(result.samples) == handle.talk_samples_sent
    assert sim.audio_sessions and len(sim.audio_sessions[-1].samples) == 8000  # the whole announcement
    assert "AT+VLS=3" in sim.commands()  # Conexant joins with the local phone kept on the line
    hangup = sim.hangups[-1]
    assert hangup.via == "+VLS=3" and hangup.onhook_at is not None
    assert hangup.onhook_at >= handle.caller_gone_at  # never on-hook before the caller had gone
    assert back


def test_a_caller_who_hangs_up_on_the_announcement_is_not_recorded(tmp_path: Path) -> None:
    call = SimCall(caller=WITHHELD, rings=5, pickup_after=2, after_pickup="hangs-up-on-announcement")
    sim, _, joined, handle, back, _, _ = run_call(tmp_path, call)
    result = joined.results[0]
    assert result.outcome == "caller-gone" and not result.announced
    assert "busy" in result.ended_by and result.samples == b""
    session = sim.audio_sessions[-1]
    assert session.aborted and len(session.samples) < 8000  # the playback stopped when they went
    assert sim.hangups[-1].onhook_at >= handle.caller_gone_at
    assert back


def test_a_caller_who_hung_up_while_ringing_hears_nothing_and_the_modem_hangs_up_within_2_s(
    tmp_path: Path,
) -> None:
    call = SimCall(caller=WITHHELD, rings=2)
    sim, _, joined, _, back, ended_at, cid_at = run_call(tmp_path, call)
    result = joined.results[0]
    assert result.outcome == "caller-gone" and result.ended_by == "dial-tone"
    assert not sim.audio_sessions  # no announcement
    hangup = sim.hangups[-1]
    assert hangup.onhook_at - hangup.offhook_at < 2.0
    assert back and cid_at - hangup.onhook_at < 2.0


def test_a_fax_machine_gets_no_announcement_and_no_recording(tmp_path: Path) -> None:
    call = SimCall(caller=WITHHELD, rings=5, pickup_after=2, after_pickup="fax")
    sim, _, joined, _, back, _, _ = run_call(tmp_path, call)
    result = joined.results[0]
    assert result.outcome == "fax" and not sim.audio_sessions and result.samples == b""
    assert back


def test_the_time_limit_ends_a_long_recording(tmp_path: Path) -> None:
    call = SimCall(caller=WITHHELD, rings=5, pickup_after=2, after_pickup="talks", talk_seconds=60.0)
    _, _, joined, _, back, _, _ = run_call(tmp_path, call, time_limit_seconds=3.0)
    result = joined.results[0]
    assert result.outcome == "recorded" and result.ended_by == "time-limit"
    assert 3.0 <= result.seconds < 3.5
    assert back


@pytest.mark.parametrize("profile, line", [("usr", "AT+VLS=1"), ("silabs", "AT+VLS=1")])
def test_each_profile_joins_with_its_own_line_selection(tmp_path: Path, profile: str, line: str) -> None:
    call = SimCall(caller=WITHHELD, rings=5, pickup_after=2, after_pickup="talks", talk_seconds=2.0)
    sim, _, joined, _, back, _, _ = run_call(tmp_path, call, profile=profile)
    assert joined.results[0].outcome == "recorded", (joined.results[0], sim.commands()[-12:])
    assert line in sim.commands() and back


def test_a_refused_voice_mode_leaves_the_line_and_caller_id_comes_back(tmp_path: Path) -> None:
    events = EventLog()
    joined = Joined()
    wav = announcement(tmp_path)
    sim = SimulatedModem("conexant", time_scale=SCALE, refuse=("+VLS=3",)).start()
    try:
        with ready_driver(sim.port, events, ring_gap_seconds=RING_GAP, command_timeout=1.0) as driver:
            sim.play_call(SimCall(caller=WITHHELD, rings=5, pickup_after=2))
            assert events.wait_count(CallerIDReceived, 1, timeout=10)
            driver.join_if_answered(wav, JoinSettings(), joined)
            assert joined.done.wait(15)
            assert joined.results[0].outcome == "failed" and "+VLS=3" in joined.results[0].ended_by
            assert sim.wait_for(lambda s: s.commands()[-3:] == ["ATH0", "AT+FCLASS=0", "AT+VCID=1"], 5)
            assert not sim.audio_sessions
    finally:
        sim.stop()


def test_the_pickup_watch_joins_when_a_ring_is_overdue_measured_from_the_calls_own_rings() -> None:
    watch = PickupWatch(ring_gap=7.0)
    watch.arm("announce.wav")
    for at in (0.0, 3.0, 6.0):  # Japan: a ring every 3 s
        watch.ring(at)
    deadline = watch.deadline()
    assert deadline is not None and 6.0 + 3.0 < deadline < 6.0 + 7.0
    assert watch.take(deadline - 0.01) is None
    assert watch.take(deadline) == "announce.wav"
    assert watch.take(deadline + 0.1) is None  # once


@pytest.mark.parametrize("late_by", [7.0, 10.0, 600.0])
def test_a_pickup_noticed_only_after_the_ring_gap_is_not_joined(late_by: float) -> None:
    # The appliance was frozen (SIGSTOP, a stalled SD card): when it wakes, the call is over and
    # the line may already ring for the next caller; a join then answered that new call.
    watch = PickupWatch(ring_gap=7.0)
    watch.arm("announce.wav")
    watch.ring(0.0)
    watch.ring(3.0)
    assert watch.take(3.0 + late_by) is None
    assert watch.armed is None  # disarmed: a later ring of a new call cannot join with it
