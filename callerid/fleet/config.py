"""`[fleet]` in the configuration: which broker, which home, whose shared lists to trust.

Off unless `broker` is set. `mqtts://` uses TLS with the system's CA store, or `ca_file` when a
family or town runs its own CA; a home logs in with `username`/`password` or a client
certificate (`cert_file` + `key_file`). Checked completely at start-up like the rest of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from callerid.fleet.signing import parse_public_key
from callerid.fleet.topics import check_id

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class Broker:
    """Where the broker is: `mqtt://host:1883` or `mqtts://host:8883` taken apart."""

    host: str
    port: int
    tls: bool

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker(url: str) -> Broker:
    """A Broker from `mqtt://host[:port]` or `mqtts://host[:port]`; ValueError says what is wrong."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a broker address: {text[:60]!r} ({exc})") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"must start with mqtt:// or mqtts://, not {text[:60]!r}")
    if not parts.hostname:
        raise ValueError(f"no host name in {text[:60]!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(
            f"{text[:60]!r}: only mqtt[s]://host:port; put credentials in username/password"
        )
    return Broker(parts.hostname, port or DEFAULT_PORTS[parts.scheme], parts.scheme == "mqtts")


@dataclass(frozen=True)
class FleetConfig:
    enabled: bool = True
    broker: str | None = None
    home: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    trusted_keys: tuple[str, ...] = ()
    keepalive: int = 60
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    commands: bool = True

    @property
    def active(self) -> bool:
        """True when this home should connect (a broker and a home id are set, and not disabled)."""
        return self.enabled and self.broker is not None and self.home is not None

    @property
    def address(self) -> Broker:
        return parse_broker(self.broker or "")

    def trusted_key_bytes(self) -> tuple[bytes, ...]:
        return tuple(parse_public_key(k) for k in self.trusted_keys)


Fail = Callable[[str, str], Exception]
_PATHS = ("ca_file", "cert_file", "key_file")


def fleet_config(table: Any, base: Path | None, fail: Fail) -> FleetConfig:
    """FleetConfig from the `[fleet]` table; `fail(key, problem)` builds the one-line error."""
    if not isinstance(table, Mapping):
        raise fail("fleet", "must be a table ([fleet])")
    known = {f: None for f in FleetConfig.__dataclass_fields__}
    values: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"fleet.{key}"
        if key not in known:
            import difflib

            hint = difflib.get_close_matches(str(key), list(known), n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise fail(dotted, f"unknown key{did}")
        try:
            values[key] = _check(key, value, base)
        except ValueError as exc:
            raise fail(dotted, str(exc)) from None
    cfg = FleetConfig(**values)
    if cfg.broker is not None and cfg.home is None:
        raise fail("fleet.home", "is required with fleet.broker (this home's id on the broker)")
    if cfg.broker is not None and not cfg.address.tls:
        for key in _PATHS:
            if getattr(cfg, key):
                raise fail(f"fleet.{key}", "needs TLS: use an mqtts:// broker address")
    if bool(cfg.cert_file) != bool(cfg.key_file):
        raise fail("fleet.cert_file", "a client certificate needs both cert_file and key_file")
    if cfg.password is not None and cfg.username is None:
        raise fail("fleet.password", "is set without fleet.username")
    return cfg


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or any(ord(c) < 32 for c in value):
        raise ValueError(f"must be a non-empty one-line string, not {str(value)[:40]!r}")
    return value.strip()


def _check(key: str, value: Any, base: Path | None) -> Any:
    if key in ("enabled", "discovery", "commands"):
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value
    if key == "broker":
        return parse_broker(_text(value)).url
    if key == "home":
        return check_id(_text(value), "home id")
    if key == "discovery_prefix":
        text = _text(value)
        if any(c in text for c in "+#") or text.startswith("/") or text.endswith("/"):
            raise ValueError(f"must be a plain topic prefix such as 'homeassistant', not {text[:40]!r}")
        return text
    if key == "keepalive":
        if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 3600:
            raise ValueError(f"must be a whole number of seconds from 5 to 3600, not {value!r}")
        return value
    if key == "trusted_keys":
        if not isinstance(value, list):
            raise ValueError("must be a list of public keys, e.g. [\"Q2FsbGVy...\"]")
        keys = tuple(_text(k) for k in value)
        for k in keys:
            parse_public_key(k)
        return keys
    if key in _PATHS:
        path = Path(_text(value)).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise ValueError(f"file not found: {path}")
        return str(path)
    return _text(value)  # username, password


__all__ = ["Broker", "FleetConfig", "fleet_config", "parse_broker"]
