"""The owner's password reset reaches `callerid run` (issue 16): the systemd unit moves the file from the
root-only boot partition into the state folder; the appliance reads it there once and deletes it."""

from __future__ import annotations

from pathlib import Path

from callerid.appliance import build_runtime
from callerid.config import Config, ModemConfig, PanelConfig, SpeechConfig, WebConfig
from callerid.web import credentials, recovery


def config_for(tmp_path: Path) -> Config:
    return Config(
        modem=ModemConfig(port=str(tmp_path / "no-modem"), number_display="off"),
        speech=SpeechConfig(enabled=False, cache_dir=str(tmp_path / "cache")),
        panel=PanelConfig(enabled=False),
        web=WebConfig(host="127.0.0.1", port=0),
    )


def start_and_stop(tmp_path: Path, *, password_reset: bool) -> str | None:
    db = str(tmp_path / "calls.db")
    runtime = build_runtime(config_for(tmp_path), db_path=db, password_reset=password_reset)
    try:
        return runtime.store.get_setting(credentials.PASSWORD_KEY)
    finally:
        runtime.close()


def test_run_honours_the_reset_file_in_its_state_folder_once(tmp_path: Path) -> None:
    from callerid.store import Store

    with Store(tmp_path / "calls.db") as store:
        store.set_setting(credentials.PASSWORD_KEY, "scrypt$old")
    reset = tmp_path / recovery.RESET_FILE
    reset.write_text("")
    assert start_and_stop(tmp_path, password_reset=True) is None
    assert not reset.exists()


def test_the_demo_never_consumes_a_reset_file(tmp_path: Path) -> None:
    from callerid.store import Store

    with Store(tmp_path / "calls.db") as store:
        store.set_setting(credentials.PASSWORD_KEY, "scrypt$old")
    reset = tmp_path / recovery.RESET_FILE
    reset.write_text("")
    assert start_and_stop(tmp_path, password_reset=False) == "scrypt$old"
    assert reset.exists()
