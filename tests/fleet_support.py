"""Helpers for the fleet tests: a real Mosquitto per test, a subscriber that records messages."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from callerid.fleet.mosquitto import LocalMosquitto, mosquitto_binary

needs_mosquitto = pytest.mark.skipif(mosquitto_binary() is None, reason="mosquitto is not installed")


@contextmanager
def broker(folder: Path, **options: Any) -> Iterator[LocalMosquitto]:
    mosquitto = LocalMosquitto(folder, **options).start()
    try:
        yield mosquitto
    finally:
        mosquitto.stop()


class Recorder:
    """A plain paho client that subscribes and keeps every message (topic, payload, retained)."""

    def __init__(self, port: int, *topics: str, username: str | None = None, password: str | None = None,
                 tls: dict[str, Any] | None = None, client_id: str = "") -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if username:
            self.client.username_pw_set(username, password)
        if tls:
            self.client.tls_set(**tls)
        subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: subscribed.set()
        connected = threading.Event()
        self.client.on_connect = lambda c, u, f, reason, p: None if reason.is_failure else connected.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert connected.wait(5), "the recorder could not connect"
        if topics:
            self.client.subscribe([(t, 1) for t in topics])
            assert subscribed.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._cond:
            self.messages.append((message.topic, message.payload, bool(message.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str, bytes, bool], bool], timeout: float = 5.0
                 ) -> tuple[str, bytes, bool] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self.messages:
                    if predicate(*message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def json_on(self, topic: str, timeout: float = 5.0) -> dict[str, Any] | None:
        found = self.wait_for(lambda t, p, r: t == topic, timeout)
        return None if found is None else json.loads(found[1])

    def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, data, qos=1, retain=retain)
        info.wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return predicate()
