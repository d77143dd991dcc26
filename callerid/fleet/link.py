"""One paho-mqtt client configured from `[fleet]`: address, TLS, login, last will, reconnects.

paho-mqtt because it is the Eclipse project's reference client: MQTT 3.1.1 and 5, TLS, last
will, QoS 1 in-flight tracking and automatic reconnects, packaged for Debian and pure Python
(nothing to compile on a Pi). Every fleet part (the home, the publisher, watch, the fleet page,
the bench) builds its client here so they all speak to the broker the same way.
"""

from __future__ import annotations

import json
import logging
import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from callerid.fleet.config import Broker, FleetConfig

log = logging.getLogger("callerid.fleet")

#: Seconds between reconnect attempts: from 1 s, doubling, at most 30 s.
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30


def make_client(
    cfg: FleetConfig,
    client_id: str,
    *,
    broker: Broker | None = None,
    will: tuple[str, dict[str, Any]] | None = None,
    clean_session: bool = True,
) -> mqtt.Client:
    """A paho client for `cfg` (or `broker` instead of cfg.broker), not yet connected.

    `will` is (topic, JSON object) published retained with QoS 1 when the connection dies.
    """
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
    )
    address = broker or cfg.address
    if cfg.username:
        client.username_pw_set(cfg.username, cfg.password)
    if address.tls:
        client.tls_set(
            ca_certs=cfg.ca_file,  # None: the system's CA store
            certfile=cfg.cert_file,
            keyfile=cfg.key_file,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    if will is not None:
        client.will_set(will[0], dumps(will[1]), qos=1, retain=True)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def connect(client: mqtt.Client, cfg: FleetConfig, broker: Broker | None = None) -> None:
    """Start connecting in the background (the loop thread retries until the broker answers)."""
    address = broker or cfg.address
    client.connect_async(address.host, address.port, keepalive=cfg.keepalive)


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(payload: bytes) -> Any:
    """The JSON in a message, or None when it is not JSON (never raises)."""
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


__all__ = ["connect", "dumps", "loads", "make_client"]
