"""Commands a family sends to a home over the broker, run through the website's own list edits.

`{"block": NUMBER, "label": ...}`, `{"allow": NUMBER, "label": ...}`, `{"acknowledge": true}` and
`{"block_last": true}` (Home Assistant's button); an optional `"id"` is echoed in the result so
the sender can match it. A list edit is exactly what the website's form does (`listcsv` checks
the number, the Store keeps it, the entry leaves the other list), so the same police rules and
limits apply wherever an edit comes from. Every command gets one result object, never an
exception: a stranger's malformed message must not stop the home's fleet link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from callerid import listcsv
from callerid.fleet.link import loads
from callerid.listguard import allow_conflict
from callerid.model import ListKind
from callerid.text import clean_text

if TYPE_CHECKING:
    from callerid.screen.engine import ScreenConfig
    from callerid.store import Store

log = logging.getLogger("callerid.fleet.commands")

MAX_COMMAND_BYTES = 4096


@dataclass
class HomeActions:
    """What a command may ask of the running appliance (each optional: None means not available)."""

    acknowledge: Callable[[], None] | None = None
    block_last: Callable[[], None] | None = None
    lists_changed: Callable[[], None] | None = None


def handle(
    payload: bytes, store: Store, screening: ScreenConfig, actions: HomeActions
) -> dict[str, Any]:
    """Run one command message; the result object to publish on `.../command/result`."""
    if len(payload) > MAX_COMMAND_BYTES:
        return {"ok": False, "error": "command too long"}
    command = loads(payload)
    if not isinstance(command, dict):
        return {"ok": False, "error": "a command is a JSON object"}
    result = _run(command, store, screening, actions)
    request_id = command.get("id")
    if isinstance(request_id, str | int) and not isinstance(request_id, bool):
        result["id"] = request_id if isinstance(request_id, int) else clean_text(request_id)[:64]
    log.info("fleet command %s: %s", _what(command), "done" if result["ok"] else result["error"])
    return result


def _what(command: dict[str, Any]) -> str:
    for name in (*ListKind, "acknowledge", "block_last"):
        if name in command:
            return name
    return "unknown"


def _run(
    command: dict[str, Any], store: Store, screening: ScreenConfig, actions: HomeActions
) -> dict[str, Any]:
    kinds = [kind for kind in ListKind if kind in command]
    if len(kinds) > 1:
        return {"ok": False, "error": "one of block or allow per command"}
    if kinds:
        return _list_edit(kinds[0], command, store, screening, actions)
    if command.get("acknowledge") is True:
        return _call(actions.acknowledge, "acknowledge")
    if command.get("block_last") is True:
        return _call(actions.block_last, "block_last")
    return {"ok": False, "error": "unknown command; expected block, allow, acknowledge or block_last"}


def _call(action: Callable[[], None] | None, name: str) -> dict[str, Any]:
    if action is None:
        return {"ok": False, "error": f"{name} is not available on this home"}
    action()
    return {"ok": True, "done": name}


def _list_edit(kind: ListKind, command: dict[str, Any], store: Store, screening: ScreenConfig,
               actions: HomeActions) -> dict[str, Any]:
    number, label = command.get(kind), command.get("label", "")
    if not isinstance(number, str) or not isinstance(label, str):
        return {"ok": False, "error": f"{kind} needs a number as text, and label must be text"}
    try:
        pattern = listcsv.clean_pattern(number, store.region)
        conflict = allow_conflict(store, screening, pattern) if kind == ListKind.ALLOW else None
        if conflict is not None:  # the allow list's door, as for the website, the API and the CLI
            return {"ok": False, "error": f"not trusted: {conflict.text('en')}"}
        entry = store.add_list_entry(kind, pattern, listcsv.clean_label(label))
    except ValueError as exc:
        return {"ok": False, "error": f"bad number: {clean_text(str(exc))[:160]}"}
    store.remove_list_entry(ListKind.BLOCK if kind == ListKind.ALLOW else ListKind.ALLOW, pattern)
    if actions.lists_changed is not None:
        actions.lists_changed()
    return {"ok": True, "done": kind, "pattern": entry.pattern}


__all__ = ["HomeActions", "handle"]
