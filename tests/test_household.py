"""The button and the household, decided once: the real appliance, panel on mock pins, real speaker.

A blocked fake-police call keeps warning (its "hung up automatically" message plays to the end and
its red light stays): a short press must stop the voice and clear the panel, and holding the
button must block the last flagged caller exactly once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from alert_helpers import FAST_PANEL, Events, ToneEngine, fake_player, record, wait_until
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from callerid.alert.panel import PanelAlerts
from callerid.alert.speech import SpeechAlerts
from callerid.appliance import ApplianceHooks, Runtime, build_runtime
from callerid.appliance.household import BUTTON_LABEL, Household
from callerid.appliance.plan import plan_actions
from callerid.config import Config, ModemConfig, SpeechConfig, WebConfig
from callerid.model import Action, CallerID, CallRecord, ListKind, VerdictCode
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem

SCALE = 0.05
RED, AMBER, BUTTON = 17, 27, 24


# -- the household's memory, alone ------------------------------------------------------------------


def test_acknowledge_names_the_waiting_warning_once() -> None:
    household = Household()
    fraud = record("police-lookalike", "+12025550110")
    household.warned(fraud)
    household.warned(record("ordinary", "0355559999"))  # an ordinary call does not replace it
    assert household.acknowledge() is fraud
    assert household.acknowledge() is None


@pytest.mark.parametrize(
    "last",
    [None, record("withheld", None, absence="P"), record("blocklisted", "0355550000")],
    ids=["nothing-yet", "no-number", "already-blocked"],
)
def test_nothing_to_block(last: CallRecord | None) -> None:
    household = Household()
    if last is not None:
        household.warned(last)
    assert household.to_block() is None


def test_the_last_flagged_caller_is_blocked_once_and_survives_acknowledge() -> None:
    household = Household()
    fraud = record("police-lookalike", "+12025550110")
    household.warned(fraud)
    household.acknowledge()  # seeing the warning does not forget whom to block
    assert household.to_block() is fraud
    household.blocked(fraud)
    assert household.to_block() is None


def test_the_log_id_reaches_the_remembered_call() -> None:
    household = Household()
    fraud = record("police-number", "0335814321")
    household.warned(fraud)
    household.logged(replace(fraud, id=7))
    assert household.to_block().id == 7


# -- the plan, alone ---------------------------------------------------------------------------------


def test_plan_hangs_up_at_once_or_lets_the_caller_warning_do_it() -> None:
    blocked = plan_actions(frozenset({Action.BLOCK, Action.WARN_HOUSEHOLD, Action.PANEL}),
                           caller_warning_ready=True)
    assert blocked.hang_up and not blocked.warn_caller
    assert blocked.household == {Action.WARN_HOUSEHOLD, Action.PANEL}
    assert blocked.driver_actions == {Action.BLOCK}

    asked = frozenset({Action.BLOCK, Action.WARN_CALLER, Action.PANEL})
    warned = plan_actions(asked, caller_warning_ready=True)
    assert warned.warn_caller and not warned.hang_up
    assert warned.driver_actions == {Action.WARN_CALLER, Action.BLOCK}

    not_yet = plan_actions(asked, caller_warning_ready=False)
    assert not_yet.hang_up and not not_yet.warn_caller and not_yet.unmet_caller_warning
    assert not_yet.driver_actions == {Action.BLOCK}

    quiet = plan_actions(frozenset(), caller_warning_ready=True)
    assert not quiet.hang_up and quiet.driver_actions == frozenset() and quiet.household == frozenset()


# -- the real appliance with the real panel and speaker ---------------------------------------------


@dataclass
class Rig:
    runtime: Runtime
    sim: SimulatedModem
    factory: MockFactory
    speech: SpeechAlerts
    playback: Events
    handled: threading.Semaphore

    @property
    def panel(self) -> PanelAlerts:
        assert self.runtime.panel is not None
        return self.runtime.panel

    def press(self, seconds: float) -> None:
        button = self.factory.pin(BUTTON)
        button.drive_low()
        time.sleep(seconds)
        button.drive_high()

    def blocked_entries(self) -> list:
        return self.runtime.store.list_entries(ListKind.BLOCK)


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    factory = MockFactory()
    monkeypatch.setattr(Device, "pin_factory", factory)  # the panel's pins, as off the Pi
    playback = Events()
    command, _ = fake_player(tmp_path, seconds=30)  # a warning that would play for half a minute
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "speech")), engines={"ja": ToneEngine("ja")},
                          player_command=command, on_playback=playback)
    config = Config(
        modem=ModemConfig(quiet_seconds=0.2, number_display="off"),
        panel=FAST_PANEL,
        web=WebConfig(enabled=False),
    )
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(tmp_path / "calls.db"), speech=False, extra_sinks=[speech],
            hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(5)
            assert speech.wait_ready(30)
            yield Rig(runtime, sim, factory, speech, playback, handled)
        finally:
            runtime.stop()
            runtime.close()


def test_a_press_silences_a_blocked_police_lookalike_and_a_hold_blocks_it_once(rig: Rig) -> None:
    rig.sim.play_call(SimCall(caller=CallerID(format="text", number="+8014190110", date="1125", time="0930")))
    assert rig.handled.acquire(timeout=10)
    call = rig.runtime.store.calls()[0]
    assert call.verdict.verdict == VerdictCode.POLICE_LOOKALIKE
    assert {Action.BLOCK, Action.WARN_HOUSEHOLD, Action.PANEL} <= set(call.actions)
    assert rig.sim.wait_for(lambda s: s.hangups and s.hangups[-1].onhook_at is not None, timeout=5)

    # The call is over (hung up), but its warning is still playing and its red light still blinks.
    assert wait_until(lambda: rig.playback.of("started", "warning"), 5)
    assert rig.playback.of("finished") == []
    assert rig.panel.latched is not None and rig.panel.latched.key
    assert "red=fast blink" in rig.panel.render_text()

    rig.press(0.05)  # a short press
    assert wait_until(lambda: rig.playback.of("finished"), 3), "the spoken warning did not stop"
    assert rig.playback.of("finished")[0].detail == "interrupted"
    assert wait_until(lambda: rig.panel.latched is None, 2)
    time.sleep(0.1)
    rig.factory.pin(RED).clear_states()
    time.sleep(0.5)
    assert len(rig.factory.pin(RED).states) == 1 and rig.factory.pin(RED).state is False
    assert "red=off" in rig.panel.render_text() and "buzzer=off" in rig.panel.render_text()
    assert rig.blocked_entries() == []  # a press never blocks

    rig.press(0.5)  # a hold (0.3 s in FAST_PANEL)
    assert wait_until(lambda: rig.blocked_entries(), 3), "the hold did not block the caller"
    assert wait_until(lambda: "red=blocked" in rig.panel.render_text(), 2)
    rig.factory.pin(AMBER).clear_states()
    rig.press(0.5)  # holding again: nothing left to block
    assert wait_until(lambda: len(rig.factory.pin(AMBER).states) >= 6, 3), "no 'nothing to block' flashes"
    entries = rig.blocked_entries()
    assert [(e.label, e.pattern) for e in entries] == [(BUTTON_LABEL, "+8014190110")]

    # The next call from that number meets the block list.
    rig.sim.play_call(SimCall(caller=CallerID(format="text", number="+8014190110", date="1125", time="0940")))
    assert rig.handled.acquire(timeout=10)
    assert rig.runtime.store.calls()[0].verdict.verdict == VerdictCode.BLOCKLISTED


def test_a_speaker_that_cannot_speak_is_not_logged_as_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only started actions are logged: with no voice for the language, warn-household is not claimed."""
    monkeypatch.setattr(Device, "pin_factory", MockFactory())
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "speech")), engines={"ja": None},
                          player_command=fake_player(tmp_path)[0])
    config = Config(modem=ModemConfig(quiet_seconds=0.2, number_display="off"), panel=FAST_PANEL,
                    web=WebConfig(enabled=False))
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(tmp_path / "calls.db"), speech=False, extra_sinks=[speech],
            hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(5)
            speech.wait_ready(10)  # every render fails at once: no engine
            sim.play_call(SimCall(caller=CallerID(format="text", number="0335814321")))
            assert handled.acquire(timeout=10)
            call = runtime.store.calls()[0]
            assert call.verdict.verdict == VerdictCode.POLICE_NUMBER
            assert call.actions == (Action.PANEL,)
        finally:
            runtime.stop()
            runtime.close()


def test_a_listener_gets_each_logged_call_with_its_id_and_what_it_started_is_logged(tmp_path: Path) -> None:
    seen: list[tuple[CallRecord, frozenset[Action]]] = []

    def notifier(call: CallRecord, requested: frozenset[Action]) -> set[Action]:
        seen.append((call, requested))
        return {Action.NOTIFY}

    config = Config(modem=ModemConfig(quiet_seconds=0.2, number_display="off"),
                    speech=SpeechConfig(enabled=False), web=WebConfig(enabled=False))
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(tmp_path / "calls.db"), panel=False,
            hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.add_listener(notifier)
        runtime.start_in_thread()
        try:
            assert runtime.wait_modem_ready(5)
            sim.play_call(SimCall(caller=CallerID(format="text", number="0335814321")))
            assert handled.acquire(timeout=10)
            logged = runtime.store.calls()[0]
        finally:
            runtime.stop()
            runtime.close()
    assert [(c.id, c.caller.number) for c, _ in seen] == [(logged.id, "0335814321")]
    assert Action.WARN_HOUSEHOLD in seen[0][1]  # what the policy asked for
    assert logged.actions == (Action.NOTIFY,)  # no speaker, no panel here: only the notification ran
