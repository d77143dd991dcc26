"""Following every home: call events and status from the broker, for `fleet watch` and `fleet web`.

`FleetFeed` subscribes to `callerid/+/call` and `callerid/+/status` and keeps, per home, the
latest status and the most recent flagged calls, deduplicated by call id (delivery is at least
once). Payloads come from the homes, so everything is checked and bounded before it is kept.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from callerid.fleet import topics
from callerid.fleet.link import loads
from callerid.fleet.publisher import BrokerSession
from callerid.model import Absence, Action, Advice
from callerid.screen.engine import ADVICE_BY_VERDICT
from callerid.terminal import printable

if TYPE_CHECKING:
    from callerid.fleet.config import Broker, FleetConfig

#: Verdicts whose calls the fleet page lists as flagged (the engine advises warn or block).
FLAGGED_VERDICTS = frozenset(code for code, advice in ADVICE_BY_VERDICT.items()
                             if advice in (Advice.WARN, Advice.BLOCK))
MAX_HOMES = 100_000
MAX_PAYLOAD = 64 * 1024  # a status or call event is a few hundred bytes


class FleetFeed:
    """Every home's status and recent flagged calls, kept up to date from the broker."""

    def __init__(self, cfg: FleetConfig, broker: Broker, *, client_id: str = "callerid-watch",
                 on_call: Callable[[str, dict[str, Any]], None] | None = None, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._on_call = on_call
        self._keep = keep
        self.status: dict[str, dict[str, Any]] = {}
        self.flagged: dict[str, deque[dict[str, Any]]] = {}
        self._seen: dict[str, deque[Any]] = {}
        self.session = BrokerSession(
            cfg, broker, client_id, subscriptions=[(topics.ALL_CALLS, 1), (topics.ALL_STATUS, 1)],
            on_message=self._on_message,
        )

    def close(self) -> None:
        self.session.close()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        home = topics.home_of(message.topic)
        if len(message.payload) > MAX_PAYLOAD:
            return
        payload = loads(message.payload)
        if home is None or not isinstance(payload, dict):
            return
        kind = message.topic.rsplit("/", 1)[-1]
        with self._lock:
            if home not in self.status and len(self.status) >= MAX_HOMES:
                return
            if kind == "status":
                self.status[home] = payload
                return
            if kind != "call":
                return
            seen = self._seen.setdefault(home, deque(maxlen=200))
            call_id = payload.get("id")
            if call_id is not None and call_id in seen:
                return  # a redelivery (at least once)
            seen.append(call_id)
            if payload.get("verdict") in FLAGGED_VERDICTS or Action.BLOCK in (payload.get("actions") or []):
                self.flagged.setdefault(home, deque(maxlen=self._keep)).appendleft(payload)
            self.status.setdefault(home, {})
        if self._on_call is not None:
            self._on_call(home, payload)

    def snapshot(self) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
        """(home, status, recent flagged calls newest first) for every home, sorted by home id."""
        with self._lock:
            return [(h, dict(self.status.get(h, {})), list(self.flagged.get(h, ())))
                    for h in sorted(self.status)]


def call_line(home: str, event: dict[str, Any]) -> str:
    """One terminal line for a call event: time, home, number, verdict, actions."""
    number = event.get("number") or Absence.word_for(str(event.get("absence")))
    actions = ",".join(str(a) for a in event.get("actions") or []) or "-"
    return " ".join(printable(str(part))[:40] for part in (
        event.get("time", "?"), home, number, event.get("verdict", "?"), actions))


def watch(cfg: FleetConfig, broker: Broker, *, as_json: bool, count: int | None, out: IO[str],
          subscribed: threading.Event | None = None) -> None:
    """Print every call as it happens until `count` calls or Ctrl-C; `subscribed` is set once listening."""
    import json

    lines: queue.Queue[str] = queue.Queue()

    def on_call(home: str, event: dict[str, Any]) -> None:
        text = json.dumps({"home": home, **event}, ensure_ascii=False) if as_json else call_line(home, event)
        lines.put(text)

    feed = FleetFeed(cfg, broker, client_id=f"callerid-watch-{id(lines) % 10**8}", on_call=on_call)
    if subscribed is not None:
        subscribed.set()
    printed = 0
    try:
        while count is None or printed < count:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            print(line, file=out, flush=True)
            printed += 1
    finally:
        feed.close()


__all__ = ["FleetFeed", "call_line", "watch"]
