"""`callerid run`: the appliance on real hardware, until SIGTERM or SIGINT (what systemd starts)."""

from __future__ import annotations

import argparse
import logging
import signal

from callerid import journal, sdnotify
from callerid.appliance import build_runtime
from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.config import ConfigError
from callerid.modem.probe import impossible_port
from callerid.store import StoreError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", help="modem serial port (default: from config, 'auto' discovers)")
    parser.add_argument("--db", help="call log database (default: from config)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the family website in-process")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")


def run(args: argparse.Namespace) -> int:
    journal.configure(logging.DEBUG if args.verbose else logging.INFO)

    config = load_config_or_fail(args.config)
    refusal = impossible_port(args.port or config.modem.port)
    if refusal is not None:  # waiting for it would say "ready" forever and screen nothing
        raise CommandError(refusal)
    try:
        runtime = build_runtime(
            config, port=args.port, db_path=args.db, web=False if args.no_web else None,
            password_reset=True,
        )
    except (StoreError, ConfigError) as exc:  # e.g. an unreadable police CSV named in the config
        raise CommandError(str(exc)) from None
    appliance = runtime.appliance

    def on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("callerid").info("received %s, shutting down", signal.Signals(signum).name)
        sdnotify.stopping()
        appliance.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    appliance.start()
    sdnotify.ready()
    logging.getLogger("callerid").info("ready: screening calls, log in %s", args.db or config.store.db)
    try:
        appliance.run()
    finally:
        runtime.close()
    return 0
