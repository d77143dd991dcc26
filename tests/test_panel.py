"""The LED panel on gpiozero's MockFactory: state histories per verdict, the button, the terminal line."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from alert_helpers import FAST_PANEL, record, wait_until
from gpiozero import LED
from gpiozero.pins.mock import MockFactory

from callerid.alert import AlertSink
from callerid.alert.mock_pins import HISTORY, bounded_mock_pin
from callerid.alert.panel import PATTERNS, PanelAlerts, choose_pin_factory
from callerid.model import VERDICT_CODES, Action, CallRecord

RED, AMBER, GREEN, BUZZER, BUTTON = 17, 27, 22, 23, 24
SHOWN = frozenset({Action.PANEL})


@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


@pytest.fixture
def panel(factory: MockFactory):  # noqa: ANN201
    calls: dict[str, list] = {"hold": [], "press": []}
    p = PanelAlerts(
        FAST_PANEL,
        on_hold=lambda: calls["hold"].append(time.monotonic()),
        on_press=lambda: calls["press"].append(time.monotonic()),
        pin_factory=factory,
        patterns={"allowlisted": replace(PATTERNS["allowlisted"], hold=0.3)},
    )
    p.calls = calls  # type: ignore[attr-defined]
    p.start()
    yield p
    p.close()


def _clear(factory: MockFactory) -> None:
    for pin in (RED, AMBER, GREEN, BUZZER):
        factory.pin(pin).clear_states()


def _intervals(factory: MockFactory, pin: int) -> list[tuple[float, bool]]:
    """(seconds the pin spent in the previous state, new state) for each change after the first."""
    return [(s.timestamp, s.state) for s in factory.pin(pin).states[1:]]


def _on_times(factory: MockFactory, pin: int) -> list[float]:
    """How long the pin stayed high each time it went high (completed pulses only)."""
    changes = _intervals(factory, pin)
    return [t for (t, state) in changes[1:] if state is False]


def _show(panel: PanelAlerts, factory: MockFactory, call: CallRecord, seconds: float) -> None:
    _clear(factory)
    panel.incoming(call, SHOWN)
    time.sleep(seconds)


# -- patterns per verdict --------------------------------------------------------------------------


def test_police_lookalike_fast_red_blink_and_three_beeps(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("police-lookalike", "+12025550110", "+1 202-555-0110"), 1.3)
    red_pulses = _on_times(factory, RED)
    assert len(red_pulses) >= 3 and all(0.1 < t < 0.3 for t in red_pulses)  # 0.15 s on
    factory.pin(BUZZER).assert_states([False, True, False, True, False, True, False])  # exactly three beeps
    assert len(factory.pin(BUZZER).states) == 7
    assert factory.pin(AMBER).states[-1].state is False and len(factory.pin(AMBER).states) == 1
    assert factory.pin(GREEN).states[-1].state is False and len(factory.pin(GREEN).states) == 1


def test_police_number_slow_red_blink_and_two_beeps(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("police-number", "0335814321", "03-3581-4321"), 2.2)
    red_pulses = _on_times(factory, RED)
    assert red_pulses and all(0.55 < t < 0.95 for t in red_pulses)  # 0.7 s on
    assert len(factory.pin(BUZZER).states) == 5  # two beeps
    assert len(factory.pin(AMBER).states) == 1


def test_blocked_caller_fast_red_without_buzzer(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("blocklisted"), 0.8)
    assert len(_on_times(factory, RED)) >= 2
    assert len(factory.pin(BUZZER).states) == 1  # blocked already: no alarm


@pytest.mark.parametrize("code", ["international", "withheld", "unavailable", "payphone", "invalid"])
def test_caution_calls_blink_amber(code: str, panel: PanelAlerts, factory: MockFactory) -> None:
    absence = {"withheld": "P", "unavailable": "O", "payphone": "C"}.get(code)
    seconds = 1.8 if code == "international" else 0.65  # the full cycle once; the start for the others
    _show(panel, factory, record(code, None if absence else "0335814321", absence=absence), seconds)
    factory.pin(AMBER).assert_states([False, True, False, True])
    if code == "international":
        assert len(factory.pin(AMBER).states) == 4
        assert all(0.35 < t < 0.7 for t in _on_times(factory, AMBER))  # 0.5 s on, 1 s off
    else:
        assert len(factory.pin(AMBER).states) == 3  # on 0.5 s, then off
    assert len(factory.pin(RED).states) == 1 and len(factory.pin(GREEN).states) == 1
    beeps = (len(factory.pin(BUZZER).states) - 1) // 2
    assert beeps == (0 if code == "invalid" else 1)


def test_family_call_green_steady_briefly_then_off(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("allowlisted"), 0.0)
    assert factory.pin(GREEN).state is True
    assert wait_until(lambda: factory.pin(GREEN).state is False, 2)
    states = factory.pin(GREEN).states
    assert [s.state for s in states] == [False, True, False]
    assert 0.25 < states[2].timestamp < 0.6  # the hold (0.3 s in this test; 8 s by default)
    assert panel.latched is None


def test_ordinary_call_lights_nothing(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("ordinary"), 0.3)
    for pin in (RED, AMBER, GREEN, BUZZER):
        assert len(factory.pin(pin).states) == 1


def test_no_panel_action_no_light(panel: PanelAlerts, factory: MockFactory) -> None:
    _clear(factory)
    panel.incoming(record("police-number"), frozenset({"warn-household"}))
    time.sleep(0.3)
    for pin in (RED, AMBER, GREEN, BUZZER):
        assert len(factory.pin(pin).states) == 1


def test_every_verdict_has_a_defined_look() -> None:
    assert set(PATTERNS) | {"ordinary"} == set(VERDICT_CODES)
    assert {p.colour for c, p in PATTERNS.items() if c.startswith("police") or c == "blocklisted"} == {"red"}
    assert PATTERNS["allowlisted"].colour == "green" and not PATTERNS["allowlisted"].latch


# -- latching, rings, end of call -----------------------------------------------------------------


def test_flagged_light_stays_until_acknowledged(panel: PanelAlerts, factory: MockFactory) -> None:
    call = record("police-number")
    _show(panel, factory, call, 0.1)
    panel.ended(call)
    _clear(factory)
    time.sleep(1.6)
    assert len(factory.pin(RED).states) >= 3  # still blinking long after the call ended
    assert len(factory.pin(BUZZER).states) == 1  # but the buzzer stopped with the call
    assert panel.latched is call
    panel.acknowledge(call)
    time.sleep(0.05)
    _clear(factory)
    time.sleep(0.8)
    assert len(factory.pin(RED).states) == 1 and factory.pin(RED).state is False


def test_each_ring_beeps_again(panel: PanelAlerts, factory: MockFactory) -> None:
    call = record("police-lookalike", "+12025550110")
    _show(panel, factory, call, 0.9)
    _clear(factory)
    panel.ring(call)
    time.sleep(0.9)
    assert len(factory.pin(BUZZER).states) == 7  # three more beeps
    panel.ring(record("police-lookalike", "+12025550110"))  # a different call's ring: ignored
    time.sleep(0.2)
    assert len(factory.pin(BUZZER).states) == 7


def test_newest_flagged_call_replaces_the_light(panel: PanelAlerts, factory: MockFactory) -> None:
    police = record("police-number")
    _show(panel, factory, police, 0.1)
    withheld = record("withheld", None, absence="P")
    panel.ended(police)
    _show(panel, factory, withheld, 0.8)
    assert factory.pin(RED).state is False and len(factory.pin(RED).states) <= 2
    assert len(factory.pin(AMBER).states) >= 2
    assert panel.latched is withheld


def test_family_call_does_not_clear_a_waiting_warning(panel: PanelAlerts, factory: MockFactory) -> None:
    police = record("police-lookalike", "+12025550110")
    _show(panel, factory, police, 0.1)
    panel.ended(police)
    _show(panel, factory, record("allowlisted"), 0.6)
    assert len(_on_times(factory, RED)) >= 1
    assert panel.latched is police


# -- the button -------------------------------------------------------------------------------------


def _press(factory: MockFactory, seconds: float) -> None:
    button = factory.pin(BUTTON)
    button.drive_low()
    time.sleep(seconds)
    button.drive_high()


def test_short_press_only_reports_a_press(panel: PanelAlerts, factory: MockFactory) -> None:
    """The panel does not decide what a press means: the appliance does, and tells every sink."""
    call = record("police-lookalike", "+12025550110")
    _show(panel, factory, call, 0.2)
    _press(factory, 0.05)
    assert len(panel.calls["press"]) == 1  # type: ignore[attr-defined]
    assert panel.calls["hold"] == []  # type: ignore[attr-defined]
    assert panel.latched is call  # nothing cleared until the appliance says "acknowledged"


def test_acknowledge_clears_the_lights_and_the_buzzer(panel: PanelAlerts, factory: MockFactory) -> None:
    call = record("police-lookalike", "+12025550110")
    _show(panel, factory, call, 0.2)
    panel.acknowledge(call)
    assert panel.latched is None
    assert factory.pin(BUZZER).state is False
    time.sleep(0.1)
    _clear(factory)
    time.sleep(0.5)
    assert len(factory.pin(RED).states) == 1 and factory.pin(RED).state is False
    assert "buzzer=off" in panel.render_text() and "red=off" in panel.render_text()


def test_acknowledge_with_no_waiting_warning_still_clears(panel: PanelAlerts, factory: MockFactory) -> None:
    _show(panel, factory, record("withheld", None, absence="P"), 0.1)
    panel.acknowledge(None)
    time.sleep(0.05)
    _clear(factory)
    time.sleep(0.5)
    assert len(factory.pin(AMBER).states) == 1 and factory.pin(AMBER).state is False


def test_long_press_only_reports_a_hold(panel: PanelAlerts, factory: MockFactory) -> None:
    fraud = record("police-lookalike", "+12025550110", "+1 202-555-0110")
    _show(panel, factory, fraud, 0.1)
    _press(factory, 0.5)  # hold_time 0.3 s in this test
    assert len(panel.calls["hold"]) == 1  # type: ignore[attr-defined]
    assert panel.calls["press"] == []  # the release after a hold is not also a short press
    assert panel.latched is fraud


def test_blocked_shows_red_steady(panel: PanelAlerts, factory: MockFactory) -> None:
    fraud = record("police-lookalike", "+12025550110", "+1 202-555-0110")
    _show(panel, factory, fraud, 0.1)
    panel.blocked(fraud)
    assert factory.pin(RED).state is True and "red=blocked" in panel.render_text()
    assert panel.latched is None


def test_nothing_to_block_flashes_amber_three_times(panel: PanelAlerts, factory: MockFactory) -> None:
    _clear(factory)
    panel.blocked(None)
    time.sleep(0.8)
    assert len(factory.pin(AMBER).states) >= 6  # three quick amber flashes: "nothing to block"
    assert factory.pin(RED).state is False


def test_press_then_hold_report_in_order(factory: MockFactory) -> None:
    hits: list[str] = []
    panel = PanelAlerts(FAST_PANEL, on_hold=lambda: hits.append("hold"),
                        on_press=lambda: hits.append("press"), pin_factory=factory)
    panel.start()
    panel.incoming(record("police-number", "0335814321"), SHOWN)
    _press(factory, 0.05)
    _press(factory, 0.5)
    panel.close()
    assert hits == ["press", "hold"]


def test_a_failing_callback_does_not_break_the_button(factory: MockFactory) -> None:
    def boom() -> None:
        raise RuntimeError("the appliance is gone")

    panel = PanelAlerts(FAST_PANEL, on_press=boom, on_hold=boom, pin_factory=factory)
    panel.start()
    panel.incoming(record("police-number"), SHOWN)
    _press(factory, 0.05)
    _press(factory, 0.5)
    _press(factory, 0.05)
    panel.incoming(record("withheld", None, absence="P"), SHOWN)
    assert panel.latched is not None
    panel.close()


def test_incoming_reports_whether_the_panel_showed_the_call(panel: PanelAlerts, factory: MockFactory) -> None:
    assert panel.incoming(record("police-number"), SHOWN) == SHOWN
    assert panel.incoming(record("ordinary"), SHOWN) == frozenset()  # nothing to show
    assert panel.incoming(record("police-number"), frozenset()) == frozenset()  # not asked


def test_a_panel_without_the_patterns_led_starts_nothing(factory: MockFactory) -> None:
    blocker = LED(RED, pin_factory=factory)  # another program holds GPIO17
    panel = PanelAlerts(FAST_PANEL, pin_factory=factory)
    panel.start()
    try:
        assert "red" not in panel.leds
        assert panel.incoming(record("police-number"), SHOWN) == frozenset()
        assert panel.incoming(record("withheld", None, absence="P"), SHOWN) == SHOWN
    finally:
        panel.close()
        blocker.close()


# -- drawing, pins, contract -------------------------------------------------------------------------


def test_render_text_is_one_safe_line(panel: PanelAlerts, factory: MockFactory) -> None:
    hostile = record("police-lookalike", "+1202\n5550110", "+1 202\x1b[2J\n555-0110")
    panel.incoming(hostile, SHOWN)
    line = panel.render_text()
    assert "\n" not in line and "\x1b" not in line
    assert "red=fast blink" in line and "unacknowledged: police-lookalike" in line
    assert "buzzer=beeping" in line and "mock pins" in line


def test_render_text_names_a_call_without_a_number(panel: PanelAlerts) -> None:
    panel.incoming(record("withheld", None, display="withheld", absence="P"), SHOWN)
    assert "unacknowledged: withheld (P)" in panel.render_text()


def test_missing_buzzer_and_button_are_fine(factory: MockFactory) -> None:
    panel = PanelAlerts(replace(FAST_PANEL, buzzer=None, button=None), pin_factory=factory)
    panel.start()
    panel.incoming(record("police-lookalike", "+12025550110"), SHOWN)
    time.sleep(0.4)
    assert len(factory.pin(RED).states) > 1
    assert panel.buzzer is None and panel.button is None
    panel.close()


def test_a_pin_that_cannot_be_opened_is_skipped(factory: MockFactory) -> None:
    squatter = LED(RED, pin_factory=factory)  # another program holds GPIO17
    panel = PanelAlerts(FAST_PANEL, pin_factory=factory)
    panel.start()
    assert "red" not in panel.leds and "amber" in panel.leds
    panel.incoming(record("police-number"), SHOWN)
    assert "red=slow blink" in panel.render_text()
    panel.close()
    squatter.close()


def test_off_the_pi_the_default_factory_is_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpiozero import Device

    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    try:
        with open("/proc/device-tree/model", "rb") as f:
            if b"Raspberry Pi" in f.read():
                pytest.skip("this is a Raspberry Pi: the real factory is expected")
    except OSError:
        pass
    factory = choose_pin_factory()
    assert isinstance(factory, MockFactory)
    assert Device.pin_factory is factory
    assert factory.pin_class is bounded_mock_pin()  # the appliance's mock pins do not grow without end


@pytest.mark.parametrize("env", [{}, {"GPIOZERO_PIN_FACTORY": "mock"}])
def test_months_of_calls_off_the_pi_keep_the_pins_memory_flat(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stock MockPin records every change; the appliance's own mock pins keep the last few."""
    from gpiozero import Device

    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(Device, "ensure_pin_factory", _no_gpio_here)
    monkeypatch.setattr(Device, "pin_factory", None)
    factory = choose_pin_factory()
    led = LED(RED, pin_factory=factory)
    try:
        for _ in range(5000):  # a call blinks and beeps a few dozen times
            led.toggle()
        assert len(factory.pin(RED).states) == HISTORY
        assert factory.pin(RED).states[-1].state is led.is_lit
    finally:
        led.close()


def _no_gpio_here() -> None:
    from gpiozero.exc import BadPinFactory

    raise BadPinFactory("no GPIO pins here")


def test_disabled_panel_opens_no_pins(factory: MockFactory) -> None:
    panel = PanelAlerts(replace(FAST_PANEL, enabled=False), pin_factory=factory)
    panel.start()
    panel.incoming(record("police-number"), SHOWN)
    assert panel.leds == {} and len(factory.pin(RED).states) == 1
    panel.close()


def test_panel_is_an_alert_sink(factory: MockFactory) -> None:
    assert isinstance(PanelAlerts(FAST_PANEL, pin_factory=factory), AlertSink)


def test_works_with_the_real_panel_config(factory: MockFactory) -> None:
    config = pytest.importorskip("callerid.config")
    panel = PanelAlerts(config.PanelConfig(), pin_factory=factory)
    panel.start()
    assert panel.long_press_seconds == 2.0 and set(panel.leds) == {"red", "amber", "green"}
    panel.close()
