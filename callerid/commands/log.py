"""`callerid log [--json|--csv] [--db PATH] [--limit N] [--flagged]`: the call log, oldest to newest.

`--csv` writes what the website's /calls.csv does (newest first, for a spreadsheet): UTF-8 with a
BOM, numbers as text Excel keeps, labels formula-guarded, times on the household's clock.

Opens the database read-only, so it works for anyone who may read the file (even while the
appliance writes to it) and can never change the log.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from callerid import calls_csv, household
from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.model import Absence
from callerid.store import Store, StoreError
from callerid.terminal import json_line, table

if TYPE_CHECKING:
    from callerid.model import CallRecord
    from callerid.store import Store

#: Rows the table shows when no --limit is given (JSON gives everything).
TABLE_DEFAULT_LIMIT = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="one JSON object per call and line")
    formats.add_argument(
        "--csv", action="store_true", help="CSV for a spreadsheet, as the website's /calls.csv (UTF-8, BOM)"
    )
    parser.add_argument("--db", metavar="PATH", default=None, help="call log database (default: from config)")
    parser.add_argument(
        "--limit",
        metavar="N",
        type=int,
        default=None,
        help=f"only the newest N calls; 0 for all (default: {TABLE_DEFAULT_LIMIT} in the table, else all)",
    )
    parser.add_argument("--flagged", action="store_true", help="only calls the household was warned about")


def open_store(args: argparse.Namespace, *, readonly: bool) -> Store:
    """The store named by --db, else by the configuration; problems become one-line CommandErrors."""
    config = load_config_or_fail(args.config).with_db(args.db)
    try:
        return Store(config.store.db, region=config.region, readonly=readonly)
    except StoreError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 (all) or more")
    whole = args.json or args.csv
    limit = args.limit if args.limit is not None else (0 if whole else TABLE_DEFAULT_LIMIT)
    store = open_store(args, readonly=True)
    try:
        records = store.calls(flagged_only=args.flagged, limit=limit or None)
        if args.csv:
            return _write_csv(store, records, args)
        full_page = bool(limit) and len(records) == limit
        total = store.count_calls(flagged_only=args.flagged) if full_page else len(records)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    records.reverse()  # oldest first, newest at the bottom, like a log
    out = sys.stdout
    if args.json:
        for record in records:
            out.write(json_line(record.to_json()) + "\n")
        return 0
    if not records:
        print("no flagged calls logged" if args.flagged else "no calls logged yet", file=sys.stderr)
        return 0
    headers = ("id", "time", "number", "name", "verdict", "actions", "reviewed")
    out.write(table(headers, [_row(r) for r in records], limits=(8, 16, 20, 24, 16, 30, 8)) + "\n")
    if total > len(records):
        print(f"(the newest {len(records)} of {total} calls; --limit 0 shows all)", file=sys.stderr)
    return 0


def _write_csv(store: Store, records: list[CallRecord], args: argparse.Namespace) -> int:
    """The website's CSV, in the configured language, labelled from the family's lists."""
    config = load_config_or_fail(args.config)
    try:
        lists = store.family_lists(config.region)
    except ValueError:  # an unknown region: no labels, the log all the same
        lists = None
    text = calls_csv.to_csv(
        records, zone=household.zone(store, config.region), lists=lists, lang=config.language
    )
    sys.stdout.buffer.write(text.encode("utf-8-sig"))
    sys.stdout.buffer.flush()
    return 0


def _row(record: CallRecord) -> tuple[str, ...]:
    caller = record.caller
    if caller.number:
        number = caller.number
    elif caller.absence:
        number = f"{Absence.word_for(caller.absence)} ({caller.absence})"
    else:
        number = "-"
    return (
        str(record.id),
        _time(record.received_at),
        number,
        caller.name or "",
        record.verdict.verdict,
        ", ".join(record.actions) or "-",
        "yes" if record.reviewed else "",
    )


def _time(received_at: str) -> str:
    """The household's wall-clock time to the minute, as recorded."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(received_at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return received_at
