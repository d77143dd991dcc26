"""`callerid bench fleet [--homes N]`: N homes on one local Mosquitto, in one process.

The homes are lightweight but speak real MQTT: one paho client each (own connection, last will,
subscriptions to the shared lists and its commands), all driven by one selector thread through
paho's external-event-loop callbacks instead of a thread each. Each home checks a shared list
with the real code (`sharedlist.check`: signature, name, version, every number normalised) and
sends call events through the real outbox (one SQLite file on disk, one channel per home),
marking an event sent only when the broker acknowledged it, as `FleetHome` does.

Figures:
- list propagation: one signed list published, time until each home received it and until it
  would have applied it (arrival + that home's own check time: real homes check in parallel, on
  their own CPU; the time for this one process to check all of them in turn is printed too);
- call events/s: every home sends a burst of QoS 1 events, one consumer counts them;
- broker restart: homes keep producing events through the outbox while Mosquitto is stopped
  (SIGTERM, it saves its persistence file) and started again; events lost (goal 0) and repeats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import selectors
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from callerid.fleet import sharedlist, topics
from callerid.fleet.mosquitto import BrokerError, LocalMosquitto, mosquitto_binary
from callerid.model import Action, Advice, ReasonCode, VerdictCode
from callerid.outbox import Outbox

LIST_ENTRIES = 100
EVENTS_PER_HOME = 20
RESTART_EVENTS_PER_HOME = 2
BROKER_DOWN_S = 1.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _event(home: str, seq: int) -> dict[str, Any]:
    """A realistic call event (the `log --json` shape) for `home`."""
    return {
        "id": seq, "time": "2026-11-30T09:12:03+09:00", "number": f"0335{seq % 10_000_000:07d}",
        "name": None, "absence": None, "verdict": VerdictCode.POLICE_NUMBER, "risk": 80,
        "reasons": [{"code": ReasonCode.POLICE_KNOWN, "detail": "The number of the Tokyo police."}],
        "actions": [Action.PANEL, Action.WARN_HOUSEHOLD], "reviewed": False,
    }


class Reactor:
    """One thread driving many paho clients with a selector (paho's external event loop)."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.clients: list[Any] = []
        self.down: dict[Any, float] = {}  # client -> when to try reconnecting
        self.jobs: list[Callable[[], None]] = []
        self._jobs_lock = threading.Lock()
        self.tick: Callable[[], None] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fleet-bench-reactor", daemon=True)

    def attach(self, client: Any) -> None:
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._wrote
        self.clients.append(client)

    def _opened(self, client: Any, userdata: Any, sock: Any) -> None:
        self.selector.register(sock, selectors.EVENT_READ, client)

    def _closed(self, client: Any, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(sock)

    def _want_write(self, client: Any, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def _wrote(self, client: Any, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.modify(sock, selectors.EVENT_READ, client)

    def call_soon(self, job: Callable[[], None]) -> None:
        """Run `job` in the reactor thread (paho clients are not thread-safe)."""
        with self._jobs_lock:
            self.jobs.append(job)

    def lost(self, client: Any) -> None:
        self.down[client] = time.monotonic() + 0.5

    def _run(self) -> None:
        last_misc = time.monotonic()
        while not self.stopping.is_set():
            for key, mask in self.selector.select(0.02):
                client = key.data
                if mask & selectors.EVENT_READ:
                    client.loop_read()
                if mask & selectors.EVENT_WRITE and client.socket() is not None:
                    client.loop_write()
            with self._jobs_lock:
                jobs, self.jobs = self.jobs, []
            for job in jobs:
                job()
            if self.tick is not None:
                self.tick()
            now = time.monotonic()
            if now - last_misc >= 1.0:
                last_misc = now
                for client in self.clients:
                    client.loop_misc()
                for client, when in list(self.down.items()):
                    if now >= when:
                        try:
                            client.reconnect()
                            del self.down[client]
                        except OSError:
                            self.down[client] = now + 0.5


class LightHome:
    """One simulated home: a real MQTT session, the real list check, the real outbox."""

    def __init__(self, index: int, bench: Bench) -> None:
        import paho.mqtt.client as mqtt

        self.id = f"home-{index:05d}"
        self.bench = bench
        self.channel = f"fleet:{self.id}"
        self.call_topic = topics.call(self.id)
        self.ready = False
        self.held = 0
        self.arrived: float | None = None
        self.payload: bytes | None = None
        self.inflight: dict[int, int] = {}
        self.dirty = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.id)
        self.client.suppress_exceptions = True
        self.client.will_set(topics.status(self.id), b'{"state":"offline"}', qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        bench.reactor.attach(self.client)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            return
        client.subscribe([(topics.SHARED_LISTS, 1), (topics.command(self.id), 1)])
        client.publish(topics.status(self.id), b'{"state":"online"}', qos=1, retain=True)

    def _on_subscribe(self, *args: Any) -> None:
        self.ready = True
        self.dirty = True

    def _on_disconnect(self, *args: Any) -> None:
        self.ready = False
        self.inflight.clear()  # not acknowledged: still unsent in the outbox, sent again later
        self.bench.reactor.lost(self.client)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if self.arrived is None and message.payload:
            self.arrived = time.monotonic()
            self.payload = message.payload

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        item = self.inflight.pop(mid, None)
        if item is not None:
            self.bench.acked.append(item)
            if not self.inflight:
                self.dirty = True

    def pump(self) -> None:
        """Publish what the outbox holds for this home (in order, QoS 1), once the last batch is acked."""
        self.dirty = False
        for item in self.bench.outbox.due(self.channel, limit=20):
            info = self.client.publish(self.call_topic, json.dumps(item.payload).encode(), qos=1)
            self.inflight[info.mid] = item.id


class Bench:
    def __init__(self, folder: Path, homes: int) -> None:
        self.folder = folder
        self.broker = LocalMosquitto(folder / "broker", persistence=True)
        self.outbox = Outbox(folder / "outbox.db")
        self.reactor = Reactor()
        self.acked: list[int] = []
        self.pumping = False
        self.count = homes
        self.homes: list[LightHome] = []

    def start(self) -> float:
        self.broker.start()
        start = time.monotonic()
        self.homes = [LightHome(i, self) for i in range(self.count)]
        for home in self.homes:
            home.client.connect("127.0.0.1", self.broker.port, keepalive=60)
        self.reactor.tick = self._tick
        self.reactor.thread.start()
        _wait(lambda: all(h.ready for h in self.homes), 120, "homes did not all connect")
        return time.monotonic() - start

    def _tick(self) -> None:
        if self.acked:
            acked, self.acked = self.acked, []
            self.outbox.mark_sent(acked)
        if self.pumping:
            for home in self.homes:
                if home.dirty and home.ready and not home.inflight:
                    home.pump()

    def close(self) -> None:
        self.reactor.stopping.set()
        if self.reactor.thread.is_alive():
            self.reactor.thread.join(5)
        self.broker.stop()
        self.outbox.close()


class Consumer:
    """What a family's `fleet watch` or an analysis service does: every home's calls, deduplicated."""

    def __init__(self, port: int, client_id: str) -> None:
        import paho.mqtt.client as mqtt

        self.seen: set[tuple[str, int]] = set()
        self.repeats = 0
        self.last_at = 0.0
        self._ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False)
        self.client.max_inflight_messages_set(100)
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe("callerid/+/call", qos=1)
        self.client.on_subscribe = lambda *args: self._ready.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("the consumer could not subscribe")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        event = json.loads(message.payload)
        key = (message.topic.split("/")[1], int(event["id"]))
        if key in self.seen:
            self.repeats += 1
        else:
            self.seen.add(key)
        self.last_at = time.monotonic()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.01)


def _list_propagation(bench: Bench) -> str:
    import paho.mqtt.client as mqtt
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    trusted = [bytes(key.verify_key)]
    entries = [{"number": f"+81505{i:07d}", "verdict": Advice.BLOCK, "label": f"reported scam {i}"}
               for i in range(LIST_ENTRIES)]
    payload = sharedlist.encode(sharedlist.build("bench", 1, entries, key))
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    publisher.connect("127.0.0.1", bench.broker.port)
    publisher.loop_start()
    start = time.monotonic()
    publisher.publish(topics.shared_list("bench"), payload, qos=1, retain=True).wait_for_publish(10)
    _wait(lambda: all(h.arrived is not None for h in bench.homes), 120, "the list did not reach every home")
    publisher.disconnect()
    publisher.loop_stop()
    delivered, applied, checks = [], [], []
    for home in bench.homes:  # after delivery, so checking does not delay the other homes' reading
        began = time.perf_counter()
        checked = sharedlist.check(home.payload or b"", "bench", trusted, "JP")
        if checked.version > home.held and len(checked.entries) == LIST_ENTRIES:
            home.held = checked.version
        took = time.perf_counter() - began
        checks.append(took)
        delivered.append((home.arrived or 0) - start)
        applied.append((home.arrived or 0) - start + took)
    serial = time.monotonic() - start
    applied_by = sum(h.held == 1 for h in bench.homes)
    return (
        f"  shared list ({LIST_ENTRIES} entries, {len(payload) / 1024:.1f} KB, signed, retained):\n"
        f"    delivered to {len(delivered)}/{bench.count} homes: p50 {_percentile(delivered, 0.5):.3f} s, "
        f"p99 {_percentile(delivered, 0.99):.3f} s, slowest {max(delivered):.3f} s\n"
        f"    applied by {applied_by}/{bench.count} (each home checks signature, version and every "
        f"number: median {statistics.median(checks) * 1000:.1f} ms): p50 {_percentile(applied, 0.5):.3f} s, "
        f"p99 {_percentile(applied, 0.99):.3f} s, slowest {max(applied):.3f} s\n"
        f"    (this one process checked all {bench.count} in turn by {serial:.1f} s; "
        "real homes check in parallel)"
    )


def _throughput(bench: Bench, per_home: int) -> str:
    consumer = Consumer(bench.broker.port, "bench-consumer-burst")
    total = bench.count * per_home
    try:
        start = time.monotonic()

        def burst() -> None:
            for seq in range(per_home):
                for home in bench.homes:
                    payload = json.dumps(_event(home.id, 10**6 + seq)).encode()
                    home.client.publish(home.call_topic, payload, qos=1)

        bench.reactor.call_soon(burst)
        _wait(lambda: len(consumer.seen) >= total, 300, "the consumer did not receive every event")
        took = consumer.last_at - start
    finally:
        consumer.close()
    return (f"  call events: {total} ({per_home} per home, QoS 1, one consumer): "
            f"all received in {took:.2f} s, {total / took:,.0f} events/s")


def _restart(bench: Bench, per_home: int) -> str:
    consumer = Consumer(bench.broker.port, "bench-consumer-restart")
    total = bench.count * per_home
    produced = threading.Event()
    restarted_at: list[float] = []

    def produce() -> None:  # the appliances committing calls: one outbox INSERT each, on disk
        for round_ in range(per_home):
            for home in bench.homes:
                bench.outbox.put(home.channel, f"call:{round_}", _event(home.id, round_))
                home.dirty = True
        produced.set()

    bench.pumping = True
    producer = threading.Thread(target=produce, name="fleet-bench-producer", daemon=True)
    start = time.monotonic()
    producer.start()
    try:
        _wait(lambda: len(consumer.seen) >= total * 0.3, 300, "events did not start flowing")
        bench.broker.stop()  # SIGTERM: Mosquitto writes its persistence file and exits
        time.sleep(BROKER_DOWN_S)
        bench.broker.start()
        restarted_at.append(time.monotonic())  # homes and the consumer reconnect by themselves
        _wait(produced.is_set, 300, "the producer did not finish")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(consumer.seen) < total:
            time.sleep(0.05)
        time.sleep(1.0)  # late repeats still count as repeats
    finally:
        consumer.close()
        bench.pumping = False
    lost = total - len(consumer.seen)
    pending = sum(bench.outbox.pending(h.channel) for h in bench.homes)
    done = consumer.last_at - restarted_at[0] if restarted_at else float("nan")
    return (f"  broker restart: {total} events ({per_home} per home) through the outbox, Mosquitto stopped "
            f"and started ({BROKER_DOWN_S:g} s down) mid-run: received {len(consumer.seen)}/{total}, "
            f"lost {lost}, repeats {consumer.repeats}, still queued {pending}; "
            f"last event {done:.1f} s after the restart, {time.monotonic() - start:.1f} s in all")


def _raise_file_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def run(args: argparse.Namespace) -> int:
    if mosquitto_binary() is None:
        print("  skipped: mosquitto is not installed (Debian package: mosquitto)")
        return 0
    quick = getattr(args, "quick", False)
    homes = getattr(args, "homes", None) or (100 if quick else 1000)
    _raise_file_limit(2 * homes + 256)  # the homes' sockets here, and the broker's (it inherits the limit)
    with tempfile.TemporaryDirectory(prefix="callerid-bench-fleet-") as tmp:
        bench = Bench(Path(tmp), homes)
        try:
            took = bench.start()
            print(f"  {homes} homes on one local Mosquitto (one process, one selector thread): "
                  f"all connected and subscribed in {took:.2f} s")
            print(_list_propagation(bench), flush=True)
            print(_throughput(bench, 5 if quick else EVENTS_PER_HOME), flush=True)
            print(_restart(bench, RESTART_EVENTS_PER_HOME), flush=True)
        except (BrokerError, TimeoutError) as exc:
            print(f"  failed: {exc}")
            return 1
        finally:
            bench.close()
    return 0


__all__ = ["run"]
