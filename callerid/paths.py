"""Where the appliance keeps its files by default (systemd's directories, the system folders, or per user).

Split from callerid.config, which re-exports these, so the settings module stays one concern: the
TOML schema and its checks.
"""

from __future__ import annotations

import os
from pathlib import Path


def _first_dir(env_name: str) -> Path | None:
    # systemd may pass several folders separated by colons; the first is ours.
    value = os.environ.get(env_name, "").split(":")[0].strip()
    return Path(value) if value else None


def default_db_path() -> str:
    """`$STATE_DIRECTORY/calls.db`, else `/var/lib/callerid/calls.db` if that folder exists, else per user.

    /var/lib/callerid is chosen whenever the installer created it, even if this user cannot write
    there: `callerid log` then reads the appliance's log (and `list add` says it lacks permission),
    instead of silently using an empty private file the appliance never sees.
    """
    state = _first_dir("STATE_DIRECTORY")
    if state is not None:
        return str(state / "calls.db")
    system = Path("/var/lib/callerid")
    if system.is_dir():
        return str(system / "calls.db")
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "callerid" / "calls.db")


def default_cache_dir() -> str:
    """Where pre-rendered warnings go: `$CACHE_DIRECTORY/speech`, /var/cache/callerid/speech, or per user."""
    cache = _first_dir("CACHE_DIRECTORY")
    if cache is not None:
        return str(cache / "speech")
    system = Path("/var/cache/callerid")
    if system.is_dir() and os.access(system, os.W_OK):
        return str(system / "speech")
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache_home) / "callerid" / "speech")


__all__ = ["default_cache_dir", "default_db_path"]
