"""`callerid fleet {keygen,publish-list,watch,web}`: many homes on one MQTT broker.

keygen makes a list publisher's ed25519 key; publish-list signs a CSV as the next version of a
shared list and leaves it retained on the broker; watch prints every home's calls as they
happen; web serves a read-only page of every home's status and recent flagged calls. Login
and TLS come from `[fleet]` in the configuration; `--broker` overrides the address.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from callerid.cli import CommandError, add_common_options
from callerid.commands._common import load_config_or_fail, open_store_or_fail
from callerid.fleet.config import Broker, parse_broker
from callerid.fleet.publisher import PublishError, publish_list
from callerid.fleet.sharedlist import read_csv
from callerid.fleet.signing import generate_key, load_signing_key
from callerid.fleet.topics import check_id
from callerid.fleet.watch import watch

if TYPE_CHECKING:
    from callerid.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND", required=True)
    keygen = sub.add_parser("keygen", help="make a list publisher's signing key")
    keygen.add_argument("--out", required=True, metavar="KEY", help="private key file to write (KEY.pub too)")

    publish = sub.add_parser("publish-list", help="sign and publish the next version of a shared list")
    publish.add_argument("file", metavar="FILE.csv", help="CSV number,verdict,label ('-' for standard input)")
    publish.add_argument("--name", required=True, help="the list's name, e.g. 'tokyo-police-scams'")
    publish.add_argument("--key", required=True, metavar="KEY", help="private key from `fleet keygen`")
    publish.add_argument("--version", type=int, default=None, help="version number (default: the next one)")

    watch = sub.add_parser("watch", help="every home's calls as they happen")
    watch.add_argument("--json", action="store_true", help="one call event JSON object a line")
    watch.add_argument("--count", type=int, default=None, help="stop after this many calls")

    web = sub.add_parser("web", help="a read-only page of every home's status and flagged calls")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int, default=8090, help="TCP port (default 8090)")
    web.add_argument("--db", default=None, metavar="PATH", help="database for the page's password")
    web.add_argument("--create", action="store_true", help="make the database when it does not exist yet")

    for child in (publish, watch, web):
        child.add_argument("--broker", metavar="URL", help="mqtt[s]://host:port (default: [fleet])")
    for child in (keygen, publish, watch, web):
        add_common_options(child)


def run(args: argparse.Namespace) -> int:
    handlers = {"keygen": _keygen, "publish-list": _publish, "watch": _watch, "web": _web}
    return handlers[args.fleet_command](args)


def _broker(args: argparse.Namespace, config: Config) -> Broker:
    url = args.broker or config.fleet.broker
    if not url:
        raise CommandError("no broker: give --broker mqtt://host:port or set [fleet] broker")
    try:
        return parse_broker(url)
    except ValueError as exc:
        raise CommandError(f"--broker: {exc}") from None


def _keygen(args: argparse.Namespace) -> int:
    try:
        public = generate_key(args.out)
    except FileExistsError:
        raise CommandError(f"{args.out} exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise CommandError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(public)
    print(f"callerid fleet keygen: private key in {args.out} (keep it secret); public key in {args.out}.pub; "
          "add the public key to each home's [fleet] trusted_keys", file=sys.stderr)
    return 0


def _publish(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args.config)
    broker = _broker(args, config)
    try:
        name = check_id(args.name, "list name")
        key = load_signing_key(args.key)
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
        entries = read_csv(text, config.region)
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file} is not UTF-8 text") from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.version is not None and args.version < 1:
        raise CommandError("--version must be 1 or more")
    try:
        version = publish_list(config.fleet, broker, name, entries, key, version=args.version)
    except PublishError as exc:
        raise CommandError(str(exc)) from None
    print(f"published shared list {name} version {version}: {len(entries)} entries on {broker.url}")
    return 0


def _watch(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args.config)
    broker = _broker(args, config)
    if args.count is not None and args.count < 1:
        raise CommandError("--count must be 1 or more")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        watch(config.fleet, broker, as_json=args.json, count=args.count, out=sys.stdout)
    except PublishError as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:
        pass
    return 0


def _web(args: argparse.Namespace) -> int:
    from callerid.fleet.webpage import serve_fleet_page

    config = load_config_or_fail(args.config)
    broker = _broker(args, config)
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be 0..65535, not {args.port}")
    store = open_store_or_fail(args.db or config.store.db, config.region, create=args.create)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve_fleet_page(config, store, broker, host=args.host, port=args.port)
    except PublishError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
