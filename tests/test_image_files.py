"""The SD-card image's own files: first-boot Wi-Fi handling, unit files, and consistent labels.

The image itself is built and booted by `make image` / `make image-test` (too slow for `make test`);
these tests cover the pieces that can run here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FW = REPO / "firmware"
FIRSTBOOT = FW / "rootfs/usr/local/sbin/callerid-firstboot"


def run_firstboot(tmp_path: Path, wifi_text: bytes | None) -> tuple[subprocess.CompletedProcess[str], Path]:
    boot, state, etc = tmp_path / "boot", tmp_path / "state", tmp_path / "etc"
    for d in (boot, state, etc):
        d.mkdir(exist_ok=True)
    (state / "grown").touch()  # never touch this machine's disk
    calls = tmp_path / "systemctl.calls"
    fake = tmp_path / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    if wifi_text is not None:
        (boot / "callerid-wifi.txt").write_bytes(wifi_text)
    env = dict(os.environ, CALLERID_BOOT=str(boot), CALLERID_FIRSTBOOT_STATE=str(state),
               CALLERID_ETC=str(etc), CALLERID_SYSTEMCTL=str(fake))
    result = subprocess.run(["sh", str(FIRSTBOOT)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result, tmp_path


def test_wifi_file_becomes_a_hashed_wpa_config_and_is_deleted(tmp_path: Path) -> None:
    # IEEE 802.11i annex H.4 test vector: passphrase "password", SSID "IEEE".
    result, base = run_firstboot(tmp_path, b"\xef\xbb\xbfssid = IEEE\r\npassword=password\r\ncountry=jp\r\n")
    conf = (base / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()
    assert "psk=f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e" in conf
    assert f"ssid={b'IEEE'.hex()}" in conf and "country=JP" in conf
    assert "password" not in conf.replace("psk=", "")
    assert oct((base / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").stat().st_mode & 0o777) == "0o600"
    assert not (base / "boot/callerid-wifi.txt").exists()  # the plain-text password is gone
    calls = (base / "systemctl.calls").read_text()
    assert "enable wpa_supplicant@wlan0.service" in calls and "start --no-block" in calls
    assert "configured" in result.stdout


def test_japanese_ssid_and_open_network(tmp_path: Path) -> None:
    run_firstboot(tmp_path, "ssid=実家のWi-Fi\n".encode())
    conf = (tmp_path / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()
    assert f"ssid={'実家のWi-Fi'.encode().hex()}" in conf and "key_mgmt=NONE" in conf


@pytest.mark.parametrize("text", [b"password=longenough\n", b"ssid=Home\npassword=short\n"])
def test_bad_wifi_files_are_refused_without_a_config(tmp_path: Path, text: bytes) -> None:
    result, base = run_firstboot(tmp_path, text)
    assert not (base / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").exists()
    assert not (base / "boot/callerid-wifi.txt").exists()
    assert "ignored" in result.stderr
    assert not (base / "systemctl.calls").exists()


def test_nothing_to_do_does_nothing(tmp_path: Path) -> None:
    result, base = run_firstboot(tmp_path, None)
    assert result.stdout == "" and not (base / "systemctl.calls").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_image_units_verify(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    shutil.copytree(FW / "rootfs", root, dirs_exist_ok=True, symlinks=True)
    shutil.copy(REPO / "systemd/callerid.service", root / "etc/systemd/system/callerid.service")
    venv_bin = root / "opt/callerid/venv/bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "callerid").write_text("#!/bin/sh\n")
    (venv_bin / "callerid").chmod(0o755)
    for unit in ("callerid-firstboot.service", "callerid-setup-code.service"):
        result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", unit],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and result.stderr.strip() == "", (unit, result.stderr)


def test_partition_labels_agree_everywhere() -> None:
    build = (FW / "build-image.sh").read_text()
    assert "-n RASPIFIRM" in build and "-L RASPIROOT" in build
    fstab = (FW / "rootfs/etc/fstab").read_text()
    assert re.search(r"^LABEL=RASPIROOT\s+/\s", fstab, re.M)
    assert re.search(r"^LABEL=RASPIFIRM\s+/boot/firmware\s", fstab, re.M)
    assert 'ROOTPART="LABEL=RASPIROOT"' in (FW / "customize-image.sh").read_text()
    assert "root=LABEL=RASPIROOT" in (FW / "image-test.sh").read_text()


def test_image_package_list_has_boot_network_and_runtime_packages() -> None:
    def names(path: Path) -> set[str]:
        return {line.split("#")[0].strip() for line in path.read_text().splitlines()} - {""}

    image = names(FW / "image-packages.txt")
    assert {"linux-image-arm64", "raspi-firmware", "firmware-brcm80211", "avahi-daemon", "libnss-mdns",
            "openssh-server", "wpasupplicant", "systemd-resolved", "fdisk"} <= image
    assert names(FW / "runtime-packages.txt") <= image
    assert (REPO / "firmware/rootfs/etc/hostname").read_text().strip() == "callerid"
