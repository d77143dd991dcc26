"""Publishing a shared list: read the version the broker holds, sign the next one, retain it.

The current version is read from the broker's retained copy: subscribe, then publish a QoS 1
probe; Mosquitto sends retained messages right after the SUBACK and the probe's PUBACK after
them on the same connection, so once the probe is acknowledged the retained list (if any) has
arrived. No guessing with sleeps.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from callerid.fleet import sharedlist, topics
from callerid.fleet.link import connect, loads, make_client

if TYPE_CHECKING:
    from callerid.fleet.config import Broker, FleetConfig


class PublishError(RuntimeError):
    """The broker could not be reached, refused us, or did not acknowledge in time."""


class BrokerSession:
    """A short-lived connection for a command: connect, do a few things, disconnect."""

    def __init__(self, cfg: FleetConfig, broker: Broker, client_id: str, timeout: float = 10.0, *,
                 subscriptions: list[tuple[str, int]] | None = None, on_message: Any = None) -> None:
        self.timeout = timeout
        self.subscriptions = subscriptions or []
        self.broker = broker
        self.client = make_client(cfg, client_id, broker=broker)
        self.client.suppress_exceptions = True
        self._ready = threading.Event()
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self._refused: str | None = None
        self._unreachable = False
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        if on_message is not None:
            self.client.on_message = on_message
        connect(self.client, cfg, broker)
        self.client.loop_start()
        if not self._ready.wait(timeout):
            self.close()
            raise PublishError(f"no answer from the broker {broker.url} within {timeout:g} s")
        if self._unreachable:
            self.close()
            raise PublishError(f"nothing answers at {broker.url} (is the broker running, the address right?)")
        if self._refused:
            self.close()
            raise PublishError(f"the broker {broker.url} refused the connection: {self._refused}")
        if self.subscriptions and not self._subscribed.wait(timeout):
            self.close()
            raise PublishError(f"the broker {broker.url} did not confirm the subscriptions")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
        elif self.subscriptions:  # again after every reconnect: the session is not kept
            client.subscribe(self.subscriptions)
        self._ready.set()

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        if not self._ready.is_set():  # the first attempt: a command should say so at once
            self._unreachable = True
            self._ready.set()

    def wait(self, info: Any, what: str) -> None:
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise PublishError(f"{what}: {exc}") from None
        if not info.is_published():
            raise PublishError(f"{what}: the broker did not acknowledge within {self.timeout:g} s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def current_version(session: BrokerSession, name: str) -> int:
    """The version of the retained list `name` on the broker (0 if none)."""
    found: list[int] = []
    subscribed = threading.Event()
    topic = topics.shared_list(name)

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        document = loads(message.payload) if message.topic == topic else None
        if isinstance(document, dict) and isinstance(document.get("version"), int):
            found.append(int(document["version"]))

    session.client.on_message = on_message
    session.client.on_subscribe = lambda *args: subscribed.set()
    session.client.subscribe(topic, qos=1)
    if not subscribed.wait(session.timeout):
        raise PublishError("the broker did not confirm the subscription")
    probe = session.client.publish(f"{topics.PREFIX}/{topics.SHARED}/probe", b"", qos=1)
    session.wait(probe, "reading the current version")
    session.client.unsubscribe(topic)
    return max(found, default=0)


def publish_list(cfg: FleetConfig, broker: Broker, name: str, entries: list[dict[str, str]],
                 signing_key: Any, *, version: int | None = None, timeout: float = 10.0) -> int:
    """Sign `entries` as the next version of list `name` and publish it retained; the version."""
    session = BrokerSession(cfg, broker, f"callerid-publisher-{name}-{int(time.time() * 1000) % 10**8}",
                            timeout)
    try:
        held = current_version(session, name)
        if version is None:
            version = held + 1
        elif version <= held:
            raise PublishError(f"version {version} is not newer than the published version {held}")
        document = sharedlist.build(name, version, entries, signing_key)
        payload = sharedlist.encode(document)
        info = session.client.publish(topics.shared_list(name), payload, qos=1, retain=True)
        session.wait(info, "publishing the list")
    finally:
        session.close()
    return version


__all__ = ["BrokerSession", "PublishError", "current_version", "publish_list"]
