"""The udev rules: valid syntax (udev's own parser where we can run it), and the right devices matched.

There is no USB modem here, so `udevadm test` cannot be run against one; instead a small evaluator
applies the rules' logic (match keys, GOTO/LABEL) to described devices, and udev's real parser
checks the syntax by loading the rules in a private mount namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "hardware" / "udev"
MODEM_RULES = RULES_DIR / "99-callerid-modem.rules"
USB_IDS = Path("/usr/share/misc/usb.ids")

TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTRS", "ATTR", "ENV"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "ENV", "GOTO", "LABEL", "TAG", "OWNER"}


@dataclass
class Rule:
    line: int
    tokens: list[tuple[str, str | None, str, str]]
    comment: str = ""


@dataclass
class Device:
    subsystem: str
    kernel: str
    action: str = "add"
    parent_attrs: list[dict[str, str]] = field(default_factory=list)  # one dict per ancestor


def parse(path: Path) -> list[Rule]:
    rules: list[Rule] = []
    comment = ""
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            comment = ""
            continue
        if line.startswith("#"):
            comment = line
            continue
        tokens, pos = [], 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            assert m, f"{path.name}:{number}: cannot parse at {line[pos:]!r}"
            key, attr, op, value = m.groups()
            if op in ("==", "!="):
                assert key in MATCH_KEYS, f"{path.name}:{number}: {key} is not a match key"
            else:
                assert key in ASSIGN_KEYS, f"{path.name}:{number}: {key} cannot be assigned"
                assert key not in ("GOTO", "LABEL") or op == "=", f"{path.name}:{number}: {key}{op}"
            tokens.append((key, attr, op, value))
            pos = m.end()
        rules.append(Rule(number, tokens, comment))
    return rules


def evaluate(rules: list[Rule], device: Device) -> dict[str, object]:
    """Apply the rules the way udev does for these keys; returns the assignments made."""
    result: dict[str, object] = {"SYMLINK": [], "ENV": {}}
    skip_to: str | None = None
    for rule in rules:
        labels = [v for k, _, _, v in rule.tokens if k == "LABEL"]
        if skip_to is not None:
            if skip_to in labels:
                skip_to = None
            else:
                continue
        matches = [t for t in rule.tokens if t[2] in ("==", "!=")]
        attrs = {a: v for k, a, op, v in matches if k == "ATTRS"}
        own = {"SUBSYSTEM": device.subsystem, "KERNEL": device.kernel, "ACTION": device.action}
        ok = all(
            fnmatchcase(own[k], v) == (op == "==") for k, _, op, v in matches if k in own
        )
        if attrs:  # every ATTRS key of one rule must match on the same ancestor
            ok = ok and any(
                all(fnmatchcase(p.get(a, ""), v) for a, v in attrs.items()) for p in device.parent_attrs
            )
        if not ok:
            continue
        for key, attr, op, value in rule.tokens:
            if key == "SYMLINK":
                result["SYMLINK"].append(value)  # type: ignore[union-attr]
            elif key == "ENV" and op == "=":
                result["ENV"][attr] = value  # type: ignore[index]
            elif key in ("GROUP", "MODE"):
                result[key] = value
            elif key == "GOTO":
                skip_to = value
    return result


def usb_ids_in_rules() -> set[tuple[int, int]]:
    ids = set()
    for rule in parse(MODEM_RULES):
        attrs = {a: v for k, a, _, v in rule.tokens if k == "ATTRS"}
        if "idVendor" in attrs:
            ids.add((int(attrs["idVendor"], 16), int(attrs["idProduct"], 16)))
    return ids


def usb_modem(vendor: int, product: int) -> Device:
    usb_device = {"idVendor": f"{vendor:04x}", "idProduct": f"{product:04x}"}
    return Device("tty", "ttyACM0", parent_attrs=[{"bInterfaceClass": "02"}, usb_device])


def test_every_rules_file_parses_and_gotos_have_labels() -> None:
    files = sorted(RULES_DIR.glob("*.rules"))
    assert {f.name for f in files} >= {"99-callerid-modem.rules", "60-callerid-gpio.rules"}
    for path in files:
        rules = parse(path)
        labels = [(r.line, v) for r in rules for k, _, _, v in r.tokens if k == "LABEL"]
        for rule in rules:
            for key, _, _, target in rule.tokens:
                if key == "GOTO":
                    assert any(line > rule.line and name == target for line, name in labels), target


def test_known_modems_get_the_stable_name_and_dialout() -> None:
    rules = parse(MODEM_RULES)
    ids = usb_ids_in_rules()
    assert {(0x0BAF, 0x0303), (0x0572, 0x1329), (0x0572, 0x1340)} <= ids
    for vendor, product in ids:
        result = evaluate(rules, usb_modem(vendor, product))
        assert result["SYMLINK"] == ["callerid-modem"], (hex(vendor), hex(product))
        assert result["GROUP"] == "dialout" and result["MODE"] == "0660"
        assert result["ENV"] == {"ID_MM_DEVICE_IGNORE": "1"}


def test_other_devices_are_left_alone() -> None:
    rules = parse(MODEM_RULES)
    ftdi = usb_modem(0x0403, 0x6001)  # a USB-serial cable, not a modem
    assert evaluate(rules, ftdi)["SYMLINK"] == []
    half = Device("tty", "ttyACM0", parent_attrs=[{"idVendor": "0baf"}, {"idProduct": "0303"}])
    assert evaluate(rules, half)["SYMLINK"] == []  # vendor and product on different devices
    usr_usb_node = usb_modem(0x0BAF, 0x0303)
    usr_usb_node.subsystem = "usb"  # the USB device itself, not its tty
    assert evaluate(rules, usr_usb_node)["SYMLINK"] == []


def test_gpio_chips_go_to_group_gpio() -> None:
    rules = parse(RULES_DIR / "60-callerid-gpio.rules")
    result = evaluate(rules, Device("gpio", "gpiochip0"))
    assert result["GROUP"] == "gpio" and result["MODE"] == "0660"
    assert "GROUP" not in evaluate(rules, Device("tty", "gpiochip0"))


def test_every_modem_profile_usb_id_has_a_rule() -> None:
    profiles = pytest.importorskip("callerid.modem.profiles")
    wanted = {usb_id for profile in profiles.PROFILES.values() for usb_id in profile.usb_ids}
    assert wanted, "no profile carries a USB id"
    missing = wanted - usb_ids_in_rules()
    assert not missing, [f"{v:04x}:{p:04x}" for v, p in sorted(missing)]


@pytest.mark.skipif(not USB_IDS.exists(), reason="usb.ids database not installed (Debian package usb.ids)")
def test_ids_marked_verified_in_usb_ids_are_modems_there() -> None:
    database: dict[tuple[int, int], str] = {}
    vendor = None
    for line in USB_IDS.read_text(errors="replace").splitlines():
        if m := re.match(r"^([0-9a-f]{4})  ", line):
            vendor = int(m.group(1), 16)
        elif (m := re.match(r"^\t([0-9a-f]{4})  (.*)", line)) and vendor is not None:
            database[(vendor, int(m.group(1), 16))] = m.group(2)
        elif line and not line.startswith(("\t", "#")):
            vendor = None
    checked = 0
    for rule in parse(MODEM_RULES):
        attrs = {a: v for k, a, _, v in rule.tokens if k == "ATTRS"}
        if "idVendor" in attrs and "usb.ids" in rule.comment:
            name = database.get((int(attrs["idVendor"], 16), int(attrs["idProduct"], 16)), "")
            assert "modem" in name.lower(), (attrs, name)
            checked += 1
    assert checked >= 4


def _udevadm_can_load_private_rules() -> str | None:
    if shutil.which("udevadm") is None or shutil.which("unshare") is None:
        return "udevadm or unshare missing"
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    return None


UDEVADM_SKIP = _udevadm_can_load_private_rules()


@pytest.mark.skipif(UDEVADM_SKIP is not None, reason=str(UDEVADM_SKIP))
def test_udev_itself_parses_the_rules_without_complaint(tmp_path: Path) -> None:
    """systemd 252 has no `udevadm verify`; `udevadm test` loads every rules file and reports bad lines.

    Our files replace /etc/udev/rules.d inside a private mount namespace (the host is untouched),
    and the test device is the always-present /sys/class/tty/tty, which none of our rules match.
    """
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "98-broken.rules").write_text('SUBSYSTEM="tty", SYMLINK+="x"\n')  # '=' where '==' is meant
    for directory, expect_clean in ((RULES_DIR, True), (broken, False)):
        script = f"mount --bind {directory} /etc/udev/rules.d && udevadm test -N never /sys/class/tty/tty"
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60
        )
        output = result.stdout + result.stderr
        if "Reading rules file" not in output:
            pytest.skip(f"udevadm test did not run here: {output[-300:]}")
        # -N never: group names are not looked up (the host may lack group gpio); udev says so, fine.
        ours = [
            line for line in output.splitlines()
            if "/etc/udev/rules.d/" in line and "Reading" not in line and "name is disabled" not in line
        ]
        if expect_clean:
            read = {Path(p).name for p in re.findall(r"Reading rules file: (\S+)", output)}
            assert {f.name for f in RULES_DIR.glob("*.rules")} <= read
            assert ours == [], ours
            assert "/dev/callerid-modem" not in output  # the console tty is not a modem
        else:
            assert any("Invalid operator" in line for line in ours), output[-500:]
