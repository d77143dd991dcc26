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


def run_firstboot(tmp_path: Path, wifi_text: bytes | None,
                  timezone_text: bytes | None = None) -> tuple[subprocess.CompletedProcess[str], Path]:
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
    if timezone_text is not None:
        (boot / "callerid-timezone.txt").write_bytes(timezone_text)
    env = dict(os.environ, CALLERID_BOOT=str(boot), CALLERID_FIRSTBOOT_STATE=str(state),
               CALLERID_ETC=str(etc), CALLERID_SYSTEMCTL=str(fake), CALLERID_ZONEINFO="/usr/share/zoneinfo")
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


def test_timezone_file_on_the_boot_partition_sets_the_zone(tmp_path: Path) -> None:
    result, base = run_firstboot(tmp_path, None, b"\xef\xbb\xbf# our house\r\nAmerica/New_York\r\n")
    assert os.readlink(base / "etc/localtime") == "/usr/share/zoneinfo/America/New_York"
    assert not (base / "boot/callerid-timezone.txt").exists()
    assert "time zone set to America/New_York" in result.stdout


@pytest.mark.parametrize("text", [b"Mars/Olympus_Mons\n", b"../../etc/shadow\n", b"\n# nothing\n"])
def test_bad_timezone_files_are_ignored(tmp_path: Path, text: bytes) -> None:
    result, base = run_firstboot(tmp_path, None, text)
    assert not (base / "etc/localtime").exists() and not (base / "boot/callerid-timezone.txt").exists()
    assert "ignored" in result.stderr


def region_timezone(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "scripts/region-timezone.sh"), *args], capture_output=True, text=True)


def test_region_to_time_zone() -> None:
    """The image's and the installer's zone come from the region: one zone, or the owner chooses."""
    assert region_timezone("JP").stdout == "Asia/Tokyo\n"
    assert region_timezone("gb").stdout == "Europe/London\n"
    several = region_timezone("US")
    assert several.returncode == 1 and "choose one" in several.stderr and "America/Chicago" in several.stderr
    unknown = region_timezone("XX")
    assert unknown.returncode == 1 and "no time zone for region XX" in unknown.stderr


def test_the_image_is_trixie_in_the_region_zone_with_ntp() -> None:
    build = (FW / "build-image.sh").read_text()
    assert "SUITE=${SUITE:-trixie}" in build and "REGION=${REGION:-JP}" in build
    assert "scripts/debian-mirror.sh" in build and "region-timezone.sh" in build
    customize = (FW / "customize-image.sh").read_text()
    assert 'ln -sfn "/usr/share/zoneinfo/$zone" "$TREE/etc/localtime"' in customize
    assert "systemd-timesyncd.service" in customize
    packages = (FW / "image-packages.txt").read_text()
    assert re.search(r"^tzdata\b", packages, re.M) and re.search(r"^systemd-timesyncd\b", packages, re.M)
    firstboot_unit = (FW / "rootfs/etc/systemd/system/callerid-firstboot.service").read_text()
    assert re.search(r"^Before=.*\bcallerid\.service\b", firstboot_unit, re.M)  # zone set before the app


POLICY = """Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://archive.example.invalid/raspbian trixie/main arm64 Packages
     release o=Raspberry Pi Foundation,a=stable,n=trixie,l=Raspberry Pi Foundation,c=main,b=arm64
     origin archive.example.invalid
 500 http://sec.example.invalid/debian-security trixie-security/main arm64 Packages
     release v=13,o=Debian,a=stable-security,n=trixie-security,l=Debian-Security,c=main,b=arm64
     origin sec.example.invalid
 500 https://mirror.example.invalid/debian/ trixie/main arm64 Packages
     release v=13.2,o=Debian,a=stable,n=trixie,l=Debian,c=main,b=arm64
     origin mirror.example.invalid
"""


def debian_mirror(tmp_path: Path, policy: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin/apt-cache"
    fake.parent.mkdir(exist_ok=True)
    (tmp_path / "policy.txt").write_text(policy)
    fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'policy.txt'}\n")
    fake.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k not in ("MIRROR", "SECURITY_MIRROR")}
    environ.update(env, PATH=f"{fake.parent}:{os.environ['PATH']}")
    return subprocess.run([str(REPO / "scripts/debian-mirror.sh"), *args], capture_output=True, text=True,
                          env=environ)


def test_the_mirror_comes_from_the_build_machines_apt(tmp_path: Path) -> None:
    assert debian_mirror(tmp_path, POLICY).stdout == "https://mirror.example.invalid/debian\n"
    assert debian_mirror(tmp_path, POLICY, "security").stdout == "http://sec.example.invalid/debian-security\n"
    assert debian_mirror(tmp_path, POLICY, MIRROR="http://local.invalid/d").stdout == "http://local.invalid/d\n"
    none = debian_mirror(tmp_path, POLICY.split(" 500 http://sec")[0])
    assert none.returncode == 1 and "set MIRROR=URI" in none.stderr


def shipped_text_files() -> list[Path]:
    """What a builder or installer reads: scripts, recipes, units, package lists and their docs."""
    files = [REPO / "Makefile", REPO / "debian-packages.txt", REPO / "README.md", *REPO.glob("docs/*.md")]
    for folder in ("firmware", "scripts", "systemd", "hardware"):
        for dirpath, dirnames, filenames in os.walk(REPO / folder):
            dirnames[:] = [d for d in dirnames if d not in ("out", "__pycache__")]  # out/: make image's
            files += [Path(dirpath, n) for n in filenames if not n.endswith((".svg", ".png", ".jpg"))]
    return files


def test_no_package_mirror_or_other_remote_host_is_named() -> None:
    """Mirrors come from the builder's apt (or MIRROR=): the only hosts named are this appliance's own."""
    # This appliance's own names, placeholders ($HOST, <home>, a bare "broker" or "host" that no
    # resolver outside a LAN answers) and the names RFC 2606 reserves for examples.
    local = re.compile(
        r"^(127\.0\.0\.1|localhost|callerid\.local|pi\.local|[^.]*[$%<{].*|[a-z0-9-]+"
        r"|[a-z0-9.-]+\.(invalid|example|test)|([a-z0-9-]+\.)*example\.(com|net|org))(:\S*)?$"
    )
    found = []
    for path in shipped_text_files():
        text = path.read_text(errors="replace")
        for match in re.finditer(r"\b[a-z][a-z0-9+.-]*://([^/\s\"'`<>)]*)", text):
            host = match.group(1)
            if host and not local.match(host):
                found.append(f"{path.relative_to(REPO)}: {match.group(0)}")
    assert found == []
