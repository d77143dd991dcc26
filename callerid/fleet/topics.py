"""The fleet's MQTT topics (stable: DESIGN.md, docs/fleet.md) and the ids that may appear in them.

A home id or list name becomes one topic level, so it must not contain `/`, `+`, `#` or
anything a broker ACL pattern (`%u`) could not name; the same rule keeps them safe as Home
Assistant node ids.
"""

from __future__ import annotations

import re

PREFIX = "callerid"
SHARED = "shared"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

#: Every home's call events, status and reports (for `fleet watch`, `fleet web`, a list publisher).
ALL_CALLS = f"{PREFIX}/+/call"
ALL_STATUS = f"{PREFIX}/+/status"
ALL_REPORTS = f"{PREFIX}/+/report"
#: Every shared list (retained: a home that connects gets the current version of each at once).
SHARED_LISTS = f"{PREFIX}/{SHARED}/list/+"


def check_id(value: str, what: str = "home id") -> str:
    """`value` if it is a usable id (letters, digits, `_`, `-`; at most 64), else ValueError."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{what} must be 1-64 letters, digits, '_' or '-', not {str(value)[:40]!r}")
    if what == "home id" and value == SHARED:
        raise ValueError(f"{SHARED!r} is reserved for shared lists and cannot be a home id")
    return value


def call(home: str) -> str:
    return f"{PREFIX}/{home}/call"


def status(home: str) -> str:
    return f"{PREFIX}/{home}/status"


def command(home: str) -> str:
    return f"{PREFIX}/{home}/command"


def command_result(home: str) -> str:
    return f"{PREFIX}/{home}/command/result"


def report(home: str) -> str:
    return f"{PREFIX}/{home}/report"


def shared_list(name: str) -> str:
    return f"{PREFIX}/{SHARED}/list/{name}"


def home_of(topic: str) -> str | None:
    """The home id in `callerid/<home>/...`, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[0] == PREFIX and parts[1] != SHARED and _ID.fullmatch(parts[1]):
        return parts[1]
    return None


def list_name_of(topic: str) -> str | None:
    """The list name in `callerid/shared/list/<name>`, or None."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[:3] == [PREFIX, SHARED, "list"] and _ID.fullmatch(parts[3]):
        return parts[3]
    return None
