"""The issue's done-when: `callerid run` with `[fleet]` on a real Mosquitto and the simulated modem."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from nacl.signing import SigningKey

from callerid.fleet import sharedlist, signing, topics
from callerid.model import CallerID
from callerid.modem.sim import SimCall, SimulatedModem
from tests.fleet_support import Recorder, broker, needs_mosquitto, wait_until

pytestmark = needs_mosquitto

SCALE = 0.05


def _blocked(db: Path) -> list[str]:
    with sqlite3.connect(db, timeout=5) as conn:
        return [row[0] for row in conn.execute("SELECT pattern FROM lists WHERE kind = 'block'")]


def _run(tmp_path: Path, port: str, broker_port: int, trusted: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(f"""
[speech]
enabled = false
[panel]
enabled = false
[web]
enabled = false
[modem]
quiet_seconds = 0.2
number_display = "off"
[fleet]
broker = "mqtt://127.0.0.1:{broker_port}"
home = "test-home"
trusted_keys = ["{trusted}"]
""")
    return subprocess.Popen(
        [sys.executable, "-m", "callerid", "run", "--config", str(config), "--port", port,
         "--db", str(tmp_path / "calls.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_a_police_call_reaches_the_broker_and_a_shared_list_blocks_the_next_call(tmp_path):
    key = SigningKey.generate()
    with broker(tmp_path / "broker") as mosq, SimulatedModem("conexant", time_scale=SCALE) as sim:
        watcher = Recorder(mosq.port, "callerid/#", "homeassistant/#")
        proc = _run(tmp_path, sim.port, mosq.port, signing.public_key_of(key))
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10), "modem never initialised"
            status = topics.status("test-home")
            assert watcher.wait_for(lambda t, p, r: t == status and b'"online"' in p, 10) is not None
            started = time.monotonic()
            sim.play_call(SimCall(caller=CallerID(format="text", number="0335814321"), rings=2))
            call = watcher.wait_for(lambda t, p, r: t == topics.call("test-home"), timeout=5)
            took = time.monotonic() - started
            assert call is not None
            event = json.loads(call[1])
            assert event["number"] == "0335814321" and event["verdict"] == "police-number"
            assert took < 2.0, f"the call event took {took:.2f} s"
            assert watcher.wait_for(lambda t, p, r: t == status and b'"alarm":true' in p, 5) is not None

            # Home Assistant's button and the family's acknowledgement reach the appliance itself.
            family = Recorder(mosq.port, "callerid/test-home/command/result")
            family.publish(topics.command("test-home"), {"block_last": True, "id": 1})
            family.publish(topics.command("test-home"), {"acknowledge": True, "id": 2})
            assert wait_until(lambda: len(family.messages) == 2, 5)
            assert [json.loads(p)["ok"] for t, p, r in family.messages] == [True, True]
            assert wait_until(lambda: _blocked(tmp_path / "calls.db") == ["+81335814321"], 5)
            assert watcher.wait_for(lambda t, p, r: t == status and b'"alarm":false' in p, 5) is not None
            family.close()

            # A shared list from the trusted publisher blocks the next call from its number.
            scam = [{"number": "+81120555123", "verdict": "block", "label": "refund scam"}]
            publisher = Recorder(mosq.port)
            signed = sharedlist.encode(sharedlist.build("scams", 1, scam, key))
            publisher.publish(topics.shared_list("scams"), signed, retain=True)
            assert watcher.wait_for(lambda t, p, r: t == topics.status("test-home") and b'"scams":1' in p, 10)
            sim.play_call(SimCall(caller=CallerID(format="text", number="0120555123"), rings=2))
            blocked = watcher.wait_for(
                lambda t, p, r: t == topics.call("test-home") and b"0120555123" in p, timeout=10)
            assert blocked is not None
            event = json.loads(blocked[1])
            assert event["verdict"] == "blocklisted" and "block" in event["actions"]
            assert "shared list scams" in event["reasons"][0]["detail"]
            publisher.close()
        finally:
            proc.terminate()
            output, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0, output
        assert "Traceback" not in output
        watcher.close()
        late = Recorder(mosq.port, "callerid/+/status", "homeassistant/#")
        assert wait_until(lambda: sum(t.startswith("homeassistant/") and r for t, p, r in late.messages) == 5)
        status = late.json_on(topics.status("test-home"))
        assert status == {"state": "offline", "home": "test-home"}  # the clean shutdown said so
        late.close()


def test_with_the_broker_away_calls_are_logged_as_fast_and_their_events_follow_when_it_returns(tmp_path):
    from callerid.fleet.mosquitto import LocalMosquitto, free_port

    port = free_port()
    key = SigningKey.generate()
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        proc = _run(tmp_path, sim.port, port, signing.public_key_of(key))
        mosq = LocalMosquitto(tmp_path / "broker", port=port)
        try:
            assert sim.wait_for(lambda s: s.caller_id_mode is not None, timeout=10), "modem never initialised"
            numbers = ["0335814321", "0312345678"]
            for n, number in enumerate(numbers, start=1):
                sim.play_call(SimCall(caller=CallerID(format="text", number=number), rings=2)).wait(5)
                assert wait_until(lambda n=n: _logged(tmp_path / "calls.db") == n, 5)
            assert _pending(tmp_path / "calls.db") == 2
            mosq.start()
            watcher = Recorder(port, "callerid/test-home/call")
            assert wait_until(lambda: len(watcher.messages) >= 2, 40)  # reconnects back off to 30 s at most
            assert [json.loads(p)["number"] for t, p, r in watcher.messages] == numbers
            assert wait_until(lambda: _pending(tmp_path / "calls.db") == 0, 5)
            watcher.close()
        finally:
            proc.terminate()
            output, _ = proc.communicate(timeout=10)
            mosq.stop()
        assert proc.returncode == 0, output
        assert "Traceback" not in output


def _logged(db: Path) -> int:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute("SELECT count(*) FROM calls").fetchone()[0]


def _pending(db: Path) -> int:
    with sqlite3.connect(db, timeout=5) as conn:
        sql = "SELECT count(*) FROM outbox WHERE channel = 'fleet' AND sent_at IS NULL"
        return conn.execute(sql).fetchone()[0]
