"""Helpers that several commands share: configuration and the call database, with one-line errors."""

from __future__ import annotations

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


def open_store_or_fail(db: str, region: str) -> Store:
    """Open the call database read-write, turning any problem into a one-line CommandError naming it."""
    try:
        return Store(db, region=region)
    except (OSError, ValueError, StoreError) as exc:
        raise CommandError(f"cannot open the call database {db}: {exc}") from None
