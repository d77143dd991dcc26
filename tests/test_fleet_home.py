"""A home on a real Mosquitto: call events in order and never lost, status, discovery, commands, lists."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from nacl.signing import SigningKey

from callerid.fleet import sharedlist, topics
from callerid.fleet.config import FleetConfig
from callerid.fleet.home import FleetHome
from callerid.fleet.remote import HomeActions
from callerid.store import Store
from tests.fleet_support import Recorder, broker, needs_mosquitto, wait_until
from tests.store_records import make_record

pytestmark = needs_mosquitto


def _home(port: int, home: str = "test-home", **extra) -> FleetConfig:
    return FleetConfig(broker=f"mqtt://127.0.0.1:{port}", home=home, **extra)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "calls.db")
    yield store
    store.close()


def _logged(store: Store, **fields):
    record = make_record(**fields)
    call_id = store.add_call(record)
    return replace(record, id=call_id)


def test_calls_status_and_discovery_reach_the_broker(tmp_path, store):
    with broker(tmp_path / "broker") as mosq:
        watcher = Recorder(mosq.port, "callerid/#", "homeassistant/#")
        home = FleetHome(_home(mosq.port), store)
        home.start()
        try:
            assert wait_until(lambda: home.connected)
            record = _logged(store, number="0335814321", verdict="police-number")
            home.on_call(record)
            event = watcher.json_on("callerid/test-home/call")
            assert event == record.to_json()
            status = "callerid/test-home/status"
            assert watcher.wait_for(lambda t, p, r: t == status and b'"alarm":true' in p) is not None
        finally:
            home.close()
        watcher.close()
        late = Recorder(mosq.port, "callerid/+/status", "homeassistant/#")  # only retained ones now
        offline = late.json_on("callerid/test-home/status")
        assert offline is not None and offline["state"] == "offline"
        assert wait_until(lambda: sum(t.startswith("homeassistant/") for t, p, r in late.messages) >= 5)
        configs = {t: json.loads(p) for t, p, r in late.messages if t.startswith("homeassistant/") and r}
        assert set(configs) == {
            "homeassistant/sensor/test-home/last_call/config",
            "homeassistant/sensor/test-home/flagged_today/config",
            "homeassistant/binary_sensor/test-home/alarm/config",
            "homeassistant/sensor/test-home/modem/config",
            "homeassistant/button/test-home/block_last_caller/config",
        }
        button = configs["homeassistant/button/test-home/block_last_caller/config"]
        assert button["command_topic"] == "callerid/test-home/command"
        assert all(c["availability_topic"] == "callerid/test-home/status" for c in configs.values())
        late.close()


def test_the_last_will_says_offline_when_the_home_dies(tmp_path, store):
    with broker(tmp_path / "broker") as mosq:
        home = FleetHome(_home(mosq.port, keepalive=5), store)
        home.start()
        watcher = Recorder(mosq.port, "callerid/test-home/status")
        assert watcher.wait_for(lambda t, p, r: b'"online"' in p)
        home._client._sock.close()  # the network vanishes without a DISCONNECT, as a pulled plug does
        home._client.loop_stop()
        assert watcher.wait_for(lambda t, p, r: json.loads(p) == {"state": "offline"}, timeout=15)
        home._stopping.set()
        home._kick.set()
        watcher.close()


def test_events_wait_in_the_outbox_while_the_broker_is_away_and_arrive_in_order(tmp_path, store):
    folder = tmp_path / "broker"
    with broker(folder, persistence=True) as mosq:
        watcher = Recorder(mosq.port, client_id="family-phone")
        watcher.client.disconnect()
        watcher.close()
        home = FleetHome(_home(mosq.port), store)
        home.start()
        assert wait_until(lambda: home.connected)
        first = _logged(store, number="0312340001")
        home.on_call(first)
        assert wait_until(lambda: home.outbox.pending("fleet") == 0)
        mosq.stop()
        assert wait_until(lambda: not home.connected)
        queued = [_logged(store, number=f"031234{n:04d}") for n in range(2, 12)]
        for record in queued:
            home.on_call(record)  # returns at once although nobody is listening
        assert home.outbox.pending("fleet") == 10
        recorder = None
        mosq.start()
        try:
            recorder = Recorder(mosq.port, "callerid/test-home/call")
            assert wait_until(lambda: home.outbox.pending("fleet") == 0, timeout=20)
            assert wait_until(lambda: len(recorder.messages) >= 10, timeout=10)
            ids = [json.loads(p)["id"] for t, p, r in recorder.messages if not r]
            assert ids == [r.id for r in queued]
        finally:
            home.close()
            if recorder is not None:
                recorder.close()


def test_commands_edit_the_lists_like_the_website_and_answer(tmp_path, store):
    acknowledged, changed = [], []
    actions = HomeActions(acknowledge=lambda: acknowledged.append(1), lists_changed=lambda: changed.append(1))
    with broker(tmp_path / "broker") as mosq:
        home = FleetHome(_home(mosq.port), store, actions=actions)
        home.start()
        family = Recorder(mosq.port, "callerid/test-home/command/result", "callerid/test-home/report")
        try:
            assert home.wait_ready(5)
            command = "callerid/test-home/command"
            family.publish(command, {"block": "050-1234-5678", "label": "scam", "id": "a"})
            family.publish(command, {"allow": "0312345678", "label": "Dr Sato", "id": "b"})
            family.publish(command, {"allow": "050-1234-5678", "id": "c"})
            family.publish(command, {"block": "hello", "id": "d"})
            family.publish(command, b"\xff not json")
            family.publish(command, {"acknowledge": True, "id": "e"})
            family.publish(command, {"block_last": True, "id": "f"})
            family.publish(command, {"allow": "03-3581-4321", "id": "g"})  # the Tokyo police HQ
            assert wait_until(lambda: len(family.messages) >= 9, timeout=10)
            results = [json.loads(p) for t, p, r in family.messages if t.endswith("/result")]
            reports = [json.loads(p) for t, p, r in family.messages if t.endswith("/report")]
            assert [(r["number"], r["home"]) for r in reports] == [("+815012345678", "test-home")]
            by_id = {r.get("id"): r for r in results}
            assert by_id["a"]["ok"] and by_id["a"]["pattern"] == "+815012345678"
            assert by_id["b"]["ok"] and by_id["c"]["ok"]
            assert not by_id["d"]["ok"] and "bad number" in by_id["d"]["error"]
            assert by_id["e"] == {"ok": True, "done": "acknowledge", "id": "e"}
            assert not by_id["f"]["ok"]  # no block_last action given to this home
            assert not by_id["g"]["ok"] and "police" in by_id["g"]["error"]
            assert {"ok": False, "error": "a command is a JSON object"} in results
            assert [e.pattern for e in store.list_entries("allow")] == ["+81312345678", "+815012345678"]
            assert store.list_entries("block") == []  # allowing took it off the block list, as the site does
            assert acknowledged == [1] and len(changed) == 3
        finally:
            home.close()
            family.close()


def test_a_published_list_is_applied_and_a_foreign_one_is_not(tmp_path, store):
    key, stranger = SigningKey.generate(), SigningKey.generate()
    public = __import__("base64").b64encode(bytes(key.verify_key)).decode()
    changed = []
    with broker(tmp_path / "broker") as mosq:
        home = FleetHome(_home(mosq.port, trusted_keys=(public,)), store,
                         actions=HomeActions(lists_changed=lambda: changed.append(1)))
        home.start()
        publisher = Recorder(mosq.port)
        try:
            assert home.wait_ready(5)
            entries = [{"number": "+81120555123", "verdict": "block", "label": "refund scam"}]
            forged = sharedlist.build("scams", 7, entries, stranger)
            publisher.publish(topics.shared_list("scams"), sharedlist.encode(forged), retain=True)
            genuine = sharedlist.build("scams", 1, entries, key)
            publisher.publish(topics.shared_list("scams"), sharedlist.encode(genuine), retain=True)
            # Had the stranger's version 7 been taken, version 1 would now be refused as older.
            assert wait_until(lambda: home.lists.version("scams") == 1)
            assert store.family_lists().blocked("0120-555-123") is not None
            assert changed == [1]
        finally:
            home.close()
            publisher.close()
