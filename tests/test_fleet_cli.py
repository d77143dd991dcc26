"""`callerid fleet keygen|publish-list|watch|web` against a real Mosquitto."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import replace

import pytest

from callerid.cli import main
from callerid.config import Config, StoreConfig, WebConfig
from callerid.fleet import sharedlist, signing, topics
from callerid.fleet.config import FleetConfig, parse_broker
from callerid.fleet.home import FleetHome
from callerid.fleet.mosquitto import free_port
from callerid.fleet.watch import FleetFeed, watch
from callerid.fleet.webpage import fleet_app
from callerid.store import Store
from tests.fleet_support import Recorder, broker, needs_mosquitto, wait_until
from tests.store_records import HOSTILE, make_record
from tests.web_support import give_password, login

pytestmark = needs_mosquitto

CSV = "number,verdict,label\n0120-555-123,block,fake refund\n050-9999-*,block,\n"


def _keys(tmp_path, capsys):
    assert main(["fleet", "keygen", "--out", str(tmp_path / "trusted.key")]) == 0
    trusted = capsys.readouterr().out.strip()
    assert main(["fleet", "keygen", "--out", str(tmp_path / "other.key")]) == 0
    capsys.readouterr()
    return trusted


def test_publish_list_blocks_at_every_home_and_another_key_or_older_version_is_refused(tmp_path, capsys):
    trusted = _keys(tmp_path, capsys)
    (tmp_path / "scams.csv").write_text(CSV)
    with broker(tmp_path / "broker") as mosq:
        stores = [Store(tmp_path / f"home{n}.db") for n in range(3)]
        homes = [FleetHome(FleetConfig(broker=mosq.url, home=f"home-{n}", trusted_keys=(trusted,)), s)
                 for n, s in enumerate(stores)]
        try:
            for home in homes:
                home.start()
            assert all(home.wait_ready(5) for home in homes)
            publish = ["fleet", "publish-list", str(tmp_path / "scams.csv"), "--name", "kanto",
                       "--broker", mosq.url]
            assert main([*publish, "--key", str(tmp_path / "trusted.key")]) == 0
            assert "version 1: 2 entries" in capsys.readouterr().out
            assert wait_until(lambda: all(h.lists.version("kanto") == 1 for h in homes))
            for store in stores:
                assert store.family_lists().blocked("0120555123") is not None
                assert store.family_lists().blocked("050-9999-1234") is not None

            (tmp_path / "more.csv").write_text(CSV + "0312345678\n")
            assert main([*publish[:2], str(tmp_path / "more.csv"), *publish[3:],
                         "--key", str(tmp_path / "other.key")]) == 0
            assert "version 2" in capsys.readouterr().out
            # Everybody got it; nobody applied it: the next trusted version must still be applied.
            assert main([*publish, "--key", str(tmp_path / "trusted.key")]) == 0
            assert "version 3" in capsys.readouterr().out
            assert wait_until(lambda: all(h.lists.version("kanto") == 3 for h in homes))
            assert all(s.family_lists().blocked("0312345678") is None for s in stores)

            # An old genuine version replayed by somebody who kept it is refused too.
            old = sharedlist.build("kanto", 2, [{"number": "+81312345678", "verdict": "block", "label": ""}],
                                   signing.load_signing_key(tmp_path / "trusted.key"))
            replay = Recorder(mosq.port)
            replay.publish(topics.shared_list("kanto"), sharedlist.encode(old), retain=True)
            replay.publish(topics.shared_list("kanto"), sharedlist.encode(
                sharedlist.build("kanto", 4, [], signing.load_signing_key(tmp_path / "trusted.key"))),
                retain=True)
            assert wait_until(lambda: all(h.lists.version("kanto") == 4 for h in homes))
            assert all(s.family_lists().blocked("0312345678") is None for s in stores)
            replay.close()

            assert main([*publish, "--key", str(tmp_path / "trusted.key"), "--version", "2"]) == 2
            assert "not newer than the published version 4" in capsys.readouterr().err
        finally:
            for home in homes:
                home.close()
            for store in stores:
                store.close()


@pytest.mark.parametrize("args, message", [
    (["--name", "x", "--key", "KEY", "--broker", "mqtt://127.0.0.1:1"], "no such file"),
    (["--name", "bad/name", "--key", "KEY", "--broker", "mqtt://127.0.0.1:1"], "list name"),
    (["--name", "x", "--key", "KEY"], "no broker"),
    (["--name", "x", "--key", "KEY", "--broker", "http://x"], "mqtt://"),
])
def test_publish_list_bad_input_is_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    _keys(tmp_path, capsys)
    csv = tmp_path / "list.csv"
    if message != "no such file":
        csv.write_text(CSV)
    args = [a.replace("KEY", str(tmp_path / "trusted.key")) for a in args]
    assert main(["fleet", "publish-list", str(csv), *args]) == 2
    err = capsys.readouterr().err
    assert message in err.lower() and err.count("\n") == 1 and "Traceback" not in err


def test_publish_list_says_so_when_the_broker_is_not_there(tmp_path, capsys):
    _keys(tmp_path, capsys)
    (tmp_path / "list.csv").write_text(CSV)
    code = main(["fleet", "publish-list", str(tmp_path / "list.csv"), "--name", "x", "--key",
                 str(tmp_path / "trusted.key"), "--broker", f"mqtt://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and "nothing answers at" in err and err.count("\n") == 1


def test_watch_prints_each_call_once(tmp_path):
    with broker(tmp_path / "broker") as mosq:
        store = Store(tmp_path / "calls.db")
        home = FleetHome(FleetConfig(broker=mosq.url, home="obaachan"), store)
        out = io.StringIO()
        listening = threading.Event()
        watcher = threading.Thread(target=watch, args=(FleetConfig(), parse_broker(mosq.url)),
                                   kwargs={"as_json": False, "count": 2, "out": out, "subscribed": listening})
        try:
            watcher.start()
            assert listening.wait(5)
            home.start()
            assert home.wait_ready(5)
            for number in ("0335814321", "0120555123"):
                record = make_record(number=number, received_at="2026-11-30T09:12:03+09:00")
                home.on_call(replace(record, id=store.add_call(record)))
            watcher.join(10)
            assert not watcher.is_alive()
            lines = out.getvalue().splitlines()
            assert lines[0] == ("2026-11-30T09:12:03+09:00 obaachan 0335814321 police-number "
                                "warn-household,panel")
            assert lines[1].split()[2] == "0120555123"
        finally:
            home.close()
            store.close()


def test_the_fleet_page_shows_every_home_behind_the_login_and_escapes_what_homes_send(tmp_path):
    with broker(tmp_path / "broker") as mosq:
        config = Config(store=StoreConfig(db=str(tmp_path / "nas.db")),
                        web=WebConfig(host="127.0.0.1", port=0, language="en"))
        store = Store(config.store.db)
        give_password(store)
        feed = FleetFeed(FleetConfig(), parse_broker(mosq.url), client_id="fleet-page-test")
        sender = Recorder(mosq.port)
        try:
            app = fleet_app(config, store, feed)
            client = app.test_client()
            assert client.get("/fleet").status_code in (302, 303)  # the login comes first
            sender.publish(topics.status("sato"), {"state": "online", "alarm": True, "flagged_today": 2,
                                                   "modem": "ready", "last_call": None}, retain=True)
            call = make_record(number="0335814321", name=HOSTILE[0]).to_json() | {"id": 7}
            sender.publish(topics.call("sato"), call)
            sender.publish(topics.call("sato"), call)  # a redelivery: shown once
            sender.publish(topics.status("evil"), {"state": "<script>x</script>", "modem": HOSTILE[0]},
                           retain=True)
            assert wait_until(lambda: len(feed.snapshot()) == 2 and feed.snapshot()[1][2])
            login(client)
            html = client.get("/fleet").get_data(as_text=True)
            assert "sato" in html and "Warning now" in html and "Flagged today: 2" in html
            assert html.count("0335814321") == 1
            assert "<script>" not in html and "&lt;script&gt;" in html
            assert "Content-Security-Policy" in client.get("/fleet").headers
        finally:
            sender.close()
            feed.close()
            store.close()


def test_status_json_is_what_the_page_reads(tmp_path):
    store = Store(tmp_path / "calls.db")
    record = make_record()
    store.add_call(record)
    home = FleetHome(FleetConfig(broker="mqtt://127.0.0.1:1", home="h"), store)
    status = home.status()
    assert status["state"] == "online" and status["last_call"]["number"] == "0335814321"
    assert json.loads(json.dumps(status)) == status
    home.outbox.close()
    home.lists.close()
    store.close()


def test_fleet_web_serves_until_sigterm(tmp_path):
    with broker(tmp_path / "broker") as mosq:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "callerid", "fleet", "web", "--broker", mosq.url, "--port", str(port),
             "--db", str(tmp_path / "nas.db"), "--create"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            def answers() -> bool:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1) as page:
                        return page.status == 200
                except OSError:
                    return False

            assert wait_until(answers, 20)
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, output
        assert "/fleet" in output and "Traceback" not in output
