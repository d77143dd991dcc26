"""A small I2C OLED (SSD1306 or SH1106, 128x64) for those who cannot hear the spoken warning.

Big Japanese (or English) text: "警察を名乗る / 電話に注意" and the number for a police call,
"受話器を取らないで" for a blocked one, a plain word for caution calls, the fault when protection is
off. It follows the LED panel: the same verdicts light it (the policy's "panel" action), a flagged
call stays until the household acknowledges it with the panel's button (at most `hold_minutes`),
and the screen is dark when there is nothing to say, so that it does not burn in; a fault screen
that stays for days moves a few pixels every minute for the same reason.

All drawing is pure (`screen_for`, `fault_screen`, `render`: Pillow images, testable anywhere); one
thread owns the device, so an I2C write never delays a call. luma.oled drives the display on the
Pi; tests and `docs/oled/*.png` use luma's in-memory `dummy` device.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from callerid.alert import NOTHING_STARTED
from callerid.health.conditions import PROTECTION_OFF, short
from callerid.model import Action, CallRecord, VerdictCode

log = logging.getLogger("callerid.alert.oled")

WIDTH, HEIGHT = 128, 64
FONT_PATHS = (
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",  # Debian fonts-ipafont-gothic
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
FAMILY_SECONDS = 8.0  # a trusted caller's screen, like the green light
SHIFT_SECONDS = 60.0
POLICE = (VerdictCode.POLICE_LOOKALIKE, VerdictCode.POLICE_NUMBER)

#: verdict -> (Japanese lines, English lines); "{number}" is the number as displayed.
_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "police": (("警察を名乗る", "電話に注意", "{number}"), ("POLICE CALL?", "BE CAREFUL", "{number}")),
    "police-blocked": (("警察を名乗る電話", "{number}", "受話器を取らないで"),
                       ("FAKE POLICE", "{number}", "DO NOT PICK UP")),
    VerdictCode.BLOCKLISTED: (("拒否した番号", "{number}", "受話器を取らないで"),
                    ("BLOCKED", "{number}", "DO NOT PICK UP")),
    "blocked": (("拒否した電話", "{number}", "受話器を取らないで"),
                ("BLOCKED", "{number}", "DO NOT PICK UP")),
    VerdictCode.INTERNATIONAL: (("海外からの電話", "{number}", "知らなければ出ない"),
                      ("FROM ABROAD", "{number}", "CAREFUL")),
    VerdictCode.WITHHELD: (("非通知の電話", "留守電に任せて"), ("NUMBER HIDDEN", "LET IT RING")),
    VerdictCode.UNAVAILABLE: (("番号が出ない電話", "留守電に任せて"), ("NO NUMBER", "LET IT RING")),
    VerdictCode.PAYPHONE: (("公衆電話から", "留守電に任せて"), ("PUBLIC PHONE", "LET IT RING")),
    VerdictCode.INVALID: (("おかしな番号", "{number}"), ("ODD NUMBER", "{number}")),
    VerdictCode.ALLOWLISTED: (("登録済みの番号", "{number}"), ("TRUSTED", "{number}")),
}
_FAULT = {
    "off": (("保護が止まっています", "{what}", "家族に連絡を"), ("PROTECTION OFF", "{what}", "CALL FAMILY")),
    "check": (("点検してください", "{what}"), ("CHECK DEVICE", "{what}")),
}


@dataclass(frozen=True)
class Screen:
    """What to show: lines of text, each as big as fits (up to `size` pixels high)."""

    name: str
    lines: tuple[str, ...]
    sizes: tuple[int, ...]


def _sizes(count: int) -> tuple[int, ...]:
    return {1: (28,), 2: (24, 22), 3: (20, 20, 18)}.get(count, (16,) * count)


def _make(name: str, lines: Sequence[str]) -> Screen:
    kept = tuple(line for line in lines if line)
    return Screen(name, kept, _sizes(len(kept)))


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:20]


def screen_for(record: CallRecord, actions: frozenset[str] | Sequence[str], lang: str) -> Screen | None:
    """The screen for a call, or None when the panel would not light for it."""
    code = record.verdict.verdict
    if Action.PANEL not in actions or (code not in _WORDS and code not in POLICE):
        return None
    blocked = Action.BLOCK in actions or Action.BLOCK in record.actions
    if code in POLICE:
        key = "police-blocked" if blocked else "police"
    elif code == VerdictCode.BLOCKLISTED or blocked:
        key = VerdictCode.BLOCKLISTED if code == VerdictCode.BLOCKLISTED else "blocked"
    else:
        key = code
    number = _printable(record.verdict.display or record.caller.number or "")
    ja, en = _WORDS[key]
    lines = [line.format(number=number) for line in (ja if lang == "ja" else en)]
    return _make(key, lines)


def fault_screen(conditions: Sequence[str], lang: str) -> Screen | None:
    if not conditions:
        return None
    first = conditions[0]
    ja, en = _FAULT["off" if first in PROTECTION_OFF else "check"]
    what = short(first, lang)
    return _make(f"fault-{first}", [line.format(what=what) for line in (ja if lang == "ja" else en)])


@lru_cache(maxsize=4)
def find_font(explicit: str | None = None) -> str | None:
    """A Japanese TrueType font (IPA Gothic from fonts-ipafont-gothic), or None for Pillow's own."""
    for candidate in ((explicit,) if explicit else ()) + FONT_PATHS:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@lru_cache(maxsize=64)
def _font(path: str | None, size: int) -> Any:
    from PIL import ImageFont

    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def render(screen: Screen | None, *, font_path: str | None = None, shift: int = 0,
           size: tuple[int, int] = (WIDTH, HEIGHT)) -> Any:
    """The screen as a 1-bit Pillow image (all black for None); each line as big as fits the width."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("1", size, 0)
    if screen is None:
        return image
    draw = ImageDraw.Draw(image)
    path = find_font(font_path)
    fitted = []
    for text, wanted in zip(screen.lines, screen.sizes, strict=True):
        points = wanted
        while points > 8:
            box = draw.textbbox((0, 0), text, font=_font(path, points))
            if box[2] - box[0] <= width - 2:
                break
            points -= 1
        font = _font(path, points)
        box = draw.textbbox((0, 0), text, font=font)
        fitted.append((text, font, box))
    used = sum(box[3] - box[1] for _, _, box in fitted)
    gap = max(0, (height - used) // (len(fitted) + 1))
    y = gap
    for text, font, box in fitted:
        x = (width - (box[2] - box[0])) // 2 - box[0] + shift
        draw.text((x, y - box[1]), text, font=font, fill=1)
        y += box[3] - box[1] + gap
    return image


def open_device(config: Any) -> Any:
    """The luma.oled device on the Pi's I2C bus (raises when there is none)."""
    from luma.core.interface.serial import i2c
    from luma.oled.device import sh1106, ssd1306

    serial = i2c(port=int(getattr(config, "i2c_port", 1)), address=int(getattr(config, "address", 0x3C)))
    kind = sh1106 if getattr(config, "driver", "ssd1306") == "sh1106" else ssd1306
    return kind(serial, width=WIDTH, height=HEIGHT, rotate=int(getattr(config, "rotate", 0)))


class OledAlerts:
    """The display as an AlertSink (plus `fault` for the health watch and `acknowledge` for the button)."""

    def __init__(self, config: Any, *, device: Any = None, font_path: str | None = None,
                 clock: Any = time.monotonic) -> None:
        self.language = getattr(config, "language", "ja")
        self.hold_seconds = float(getattr(config, "hold_minutes", 30.0)) * 60.0
        self._config = config
        self._device = device
        self._font_path = font_path
        self._clock = clock
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._call: Screen | None = None
        self._call_until = 0.0
        self._call_record: CallRecord | None = None
        self._faults: tuple[str, ...] = ()
        self.shown: Screen | None = None  # what is on the glass now (None: dark)
        self.frames = 0

    # -- AlertSink ---------------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            if self._device is None:
                self._device = open_device(self._config)  # no I2C display: the runtime carries on
            self._thread = threading.Thread(target=self._run, name="callerid-oled", daemon=True)
            self._thread.start()

    def incoming(self, record: CallRecord, actions: frozenset[Action]) -> frozenset[Action]:
        """Queue the call's screen; starts no action of its own (it shows what the panel shows)."""
        screen = screen_for(record, actions, self.language)
        if screen is not None:
            hold = FAMILY_SECONDS if record.verdict.verdict == VerdictCode.ALLOWLISTED else self.hold_seconds
            self._queue.put(("call", (screen, record, hold)))
        return NOTHING_STARTED

    def ring(self, record: CallRecord) -> None:
        pass

    def ended(self, record: CallRecord) -> None:
        pass  # the screen stays, like the panel's light, until acknowledged or `hold_minutes` pass

    def acknowledge(self, record: CallRecord | None = None) -> None:
        """The household saw it (the panel's button): dark again, or the fault screen."""
        self._queue.put(("ack", record))

    def blocked(self, record: CallRecord | None) -> None:
        """The caller went on the block list (the button held): the warning has done its work."""
        if record is not None:
            self._queue.put(("ack", record))

    def fault(self, conditions: Sequence[str]) -> None:
        self._queue.put(("fault", tuple(conditions)))

    def close(self) -> None:
        self._queue.put(("stop", None))
        if self._thread is not None:
            self._thread.join(3)
            self._thread = None
        device = self._device
        if device is not None:
            try:
                device.display(render(None, size=device.size))
                device.hide()
            except Exception as exc:
                log.debug("cannot blank the display: %s", exc)

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until the worker has drawn everything queued (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.005)
        return False

    # -- the worker ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wait = SHIFT_SECONDS
            if self._call is not None:
                wait = max(0.0, min(wait, self._call_until - self._clock()))
            try:
                kind, value = self._queue.get(timeout=wait)
            except queue.Empty:
                kind, value = "tick", None
            try:
                if kind == "stop":
                    return
                if kind == "call":
                    screen, record, hold = value
                    self._call, self._call_record = screen, record
                    self._call_until = self._clock() + hold
                elif kind == "ack":
                    self._call = self._call_record = None
                elif kind == "fault":
                    self._faults = value
                if self._call is not None and self._clock() >= self._call_until:
                    self._call = self._call_record = None
                self._draw(shifted=kind == "tick")
            except Exception:
                log.exception("text display failed")
            finally:
                if kind != "tick":
                    self._queue.task_done()

    def _draw(self, *, shifted: bool) -> None:
        screen = self._call or fault_screen(self._faults, self.language)
        if screen == self.shown and not (shifted and screen is not None):
            return
        device = self._device
        shift = 0
        if screen is not None and self._call is None:  # a fault can stay for days: move it a little
            shift = int(self._clock() // SHIFT_SECONDS) % 3 - 1
        image = render(screen, font_path=self._font_path, shift=shift, size=device.size)
        if screen is None:
            device.display(image)
            device.hide()  # dark: the panel is off, no burn-in
        else:
            device.display(image.convert(device.mode) if device.mode != "1" else image)
            if self.shown is None:
                device.show()
        self.shown = screen
        self.frames += 1
