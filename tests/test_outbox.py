"""The durable outbox: once per key, in order, retried with backoff, and kept across kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from callerid.outbox import LONGEST_RETRY_S, Outbox, OutboxError, retry_delay
from callerid.store import Store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_items_come_out_in_order_once_per_key(tmp_path):
    box = Outbox(tmp_path / "calls.db")
    assert box.put("notify", "call:1", {"n": 1})
    assert box.put("notify", "call:2", {"n": 2})
    assert not box.put("notify", "call:1", {"n": 99})  # same event queued again: stored once
    assert box.put("fleet", "call:1", {"n": 1})  # another channel has its own keys
    items = box.due("notify")
    assert [(i.key, i.payload) for i in items] == [("call:1", {"n": 1}), ("call:2", {"n": 2})]
    box.mark_sent([items[0].id])
    assert [i.key for i in box.due("notify")] == ["call:2"]
    assert box.pending("notify") == 1 and box.pending("fleet") == 1


def test_a_failed_item_waits_for_its_backoff_then_comes_back(tmp_path):
    clock = FakeClock()
    box = Outbox(tmp_path / "calls.db", clock=clock)
    box.put("notify", "k", {"text": "警察"})
    (item,) = box.due("notify")
    assert box.mark_failed(item.id, "connection refused") == 5.0
    assert box.due("notify") == []
    assert box.next_due_in("notify") == pytest.approx(5.0)
    clock.now += 5.0
    (again,) = box.due("notify")
    assert again.attempts == 1 and again.payload == {"text": "警察"}
    assert box.mark_failed(again.id, "still down") == 10.0


def test_backoff_doubles_and_is_capped():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert retry_delay(40) == LONGEST_RETRY_S


def test_shares_the_call_database_without_disturbing_the_log(tmp_path):
    path = tmp_path / "calls.db"
    store = Store(path)
    box = Outbox(path)
    box.put("notify", "k", {"a": 1})
    assert store.info()["schema_version"] >= 1  # the call log still opens and reads its schema
    store.close()
    assert Outbox(path).pending("notify") == 1


def test_a_put_wakes_a_waiting_sender(tmp_path):
    box = Outbox(tmp_path / "calls.db")
    woke = threading.Event()

    def sender() -> None:
        box.wait(timeout=30)
        woke.set()

    thread = threading.Thread(target=sender)
    thread.start()
    time.sleep(0.2)
    box.put("notify", "k", {})
    assert woke.wait(5)
    thread.join(5)


def test_an_item_queued_before_kill_9_is_there_after(tmp_path):
    path = tmp_path / "calls.db"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from callerid.outbox import Outbox
            Outbox({str(path)!r}).put("notify", "call:7", {{"number": "0335814321"}})
            print("queued", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout.readline().strip() == "queued"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    (item,) = Outbox(path).due("notify")
    assert item.key == "call:7" and item.payload == {"number": "0335814321"}


def test_an_unusable_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError, match="outbox"):
        Outbox(bad)
