#!/usr/bin/env python3
"""Render the OLED text display's screens to docs/oled/*.png, through luma's in-memory device.

    .venv/bin/python docs/make_oled_pngs.py [--out docs/oled] [--scale 4]

Each call is screened by the real engine and policy, handed to the real `OledAlerts` sink driving
luma.core's `dummy` device (128x64, 1 bit), and the image the device holds is saved, enlarged
with square pixels so that it looks like the glass.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callerid.alert.oled import OledAlerts  # noqa: E402
from callerid.config import Config, OledConfig, screen_config  # noqa: E402
from callerid.model import CallerID, CallRecord  # noqa: E402
from callerid.policy import Policy  # noqa: E402
from callerid.screen.engine import screen  # noqa: E402
from callerid.screen.lists import FamilyLists  # noqa: E402

#: file name -> (number or absence, language); "fault-*" names show a health fault instead.
SCREENS = {
    "police-number-ja": ("0335810110", "ja"),
    "police-lookalike-blocked-ja": ("+8014190110", "ja"),
    "blocklisted-ja": ("0471230000", "ja"),
    "international-ja": ("+12025550143", "ja"),
    "withheld-ja": ("P", "ja"),
    "fault-modem-ja": ("modem", "ja"),
    "fault-no-number-ja": ("no-number", "ja"),
    "police-number-en": ("0335810110", "en"),
    "fault-modem-en": ("modem", "en"),
}


def render_all(out: Path, scale: int) -> list[Path]:
    from luma.core.device import dummy

    config = Config()
    lists = FamilyLists(allow=[], block=[], region="JP")
    blocked = FamilyLists(allow=[], block=[_block("0471230000")], region="JP")
    policy = Policy.from_config(config)
    made = []
    out.mkdir(parents=True, exist_ok=True)
    for name, (value, lang) in SCREENS.items():
        device = dummy(width=128, height=64, mode="1")
        sink = OledAlerts(OledConfig(enabled=True, language=lang), device=device)
        sink.start()
        if name.startswith("fault-"):
            sink.fault([value])
        else:
            caller = (CallerID(format="text", absence="P") if value == "P"
                      else CallerID(format="text", number=value))
            family = blocked if name.startswith("blocklisted") else lists
            verdict = screen(caller, family, screen_config(config))
            actions = policy.actions_for(verdict)
            record = CallRecord(received_at="2026-11-30T10:00:00+09:00", caller=caller, verdict=verdict,
                                actions=tuple(sorted(actions)))
            sink.incoming(record, frozenset(actions))
        sink.wait_idle()
        image = device.image.convert("L").resize((128 * scale, 64 * scale), 0)
        path = out / f"{name}.png"
        image.save(path, optimize=True)
        made.append(path)
        sink.close()
    return made


def _block(number: str):  # noqa: ANN202
    from callerid.model import ListEntry

    return ListEntry(kind="block", pattern=number, label="family")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "oled")
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args()
    for path in render_all(args.out, args.scale):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
