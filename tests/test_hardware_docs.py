"""The wiring diagram and pin table agree with the panel's configured defaults, and the SVG renders."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SVG = REPO / "hardware" / "wiring.svg"
README = REPO / "hardware" / "README.md"
DEFAULT_PINS = {"red": 17, "amber": 27, "green": 22, "buzzer": 23, "button": 24}
# BCM GPIO -> physical header pin on every 40-pin Raspberry Pi
HEADER_PIN = {17: 11, 27: 13, 22: 15, 23: 16, 24: 18}


def svg_text() -> str:
    root = ET.parse(SVG).getroot()  # raises on malformed XML
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def test_defaults_match_the_config() -> None:
    config = pytest.importorskip("callerid.config")
    panel = config.PanelConfig()
    assert {name: getattr(panel, name) for name in DEFAULT_PINS} == DEFAULT_PINS


def test_diagram_labels_every_pin_with_its_header_position() -> None:
    text = svg_text()
    for gpio, pin in HEADER_PIN.items():
        assert f"GPIO{gpio} [{pin}]" in text
    assert "220 Ω" in text and "1 kΩ" in text


def test_readme_pin_table_matches() -> None:
    rows = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 3 and cells[1].isdigit():
            rows[int(cells[1])] = (cells[0], int(cells[2]))
    for name, gpio in DEFAULT_PINS.items():
        label, pin = rows[gpio]
        assert name in label.lower() and pin == HEADER_PIN[gpio]


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert (librsvg2-bin) not installed")
def test_svg_renders_to_a_png(tmp_path: Path) -> None:
    out = tmp_path / "wiring.png"
    subprocess.run(["rsvg-convert", "-w", "960", str(SVG), "-o", str(out)], check=True, timeout=60)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (960, 640)
    assert re.search(rb"IDAT", data) and len(data) > 20_000  # a drawing, not a blank page
