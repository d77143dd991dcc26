"""firmware/install.sh into throwaway roots: what it leaves, and that a second run changes nothing.

The fast tests use a bare tree (just the account files, sometimes tzdata's zone files), which
exercises everything but apt and the venv. The slow test (`-m fresh_root`, not in the default run)
builds real minimal Debian 13 and 12 trees with mmdebstrap and runs the installer in each through
chroot, Debian packages, pip and all, twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "firmware" / "install.sh"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the installer creates users: needs root")


def package_list(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def tree_state(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every path's type, mode, owner and (files) content hash and mtime; symlinks' targets."""
    state: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel_dir, d)) not in skip]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                state[rel] = ("dir", info.st_mode, info.st_uid, info.st_gid)
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[rel] = ("file", info.st_mode, info.st_uid, info.st_gid, digest, info.st_mtime_ns)
            else:
                state[rel] = ("other", info.st_mode, info.st_rdev)
    return state


def run_installer(root: Path, *options: str, install: Path = INSTALL) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(install), "--root", str(root), *options],
        capture_output=True, text=True, timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture
def bare_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:\naudio:x:29:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\ndialout:*::\naudio:*::\n")
    (root / "etc/hostname").write_text("callerid\n")
    return root


def accounts(root: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    passwd = {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").read_text().splitlines()}
    group = {line.split(":")[0]: line.split(":") for line in (root / "etc/group").read_text().splitlines()}
    return passwd, group


@needs_root
def test_installs_user_units_rules_config_and_is_idempotent(bare_root: Path) -> None:
    first = run_installer(bare_root, "--no-apt")
    assert "http://callerid.local:8080/" in first.stdout
    assert "setup code" in first.stdout

    passwd, group = accounts(bare_root)
    user = passwd["callerid"]
    assert user[5] == "/var/lib/callerid" and user[6] == "/usr/sbin/nologin"
    assert int(user[2]) < 1000  # a system account
    for name in ("dialout", "gpio", "audio"):
        assert "callerid" in group[name][3].split(","), name

    expected = {
        "etc/systemd/system/callerid.service": REPO / "systemd/callerid.service",
        "etc/modules-load.d/callerid.conf": REPO / "systemd/callerid-modules.conf",
        "etc/udev/rules.d/99-callerid-modem.rules": REPO / "hardware/udev/99-callerid-modem.rules",
        "etc/udev/rules.d/60-callerid-gpio.rules": REPO / "hardware/udev/60-callerid-gpio.rules",
    }
    for installed, source in expected.items():
        assert (bare_root / installed).read_bytes() == source.read_bytes(), installed
        assert stat.S_IMODE((bare_root / installed).stat().st_mode) == 0o644
    wants = bare_root / "etc/systemd/system/multi-user.target.wants/callerid.service"
    assert os.readlink(wants) == "/etc/systemd/system/callerid.service"
    for state_dir in ("var/lib/callerid", "var/cache/callerid"):
        info = (bare_root / state_dir).stat()
        assert info.st_uid == int(user[2]) and stat.S_IMODE(info.st_mode) == 0o750
    example = REPO / "callerid/config.example.toml"
    if example.exists():
        config = bare_root / "etc/callerid/config.toml"
        assert config.read_bytes() == example.read_bytes()
        assert stat.S_IMODE(config.stat().st_mode) == 0o640
        assert config.stat().st_gid == int(group["callerid"][2])  # readable by the service only

    before = tree_state(bare_root)
    second = run_installer(bare_root, "--no-apt")
    assert tree_state(bare_root) == before
    assert "nothing changed" in second.stdout


@needs_root
def test_an_existing_config_is_never_overwritten(bare_root: Path) -> None:
    config = bare_root / "etc/callerid/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('region = "US"\n')
    run_installer(bare_root, "--no-apt")
    assert config.read_text() == 'region = "US"\n'


@needs_root
def test_a_changed_unit_is_updated_on_rerun(bare_root: Path) -> None:
    run_installer(bare_root, "--no-apt")
    unit = bare_root / "etc/systemd/system/callerid.service"
    unit.write_text("stale\n")
    run_installer(bare_root, "--no-apt")
    assert unit.read_bytes() == (REPO / "systemd/callerid.service").read_bytes()


ZONEINFO = Path("/usr/share/zoneinfo")


def with_tzdata(root: Path, *zones: str, current: str | None = None) -> Path:
    """Give a bare root tzdata's zone.tab and the named zone files; optionally an /etc/localtime."""
    target = root / "usr/share/zoneinfo"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ZONEINFO / "zone.tab", target / "zone.tab")
    for zone in zones:
        (target / zone).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ZONEINFO / zone, target / zone)
    if current:
        (root / "etc/localtime").symlink_to(f"/usr/share/zoneinfo/{current}")
    return root


@needs_root
def test_a_japanese_install_gets_the_tokyo_time_zone_once(bare_root: Path) -> None:
    """A system still on UTC gets the region's zone (config region JP): calls log at Japanese time."""
    with_tzdata(bare_root, "Asia/Tokyo", "Etc/UTC", current="Etc/UTC")
    first = run_installer(bare_root, "--no-apt")
    assert os.readlink(bare_root / "etc/localtime") == "/usr/share/zoneinfo/Asia/Tokyo"
    assert "time zone set to Asia/Tokyo (was Etc/UTC)" in first.stdout
    before = tree_state(bare_root)
    second = run_installer(bare_root, "--no-apt")
    assert tree_state(bare_root) == before and "nothing changed" in second.stdout


@needs_root
def test_a_zone_the_owner_chose_is_kept(bare_root: Path) -> None:
    with_tzdata(bare_root, "Asia/Tokyo", "Europe/Paris", current="Europe/Paris")
    result = run_installer(bare_root, "--no-apt")
    assert os.readlink(bare_root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert "time zone Europe/Paris kept, but region JP is Asia/Tokyo" in result.stdout
    assert "--timezone Asia/Tokyo" in result.stdout


@needs_root
def test_a_region_with_several_zones_is_left_to_the_owner(bare_root: Path) -> None:
    with_tzdata(bare_root, "America/New_York")
    config = bare_root / "etc/callerid/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('region = "US"\n')
    result = run_installer(bare_root, "--no-apt")
    assert not (bare_root / "etc/localtime").exists()
    assert "time zone not set" in result.stdout and "America/New_York" in result.stdout
    chosen = run_installer(bare_root, "--no-apt", "--timezone", "America/New_York")
    assert os.readlink(bare_root / "etc/localtime") == "/usr/share/zoneinfo/America/New_York"
    assert "time zone set to America/New_York" in chosen.stdout


@needs_root
@pytest.mark.parametrize("zone", ["../../etc/passwd", "Mars/Olympus_Mons", "Asia/Tokyo;reboot"])
def test_a_bad_time_zone_option_is_refused(bare_root: Path, zone: str) -> None:
    with_tzdata(bare_root, "Asia/Tokyo")
    result = subprocess.run(["bash", str(INSTALL), "--root", str(bare_root), "--no-apt", "--timezone", zone],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (1, 2) and "time zone" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (bare_root / "etc/localtime").exists()


def test_refuses_unknown_options_and_missing_root(tmp_path: Path) -> None:
    result = subprocess.run(["bash", str(INSTALL), "--frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2 and "unknown option --frobnicate" in result.stderr
    if os.geteuid() == 0:
        result = subprocess.run(["bash", str(INSTALL), "--root", str(tmp_path / "nope")],
                                capture_output=True, text=True)
        assert result.returncode == 1 and "does not exist" in result.stderr


def test_runtime_packages_are_a_subset_of_the_project_and_image_lists() -> None:
    runtime = set(package_list(REPO / "firmware/runtime-packages.txt"))
    assert {"python3-venv", "espeak-ng", "open-jtalk", "alsa-utils"} <= runtime
    assert runtime <= set(package_list(REPO / "debian-packages.txt"))
    assert runtime <= set(package_list(REPO / "firmware/image-packages.txt"))


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [INSTALL, *sorted((REPO / "firmware").glob("*.sh")), *sorted((REPO / "scripts").glob("*.sh")),
               *sorted((REPO / "firmware/rootfs/usr/local/sbin").iterdir())]
    result = subprocess.run(["shellcheck", "-S", "warning", *map(str, set(scripts))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
@pytest.mark.fresh_root
@needs_root
@pytest.mark.skipif(shutil.which("mmdebstrap") is None, reason="mmdebstrap not installed")
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("suite", ["trixie", "bookworm"])
def test_full_install_in_a_debian_tree(tmp_path: Path, suite: str) -> None:
    """A minimal Debian 13 / 12 tree; the installer runs apt, builds the venv with pip, twice."""
    root = tmp_path / "debian"
    mirror = subprocess.run([str(REPO / "scripts/debian-mirror.sh")], capture_output=True, text=True)
    if mirror.returncode != 0:
        pytest.skip(mirror.stderr.strip())
    build = subprocess.run(
        ["mmdebstrap", "--variant=minbase", "--components=main contrib", "--include=python3",
         "--skip=cleanup/apt/lists", suite, str(root), mirror.stdout.strip()],
        capture_output=True, text=True, timeout=600,
    )
    if build.returncode != 0:
        pytest.skip(f"mmdebstrap could not build a tree here: {build.stderr[-500:]}")
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    (root / "etc/hostname").write_text("callerid\n")

    # A snapshot of the source: the installer rebuilds the venv when the source changes, and this
    # checkout may be edited while the test runs.
    source = tmp_path / "source"
    for part in ("callerid", "firmware", "scripts", "systemd", "hardware", "docs"):
        shutil.copytree(REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "out"))
    for part in ("setup.py", "pyproject.toml", "README.md", "debian-packages.txt"):
        shutil.copy(REPO / part, source / part)
    install = source / "firmware/install.sh"

    first = run_installer(root, install=install)
    assert "installed callerid into /opt/callerid/venv" in first.stdout
    venv_callerid = "/opt/callerid/venv/bin/callerid"
    version = subprocess.run(["chroot", str(root), venv_callerid, "--version"],
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("callerid "), version.stderr
    for package in package_list(REPO / "firmware/runtime-packages.txt"):
        status = subprocess.run(["chroot", str(root), "dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True)
        assert status.stdout == "install ok installed", package

    skip = ("proc", "sys", "dev", "run", "tmp", "var/cache/apt", "var/lib/apt/lists", "var/log")
    before = tree_state(root, skip)
    second = run_installer(root, install=install)
    assert "venv up to date" in second.stdout and "nothing changed" in second.stdout
    after = tree_state(root, skip)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == []
