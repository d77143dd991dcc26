"""The signed, versioned shared list: its JSON document, reading it from CSV, and checking it.

`{"name", "version", "published_at", "entries": [{"number", "verdict", "label"}], "key",
"signature"}` on the retained topic `callerid/shared/list/<name>`. A home takes a list only
when a key it trusts signed it and the version is newer than the one it holds; everything else
is refused with a reason (`ListRefused`) that the home logs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from callerid.fleet import signing
from callerid.fleet.topics import check_id
from callerid.model import Advice
from callerid.screen.shared import SHARED_VERDICTS, SharedEntry, shared_entry

MAX_ENTRIES = 50_000
MAX_BYTES = 8 * 2**20
MAX_LABEL = 100


class ListRefused(ValueError):
    """A shared list this home will not apply; the message says why, in one line."""


@dataclass(frozen=True)
class SharedList:
    """A checked list: who signed it, which version, its entries (normalised for this home)."""

    name: str
    version: int
    signed_by: str
    published_at: str
    entries: tuple[SharedEntry, ...]
    skipped: int = 0  # entries this home could not read (a number its region cannot normalise)


def read_csv(text: str, region: str) -> list[dict[str, str]]:
    """Entries from CSV `number,verdict,label` (header and verdict optional; verdict defaults to block).

    ValueError names the first bad line.
    """
    entries: list[dict[str, str]] = []
    reader = csv.reader(io.StringIO((text or "").lstrip("\ufeff")))
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            if not cells or not any(cells) or cells[0].startswith("#") or cells[0].lower() == "number":
                continue
            if len(cells) > 3:
                raise ValueError(
                    f"line {reader.line_num}: {len(cells)} columns; expected number,verdict,label"
                )
            number = cells[0]
            verdict = (cells[1] if len(cells) > 1 and cells[1] else Advice.BLOCK).lower()
            label = cells[2][:MAX_LABEL] if len(cells) > 2 else ""
            try:
                entry = shared_entry("csv", number, verdict, label, region)
            except ValueError as exc:
                raise ValueError(f"line {reader.line_num}: {exc}") from None
            entries.append({"number": entry.pattern, "verdict": entry.verdict, "label": entry.label})
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    if len(entries) > MAX_ENTRIES:
        raise ValueError(f"{len(entries)} entries; a shared list holds at most {MAX_ENTRIES}")
    return entries


def build(name: str, version: int, entries: Iterable[dict[str, str]], signing_key: Any,
          published_at: str | None = None) -> dict[str, Any]:
    """The signed document for `entries` (already normalised, e.g. by `read_csv`)."""
    check_id(name, "list name")
    document = {
        "name": name,
        "version": int(version),
        "published_at": published_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": [dict(e) if isinstance(e, dict) else e for e in entries],
    }
    return signing.sign(document, signing_key)


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(payload: bytes) -> dict[str, Any]:
    """The JSON object in `payload` (ListRefused if it is not one)."""
    if len(payload) > MAX_BYTES:
        raise ListRefused(f"{len(payload)} bytes is larger than a shared list may be")
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ListRefused(f"not JSON: {str(exc)[:80]}") from None
    if not isinstance(document, dict):
        raise ListRefused("not a JSON object")
    return document


def check(payload: bytes, topic_name: str, trusted: Iterable[bytes], region: str) -> SharedList:
    """The list in `payload` if a trusted key signed it for this topic; else ListRefused.

    The version comparison with what the home holds is the caller's (it owns the storage).
    """
    document = decode(payload)
    try:
        signed_by = signing.verify(document, trusted)
    except signing.SignatureRefused as exc:
        raise ListRefused(str(exc)) from None
    name, version, raw = document.get("name"), document.get("version"), document.get("entries")
    if name != topic_name:
        raise ListRefused(f"names itself {str(name)[:40]!r} but came on the topic of {topic_name!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ListRefused(f"version must be a positive whole number, not {str(version)[:20]!r}")
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise ListRefused(f"entries must be a list of at most {MAX_ENTRIES} items")
    entries: list[SharedEntry] = []
    skipped = 0
    for item in raw:
        if not isinstance(item, dict):
            skipped += 1
            continue
        verdict = item.get("verdict", Advice.BLOCK)
        label = item.get("label", "")
        try:
            if not isinstance(item.get("number"), str) or not isinstance(label, str):
                raise ValueError("number and label must be text")
            if verdict not in SHARED_VERDICTS:
                raise ValueError(f"unknown verdict {str(verdict)[:20]!r}")
            entries.append(shared_entry(name, item["number"], verdict, label[:MAX_LABEL], region))
        except ValueError:
            skipped += 1
    published = document.get("published_at")
    return SharedList(
        name=name,
        version=version,
        signed_by=signed_by,
        published_at=published if isinstance(published, str) else "",
        entries=tuple(entries),
        skipped=skipped,
    )


__all__ = ["MAX_ENTRIES", "ListRefused", "SharedList", "build", "check", "decode", "encode", "read_csv"]
