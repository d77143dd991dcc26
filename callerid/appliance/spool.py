"""Held calls kept off the full disk: one file each in a RAM folder, written to the log at start.

Why: a call the disk refuses is held in memory and retried (held.py), but a kill -9 or a watchdog
restart while the disk is still full used to lose it. Each held call is also written, as the log's
own row in JSON, to a folder on tmpfs: systemd's RuntimeDirectory (/run/callerid) under the unit,
else /dev/shm. tmpfs outlives the process (not a reboot) and does not fill with the log's disk. The
next start writes what it finds to the log and removes the files. One folder per database, so two
appliances on one machine (tests) never take each other's calls.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import replace
from pathlib import Path

from callerid.model import Action, CallRecord
from callerid.store.rows import call_row, record_from_row, vocabulary

log = logging.getLogger("callerid.appliance")

#: systemd's variable for the unit's RuntimeDirectory= (a colon-separated list when several).
RUNTIME_DIRECTORY = "RUNTIME_DIRECTORY"
SHARED_MEMORY = Path("/dev/shm")


def default_folder(db_path: str | Path) -> Path | None:
    """The spool folder for this database: in the unit's runtime directory, else in /dev/shm."""
    runtime = os.environ.get(RUNTIME_DIRECTORY, "").split(":")[0]
    if runtime:
        root = Path(runtime)
    elif SHARED_MEMORY.is_dir():
        root = SHARED_MEMORY / f"callerid-{os.getuid()}"
    else:
        return None
    digest = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:16]
    return root / f"held-{digest}"


class HeldSpool:
    """Files for held calls; every failure is a warning, never an exception (the call goes on)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._warned = False

    def put(self, record: CallRecord, requested: frozenset[Action]) -> None:
        if self.folder is None:
            return
        row = call_row(record)
        row["raw"] = row["raw"].hex()
        body = {"key": record.key, "requested": sorted(str(a) for a in requested), "row": row}
        path = self._path(record.key)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            if not self._warned:
                log.warning("could not keep held calls in %s as well (%s): a kill now would lose them",
                            self.folder, exc.strerror or exc)
                self._warned = True

    def drop(self, key: str) -> None:
        if self.folder is not None:
            with contextlib.suppress(OSError):
                self._path(key).unlink(missing_ok=True)

    def load(self) -> list[tuple[CallRecord, frozenset[Action]]]:
        """The calls a previous run held and never wrote, oldest first; unreadable files are set
        aside as `.bad` with a warning."""
        if self.folder is None or not self.folder.is_dir():
            return []
        found: list[tuple[CallRecord, frozenset[Action]]] = []
        for path in self.folder.glob("*.json"):
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
                row = dict(body["row"], raw=bytes.fromhex(body["row"]["raw"]), id=0)
                record = replace(record_from_row(row), id=None, key=str(body["key"]))
                requested = frozenset(vocabulary(Action, a) for a in body["requested"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("a held call in %s could not be read (%s); set aside", path, exc)
                with contextlib.suppress(OSError):
                    path.rename(path.with_suffix(".bad"))
                continue
            found.append((record, requested))
        return sorted(found, key=lambda item: item[0].received_at)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
