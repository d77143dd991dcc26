"""`callerid web [--host H] [--port N] [--db PATH] [--create]`: the family review site on its own.

The appliance serves the same site in-process when `[web] enabled = true`; this
command is for running it separately (or on another machine reading a copied database).
"""

from __future__ import annotations

import argparse
import errno
import signal

from callerid.cli import CommandError
from callerid.commands._common import add_create_option, load_config_or_fail, open_store_or_fail
from callerid.web import recovery, start_in_thread


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default from config: 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default from config: 8080)")
    parser.add_argument("--db", default=None, metavar="PATH", help="call database (default from config)")
    add_create_option(parser)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args.config)
    host = args.host if args.host is not None else config.web.host
    port = args.port if args.port is not None else config.web.port
    if not 0 <= port <= 65535:
        raise CommandError(f"--port must be 0..65535, not {port}")

    db = args.db or config.store.db
    store = open_store_or_fail(db, config.region, create=args.create)
    try:
        try:
            # binds before the setup code; a reset file on the SD card's boot partition clears the password
            server = start_in_thread(config, store, host=host, port=port, boot_dir=recovery.BOOT_DIR)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(f"port {port} is already in use (is the appliance serving it?)") from None
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        print(f"callerid web: serving {db} on http://{host}:{server.port}/ (Ctrl-C stops)", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)  # systemd's stop: the same clean shutdown as Ctrl-C
        try:
            server.thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    finally:
        store.close()
    return 0
