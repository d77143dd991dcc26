"""The call log on a real SQLite file: round trips, filters, paging, lists, settings,
concurrency across threads and processes, kill -9, migrations and hostile input."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from immutable import ImmutableUnsupported, immutable
from store_records import HOSTILE, make_record, ordinary

from callerid.model import CallerID, CallRecord, ListEntry, Reason, Verdict
from callerid.store import SCHEMA_VERSION, CallCounts, Store, StoreError
from callerid.store.database import PAGE_CACHE_KIB

TESTS = Path(__file__).parent


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "calls.db") as s:
        yield s


def stored(record: CallRecord, call_id: int) -> CallRecord:
    return dataclasses.replace(record, id=call_id)


# --------------------------------------------------------------------------- basics


def test_file_is_sqlite_in_wal_mode_with_full_sync_and_current_version(store: Store) -> None:
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()
    assert store._conn().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync on commit
    assert store.info()["schema_version"] == SCHEMA_VERSION


def test_every_threads_page_cache_is_bounded(store: Store) -> None:
    """Each thread has its own connection; SQLite's 2 MB default cache each grew RSS for 3,000 calls."""
    seen: list[int] = []

    def look() -> None:
        seen.append(store._conn().execute("PRAGMA cache_size").fetchone()[0])

    worker = threading.Thread(target=look)
    worker.start()
    worker.join()
    look()
    assert seen == [-PAGE_CACHE_KIB, -PAGE_CACHE_KIB] and PAGE_CACHE_KIB <= 512


def test_every_field_round_trips(store: Store) -> None:
    record = make_record(raw=bytes(range(256)), reviewed=True)
    call_id = store.add_call(record)
    assert store.get_call(call_id) == stored(record, call_id)
    assert store.get_call(call_id).verdict.reasons[0].detail_ja.startswith("規則")


@pytest.mark.parametrize("checksum_ok", [True, False, None])
def test_absent_number_and_checksum_states_round_trip(store: Store, checksum_ok: bool | None) -> None:
    caller = CallerID(format="ntt", absence="P", name_absence="P", checksum_ok=checksum_ok)
    verdict = Verdict("P", "", None, "非通知", None, "withheld", 40, "warn", ())
    record = CallRecord("2026-11-25T23:59:59.123456+09:00", caller, verdict, ("warn-household",))
    call_id = store.add_call(record)
    assert store.get_call(call_id) == stored(record, call_id)


def test_ids_are_never_reused_after_deletion(store: Store) -> None:
    first = store.add_call(make_record(received_at="2020-01-01T00:00:00+09:00"))
    assert store.prune(30, now=datetime(2026, 1, 1, tzinfo=UTC)) == 1
    assert store.add_call(make_record()) > first  # a link to /calls/<id> never shows another call


def test_unknown_ids_are_none_or_false(store: Store) -> None:
    assert store.get_call(12345) is None
    assert store.get_call("not a number") is None  # type: ignore[arg-type]
    assert store.mark_reviewed(12345) is False
    assert store.set_actions(12345, ["block"]) is False
    assert store.last_call() is None


def test_ids_and_limits_beyond_64_bits_are_no_such_call_not_a_crash(store: Store) -> None:
    """Python ints are unbounded, SQLite's are 64-bit: these used to raise OverflowError."""
    first = store.add_call(make_record())
    huge = 10**30
    assert store.get_call(huge) is None and store.get_call(-huge) is None
    assert store.mark_reviewed(huge) is False
    assert store.set_actions(huge, ["block"]) is False
    assert [r.id for r in store.calls(limit=huge)] == [first]
    assert store.calls(limit=1, offset=huge) == []


def test_a_folder_given_as_the_database_is_a_clear_error(tmp_path: Path) -> None:
    for readonly in (False, True):
        with pytest.raises(StoreError, match="is a folder"):
            Store(tmp_path, readonly=readonly)


def test_set_actions_mark_reviewed_and_last_call(store: Store) -> None:
    quiet = store.add_call(ordinary())
    assert store.count_calls(flagged_only=True) == 0
    assert store.set_actions(quiet, ["block", "panel"]) is True  # what was actually done
    assert store.get_call(quiet).actions == ("block", "panel")
    assert store.count_calls(flagged_only=True) == 1  # a blocked call is always worth a look
    assert store.mark_reviewed(quiet) is True
    assert store.get_call(quiet).reviewed is True
    assert store.mark_reviewed(quiet, False) is True
    assert store.get_call(quiet).reviewed is False
    later = store.add_call(make_record(received_at="2000-01-01T00:00:00+09:00"))  # clock not yet set at boot
    assert store.last_call().id == later


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_hostile_strings_come_back_byte_identical(store: Store, text: str) -> None:
    record = make_record(name=text, number=text[:200], display=text)
    record = dataclasses.replace(
        record,
        caller=dataclasses.replace(record.caller, extras=((text, text),)),
        verdict=dataclasses.replace(record.verdict, reasons=(Reason(text, text, text),)),
    )
    call_id = store.add_call(record)
    back = store.get_call(call_id)
    assert back == stored(record, call_id)
    assert back.caller.name.encode("utf-8") == text.encode("utf-8")
    assert store.calls(limit=1)[0] == back
    assert store.count_calls() == 1  # the SQL in the name did nothing
    store.set_setting("hostile", text)
    assert store.get_setting("hostile") == text
    entry = store.add_list_entry("block", "0312345678", label=text)
    assert entry.label == text
    assert store.list_entries("block")[0].label == text


_any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.none() | _any_text,
    number=st.none() | _any_text,
    raw=st.binary(max_size=300),
    extras=st.lists(st.tuples(_any_text, _any_text), max_size=4),
    detail=_any_text,
    actions=st.lists(_any_text, max_size=5),
)
def test_any_text_and_bytes_round_trip_exactly(
    store: Store, name: str | None, number: str | None, raw: bytes, extras: list, detail: str, actions: list
) -> None:
    record = make_record(name=name, number=number, raw=raw or b"\x00")
    record = dataclasses.replace(
        record,
        caller=dataclasses.replace(record.caller, extras=tuple(extras)),
        verdict=dataclasses.replace(record.verdict, reasons=(Reason(detail, detail, detail),)),
        actions=tuple(actions),
    )
    call_id = store.add_call(record)
    assert store.get_call(call_id) == stored(record, call_id)


def test_lone_surrogates_are_stored_not_crashing(store: Store) -> None:
    text = "bad\udcff name"  # what os.fsdecode-style input can hold; SQLite cannot take it as text
    call_id = store.add_call(make_record(name=text))
    assert store.get_call(call_id).caller.name == "bad\ufffd name"


def test_search_treats_like_wildcards_literally(store: Store) -> None:
    store.add_call(ordinary(name="100% real"))
    store.add_call(ordinary(name="plain"))
    assert [r.caller.name for r in store.calls(search="%")] == ["100% real"]
    assert store.count_calls(search="_") == 0
    assert store.count_calls(search="'; --") == 0


# --------------------------------------------------------------------------- filters and paging


@pytest.fixture
def day_of_calls(store: Store) -> Store:
    """Calls over three days, Tokyo time, one a block and one from abroad at a UTC offset."""
    store.add_call(ordinary("0312345678", received_at="2026-11-24T23:59:59+09:00", display="03-1234-5678"))
    store.add_call(make_record(received_at="2026-11-25T00:00:00+09:00", display="03-3581-4321"))
    store.add_call(
        make_record(
            number="+8014190110", verdict="police-lookalike", action="block", actions=("block", "panel"),
            e164="+8014190110", received_at="2026-11-25T12:00:00+09:00", display="+80 1419 0110",
        )
    )  # fmt: skip
    store.add_call(ordinary("09012345678", name="ヤマダ", received_at="2026-11-25T23:30:00+09:00"))
    store.add_call(ordinary("0612345678", received_at="2026-11-26T08:00:00+09:00", reviewed=True))
    return store


def test_calls_are_newest_first_and_paging_covers_everything_once(store: Store) -> None:
    ids = [store.add_call(ordinary(name=f"n{i}")) for i in range(23)]
    pages = [store.calls(limit=10, offset=o) for o in (0, 10, 20, 30)]
    assert [len(p) for p in pages] == [10, 10, 3, 0]
    assert [r.id for p in pages for r in p] == ids[::-1]
    assert store.count_calls() == 23
    assert len(store.calls(limit=None)) == 23


def test_flagged_filter(day_of_calls: Store) -> None:
    flagged = day_of_calls.calls(flagged_only=True)
    assert [r.verdict.verdict for r in flagged] == ["police-lookalike", "police-number"]
    assert day_of_calls.count_calls(flagged_only=True) == 2


def test_date_filters_use_the_households_calendar_and_are_half_open(day_of_calls: Store) -> None:
    today = day_of_calls.calls(since="2026-11-25", until="2026-11-26", limit=None)
    assert [r.received_at[:19] for r in today] == [
        "2026-11-25T23:30:00", "2026-11-25T12:00:00", "2026-11-25T00:00:00",
    ]  # fmt: skip
    assert day_of_calls.count_calls(until="2026-11-25") == 1
    assert day_of_calls.count_calls(since="2026-11-26") == 1
    # An instant with an offset compares as an instant: 03:00 UTC is 12:00 in Tokyo.
    assert day_of_calls.count_calls(since="2026-11-25T03:00:00Z", until="2026-11-25T03:00:01+00:00") == 1
    # Without an offset it is the household's wall clock.
    assert day_of_calls.count_calls(since="2026-11-25T12:00:00", until="2026-11-25T12:00:01") == 1


def test_date_filter_rejects_garbage_with_a_clear_error(store: Store) -> None:
    with pytest.raises(ValueError, match="since: not an ISO date"):
        store.calls(since="yesterday")
    with pytest.raises(ValueError, match="negative"):
        store.calls(limit=-1)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("03-3581-4321", 1),  # as displayed
        ("0335814321", 1),  # national digits
        ("+81 3 3581 4321", 1),  # E.164 with spaces
        ("０３３５８１", 1),  # full-width digits typed on a Japanese phone
        ("4321", 1),
        ("0110", 1),  # the lookalike's digits
        ("5678", 3),
        ("ヤマダ", 1),  # a name
        ("keishicho", 2),  # case-insensitive name search
        ("99999", 0),
    ],
)
def test_number_and_name_search(day_of_calls: Store, search: str, expected: int) -> None:
    assert day_of_calls.count_calls(search=search) == expected
    assert len(day_of_calls.calls(search=search)) == expected


def test_reviewed_and_verdict_filters_and_counts(day_of_calls: Store) -> None:
    assert day_of_calls.count_calls(reviewed=True) == 1
    assert day_of_calls.count_calls(verdict="ordinary") == 3
    assert day_of_calls.counts() == CallCounts(calls=5, flagged=2, blocked=1, unreviewed_flagged=2)
    assert day_of_calls.counts(since="2026-11-26") == CallCounts(1, 0, 0, 0)


def test_filters_combine(day_of_calls: Store) -> None:
    assert day_of_calls.count_calls(flagged_only=True, since="2026-11-25", search="0110") == 1
    assert day_of_calls.count_calls(flagged_only=True, since="2026-11-26") == 0


def test_filter_queries_use_indexes(day_of_calls: Store) -> None:
    conn = day_of_calls._conn()
    plan = " ".join(
        r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM calls WHERE at_local >= ?", ("x",))
    )
    assert "calls_at_local" in plan
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT * FROM calls WHERE flagged = 1"))
    assert "calls_flagged" in plan


def test_prune_deletes_only_older_calls(day_of_calls: Store) -> None:
    removed = day_of_calls.prune(1, now=datetime(2026, 11, 26, 3, 0, tzinfo=UTC))  # 12:00 Tokyo on the 26th
    assert removed == 2  # the 24th and midnight on the 25th; noon is exactly one day old
    assert day_of_calls.count_calls() == 3
    with pytest.raises(ValueError):
        day_of_calls.prune(0)


def test_unparseable_time_is_still_logged(store: Store) -> None:
    call_id = store.add_call(make_record(received_at="not a time"))
    assert store.get_call(call_id).received_at == "not a time"
    assert store.count_calls(since="2000-01-01") == 1  # filed under "now"


# --------------------------------------------------------------------------- lists and settings


def test_list_entries_add_replace_label_remove(store: Store) -> None:
    first = store.add_list_entry("block", "0120111222", "seller")
    assert isinstance(first, ListEntry) and first.kind == "block" and first.id and first.added_at
    again = store.add_list_entry("block", "0120111222", "pushy seller")
    assert again.id == first.id and again.label == "pushy seller"
    store.add_list_entry("allow", "0120111222", "same number, other list")
    assert [e.label for e in store.list_entries("block")] == ["pushy seller"]
    assert len(store.list_entries("allow")) == 1
    assert store.remove_list_entry("block", "0120111222") is True
    assert store.remove_list_entry("block", "0120111222") is False
    assert store.list_entries("block") == []


def test_list_patterns_are_normalised_so_forms_collide(store: Store) -> None:
    pytest.importorskip("callerid.screen.lists")
    a = store.add_list_entry("allow", "03-1234-5678", "doctor")
    b = store.add_list_entry("allow", "0312345678", "Dr Sato")
    assert a.id == b.id and a.pattern == b.pattern
    assert len(store.list_entries("allow")) == 1
    assert store.remove_list_entry("allow", "03 1234 5678") is True


def test_nonsense_patterns_and_kinds_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.add_list_entry("block", "   ")
    with pytest.raises(ValueError, match="allow' or 'block"):
        store.add_list_entry("maybe", "0312345678")
    assert store.list_entries("block") == []


def test_bulk_import_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(ValueError, match="entry 3"):
        store.add_list_entries("block", [("0120111222", "a"), ("0120333444", "b"), ("", "empty")])
    assert store.list_entries("block") == []
    assert store.add_list_entries("block", [("0120111222", "a"), "0120333444"]) == 2
    assert len(store.list_entries("block")) == 2


def test_family_lists_feed_the_screening_engine(store: Store) -> None:
    lists_module = pytest.importorskip("callerid.screen.lists")
    store.add_list_entry("allow", "0312345678", "doctor")
    store.add_list_entry("block", "0120111222", "seller")
    lists = store.family_lists("JP")
    assert isinstance(lists, lists_module.FamilyLists)
    assert lists.allowed("+81312345678").label == "doctor"
    assert lists.blocked("0120-111-222").label == "seller"


def test_settings_set_get_delete_and_init(store: Store) -> None:
    assert store.get_setting("web.password_hash") is None
    store.set_setting("web.password_hash", "scrypt:abc")
    assert store.get_setting("web.password_hash") == "scrypt:abc"
    store.set_setting("web.password_hash", None)
    assert store.get_setting("web.password_hash") is None
    assert store.init_setting("web.secret_key", "first") == "first"
    assert store.init_setting("web.secret_key", "second") == "first"  # the first writer wins


def test_several_settings_are_written_together_and_none_deletes(store: Store) -> None:
    store.set_settings({"modem.state": "ready", "modem.detail": "USR 5637", "stale": "x"})
    store.set_settings({"modem.state": "lost", "stale": None})
    got = [store.get_setting(k) for k in ("modem.state", "modem.detail", "stale")]
    assert got == ["lost", "USR 5637", None]
    with pytest.raises(ValueError):
        store.set_settings({"ok": "1", "": "2"})
    assert store.get_setting("ok") is None  # refused as a whole, nothing half-written


# --------------------------------------------------------------------------- errors


def test_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    with pytest.raises(StoreError, match="is not an SQLite database"):
        Store(path)
    with pytest.raises(StoreError, match="is not an SQLite database"):
        Store.open_readonly(path)


def test_someone_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(StoreError, match="not a callerid call log"):
        Store(path)


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 5}, newer than this callerid"):
        Store(path)
    assert path.read_bytes() == before


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only even for root (the immutable flag), or by mode bits for others."""
    if os.geteuid() == 0:
        try:
            with immutable(path):
                yield
        except ImmutableUnsupported as err:  # a file system without the flag, or no CAP_LINUX_IMMUTABLE
            pytest.skip(f"running as root and {err}")
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def test_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder), pytest.raises(StoreError, match="not writable"):
        Store(folder / "calls.db")


def test_read_only_file_is_a_clear_error_for_writers(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    Store(path).close()  # closing the last connection removes -wal and -shm
    with read_only(path), pytest.raises(StoreError, match="read-only|not writable|cannot"):
        s = Store(path)
        s.add_call(make_record())


def test_readonly_open_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    with Store(path) as writer:
        call_id = writer.add_call(make_record())
        with Store.open_readonly(path) as reader:
            assert reader.get_call(call_id).id == call_id
            with pytest.raises(StoreError, match="read-only"):
                reader.add_call(make_record())
    with pytest.raises(StoreError, match="no call log"):
        Store.open_readonly(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_readonly_open_works_where_the_reader_cannot_write(tmp_path: Path) -> None:
    """`callerid log` by a user who may only read /var/lib/callerid, with the appliance stopped."""
    folder = tmp_path / "state"
    folder.mkdir()
    with Store(folder / "calls.db") as writer:
        call_id = writer.add_call(make_record(name="読める"))
    path = folder / "calls.db"
    written = sorted(p.name for p in folder.iterdir())  # the log and the writer's disk-full reserve
    assert written == ["calls.db", "calls.db-reserve"]
    with read_only(folder), read_only(path), Store.open_readonly(path) as reader:
        assert reader.get_call(call_id).caller.name == "読める"
    assert sorted(p.name for p in folder.iterdir()) == written  # the reader left nothing behind


def test_closed_store_says_so(tmp_path: Path) -> None:
    s = Store(tmp_path / "calls.db")
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.add_call(make_record())


# --------------------------------------------------------------------------- migrations

#: The version-1 layout exactly as it was first written (frozen here on purpose: if someone edits
#: migration 1 in place instead of adding migration 3, this file stops matching and the test says so).
V1_SCHEMA = """
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, format TEXT NOT NULL,
    number TEXT, name TEXT, absence TEXT, name_absence TEXT, cid_date TEXT, cid_time TEXT,
    checksum_ok INTEGER, raw BLOB NOT NULL DEFAULT x'', extras TEXT NOT NULL DEFAULT '[]',
    v_input TEXT NOT NULL, v_number TEXT NOT NULL, e164 TEXT, display TEXT NOT NULL, country TEXT,
    verdict TEXT NOT NULL, risk INTEGER NOT NULL, action TEXT NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]', actions TEXT NOT NULL DEFAULT '[]',
    reviewed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
    pattern TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', added_at TEXT NOT NULL, UNIQUE (kind, pattern));
PRAGMA user_version = 1;
"""


def make_v1_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute(
        "INSERT INTO calls VALUES (NULL, '2026-11-20T10:15:00+09:00', 'ntt', '+8014190110', 'ケイサツ', NULL,"
        " NULL, '1120', '1015', 1, x'8001ff', '[[\"MESG\",\"1\"]]', '+8014190110', '+8014190110',"
        " '+8014190110', '+80 1419 0110', NULL, 'police-lookalike', 95, 'block',"
        ' \'[["police-lookalike","Ends in 0110 from abroad","海外からの0110"]]\', \'["block","panel"]\', 0)'
    )
    conn.execute(
        "INSERT INTO calls VALUES (NULL, '2026-11-21T18:00:00+09:00', 'text', '0312345678', 'TANAKA', NULL,"
        " NULL, NULL, NULL, NULL, x'', '[]', '0312345678', '0312345678', '+81312345678', '03-1234-5678',"
        " 'JP', 'ordinary', 0, 'none', '[]', '[]', 1)"
    )
    conn.execute(
        "INSERT INTO lists VALUES (NULL, 'block', '0120111222', 'seller', '2026-11-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()


def test_migration_from_version_1_keeps_every_call_and_fills_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    make_v1_file(path)
    with Store(path) as s:
        assert s.info()["schema_version"] == SCHEMA_VERSION
        lookalike = s.get_call(1)
        assert lookalike == CallRecord(
            received_at="2026-11-20T10:15:00+09:00",
            caller=CallerID(
                "ntt", "+8014190110", "ケイサツ", None, None, "1120", "1015", True,
                b"\x80\x01\xff", (("MESG", "1"),),
            ),
            verdict=Verdict("+8014190110", "+8014190110", "+8014190110", "+80 1419 0110", None,
                            "police-lookalike", 95, "block",
                            (Reason("police-lookalike", "Ends in 0110 from abroad", "海外からの0110"),)),
            actions=("block", "panel"),
            id=1,
        )  # fmt: skip
        # The back-filled columns make the website's filters work on old calls too.
        assert [r.id for r in s.calls(flagged_only=True)] == [1]
        assert s.count_calls(since="2026-11-21", until="2026-11-22") == 1
        assert s.count_calls(search="03-1234-5678") == 1
        assert s.get_call(2).reviewed is True
        assert [e.label for e in s.list_entries("block")] == ["seller"]
        s.set_setting("web.secret_key", "k")  # the table version 2 added
        assert s.add_call(make_record()) == 3
    backup = tmp_path / "calls.db.v1.bak"
    with sqlite3.connect(backup) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 2


def test_two_openers_upgrade_a_version_1_file_once(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    make_v1_file(path)
    errors: list[BaseException] = []
    opened: list[Store] = []

    def open_it() -> None:
        try:
            opened.append(Store(path))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(s.count_calls() == 2 for s in opened)
    for s in opened:
        s.close()


OPENER = r"""
import sys
from callerid.store import Store
with Store(sys.argv[1]) as s:
    print(s.info()["schema_version"])
"""


def test_processes_creating_the_same_new_file_at_boot_all_succeed(tmp_path: Path) -> None:
    """The appliance and the website start together on a fresh Pi and both create the log."""
    path = tmp_path / "new" / "calls.db"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = [c.communicate(timeout=60) for c in children]
    assert [c.returncode for c in children] == [0] * 4, [r[1] for r in results]
    assert all(int(out) == SCHEMA_VERSION for out, _ in results)


def test_fresh_file_runs_every_migration_in_order(tmp_path: Path) -> None:
    with Store(tmp_path / "calls.db") as s:
        tables = {r[0] for r in s._conn().execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"calls", "lists", "settings"} <= tables
    assert not (tmp_path / "calls.db.v0.bak").exists()  # nothing to back up in a new file


# --------------------------------------------------------------------------- concurrency and durability

WRITER = r"""
import os, sys
sys.path.insert(0, sys.argv[2])
from callerid.store import Store
from store_records import ordinary
store = Store(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.add_call(ordinary(name=f"proc {i}"))
    store.calls(limit=5)
    store.count_calls(flagged_only=True)
print("done", flush=True)
"""


def test_threads_and_another_process_write_and_read_together(store: Store) -> None:
    per_writer = 60
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store.path), str(TESTS), str(per_writer)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    errors: list[BaseException] = []
    done = threading.Event()

    def write(tag: str) -> None:
        try:
            for i in range(per_writer):
                store.add_call(ordinary(name=f"{tag} {i}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def read() -> None:
        try:
            last = 0
            while not done.is_set():
                count = store.count_calls()
                assert count >= last  # never goes backwards
                last = count
                for record in store.calls(limit=10):
                    assert record.id is not None
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in ("a", "b")]
    reader = threading.Thread(target=read)
    reader.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, err = child.communicate(timeout=60)
    done.set()
    reader.join()
    assert errors == []
    assert child.returncode == 0, err
    records = store.calls(limit=None)
    assert len(records) == 3 * per_writer
    assert len({r.id for r in records}) == 3 * per_writer
    names = {r.caller.name for r in records}
    assert {f"{tag} {i}" for tag in ("a", "b", "proc") for i in range(per_writer)} == names


def test_finished_threads_do_not_leak_connections(store: Store) -> None:
    for _ in range(20):
        t = threading.Thread(target=store.count_calls)
        t.start()
        t.join()
    store.count_calls()
    assert len(store._connections) <= 2


KILLED = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[2])
from callerid.store import Store
from store_records import make_record
store = Store(sys.argv[1])
i = 0
while True:
    i += 1
    call_id = store.add_call(make_record(name=f"caller {i}"))
    os.write(1, f"{call_id}\n".encode())  # only after add_call returned
    if sys.argv[3] == "self" and i == 25:
        os.kill(os.getpid(), signal.SIGKILL)
"""


def _committed_ids_survive(path: Path, reported: list[int]) -> None:
    with Store(path) as s:
        for call_id in reported:
            record = s.get_call(call_id)
            assert record is not None, f"call {call_id} was reported committed but is gone"
        assert s._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_kill_9_from_outside_loses_no_committed_call(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path), str(TESTS), "loop"], stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    reported = []
    while len(reported) < 40:
        line = child.stdout.readline()
        assert line, "writer died early"
        reported.append(int(line))
    child.send_signal(signal.SIGKILL)  # very likely in the middle of the next add_call
    reported += [int(x) for x in child.stdout.read().split()]
    child.wait()
    assert child.returncode == -signal.SIGKILL
    _committed_ids_survive(path, reported)


def test_kill_9_right_after_add_call_returns_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "calls.db"
    out = subprocess.run([sys.executable, "-c", KILLED, str(path), str(TESTS), "self"], capture_output=True)
    assert out.returncode == -signal.SIGKILL
    reported = [int(x) for x in out.stdout.split()]
    assert len(reported) == 25
    _committed_ids_survive(path, reported)
    with Store(path) as s:
        assert s.count_calls() == 25


def test_json_columns_are_plain_json_for_other_tools(store: Store) -> None:
    call_id = store.add_call(make_record())
    row = (
        sqlite3.connect(store.path)
        .execute("SELECT actions, reasons FROM calls WHERE id = ?", (call_id,))
        .fetchone()
    )
    assert json.loads(row[0]) == ["warn-household", "panel"]
    assert json.loads(row[1])[0][0] == "police-number"
