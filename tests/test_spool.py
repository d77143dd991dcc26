"""The held-call spool (appliance/spool.py): what a kill must not lose survives the round trip."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from callerid.appliance.spool import HeldSpool, default_folder
from callerid.model import Action, CallerID
from tests.web_support import police_record


def test_a_held_call_comes_back_exactly(tmp_path: Path) -> None:
    spool = HeldSpool(tmp_path / "held")
    caller = CallerID("mdmf", number="+8613901100110", name="ケイサツ\x07\u202e", raw=bytes(range(256)),
                      extras=(("0x99", "abc"),), checksum_ok=False)
    record = replace(police_record(), caller=caller, hang_up_done=False, key="call-1")
    requested = frozenset({Action.BLOCK, Action.WARN_HOUSEHOLD})
    spool.put(record, requested)
    (back, wanted), = spool.load()
    assert back == replace(record, id=None) and back.key == "call-1" and wanted == requested
    spool.drop("call-1")
    assert spool.load() == []


def test_the_latest_truth_replaces_the_first(tmp_path: Path) -> None:
    spool = HeldSpool(tmp_path / "held")
    record = replace(police_record(), key="k")
    spool.put(record, frozenset({Action.BLOCK}))
    truth = replace(record, actions=(Action.WARN_HOUSEHOLD,), hang_up_done=False)
    spool.put(truth, frozenset({Action.BLOCK}))
    (back, _), = spool.load()
    assert back.hang_up_done is False and back.actions == (Action.WARN_HOUSEHOLD,)


def test_an_unreadable_file_is_set_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = HeldSpool(tmp_path / "held")
    spool.put(replace(police_record(), key="good"), frozenset())
    (tmp_path / "held" / "broken.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert [r.key for r, _ in spool.load()] == ["good"]
    assert (tmp_path / "held" / "broken.bad").exists() and "could not be read" in caplog.text


def test_a_folder_that_cannot_be_written_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    spool = HeldSpool(blocker / "held")  # a folder inside a regular file: never creatable
    with caplog.at_level(logging.WARNING):
        for key in ("a", "b", "c"):
            spool.put(replace(police_record(), key=key), frozenset())
    assert caplog.text.count("could not keep held calls") == 1 and spool.load() == []


def test_each_database_has_its_own_folder_in_the_units_runtime_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNTIME_DIRECTORY", f"{tmp_path}/run:{tmp_path}/other")
    one, two = default_folder(tmp_path / "a.db"), default_folder(tmp_path / "b.db")
    assert one is not None and two is not None and one != two
    assert one.parent == tmp_path / "run" and one == default_folder(tmp_path / "x" / ".." / "a.db")
    monkeypatch.delenv("RUNTIME_DIRECTORY")
    assert str(default_folder(tmp_path / "a.db")).startswith("/dev/shm/callerid-")
