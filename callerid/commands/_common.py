"""Helpers that several commands share: configuration and the call database, with one-line errors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from callerid.cli import CommandError
from callerid.config import ConfigError, load_config
from callerid.store import Store, StoreError

if TYPE_CHECKING:
    from callerid.config import Config
    from callerid.store import Store


def load_config_or_fail(path: str | None) -> Config:
    """Load the TOML configuration, turning any problem into a one-line CommandError."""
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot read configuration {path}: {exc.strerror}") from None


def add_create_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--create", action="store_true", help="make a new, empty call database if there is none at the path"
    )


def open_store_or_fail(db: str, region: str, *, create: bool = False) -> Store:
    """Open the call database read-write, turning any problem into a one-line CommandError naming it.

    Without `create`, a path with no database is refused: `--db calsl.db` must not quietly make an
    empty log, set a password in it and report success while the appliance uses the real one.
    """
    if not create and not Path(db).expanduser().exists():
        raise CommandError(
            f"there is no call database at {db} (a typo in --db or the configuration?); "
            "pass --create to make a new one"
        )
    try:
        return Store(db, region=region)
    except (OSError, ValueError, StoreError) as exc:
        raise CommandError(f"cannot open the call database {db}: {exc}") from None
