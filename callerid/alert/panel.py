"""The LED panel: lights seen across the room, a buzzer, and one button.

Red means police or blocked, amber caution, green family or friends. Each verdict
has its own pattern (a fast red blink for a fake police number or a blocked one,
a slow red blink for a real police number that may be spoofed, amber for
caution, a short steady green for an allowlisted caller). The last flagged call's
light stays until someone presses the button, like an answering machine's
message light, so a call missed while out of the room is still noticed.

The button only reports: a short press calls `on_press`, holding it for
`long_press_seconds` calls `on_hold`. The appliance decides what they mean (acknowledge the
warning; put the last flagged caller on the block list) and tells every sink, this panel
included, through `acknowledge()` and `blocked()`.

gpiozero drives the pins: the Pi's own pin factory on a Pi, and gpiozero's
MockFactory anywhere else, so the same code runs in the demo and the tests.
`render_text()` draws the panel as one terminal line for the demo.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from callerid.alert import NOTHING_STARTED
from callerid.alert.mock_pins import appliance_mock_factory
from callerid.model import Action, CallRecord, VerdictCode
from callerid.terminal import clip, printable

log = logging.getLogger("callerid.alert.panel")

COLOURS = ("red", "amber", "green")
SHOWN = frozenset({Action.PANEL})


class PanelSettings(Protocol):
    """The fields of callerid.config.PanelConfig this module reads."""

    enabled: bool
    red: int
    amber: int
    green: int
    buzzer: int | None
    button: int | None
    long_press_seconds: float


@dataclass(frozen=True)
class LightPattern:
    """How one verdict looks and sounds on the panel."""

    name: str  # shown by render_text, e.g. "fast blink"
    colour: str  # "red" | "amber" | "green"
    on_time: float
    off_time: float | None  # None: steady
    latch: bool  # stays until acknowledged
    hold: float | None = None  # steady for this long, then off (not latched)
    beeps: int = 0  # buzzer beeps at the first ring and at each further ring
    beep_on: float = 0.15
    beep_off: float = 0.15


FAST_RED = LightPattern("fast blink", "red", 0.15, 0.15, latch=True)
CAUTION = LightPattern("blink", "amber", 0.5, 1.0, latch=True)
FAMILY = LightPattern("steady", "green", 1.0, None, latch=False, hold=8.0)

#: verdict code -> pattern (ordinary calls light nothing).
PATTERNS: dict[VerdictCode, LightPattern] = {
    VerdictCode.BLOCKLISTED: FAST_RED,  # already hung up by the appliance: no need to sound the buzzer
    VerdictCode.POLICE_LOOKALIKE: LightPattern("fast blink", "red", 0.15, 0.15, latch=True, beeps=3,
                                                beep_on=0.15, beep_off=0.1),
    VerdictCode.POLICE_NUMBER: LightPattern("slow blink", "red", 0.7, 0.7, latch=True, beeps=2, beep_on=0.3,
                                             beep_off=0.2),
    VerdictCode.INTERNATIONAL: LightPattern("blink", "amber", 0.5, 1.0, latch=True, beeps=1, beep_on=0.2),
    VerdictCode.WITHHELD: LightPattern("blink", "amber", 0.5, 1.0, latch=True, beeps=1, beep_on=0.2),
    VerdictCode.UNAVAILABLE: LightPattern("blink", "amber", 0.5, 1.0, latch=True, beeps=1, beep_on=0.2),
    VerdictCode.PAYPHONE: LightPattern("blink", "amber", 0.5, 1.0, latch=True, beeps=1, beep_on=0.2),
    VerdictCode.INVALID: CAUTION,
    VerdictCode.ALLOWLISTED: FAMILY,
}

#: A fault (callerid.health: no modem, no numbers, cannot save...): red AND amber steady together,
#: a sight no call ever makes. A call's pattern shows over it; once the call is acknowledged, the
#: fault shows again until it clears.
FAULT_NAME = "fault"

#: Feedback for the button.
ACK_FLASH = 0.3  # green, once: "acknowledged"
BLOCKED_SHOW = 1.5  # red steady: "blocked"
NOTHING_FLASHES = 3  # amber quick flashes: "nothing to block"


def choose_pin_factory(explicit: Any = None) -> Any:
    """The real pin factory on a Pi; gpiozero's MockFactory where there are no GPIO pins.

    Honours an explicit factory, an already chosen `Device.pin_factory`, and
    $GPIOZERO_PIN_FACTORY; only when gpiozero finds no usable factory at all does
    it fall back to mock pins (so a Pi with a broken GPIO library is not silently
    mocked if the user asked for a particular factory: that error is raised).
    """
    if explicit is not None:
        return explicit
    import os

    from gpiozero import Device

    if Device.pin_factory is not None:
        return Device.pin_factory
    if os.environ.get("GPIOZERO_PIN_FACTORY") == "mock" and not os.environ.get("GPIOZERO_MOCK_PIN_CLASS"):
        Device.pin_factory = appliance_mock_factory()  # mock pins asked for: ones that do not leak
        return Device.pin_factory
    if os.environ.get("GPIOZERO_PIN_FACTORY"):
        Device.ensure_pin_factory()
        return Device.pin_factory
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PinFactoryFallback chatter off the Pi
            Device.ensure_pin_factory()
    except Exception as exc:  # BadPinFactory: not a Pi (or no GPIO library installed)
        Device.pin_factory = appliance_mock_factory()
        log.info("no GPIO pins here (%s): the LED panel runs on gpiozero's mock pins", exc)
    return Device.pin_factory


def is_mock(factory: Any) -> bool:
    from gpiozero.pins.mock import MockFactory

    return isinstance(factory, MockFactory)


class PanelAlerts:
    """LEDs, buzzer and button as an AlertSink."""

    def __init__(
        self,
        config: PanelSettings | Any,
        *,
        on_press: Callable[[], None] | None = None,
        on_hold: Callable[[], None] | None = None,
        pin_factory: Any = None,
        patterns: Mapping[str, LightPattern] | None = None,
    ) -> None:
        self.patterns: dict[str, LightPattern] = {**PATTERNS, **(patterns or {})}
        self.enabled = bool(getattr(config, "enabled", True))
        self.long_press_seconds = float(getattr(config, "long_press_seconds", 2.0))
        self._pins = {
            "red": getattr(config, "red", 17),
            "amber": getattr(config, "amber", 27),
            "green": getattr(config, "green", 22),
            "buzzer": getattr(config, "buzzer", 23),
            "button": getattr(config, "button", 24),
        }
        self._on_press = on_press
        self._on_hold = on_hold
        self._factory_arg = pin_factory
        self.factory: Any = None
        self.leds: dict[str, Any] = {}
        self.buzzer: Any = None
        self.button: Any = None
        self._lock = threading.RLock()
        self._shown: dict[str, str] = dict.fromkeys(COLOURS, "off")
        self._buzz_until = 0.0
        self._latched: CallRecord | None = None
        self._current: CallRecord | None = None
        self._green_timer: threading.Timer | None = None
        self._feedback_timer: threading.Timer | None = None
        self._held = False
        self._opened = False
        self._faults: tuple[str, ...] = ()

    # -- AlertSink ----------------------------------------------------------------------------

    def start(self) -> None:
        """Open the pins (mock pins off the Pi); a pin that cannot be opened is skipped, said once."""
        with self._lock:
            if self._opened or not self.enabled:
                return
            self._opened = True
            from gpiozero import LED, Button, Buzzer

            self.factory = choose_pin_factory(self._factory_arg)
            for colour in COLOURS:
                self.leds[colour] = self._open(LED, colour, self._pins[colour])
            self.leds = {c: led for c, led in self.leds.items() if led is not None}
            if self._pins["buzzer"] is not None:
                self.buzzer = self._open(Buzzer, "buzzer", self._pins["buzzer"])
            if self._pins["button"] is not None:
                self.button = self._open(Button, "button", self._pins["button"], pull_up=True,
                                         hold_time=self.long_press_seconds)
                if self.button is not None:
                    self.button.when_held = self._button_held
                    self.button.when_released = self._button_released
                    self.button.when_pressed = self._button_pressed

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        """Show the call's pattern when the policy asks for the panel; never blocks.

        Started (returns {panel}) when the pattern's LED is there to show it.
        """
        if not self.enabled:
            return NOTHING_STARTED
        self.start()
        code = record.verdict.verdict
        pattern = self.patterns.get(code)
        with self._lock:
            self._current = record
            self._stop_buzzer()
            if Action.PANEL not in actions or pattern is None:
                return NOTHING_STARTED
            if pattern.latch:
                self._latched = record
                for colour in ("red", "amber"):  # the panel shows the LAST flagged call
                    if colour != pattern.colour:
                        self._set(colour, "off")
            self._show(pattern)
            self._beep(pattern)
            return SHOWN if pattern.colour in self.leds else NOTHING_STARTED

    def ring(self, record: CallRecord) -> None:
        """Another ring: sound the buzzer again while the warning is not acknowledged."""
        with self._lock:
            if self._current is None or self._current.key != record.key:
                return
            if self._latched is not None and self._latched.key == record.key:
                pattern = self.patterns.get(record.verdict.verdict)
                if pattern is not None:
                    self._beep(pattern)

    def ended(self, record: CallRecord) -> None:
        """The call stopped ringing: the buzzer stops; a flagged call's light stays."""
        with self._lock:
            if self._current is not None and self._current.key == record.key:
                self._current = None
                self._stop_buzzer()

    def close(self) -> None:
        with self._lock:
            for timer in (self._green_timer, self._feedback_timer):
                if timer is not None:
                    timer.cancel()
            devices = [*self.leds.values(), self.buzzer, self.button]
            self.leds, self.buzzer, self.button = {}, None, None
            self._opened = False
        for device in devices:
            if device is not None:
                try:
                    device.close()
                except Exception:
                    log.exception("could not close %r", device)

    # -- what the household did (the appliance decides, every sink is told) -------------------

    def acknowledge(self, record: CallRecord | None) -> None:
        """A short press was taken as "seen": lights and buzzer off, one green flash."""
        with self._lock:
            self._latched = None
            self._stop_buzzer()
            for colour in COLOURS:
                self._set(colour, "off")
            self._flash_green()
            self._show_fault()

    def blocked(self, record: CallRecord | None) -> None:
        """The hold's outcome: red steady for a moment when `record` was blocked, else three amber
        flashes ("nothing to block")."""
        with self._lock:
            if record is None:
                self._show_nothing_to_block()
                return
            self._latched = None
            self._stop_buzzer()
            self._set("amber", "off")
            self._show_blocked()

    def fault(self, conditions: Sequence[str]) -> None:
        """Show (or, with none, clear) the fault pattern (callerid.health); a latched call's light
        keeps priority, and the fault comes back once that call is acknowledged."""
        if not self.enabled:
            return
        self.start()
        with self._lock:
            was = self._faults
            self._faults = tuple(conditions)
            if self._latched is not None:
                return
            if self._faults:
                self._show_fault()
            elif was:
                for colour in ("red", "amber"):
                    self._set(colour, "off")

    @property
    def faults(self) -> tuple[str, ...]:
        return self._faults

    @property
    def latched(self) -> CallRecord | None:
        """The flagged call whose light is still on (None once acknowledged)."""
        return self._latched

    # -- the button: it only reports ------------------------------------------------------------

    def _button_pressed(self) -> None:
        self._held = False

    def _button_held(self) -> None:
        self._held = True
        _report(self._on_hold, "hold")

    def _button_released(self) -> None:
        if self._held:  # the long press already reported
            self._held = False
            return
        _report(self._on_press, "press")

    # -- drawing -------------------------------------------------------------------------------

    def render_text(self) -> str:
        """The panel as one terminal line, e.g. `red=fast blink  amber=off  green=off  buzzer=off | ...`."""
        with self._lock:
            lights = "  ".join(f"{c}={self._shown[c]}" for c in COLOURS)
            buzzer = "beeping" if time.monotonic() < self._buzz_until else "off"
            latched = self._latched
            text = f"{lights}  buzzer={buzzer}"
            if self._faults:
                text += f" | FAULT: {', '.join(self._faults)}"
            if latched is not None:
                number = latched.caller.number
                shown = (latched.verdict.display or number) if number else _absence(latched)
                text += f" | unacknowledged: {latched.verdict.verdict} {clip(printable(shown), 32)}"
            if self._opened and self.factory is not None and is_mock(self.factory):
                text += " | mock pins"
            press = f"press=acknowledge, hold {self.long_press_seconds:g}s=block last flagged"
            return f"{text} | {press}"

    # -- internals (lock held) -----------------------------------------------------------------

    def _open(self, cls: Any, name: str, pin: int, **kwargs: Any) -> Any:
        try:
            return cls(pin, pin_factory=self.factory, **kwargs)
        except Exception as exc:  # pin in use, no permission, invalid number
            log.warning("LED panel: cannot open the %s on GPIO%s (%s); going on without it", name, pin, exc)
            return None

    def _set(self, colour: str, state: str) -> None:
        led = self.leds.get(colour)
        if state == "off" and led is not None:
            led.off()
        self._shown[colour] = state
        if colour == "green" and state == "off" and self._green_timer is not None:
            self._green_timer.cancel()
            self._green_timer = None

    def _show(self, pattern: LightPattern) -> None:
        led = self.leds.get(pattern.colour)
        if pattern.colour == "green" and self._green_timer is not None:
            self._green_timer.cancel()
            self._green_timer = None
        if led is not None:
            if pattern.off_time is None:
                led.on()
            else:
                led.blink(on_time=pattern.on_time, off_time=pattern.off_time, background=True)
        self._shown[pattern.colour] = pattern.name
        if pattern.hold is not None:
            timer = threading.Timer(pattern.hold, self._hold_over, (pattern.colour,))
            timer.daemon = True
            if pattern.colour == "green":
                self._green_timer = timer
            timer.start()

    def _hold_over(self, colour: str) -> None:
        with self._lock:
            if colour == "green":
                self._green_timer = None
            self._set(colour, "off")

    def _beep(self, pattern: LightPattern) -> None:
        if pattern.beeps <= 0:
            return
        self._buzz_until = time.monotonic() + pattern.beeps * (pattern.beep_on + pattern.beep_off)
        if self.buzzer is not None:
            self.buzzer.beep(on_time=pattern.beep_on, off_time=pattern.beep_off, n=pattern.beeps,
                             background=True)

    def _stop_buzzer(self) -> None:
        self._buzz_until = 0.0
        if self.buzzer is not None:
            self.buzzer.off()

    def _flash_green(self) -> None:
        """One short green blink: the press was felt."""
        led = self.leds.get("green")
        if led is not None:
            led.blink(on_time=ACK_FLASH, off_time=0.01, n=1, background=True)

    def _show_fault(self) -> None:
        """Red and amber steady together: a sight no call makes (a call lights one colour)."""
        if not self._faults:
            return
        for colour in ("red", "amber"):
            led = self.leds.get(colour)
            if led is not None:
                led.on()
            self._shown[colour] = FAULT_NAME

    def _show_blocked(self) -> None:
        self._set("red", "blocked")
        led = self.leds.get("red")
        if led is not None:
            led.on()
        self._after(BLOCKED_SHOW, lambda: self._set("red", "off"))

    def _show_nothing_to_block(self) -> None:
        led = self.leds.get("amber")
        if led is None or self._shown["amber"] != "off":
            return
        led.blink(on_time=0.1, off_time=0.1, n=NOTHING_FLASHES, background=True)

    def _after(self, seconds: float, action: Callable[[], None]) -> None:
        if self._feedback_timer is not None:
            self._feedback_timer.cancel()

        def run() -> None:
            with self._lock:
                if self._latched is None:  # a new flagged call in the meantime keeps its light
                    action()
                    self._show_fault()

        self._feedback_timer = threading.Timer(seconds, run)
        self._feedback_timer.daemon = True
        self._feedback_timer.start()


def _absence(record: CallRecord) -> str:
    """A call without a number: the absence code the line sent (the verdict already names it)."""
    return f"({record.caller.absence})" if record.caller.absence else "(no number)"


def _report(callback: Callable[[], None] | None, what: str) -> None:
    """Tell the appliance about the button (from gpiozero's thread); a failure never kills the button."""
    if callback is None:
        return
    try:
        callback()
    except Exception:
        log.exception("button %s: the callback failed", what)


__all__ = ["FAULT_NAME", "PATTERNS", "LightPattern", "PanelAlerts", "choose_pin_factory", "is_mock"]
