"""The appliance end to end: simulated modem on a real pty, real driver, real SQLite, real screening."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from callerid.appliance import ApplianceHooks, Runtime, build_runtime
from callerid.config import Config, ModemConfig, PanelConfig, SpeechConfig, WebConfig
from callerid.model import Action, CallerID, CallRecord
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem

SCALE = 0.05  # a 6 s ring period becomes 0.3 s


class Recorder:
    """An alert sink that remembers what the appliance told the household.

    It stands for a working speaker and panel: it reports the household actions it was asked for
    as started.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[CallRecord, frozenset[str]]] = []
        self.rang: list[CallRecord] = []
        self.finished: list[CallRecord] = []
        self.acknowledged: list[CallRecord | None] = []
        self.blocks: list[CallRecord | None] = []
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        self.calls.append((record, actions))
        return actions & {Action.WARN_HOUSEHOLD, Action.PANEL}

    def acknowledge(self, record: CallRecord | None) -> None:
        self.acknowledged.append(record)

    def blocked(self, record: CallRecord | None) -> None:
        self.blocks.append(record)

    def ring(self, record: CallRecord) -> None:
        self.rang.append(record)

    def ended(self, record: CallRecord) -> None:
        self.finished.append(record)

    def close(self) -> None:
        self.closed = True


def quiet_config(tmp_path: Path) -> Config:
    """Defaults, but no speaker, LEDs or website: these tests watch the modem and the log."""
    return Config(
        modem=ModemConfig(quiet_seconds=0.2, ping_seconds=30.0, number_display="off"),
        speech=SpeechConfig(enabled=False, cache_dir=str(tmp_path / "cache")),
        panel=PanelConfig(enabled=False),
        web=WebConfig(enabled=False),
    )


class Running:
    def __init__(self, runtime: Runtime, sim: SimulatedModem, recorder: Recorder) -> None:
        self.runtime = runtime
        self.sim = sim
        self.recorder = recorder
        self.handled = threading.Semaphore(0)

    def call(self, caller: CallerID, rings: int = 3, **kw: object) -> None:
        self.sim.play_call(SimCall(caller=caller, rings=rings, **kw))  # type: ignore[arg-type]
        assert self.handled.acquire(timeout=10), f"appliance did not handle {caller}"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    recorder = Recorder()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        holder: list[Running] = []
        runtime = build_runtime(
            quiet_config(tmp_path), port=sim.port, db_path=str(tmp_path / "calls.db"),
            extra_sinks=[recorder],
            hooks=ApplianceHooks(on_call=lambda record, timings: holder[0].handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        rig = Running(runtime, sim, recorder)
        holder.append(rig)
        runtime.appliance.start()
        worker = threading.Thread(target=runtime.appliance.run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 5
        while runtime.appliance.modem_state != "ready" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert runtime.appliance.modem_state == "ready"
        try:
            yield rig
        finally:
            runtime.appliance.stop()
            worker.join(5)
            assert not worker.is_alive(), "appliance loop did not stop"
            runtime.close()


def test_fake_police_number_is_blocked_warned_and_logged(running: Running) -> None:
    running.call(CallerID(format="text", number="+8014190110", date="1125", time="0930"))
    calls = running.runtime.store.calls()
    assert len(calls) == 1
    call = calls[0]
    assert call.verdict.verdict == "police-lookalike"
    assert "block" in call.actions and "warn-household" in call.actions
    assert running.sim.wait_for(lambda s: len(s.hangups) >= 1, timeout=3), "no hang-up reached the modem"
    record, actions = running.recorder.calls[0]
    assert record.caller.number == "+8014190110" and "warn-household" in actions


def test_tokyo_police_number_is_warned_but_never_blocked(running: Running) -> None:
    running.call(CallerID(format="text", number="0335814321", name="KEISHICHO"))
    call = running.runtime.store.calls()[0]
    assert call.verdict.verdict == "police-number"
    assert "warn-household" in call.actions and "block" not in call.actions
    time.sleep(0.3)
    assert running.sim.hangups == []


def test_blocklisted_caller_is_hung_up(running: Running) -> None:
    running.runtime.store.add_list_entry("block", "0120-444-555", "seller")
    running.runtime.appliance.reload_lists()
    running.call(CallerID(format="text", number="0120444555", name="SOLAR JAPAN"))
    call = running.runtime.store.calls()[0]
    assert call.verdict.verdict == "blocklisted"
    assert running.sim.wait_for(lambda s: len(s.hangups) >= 1, timeout=3)


def test_family_is_allowed_and_ordinary_calls_are_quiet(running: Running) -> None:
    running.runtime.store.add_list_entry("allow", "090-1234-5678", "daughter")
    running.runtime.appliance.reload_lists()
    running.call(CallerID(format="text", number="09012345678", name="HANAKO"))
    running.call(CallerID(format="text", number="0471230000", name="SATO HANAKO"))
    newest, oldest = running.runtime.store.calls()
    assert oldest.verdict.verdict == "allowlisted" and "block" not in oldest.actions
    assert newest.verdict.verdict == "ordinary" and newest.actions == ()
    assert running.sim.hangups == []


@pytest.mark.parametrize("message", ["sdmf", "mdmf", "ntt"])
def test_hex_caller_id_formats_reach_the_log(tmp_path: Path, message: str) -> None:
    """A modem in AT+VCID=2 mode prints the raw message as hex; every kind must be logged."""
    recorder = Recorder()
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            quiet_config(tmp_path), port=sim.port, db_path=str(tmp_path / "calls.db"),
            extra_sinks=[recorder], hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.appliance.start()
        worker = threading.Thread(target=runtime.appliance.run, daemon=True)
        worker.start()
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=5)
            sim.play_call(SimCall(caller=CallerID(format=message, number="0335814321", date="1125",
                                                  time="0930"), mode="hex", message=message))
            assert handled.acquire(timeout=10)
            call = runtime.store.calls()[0]
            assert call.caller.number == "0335814321"
            assert call.caller.format == message
            assert call.verdict.verdict == "police-number"
        finally:
            runtime.appliance.stop()
            worker.join(5)
            runtime.close()


def test_withheld_and_no_caller_id_are_logged(running: Running) -> None:
    running.call(CallerID(format="text", absence="P", date="1125", time="1103"))
    call = running.runtime.store.calls()[0]
    assert call.caller.number is None and call.caller.absence == "P"
    assert call.verdict.verdict == "withheld"


def test_rings_repeat_the_warning_and_the_call_ends(running: Running) -> None:
    running.call(CallerID(format="text", number="0335814321"), rings=4)
    assert running.sim.wait_for(lambda s: len(running.recorder.rang) >= 2, timeout=5)
    assert all(r.caller.number == "0335814321" for r in running.recorder.rang)


def test_panel_long_press_blocks_the_last_flagged_caller(running: Running) -> None:
    running.call(CallerID(format="text", number="0335814321"))
    running.runtime.appliance.block_last_flagged()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not running.runtime.store.list_entries("block"):
        time.sleep(0.02)
    entries = running.runtime.store.list_entries("block")
    assert [e.label for e in entries] == ["blocked with the button"]
    assert running.sim.wait_for(lambda s: len(running.recorder.finished) >= 1, timeout=5), "call never ended"
    running.call(CallerID(format="text", number="0335814321"))
    assert running.runtime.store.calls()[0].verdict.verdict == "blocklisted"


def test_modem_state_is_published_for_the_status_page(running: Running) -> None:
    store = running.runtime.store
    assert store.get_setting("modem.state") == "ready"
    assert "Conexant" in (store.get_setting("modem.detail") or "")
    assert store.get_setting("modem.updated_at")


def test_same_caller_redialling_at_once_is_a_new_call_warned_and_logged(running: Running) -> None:
    """Fraudsters hang up and call straight back; the second call must not pass as a repeated record."""
    running.call(CallerID(format="text", number="0335814321"), rings=2)
    running.call(CallerID(format="text", number="0335814321"), rings=2)
    assert [c.verdict.verdict for c in running.runtime.store.calls()] == ["police-number"] * 2
    assert len(running.recorder.calls) == 2
    assert [r.id for r in running.recorder.finished][:1] == [1], "the first call was never ended"


def test_block_button_on_an_already_blocked_caller_keeps_the_familys_label(running: Running) -> None:
    running.runtime.store.add_list_entry("block", "0120-444-555", "Solar panel seller")
    running.runtime.appliance.reload_lists()
    running.call(CallerID(format="text", number="0120444555", name="SOLAR JAPAN"))
    running.runtime.appliance.block_last_flagged()
    running.call(CallerID(format="text", number="0471230000"))  # handled after the button press
    assert [e.label for e in running.runtime.store.list_entries("block")] == ["Solar panel seller"]


def test_warn_caller_answers_plays_the_rendered_warning_and_hangs_up(tmp_path: Path) -> None:
    """A family that opts in to warning callers: the lookalike hears the announcement, then is cut off."""
    from callerid.config import parse_config

    config = parse_config(
        f"""
        [policy]
        police-lookalike = ["block", "warn-caller", "panel"]
        [speech]
        enabled = false
        cache_dir = "{tmp_path / 'cache'}"
        [panel]
        enabled = false
        [web]
        enabled = false
        [modem]
        quiet_seconds = 0.2
        number_display = "off"
        """
    )
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            config, port=sim.port, db_path=str(tmp_path / "calls.db"),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
            hooks=ApplianceHooks(on_call=lambda r, t: handled.release()),
        )
        runtime.appliance.start()
        worker = threading.Thread(target=runtime.appliance.run, daemon=True)
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while runtime.appliance.caller_warning is None and time.monotonic() < deadline:
                time.sleep(0.05)
            wav = runtime.appliance.caller_warning
            assert wav is not None, "the caller warning was never rendered"
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=5)
            sim.play_call(SimCall(caller=CallerID(format="text", number="+8014190110", name="X",
                                                  date="1125", time="0930")))
            assert handled.acquire(timeout=10)
            assert sim.wait_for(lambda s: s.audio_sessions and s.audio_sessions[-1].ended_at, timeout=30)
            call = runtime.store.calls()[0]
            assert "warn-caller" in call.actions and "block" in call.actions
            played = bytes(sim.audio_sessions[-1].samples)
            assert len(played) > 8000, "less than a second of warning reached the caller"
            assert sim.wait_for(lambda s: s.hangups and s.hangups[-1].onhook_at is not None, timeout=5)
        finally:
            runtime.appliance.stop()
            worker.join(5)
            runtime.close()


def test_a_call_the_disk_refuses_is_kept_and_written_when_the_disk_recovers(running: Running) -> None:
    """Disk full for a moment: the call is still acted on, and reaches the log once writes work again."""
    import sqlite3

    store = running.runtime.store
    real_add_call = store.add_call
    failures = [sqlite3.OperationalError("database or disk is full")]

    def flaky_add_call(record: CallRecord) -> int:
        if failures:
            raise failures.pop()
        return real_add_call(record)

    store.add_call = flaky_add_call  # type: ignore[method-assign]
    running.call(CallerID(format="text", number="+8014190110", name="X", date="1125", time="0930"))
    assert running.sim.wait_for(lambda s: len(s.hangups) >= 1, timeout=3), "the refused call was not blocked"
    assert store.count_calls() == 0
    running.call(CallerID(format="text", number="0471230000", name="SATO", date="1125", time="0931"))
    logged = [(c.caller.number, c.verdict.verdict, "block" in c.actions) for c in reversed(store.calls())]
    assert logged == [("+8014190110", "police-lookalike", True), ("0471230000", "ordinary", False)]
