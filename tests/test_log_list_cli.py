"""`callerid log` and `callerid list` against real database files: output, safety, one-line errors."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from store_records import HOSTILE, make_record, ordinary

from callerid.cli import main
from callerid.store import Store


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A config whose store lives in tmp_path: nothing here touches /etc or /var/lib."""
    config = tmp_path / "config.toml"
    config.write_text('[store]\ndb = "configured.db"\n')
    monkeypatch.setenv("CALLERID_CONFIG", str(config))
    return tmp_path / "configured.db"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    with Store(path) as store:
        store.add_call(ordinary(received_at="2026-11-24T08:00:00+09:00"))
        police = store.add_call(make_record(received_at="2026-11-25T09:30:00+09:00"))
        store.mark_reviewed(police)
        store.add_call(
            make_record(
                number=None, absence="P", name=None, verdict="withheld", actions=("warn-household", "panel"),
                received_at="2026-11-25T10:00:00+09:00",
            )
        )  # fmt: skip
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------- log


def test_log_table_is_oldest_first_with_every_column(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "log", "--db", str(db))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "time", "number", "name", "verdict", "actions", "reviewed"]
    assert "2026-11-24 08:00" in lines[2] and "ordinary" in lines[2]
    assert "0335814321" in lines[3] and "police-number" in lines[3] and lines[3].rstrip().endswith("yes")
    assert "withheld (P)" in lines[4] and "warn-household, panel" in lines[4]


def test_log_json_is_one_record_per_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "log", "--json", "--db", str(db))
    assert status == 0
    objects = [json.loads(line) for line in out.splitlines()]
    with Store(db) as store:
        expected = [r.to_json() for r in reversed(store.calls(limit=None))]
    assert objects == expected
    assert set(objects[0]) == {
        "id", "time", "number", "name", "absence", "verdict", "risk", "reasons", "actions", "reviewed",
        "hang_up_done",
    }  # fmt: skip


def test_log_limit_and_flagged(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(capsys, "log", "--json", "--limit", "1", "--db", str(db))
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["withheld"]  # the newest one
    status, out, err = run_cli(capsys, "log", "--limit", "2", "--db", str(db))
    assert len(out.splitlines()) == 4 and "newest 2 of 3" in err
    status, out, _ = run_cli(capsys, "log", "--json", "--flagged", "--db", str(db))
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["police-number", "withheld"]
    status, _, err = run_cli(capsys, "log", "--limit", "-3", "--db", str(db))
    assert status == 2 and "--limit" in err


@pytest.mark.parametrize("name", HOSTILE, ids=lambda t: repr(t[:12]))
def test_log_never_sends_control_characters_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / "hostile.db"
    with Store(path) as store:
        store.add_call(make_record(name=name))
    _, table_out, _ = run_cli(capsys, "log", "--db", str(path))
    _, json_out, _ = run_cli(capsys, "log", "--json", "--db", str(path))
    for out in (table_out, json_out):
        body = out.replace("\n", "")
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u200b" for c in body)
    assert max(len(line) for line in table_out.splitlines()) < 200  # a 10,000-character name is clipped
    assert json.loads(json_out)["name"] == name  # JSON still carries the exact name
    if name.startswith("ctrl:"):
        assert "ctrl:\\x00\\x01\\x07" in table_out  # shown as escapes, not sent raw


def test_log_aligns_japanese_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from callerid.terminal import width

    path = tmp_path / "ja.db"
    with Store(path) as store:
        store.add_call(ordinary(name="ヤマダ"))
        store.add_call(ordinary(name="TANAKA"))
    _, out, _ = run_cli(capsys, "log", "--db", str(path))
    rows = out.splitlines()[2:]
    assert width(rows[0][: rows[0].index("ordinary")]) == width(rows[1][: rows[1].index("ordinary")])


def test_log_reads_while_the_appliance_writes_and_changes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(db) as appliance:
        appliance.add_call(ordinary(name="live"))
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        status, out, _ = run_cli(capsys, "log", "--json", "--db", str(db))
        assert status == 0 and json.loads(out.splitlines()[-1])["name"] == "live"
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_log_uses_the_configured_store_unless_db_is_given(
    db: Path, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(isolated) as store:
        store.add_call(ordinary(name="from config"))
    _, out, _ = run_cli(capsys, "log", "--json")
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["from config"]
    _, out, _ = run_cli(capsys, "log", "--json", "--db", str(db))
    assert len(out.splitlines()) == 3


def test_empty_log_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store(tmp_path / "empty.db").close()
    status, out, err = run_cli(capsys, "log", "--db", str(tmp_path / "empty.db"))
    assert status == 0 and out == "" and "no calls logged yet" in err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no call log at"),
        ("text", "is not an SQLite database"),
        ("badconfig", "unknown key 'stor'"),
    ],
)
def test_log_problems_are_one_line_without_traceback(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "calls.db"
    args = [sys.executable, "-m", "callerid", "log", "--db", str(path)]
    if setup == "text":
        path.write_text("hello\n" * 500)
    if setup == "badconfig":
        bad = tmp_path / "bad.toml"
        bad.write_text("[stor]\ndb = 'x'\n")
        args += ["--config", str(bad)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and message in out.stderr
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------------------- list


def test_list_add_show_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lists.db")
    assert run_cli(capsys, "list", "allow", "add", "03-1234-5678", "--label", "Dr Sato", "--db", db)[0] == 0
    status, out, _ = run_cli(capsys, "list", "allow", "add", "0312345678", "--label", "佐藤先生", "--db", db)
    assert status == 0 and "佐藤先生" in out  # same number: the label is replaced, no duplicate
    status, out, _ = run_cli(capsys, "list", "allow", "show", "--db", db)
    lines = out.splitlines()
    assert lines[0].split() == ["number", "label", "added"] and len(lines) == 3 and "佐藤先生" in lines[2]
    status, out, err = run_cli(capsys, "list", "block", "show", "--db", db)
    assert status == 0 and "block list is empty" in err
    assert run_cli(capsys, "list", "allow", "remove", "+81 3 1234 5678", "--db", db)[0] == 0
    status, _, err = run_cli(capsys, "list", "allow", "remove", "+81 3 1234 5678", "--db", db)
    assert status == 2 and "not on the allow list" in err


def test_list_refuses_nonsense_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lists.db")
    status, _, err = run_cli(capsys, "list", "block", "add", "call me maybe", "--db", db)
    assert status == 2 and err.startswith("callerid list: cannot add") and err.count("\n") == 1
    status, _, err = run_cli(capsys, "list", "block", "add", "--db", db)
    assert status == 2 and "needs a number" in err
    with pytest.raises(SystemExit) as exc:
        main(["list", "grey", "add", "0312345678"])
    assert exc.value.code == 2


def test_list_labels_are_safe_in_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lists.db")
    run_cli(capsys, "list", "block", "add", "0120111222", "--label", "\x1b]0;pwned\x07seller", "--db", db)
    _, out, _ = run_cli(capsys, "list", "block", "show", "--db", db)
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07seller" in out


def test_export_then_import_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target, csv_file = str(tmp_path / "a.db"), str(tmp_path / "b.db"), tmp_path / "block.csv"
    run_cli(capsys, "list", "block", "add", "0120111222", "--label", 'Seller, "pushy"', "--db", source)
    run_cli(capsys, "list", "block", "add", "03-3581-*", "--db", source)
    assert run_cli(capsys, "list", "block", "export", str(csv_file), "--db", source)[0] == 0
    status, out, _ = run_cli(capsys, "list", "block", "import", str(csv_file), "--db", target)
    assert status == 0 and "imported 2 entries" in out
    with Store(source) as a, Store(target) as b:
        assert [(e.pattern, e.label) for e in a.list_entries("block")] == [
            (e.pattern, e.label) for e in b.list_entries("block")
        ]
    _, out, _ = run_cli(capsys, "list", "block", "export", "--db", target)
    assert out.splitlines()[0] == "\ufeffkind,pattern,label" and len(out.splitlines()) == 3
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbfkind,pattern,label\r\n")


def test_import_is_all_or_nothing_and_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "lists.db")
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("kind,pattern,label\nblock,0120111222,ok\nblock,not a number,bad\n", encoding="utf-8")
    status, _, err = run_cli(capsys, "list", "block", "import", str(csv_file), "--db", db)
    assert status == 2 and "line 3" in err and err.count("\n") == 1
    with Store(db) as store:
        assert store.list_entries("block") == []


def test_import_from_stdin_skips_the_other_lists_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "lists.db")
    text = "\ufeffkind,pattern,label\nallow,0312345678,doctor\nblock,0120111222,seller\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    status, out, err = run_cli(capsys, "list", "allow", "import", "-", "--db", db)
    assert status == 0 and "imported 1 entry" in out
    assert "skipped 1 block-list entry" in err and "callerid list block import" in err


def test_import_problems_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lists.db")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"block,0120111222,caf\xe9\n")
    status, _, err = run_cli(capsys, "list", "block", "import", str(latin1), "--db", db)
    assert status == 2 and "not UTF-8" in err
    status, _, err = run_cli(capsys, "list", "block", "import", str(tmp_path / "none.csv"), "--db", db)
    assert status == 2 and "cannot read" in err
    status, _, err = run_cli(capsys, "list", "block", "export", str(tmp_path / "no" / "dir.csv"), "--db", db)
    assert status == 2 and "cannot write" in err


def test_list_show_on_a_missing_database_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, "list", "block", "show", "--db", str(tmp_path / "none.db"))
    assert status == 2 and "no call log at" in err
    assert not (tmp_path / "none.db").exists()
