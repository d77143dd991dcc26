"""The whole appliance joins and records an answered call (issue 18's "done when"), over the pty.

The real assembly (`build_runtime`) with the simulated modem: screening, the policy's default
`record` for withheld calls in Japan, the announcement rendered by the real voice, the driver's
join, the recordings' worker writing FLAC beside the database, and the next call screened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile

from callerid.appliance import ApplianceHooks, Runtime, build_runtime
from callerid.config import Config, ModemConfig, PanelConfig, RecordingConfig, SpeechConfig, WebConfig
from callerid.model import Action, CallerID
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.recording.storage import recordings_folder
from callerid.wavfile import wav_info

SCALE = 0.1
WITHHELD = CallerID("text", absence="P", date="1130", time="2101")
ORDINARY = CallerID("text", number="0471230000", date="1130", time="2102")


@dataclass
class Rig:
    runtime: Runtime
    sim: SimulatedModem
    handled: threading.Semaphore
    config: Config
    db: Path


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    config = Config(
        modem=ModemConfig(quiet_seconds=0.2, number_display="off"),
        speech=SpeechConfig(enabled=False, cache_dir=str(tmp_path / "speech")),
        panel=PanelConfig(enabled=False),
        web=WebConfig(enabled=False),
        recording=RecordingConfig(listen_seconds=1.0, quiet_seconds=4.0),
    )
    handled = threading.Semaphore(0)
    db = tmp_path / "calls.db"
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(db),
            hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
            ring_gap_seconds=7.0 * SCALE, driver_options={"command_timeout": 1.0},
        )
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(5)
            deadline = time.monotonic() + 60
            while runtime.appliance.announcement is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert runtime.appliance.announcement is not None, "the announcement was never rendered"
            yield Rig(runtime, sim, handled, config, db)
        finally:
            runtime.stop()
            runtime.close()


def test_a_withheld_call_answered_by_the_household_is_announced_and_recorded(rig: Rig) -> None:
    handle = rig.sim.play_call(SimCall(caller=WITHHELD, rings=6, pickup_after=2, talk_seconds=5.0))
    assert rig.handled.acquire(timeout=10)
    assert rig.runtime.recordings is not None and rig.runtime.recordings.saved.acquire(timeout=60)
    store = rig.runtime.store
    call = store.calls()[0]
    assert call.verdict.verdict == "withheld" and Action.RECORD in call.actions
    recording = store.recording_for_call(call.id)
    assert recording is not None and recording.ended_by == "busy"
    # The recording holds exactly what the simulated caller said after the announcement.
    assert handle.talk_samples_sent == 5 * 8000 and recording.seconds == 5.0
    path = recordings_folder(rig.config, str(rig.db)) / recording.file
    assert soundfile.info(str(path)).frames == 5 * 8000
    # The announcement was played whole, at the modem's rate.
    announcement = wav_info(rig.runtime.appliance.announcement)
    played = rig.sim.audio_sessions[-1]
    assert abs(len(played.samples) - announcement.seconds * 8000) <= 8000 * 0.01
    assert played.started_at > handle.picked_up_at  # joined only after the pickup
    # No hang-up before the caller had gone; caller ID back within 2 s of the end.
    seized = rig.sim.hangups[-1]
    assert seized.via == "+VLS=3" and seized.onhook_at >= handle.caller_gone_at
    assert rig.sim.wait_for(lambda s: s.commands()[-1:] == ["AT+VCID=1"], 5)
    back_after = rig.sim.log[-1].at - handle.caller_gone_at
    print(f"caller ID enabled again {back_after * 1000:.0f} ms after the caller hung up")
    assert back_after < 2.0
    # The next call is screened.
    rig.sim.play_call(SimCall(caller=ORDINARY, rings=2))
    assert rig.handled.acquire(timeout=10)
    assert [c.caller.number for c in store.calls()][:1] == ["0471230000"]


def test_a_caller_who_hung_up_while_ringing_gets_no_announcement(rig: Rig) -> None:
    handle = rig.sim.play_call(SimCall(caller=WITHHELD, rings=2))
    assert rig.handled.acquire(timeout=10)
    assert handle.wait(10)
    assert rig.sim.wait_for(lambda s: s.hangups and s.hangups[-1].onhook_at is not None, 10)
    seized = rig.sim.hangups[-1]
    print(f"a caller who had gone: off-hook for {(seized.onhook_at - seized.offhook_at) * 1000:.0f} ms")
    assert seized.onhook_at - seized.offhook_at < 2.0  # hung up within 2 s
    assert rig.sim.audio_sessions == []  # no announcement
    assert rig.sim.wait_for(lambda s: s.commands()[-1:] == ["AT+VCID=1"], 5)
    time.sleep(0.3)
    assert rig.runtime.store.recording_for_call(rig.runtime.store.calls()[0].id) is None
    rig.sim.play_call(SimCall(caller=ORDINARY, rings=2))
    assert rig.handled.acquire(timeout=10)
