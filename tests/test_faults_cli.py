"""Issue 14, the command-line half: inputs that gave tracebacks, unwritable databases, one-typo data loss.

Every case runs the real `python -m callerid` in a subprocess on real files, because what is being
proved is what a person at a terminal sees: one line on stderr and a non-zero exit, never a
traceback, and nothing of the family's lost.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fs_helpers import as_other_user, read_only, shared_folder
from store_records import make_record

from callerid.commands.demo import DEMO_MARK, SCRIPT
from callerid.config import ConfigError, parse_config
from callerid.store import Store
from callerid.store import files as store_files
from callerid.web import credentials

#: No voice, no LEDs, no website: the commands under test start quickly and quietly.
QUIET = "[speech]\nenabled = false\n[panel]\nenabled = false\n[web]\nenabled = false\n"


def cli(
    tmp: Path, *args: str, stdin: str | None = None, prefix: list[str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    config = tmp / "quiet.toml"
    if not config.exists():
        config.write_text(QUIET)
        config.chmod(0o644)
    env = {**os.environ, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CALLERID_CONFIG", None)
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "callerid", "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp,
    )


def one_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The refusal the rules ask for: exit status 2, one line on stderr naming the problem."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def logged_store(path: Path, calls: int = 3) -> None:
    with Store(path) as store:
        for _ in range(calls):
            store.add_call(make_record())
        store.add_list_entry("block", "0120444555", "seller")


# --------------------------------------------------------------------------- item 7: tracebacks


DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"


def test_a_5000_deep_toml_array_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_config(DEEP, "deep.toml")


def test_a_5000_deep_toml_array_is_one_line_from_any_command(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP)
    for args in (["check", "0312345678"], ["log"], ["web", "--port", "0"]):
        result = subprocess.run(
            [sys.executable, "-m", "callerid", "--config", str(deep), *args],
            capture_output=True, text=True, timeout=60,
        )
        one_line(result, "deep.toml", "nested too deeply")


def test_web_on_a_host_name_that_does_not_resolve_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    logged_store(db)
    result = cli(tmp_path, "web", "--host", "no.such.host.invalid", "--port", "0", "--db", str(db))
    one_line(result, "no.such.host.invalid")
    assert "setup code" not in result.stdout


def test_passwd_on_a_read_only_database_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    logged_store(db)
    with read_only(db):
        result = cli(tmp_path, "passwd", "--db", str(db), stdin="a long family password\n")
    one_line(result, str(db), "read-only")
    assert "password set" not in result.stdout
    with Store(db) as store:
        assert not credentials.has_password(store)


# --------------------------------------------------------------------------- item 8: start-up


@pytest.mark.parametrize("what", ["file", "folder"])
def test_run_on_a_read_only_database_refuses_at_start(tmp_path: Path, what: str) -> None:
    """Not "ready: screening calls" followed by a traceback at every modem state change."""
    folder = tmp_path / "state"
    folder.mkdir()
    db = folder / "calls.db"
    logged_store(db)
    target = db if what == "file" else folder
    with read_only(target):
        try:
            result = cli(tmp_path, "run", "--db", str(db), "--port", str(tmp_path / "ttyACM9"), "--no-web",
                         timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("run kept going on a database it cannot write")
    line = one_line(result, str(db))
    assert "read-only" in line or "not writable" in line
    assert "ready" not in result.stderr


# --------------------------------------------------------------------------- item 9: log reads


def test_log_reads_a_database_in_a_folder_it_cannot_write() -> None:
    """A family account reading the service's log (SQLite: "attempt to write a readonly database")."""
    with shared_folder() as folder:
        state = folder / "state"
        state.mkdir()
        db = state / "calls.db"
        logged_store(db, calls=4)
        db.chmod(0o644)  # readable by the family, as group `callerid` members would be
        before = sorted(p.name for p in state.iterdir())  # the log and the writer's disk-full reserve
        prefix = as_other_user()
        if prefix:
            result = cli(folder, "log", "--json", "--db", str(db), prefix=prefix)
        else:
            with read_only(state):
                result = cli(folder, "log", "--json", "--db", str(db))
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 4
        assert sorted(p.name for p in state.iterdir()) == before, "the reader left nothing behind"


# --------------------------------------------------------------------------- item 10: one typo


def test_demo_refuses_a_log_that_is_not_its_own(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    logged_store(db, calls=5)
    with Store(db) as store:
        credentials.set_password(store, "the family password")
    before = db.read_bytes()
    try:
        result = cli(tmp_path, "demo", "--db", str(db), "--no-web", "--speed", "8", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the demo ran on the family's log")
    one_line(result, str(db), "not a demo")
    assert db.read_bytes() == before
    with Store(db) as store:
        assert store.count_calls() == 5 and len(store.list_entries("block")) == 1
        assert credentials.check_password(store, "the family password")


def test_demo_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("grandma's notes\n")
    one_line(cli(tmp_path, "demo", "--db", str(notes), "--no-web", "--speed", "8"), str(notes))
    assert notes.read_text() == "grandma's notes\n"


@pytest.mark.timeout(120)
def test_demo_replaces_its_own_log(tmp_path: Path) -> None:
    db = tmp_path / "callerid-demo.db"
    with Store(db) as store:
        for _ in range(20):
            store.add_call(make_record())
        store.set_setting(DEMO_MARK, "1")
    result = cli(tmp_path, "demo", "--db", str(db), "--no-web", "--speed", "8", "--linger", "0", timeout=110)
    assert result.returncode == 0, result.stderr
    with Store(db) as store:
        assert store.count_calls() == len(SCRIPT), "the old demo log was replaced, not appended to"
        assert store.get_setting(DEMO_MARK) == "1", "the new one is marked again"


@pytest.mark.parametrize("command", ["passwd", "web"])
def test_a_database_path_that_does_not_exist_is_refused_unless_create(tmp_path: Path, command: str) -> None:
    typo = tmp_path / "calsl.db"
    extra = ["--port", "0"] if command == "web" else []
    result = cli(tmp_path, command, "--db", str(typo), *extra, stdin="a long family password\n")
    one_line(result, str(typo), "--create")
    assert not typo.exists() and not typo.parent.joinpath("calsl.db-wal").exists()


def test_passwd_create_makes_a_private_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "calls.db"
    result = cli(tmp_path, "passwd", "--create", "--db", str(db), stdin="a long family password\n")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with Store(db) as store:
        assert credentials.check_password(store, "a long family password")


# --------------------------------------------------------------------------- item 10: file modes


def _modes(db: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in db.parent.iterdir() if p.name.startswith(db.name)}


def test_new_database_files_are_private(tmp_path: Path) -> None:
    """The file holds the password hash and the session key: nobody else may read it, whatever the umask."""
    db = tmp_path / "calls.db"
    old = os.umask(0o022)
    try:
        with Store(db) as store:
            store.add_call(make_record())
            modes = _modes(db)
    finally:
        os.umask(old)
    # The disk-full reserve holds no data; it is private whoever may read the log.
    assert modes == {
        "calls.db": 0o600, "calls.db-wal": 0o600, "calls.db-shm": 0o600, "calls.db-reserve": 0o600,
    }


def test_the_service_group_may_read_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under systemd (Group=callerid) the file is 0640, so family accounts in that group can run `log`."""
    import grp

    monkeypatch.setattr(store_files, "SERVICE_GROUP", grp.getgrgid(os.getegid()).gr_name)
    db = tmp_path / "calls.db"
    with Store(db) as store:
        store.add_call(make_record())
        modes = _modes(db)
    assert modes == {
        "calls.db": 0o640, "calls.db-wal": 0o640, "calls.db-shm": 0o640, "calls.db-reserve": 0o600,
    }


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    Store(db).close()
    db.chmod(0o644)  # the family's choice (or an older callerid's): not ours to change behind their back
    Store(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o644


def test_the_upgrade_backup_is_as_private_as_a_new_database(tmp_path: Path) -> None:
    from test_store import make_v1_file

    db = tmp_path / "calls.db"
    make_v1_file(db)
    db.chmod(0o600)
    old = os.umask(0o022)
    try:
        Store(db).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "calls.db.v1.bak").stat().st_mode) == 0o600


def test_the_service_unit_runs_as_the_group_that_may_read_the_log() -> None:
    """The 0640 rule names a group: it must be the one systemd runs the appliance as."""
    unit = (Path(__file__).parents[1] / "systemd" / "callerid.service").read_text()
    lines = [line for line in unit.splitlines() if "=" in line and not line.startswith("#")]
    settings = dict(line.split("=", 1) for line in lines)
    assert settings["Group"] == store_files.SERVICE_GROUP
    assert settings["UMask"] == "0027" and settings["StateDirectoryMode"] == "0750"
