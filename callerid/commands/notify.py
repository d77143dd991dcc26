"""`callerid notify {test,status}`: send a test to every target, or show what is set and waiting.

The targets are the ones in force (the website's saved settings over `[notify]` in the config);
they are printed masked, never in full.
"""

from __future__ import annotations

import argparse

from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail, open_store_or_fail
from callerid.health.watch import active_faults
from callerid.notify.deliver import deliver
from callerid.notify.message import test_message
from callerid.notify.sender import CHANNEL
from callerid.notify.settings import NotifySettings, from_config, load, mask_url
from callerid.outbox import Outbox
from callerid.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("test", "status"),
                        help="test: send a test message to every target; status: targets and queue")
    parser.add_argument("--db", help="call database (default: from config)")


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args.config)
    store = open_store_or_fail(args.db or config.store.db, config.region)
    try:
        settings = load(from_config(config), store)
        if args.action == "status":
            return _status(store, settings)
        if not settings.urls:
            raise CommandError("no notification targets: set [notify] urls in the config or use the website")
        title, body = test_message(settings.language)
        failed = 0
        for url in settings.urls:
            result = deliver([url], title, body)
            print(f"{mask_url(url)}: {'delivered' if result.ok else 'NOT delivered'}")
            failed += not result.ok
        return 1 if failed else 0
    finally:
        store.close()


def _status(store: Store, settings: NotifySettings) -> int:
    print(f"targets: {', '.join(mask_url(u) for u in settings.urls) or 'none'}")
    print(f"verdicts: {', '.join(settings.verdicts)}")
    print(f"quiet hours: {settings.quiet_hours or 'none'}; digest: {settings.digest}; "
          f"health: {'on' if settings.health else 'off'}; language: {settings.language}")
    box = Outbox(store.path)
    try:
        print(f"waiting to be delivered: {box.pending(CHANNEL)}")
    finally:
        box.close()
    faults = active_faults(store)
    print(f"health: {', '.join(f['condition'] for f in faults) if faults else 'ok'}")
    return 0
