"""The OLED text display through luma's in-memory device: what it shows for each call and fault,
dark when idle, the button clears it, and the real SSD1306/SH1106 drivers take its frames."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from alert_helpers import record
from luma.core.device import dummy
from PIL import ImageChops

from callerid.alert.oled import OledAlerts, fault_screen, find_font, render, screen_for
from callerid.config import OledConfig

ROOT = Path(__file__).resolve().parent.parent
SHOWN = frozenset({"panel"})


def lit(device: dummy) -> int:
    return 0 if device.image is None else 128 * 64 - device.image.convert("1").histogram()[0]


@pytest.fixture
def oled():  # noqa: ANN201
    device = dummy(width=128, height=64, mode="1")
    sink = OledAlerts(OledConfig(enabled=True), device=device)
    sink.start()
    yield sink, device
    sink.close()


def test_a_japanese_font_is_installed_for_the_display() -> None:
    assert find_font() is not None and "ipa" in find_font().lower()


def test_police_calls_say_so_in_big_japanese_with_the_number() -> None:
    warned = screen_for(record("police-number", "0335810110", display="03-3581-0110"), SHOWN, "ja")
    assert warned.lines == ("警察を名乗る", "電話に注意", "03-3581-0110")
    call = replace(record("police-lookalike", "+8014190110"), actions=("block", "panel"))
    blocked = screen_for(call, frozenset({"block", "panel"}), "ja")
    assert blocked.lines == ("警察を名乗る電話", "+8014190110", "受話器を取らないで")
    assert screen_for(record("police-number"), SHOWN, "en").lines[:2] == ("POLICE CALL?", "BE CAREFUL")
    assert screen_for(record("ordinary"), SHOWN, "ja") is None
    assert screen_for(record("police-number"), frozenset(), "ja") is None  # the panel is not asked for


def test_every_line_fits_the_glass_and_the_text_is_big() -> None:
    for code in ("police-number", "police-lookalike", "blocklisted", "international", "withheld"):
        screen = screen_for(record(code, "+8014190110"), frozenset({"panel", "block"}), "ja")
        image = render(screen)
        box = image.getbbox()
        assert box is not None and box[0] >= 0 and box[2] <= 128 and box[3] <= 64, code
        # the top line is at least 14 pixels high: readable from across a room
        rows = [y for y in range(64) if any(image.getpixel((x, y)) for x in range(128))]
        assert rows[0] < 10 and max(screen.sizes) >= 18


def test_the_device_shows_the_call_then_goes_dark_on_acknowledge(oled) -> None:  # noqa: ANN001
    sink, device = oled
    call = record("police-number", "0335810110", display="03-3581-0110")
    sink.incoming(call, SHOWN)
    assert sink.wait_idle()
    expected = render(screen_for(call, SHOWN, "ja"))
    assert ImageChops.difference(device.image.convert("1"), expected).getbbox() is None
    assert lit(device) > 300
    sink.ended(call)  # the call stops ringing: the text stays, like the panel's light
    assert sink.wait_idle() and lit(device) > 300
    sink.acknowledge(call)
    assert sink.wait_idle() and lit(device) == 0 and sink.shown is None


def test_an_ordinary_call_leaves_it_dark(oled) -> None:  # noqa: ANN001
    sink, device = oled
    sink.incoming(record("ordinary"), SHOWN)
    assert sink.wait_idle() and lit(device) == 0


def test_a_fault_shows_until_it_clears_and_a_call_shows_over_it(oled) -> None:  # noqa: ANN001
    sink, device = oled
    sink.fault(["modem"])
    assert sink.wait_idle() and sink.shown == fault_screen(["modem"], "ja")
    assert sink.shown.lines[0] == "保護が止まっています" and "モデム" in sink.shown.lines[1]
    call = record("police-lookalike", "+8014190110")
    sink.incoming(call, SHOWN)
    assert sink.wait_idle() and sink.shown.lines[0] == "警察を名乗る"
    sink.acknowledge()
    assert sink.wait_idle() and sink.shown == fault_screen(["modem"], "ja")
    sink.fault([])
    assert sink.wait_idle() and lit(device) == 0


def test_a_flagged_call_goes_dark_by_itself_after_hold_minutes() -> None:
    device = dummy(width=128, height=64, mode="1")
    sink = OledAlerts(OledConfig(enabled=True, hold_minutes=0.005), device=device)  # 0.3 s
    sink.start()
    try:
        sink.incoming(record("international", "+12025550143"), SHOWN)
        assert sink.wait_idle() and lit(device) > 0
        deadline = time.monotonic() + 3
        while lit(device) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lit(device) == 0
    finally:
        sink.close()


@pytest.mark.parametrize("driver", ["ssd1306", "sh1106"])
def test_the_real_luma_drivers_take_the_frames(driver: str) -> None:
    from luma.core.interface.serial import noop
    from luma.oled import device as devices

    sent: list[int] = []

    class Bus(noop):
        def data(self, data: list[int]) -> None:
            sent.extend(data)

    glass = getattr(devices, driver)(Bus(), width=128, height=64)
    sink = OledAlerts(OledConfig(enabled=True, driver=driver), device=glass)
    sink.start()
    try:
        sink.incoming(record("police-number", "0335810110"), SHOWN)
        assert sink.wait_idle()
    finally:
        sink.close()
    assert len(sent) >= 128 * 64 // 8 and any(sent)


def test_docs_show_every_screen_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text()
    pngs = sorted((ROOT / "docs" / "oled").glob("*.png"))
    assert len(pngs) >= 8
    linked = set(re.findall(r"docs/oled/([\w-]+\.png)", readme))
    assert {"police-number-ja.png", "police-lookalike-blocked-ja.png", "fault-modem-ja.png"} <= linked
    assert linked <= {p.name for p in pngs}
    hardware = (ROOT / "hardware" / "README.md").read_text()
    assert "SSD1306" in hardware and "SDA" in hardware
