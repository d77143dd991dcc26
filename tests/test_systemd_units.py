"""The unit file verifies with systemd's own tools and keeps the settings the appliance relies on.

`systemd-analyze verify --root=DIR` loads the unit the way systemd would, inside a temporary root
that holds what it names (the ExecStart binary, systemd's own units), and reports unknown keys,
bad values and missing binaries. Any output at all fails the test: a warning is a mistake.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "systemd" / "callerid.service"
MODULES = REPO / "systemd" / "callerid-modules.conf"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def parse_unit(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; systemd allows a key more than once (DeviceAllow=)."""
    entries: list[tuple[str, str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {raw!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(key: str, section: str = "Service") -> list[str]:
    return [v for s, k, v in parse_unit(UNIT.read_text()) if s == section and k == key]


def one(key: str, section: str = "Service") -> str:
    found = values(key, section)
    assert len(found) == 1, f"{key}= appears {len(found)} times"
    return found[0]


def make_root(tmp_path: Path, unit_text: str, *, executable: bool = True) -> Path:
    """A throwaway root with systemd's units, ours in /etc/systemd/system, and the ExecStart binary."""
    root = tmp_path / "root"
    for units in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if Path(units).is_dir():
            shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
            break
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/callerid.service").write_text(unit_text)
    binary = root / one("ExecStart").split()[0].lstrip("/")
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755 if executable else 0o644)
    for line in unit_text.splitlines():  # ExecStartPre's programs (prefixes such as "+" stripped)
        if line.startswith("ExecStartPre="):
            helper = root / line.split("=", 1)[1].split()[0].lstrip("+-@!:").lstrip("/")
            helper.parent.mkdir(parents=True, exist_ok=True)
            helper.write_text("#!/bin/sh\nexit 0\n")
            helper.chmod(0o755)
    return root


def verify(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", f"--root={root}", "callerid.service"],
        capture_output=True, text=True, env=env, timeout=60,
    )


@needs_analyze
def test_unit_verifies_without_a_single_warning(tmp_path: Path) -> None:
    result = verify(make_root(tmp_path, UNIT.read_text()))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


@needs_analyze
def test_verify_catches_a_typo_and_a_missing_binary(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key and a non-executable ExecStart are both reported."""
    typo = UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict")
    result = verify(make_root(tmp_path / "typo", typo))
    assert "Unknown key" in result.stderr and "ProtectSystm" in result.stderr
    result = verify(make_root(tmp_path / "noexec", UNIT.read_text(), executable=False))
    assert result.returncode != 0 and "not executable" in result.stderr


@needs_analyze
def test_sandbox_exposure_stays_low(tmp_path: Path) -> None:
    root = make_root(tmp_path, UNIT.read_text())
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", f"--root={root}", "--no-pager", "callerid.service"],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, SYSTEMD_LOG_COLOR="0"),
    )
    if "--offline" in result.stderr and "unrecognized" in result.stderr:
        pytest.skip("this systemd-analyze has no offline security mode")
    match = re.search(r"Overall exposure level for callerid\.service: (\d+\.\d)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    assert float(match.group(1)) <= 2.5, f"exposure {match.group(1)} (was 1.9 when written)"


def test_notify_watchdog_and_restart() -> None:
    assert one("Type") == "notify"
    assert one("NotifyAccess") == "main"
    watchdog = int(one("WatchdogSec"))
    assert 10 <= watchdog <= 120
    assert one("Restart") == "always"
    assert 1 <= int(one("RestartSec")) < watchdog
    assert one("StartLimitIntervalSec", "Unit") == "0"
    assert int(one("TimeoutStopSec")) > 5  # `callerid run` exits within 5 s of SIGTERM
    assert one("ExecStart") == "/opt/callerid/venv/bin/callerid run"
    assert one("WantedBy", "Install") == "multi-user.target"


def test_runs_as_its_own_user_with_the_device_groups() -> None:
    assert one("User") == "callerid"
    assert set(one("SupplementaryGroups").split()) == {"dialout", "gpio", "audio"}
    assert one("StateDirectory") == one("ConfigurationDirectory") == one("CacheDirectory") == "callerid"
    # lgpio writes pipes into the working directory; it must be the writable state directory.
    assert one("WorkingDirectory") == "/var/lib/callerid"


def test_hardening_settings() -> None:
    expected = {
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "NoNewPrivileges": "yes",
        "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
        "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes", "DevicePolicy": "closed",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert one(key) == value, key
    assert set(one("RestrictAddressFamilies").split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    allowed = {v.split()[0] for v in values("DeviceAllow")}
    assert allowed == {"char-ttyACM", "char-ttyUSB", "char-gpiochip", "char-alsa"}
    assert all(v.split()[1] == "rw" for v in values("DeviceAllow"))


def test_device_groups_have_their_drivers_loaded_at_boot() -> None:
    """A DeviceAllow=char-NAME resolves only if NAME is in /proc/devices when the unit starts."""
    modules = {line.strip() for line in MODULES.read_text().splitlines() if line.strip() and line[0] != "#"}
    driver_of = {"char-ttyACM": "cdc_acm", "char-ttyUSB": "usbserial", "char-alsa": "snd"}
    for group in (v.split()[0] for v in values("DeviceAllow")):
        if group in driver_of:
            assert driver_of[group] in modules, group
    assert "systemd-modules-load.service" in one("After", "Unit").split()
