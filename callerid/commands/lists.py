"""`callerid list {allow,block} {add,remove,show,import,export} [NUMBER|FILE] [--label TEXT] [--db PATH]`.

The family's lists, as the appliance and the website see them (same database). Numbers are
stored normalised, so `03-1234-5678`, `0312345678` and `+81 3 1234 5678` are one entry; a
prefix ends in `*` (`03-3581-*`). CSV files have the columns kind,pattern,label (the website
reads and writes the same format); "-" means standard input or output.
"""

from __future__ import annotations

import argparse
import sys

from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.commands.log import open_store
from callerid.config import ConfigError, screen_config
from callerid.listcsv import read_csv, write_csv
from callerid.listguard import allow_conflict, split_allowed
from callerid.model import ListKind
from callerid.store import StoreError
from callerid.terminal import printable, table

ACTIONS = ("add", "remove", "show", "import", "export")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=tuple(ListKind), help="which list")
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument(
        "target",
        nargs="?",
        metavar="NUMBER|FILE",
        help="number or prefix (add, remove); CSV file (import, export)",
    )
    parser.add_argument("--label", default="", help="who this is, e.g. 'Dr Sato' (add)")
    parser.add_argument("--db", metavar="PATH", default=None, help="call log database (default: from config)")


def run(args: argparse.Namespace) -> int:
    if args.action in ("add", "remove", "import") and not args.target:
        what = "a CSV file (or - for standard input)" if args.action == "import" else "a number or prefix"
        raise CommandError(f"{args.action} needs {what}")
    store = open_store(args, readonly=args.action in ("show", "export"))
    try:
        return _ACTIONS[args.action](store, args)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()


def _screen(args: argparse.Namespace):  # noqa: ANN202 - a ScreenConfig
    try:
        return screen_config(load_config_or_fail(args.config))
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _add(store, args: argparse.Namespace) -> int:  # noqa: ANN001 - a Store
    try:
        if args.kind == ListKind.ALLOW:
            conflict = allow_conflict(store, _screen(args), args.target)
            if conflict is not None:
                raise CommandError(f"not added to the allow list: {conflict.en}")
        entry = store.add_list_entry(args.kind, args.target, args.label)
    except ValueError as exc:
        raise CommandError(f"cannot add {printable(args.target)[:40]}: {exc}") from None
    label = f" ({printable(entry.label)})" if entry.label else ""
    print(f"{args.kind} list: {entry.pattern}{label}")
    return 0


def _remove(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    if not store.remove_list_entry(args.kind, args.target):
        raise CommandError(f"{printable(args.target)[:40]} is not on the {args.kind} list")
    print(f"{args.kind} list: removed {printable(args.target)}")
    return 0


def _show(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    entries = store.list_entries(args.kind)
    if not entries:
        print(f"the {args.kind} list is empty", file=sys.stderr)
        return 0
    rows = [(e.pattern, e.label, (e.added_at or "")[:10]) for e in entries]
    print(table(("number", "label", "added"), rows, limits=(26, 40, 10)))
    return 0


def _import(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    entries, errors = read_csv(_read(args.target), store.region)
    if errors:  # all or nothing: a half-imported list is worse than none
        others = len(errors) - 1
        more = f" (and {others} more bad line{'s' if others > 1 else ''})" if others else ""
        raise CommandError(f"{args.target}: {errors[0]}{more}; nothing was imported")
    mine = [e for e in entries if e.kind == args.kind]
    others = len(entries) - len(mine)
    mine, refused = split_allowed(store, _screen(args), mine)
    if refused:  # all or nothing, as for bad lines
        entry, conflict = refused[0]
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        reason = conflict.en.rstrip(".")
        raise CommandError(f"{args.target}: {printable(entry.pattern)}: {reason}{more}; nothing was imported")
    try:
        count = store.add_list_entries(args.kind, mine)
    except ValueError as exc:
        raise CommandError(f"{args.target}: {exc}") from None
    print(f"{args.kind} list: imported {count} entr{'y' if count == 1 else 'ies'} from {args.target}")
    if others:
        other = ListKind.BLOCK if args.kind == ListKind.ALLOW else ListKind.ALLOW
        print(
            f"skipped {others} {other}-list entr{'y' if others == 1 else 'ies'}; "
            f"import them with: callerid list {other} import {args.target}",
            file=sys.stderr,
        )
    return 0


def _export(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    text = write_csv(store.list_entries(args.kind))
    if not args.target or args.target == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.target, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as exc:
        raise CommandError(f"cannot write {args.target}: {exc.strerror}") from None
    print(f"{args.kind} list: exported to {args.target}", file=sys.stderr)
    return 0


def _read(name: str) -> str:
    try:
        if name == "-":
            return sys.stdin.buffer.read().decode("utf-8-sig")
        with open(name, "rb") as file:
            return file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{name}: not UTF-8 text (save the CSV as UTF-8)") from None
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror}") from None


_ACTIONS = {"add": _add, "remove": _remove, "show": _show, "import": _import, "export": _export}
