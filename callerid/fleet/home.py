"""This home on the fleet's broker: call events, status, shared lists, commands, discovery.

Never in the call's way: the appliance's thread only calls the `on_*` listeners, which put a
call event in the outbox (one INSERT in the call database) or flip a flag, and set an event.
A sender thread delivers the outbox in order with QoS 1 whenever the broker is connected; an
event is marked sent only after the broker acknowledged it, so a broker restart, a network
outage or a reboot delays events but loses none (at least once: a consumer dedups by call id).
paho's own thread runs the incoming side: shared lists (checked and stored by `SharedListDB`)
and commands (`remote.handle`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from callerid import __version__
from callerid.fleet import topics
from callerid.fleet.discovery import discovery_messages
from callerid.fleet.link import connect, dumps, make_client
from callerid.fleet.listdb import SharedListDB
from callerid.fleet.remote import HomeActions, handle
from callerid.model import ListKind
from callerid.outbox import Outbox
from callerid.screen.engine import ScreenConfig

if TYPE_CHECKING:
    from callerid.fleet.config import FleetConfig
    from callerid.model import CallRecord
    from callerid.store import Store

log = logging.getLogger("callerid.fleet")

CHANNEL = "fleet"
#: paho's result codes for a publish that is on its way: MQTT_ERR_SUCCESS, MQTT_ERR_AGAIN.
_QUEUED = (0, -1)
BATCH = 50
ACK_TIMEOUT_S = 10.0
#: How often the idle sender looks at the modem's state (an attribute read, no disk) for the status.
IDLE_WAKE_S = 15.0
PRUNE_SENT_AFTER_S = 7 * 86400.0


def event_key(record: CallRecord) -> str:
    """The outbox key of a call's event: its id, or (not yet in the log) its time and number."""
    if record.id is not None:
        return f"call:{record.id}"
    return f"call:unsaved:{record.received_at}:{record.caller.number or record.caller.absence or ''}"


class FleetHome:
    """Connects this home to the broker; `start()`, feed it the `on_*` listeners, `close()`."""

    def __init__(
        self,
        cfg: FleetConfig,
        store: Store,
        *,
        region: str = "JP",
        actions: HomeActions | None = None,
        screening: ScreenConfig | None = None,
    ) -> None:
        if not cfg.active or cfg.home is None:
            raise ValueError("the fleet needs [fleet] broker and home")
        self.cfg = cfg
        self.home = cfg.home
        self.region = region
        self._store = store
        self._actions = actions or HomeActions()
        self._screening = screening or ScreenConfig(region=region)  # for the allow list's police rule
        self._trusted = cfg.trusted_key_bytes()
        self.outbox = Outbox(store.path)
        self.lists = SharedListDB(store.path)
        self._client = make_client(
            cfg, f"callerid-{self.home}", will=(topics.status(self.home), {"state": "offline"}),
            clean_session=False,
        )
        self._client.suppress_exceptions = True
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *args: self._subscribed.set()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._stopping = threading.Event()
        self._kick = threading.Event()
        self._announce = False
        self._status_dirty = True
        self._alarm = False
        self._modem = ("starting", "")
        self._modem_source: Callable[[], tuple[str, str]] | None = None
        self._sender = threading.Thread(target=self._send_loop, name="fleet-sender", daemon=True)

    def set_actions(self, actions: HomeActions) -> None:
        """What commands may ask of the appliance (known only once the appliance exists)."""
        self._actions = actions

    def follow_modem(self, source: Callable[[], tuple[str, str]]) -> None:
        """Where the modem's (state, detail) can be read; a change reaches the status within seconds."""
        self._modem_source = source

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and start delivering; returns at once."""
        connect(self._client, self.cfg)
        self._client.loop_start()
        self._sender.start()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until connected and subscribed to commands and shared lists (tests, the bench)."""
        return self._connected.wait(timeout) and self._subscribed.wait(timeout)

    def close(self, timeout: float = 3.0) -> None:
        """Say "offline" (retained) if connected, then disconnect; undelivered events stay queued."""
        self._stopping.set()
        self._kick.set()
        if self._sender.is_alive():
            self._sender.join(timeout)
        if self._connected.is_set():
            info = self._client.publish(
                topics.status(self.home), dumps({"state": "offline", "home": self.home}), qos=1, retain=True
            )
            self._wait(info, timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self.outbox.close()
        self.lists.close()

    # -- listeners (the appliance's thread: must return at once) ----------------------------------

    def on_call(self, record: CallRecord) -> None:
        """A call was committed to the log: queue its event (one INSERT) and refresh the status."""
        try:
            self.outbox.put(CHANNEL, event_key(record), record.to_json())
        except Exception:  # a full disk must not stop the appliance; the call itself is logged
            log.exception("could not queue the call event for the fleet")
        if record.verdict.flagged:
            self._alarm = True
        self._changed()

    def listener(self, record: CallRecord, requested: object = None) -> None:
        """The appliance's per-call listener seam: the committed call, with its id."""
        self.on_call(record)

    def on_call_ended(self, record: CallRecord | None = None) -> None:
        self._alarm = False
        self._changed()

    def on_modem(self, state: str, detail: str = "") -> None:
        self._modem = (state, detail)
        self._changed()

    def _changed(self) -> None:
        self._status_dirty = True
        self._kick.set()

    def report(self, number: str, note: str = "") -> None:
        """Tell list publishers the family marked `number` as fraud (`callerid/<home>/report`)."""
        payload = {"number": number, "note": note, "time": _now_iso(), "home": self.home}
        self._client.publish(topics.report(self.home), dumps(payload), qos=1)

    # -- paho's thread ---------------------------------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("the broker %s refused this home: %s", self.cfg.broker, reason)
            return
        log.info("connected to the broker %s as %s", self.cfg.broker, self.home)
        subscriptions = [(topics.SHARED_LISTS, 1)]
        if self.cfg.commands:
            subscriptions.append((topics.command(self.home), 1))
        client.subscribe(subscriptions)
        self._announce = True
        self._connected.set()
        self._changed()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self._connected.is_set() and not self._stopping.is_set():
            log.warning("lost the broker %s (%s); call events wait in the outbox", self.cfg.broker, reason)
        self._connected.clear()
        self._subscribed.clear()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            if message.topic == topics.command(self.home):
                result = handle(message.payload, self._store, self._screening, self._actions)
                client.publish(topics.command_result(self.home), dumps(result), qos=1)
                if result.get("ok") and result.get("done") == ListKind.BLOCK:  # the family called it fraud
                    self.report(str(result["pattern"]), "blocked by the family")
                self._changed()
                return
            name = topics.list_name_of(message.topic)
            if name is None:
                return
            if not message.payload:  # the retained list was deleted on the broker: keep ours
                return
            outcome = self.lists.offer(message.payload, name, self._trusted, self.region)
            if outcome.applied:
                if self._actions.lists_changed is not None:
                    self._actions.lists_changed()
                self._changed()
        except Exception:  # one bad message must never stop the fleet link
            log.exception("could not handle the message on %s", message.topic)

    # -- the sender thread -----------------------------------------------------------------------

    def _send_loop(self) -> None:
        pruned_at = 0.0
        while not self._stopping.is_set():
            self._kick.wait(IDLE_WAKE_S)
            self._kick.clear()
            if self._stopping.is_set():
                break
            if self._modem_source is not None:
                modem = self._modem_source()
                if modem != self._modem:
                    self._modem = modem
                    self._status_dirty = True
            if not self._connected.wait(1.0):
                self._kick.set()  # come back when connected
                continue
            try:
                if self._announce:
                    self._announce = False
                    self._publish_discovery()
                    self._status_dirty = True
                if self._status_dirty:
                    self._status_dirty = False
                    self._publish_status()
                if not self._deliver():
                    self._kick.set()  # the connection failed mid-batch: try again once reconnected
                if time.monotonic() - pruned_at > 3600:
                    pruned_at = time.monotonic()
                    self.outbox.prune_sent(PRUNE_SENT_AFTER_S)
            except Exception:
                log.exception("fleet sender: retrying in a second")
                self._stopping.wait(1.0)
                self._kick.set()

    def _deliver(self) -> bool:
        """Publish due call events in order; True when the outbox is empty (or we are stopping)."""
        topic = topics.call(self.home)
        while not self._stopping.is_set():
            items = self.outbox.due(CHANNEL, limit=BATCH)
            if not items:
                return True
            sent: list[int] = []
            infos = [(item, self._client.publish(topic, dumps(item.payload), qos=1)) for item in items]
            for item, info in infos:
                if not self._wait(info, ACK_TIMEOUT_S):
                    break
                sent.append(item.id)
            self.outbox.mark_sent(sent)
            if len(sent) < len(items):
                return False
        return True

    def _wait(self, info: Any, timeout: float) -> bool:
        """Wait for the broker's acknowledgement while the connection lasts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if info.is_published():
                return True
            if info.rc not in _QUEUED or not self._connected.is_set():
                return False
            try:
                info.wait_for_publish(0.2)
            except (RuntimeError, ValueError):
                return False
        return info.is_published()

    def _publish_discovery(self) -> None:
        if not self.cfg.discovery:
            return
        for topic, config in discovery_messages(self.home, self.cfg.discovery_prefix):
            self._client.publish(topic, dumps(config), qos=1, retain=True)

    def _publish_status(self) -> None:
        self._client.publish(topics.status(self.home), dumps(self.status()), qos=1, retain=True)

    def status(self) -> dict[str, Any]:
        """The retained status object (what Home Assistant and `fleet web` show)."""
        last = self._store.last_call()
        try:
            flagged_today = self._store.counts(since=date.today().isoformat()).flagged
        except Exception:
            flagged_today = None
        state, detail = self._modem
        return {
            "state": "online",
            "home": self.home,
            "modem": state,
            "modem_detail": detail,
            "alarm": self._alarm,
            "flagged_today": flagged_today,
            "last_call": None if last is None else {
                "id": last.id,
                "time": last.received_at,
                "number": last.caller.number,
                "verdict": last.verdict.verdict,
                "flagged": last.verdict.flagged,
            },
            "shared_lists": {held.name: held.version for held in self.lists.held()},
            "pending_events": self.outbox.pending(CHANNEL),
            "version": __version__,
            "updated_at": _now_iso(),
        }


def _now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


__all__ = ["CHANNEL", "FleetHome", "event_key"]
