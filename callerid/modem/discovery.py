"""Find serial ports that may be a USB modem: /dev/callerid-modem, /dev/serial/by-id/*, ttyACM*, ttyUSB*.

by-id names survive replugging (ttyACM0 may come back as ttyACM1), so a port found there is
reported by that name. The USB vendor/product id is read from sysfs so a profile can be chosen
before sending a single command. `root` lets tests build a fake /dev and /sys in a temp dir.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

from callerid.modem.profiles import by_usb_id


@dataclass(frozen=True, slots=True)
class PortCandidate:
    """A serial port worth probing."""

    path: str  # what to open: the by-id link when there is one
    device: str  # the resolved device node, e.g. /dev/ttyACM0
    usb_id: tuple[int, int] | None = None
    label: str = ""  # by-id name or the USB product string

    @property
    def known_modem(self) -> bool:
        return by_usb_id(self.usb_id) is not None

    def describe(self) -> str:
        usb = f" [{self.usb_id[0]:04x}:{self.usb_id[1]:04x}]" if self.usb_id else ""
        via = f" -> {self.device}" if self.device != self.path else ""
        label = f" {self.label}" if self.label and self.label not in self.path else ""
        return f"{self.path}{via}{usb}{label}"


def find_ports(root: str = "/") -> list[PortCandidate]:
    """Candidate modem ports, known modem USB ids first, each device once."""
    found: list[PortCandidate] = []
    seen: set[str] = set()
    stable = os.path.join(root, "dev/callerid-modem")  # made by hardware/udev for known modems
    links = [stable] if os.path.lexists(stable) else []
    for link in links + sorted(glob.glob(os.path.join(root, "dev/serial/by-id/*"))):
        device = os.path.realpath(link)
        if device in seen or not os.path.exists(device):
            continue
        seen.add(device)
        found.append(_candidate(link, device, root, label=os.path.basename(link)))
    for pattern in ("dev/ttyACM*", "dev/ttyUSB*"):
        for node in sorted(glob.glob(os.path.join(root, pattern)), key=_natural):
            device = os.path.realpath(node)
            if device in seen:
                continue
            seen.add(device)
            found.append(_candidate(node, device, root))
    return sorted(found, key=lambda c: not c.known_modem)  # stable: keeps the order within each group


def usb_info(device: str, root: str = "/") -> tuple[tuple[int, int] | None, str]:
    """(vendor, product) and the product string of the USB device behind a tty, from sysfs."""
    node = os.path.join(root, "sys/class/tty", os.path.basename(device), "device")
    if not os.path.exists(node):
        return None, ""
    here = os.path.realpath(node)
    for _ in range(5):  # interface dir -> usb device dir; ttyUSB sits one level deeper
        vendor = _read(os.path.join(here, "idVendor"))
        product = _read(os.path.join(here, "idProduct"))
        if vendor and product:
            try:
                return (int(vendor, 16), int(product, 16)), _read(os.path.join(here, "product"))
            except ValueError:
                return None, ""
        here = os.path.dirname(here)
    return None, ""


def _candidate(path: str, device: str, root: str, label: str = "") -> PortCandidate:
    usb_id, product = usb_info(device, root)
    return PortCandidate(path=path, device=device, usb_id=usb_id, label=label or product)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _natural(path: str) -> tuple[str, int]:
    """ttyACM2 before ttyACM10."""
    stem = path.rstrip("0123456789")
    digits = path[len(stem) :]
    return stem, int(digits) if digits else -1


__all__ = ["PortCandidate", "find_ports", "usb_info"]
