"""`callerid passwd [--db PATH] [--create]`: set the family website password, read from stdin.

On a terminal it asks twice without echo; from a pipe it reads the first line
(`echo 'long secret' | callerid passwd`). Setting a password ends every logged-in
session and retires the one-time setup code.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from callerid.cli import CommandError
from callerid.commands._common import add_create_option, load_config_or_fail, open_store_or_fail
from callerid.store import StoreError
from callerid.web import credentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH", help="call database (default from config)")
    add_create_option(parser)


def _read_password() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("New website password: ")
        if getpass.getpass("Again: ") != first:
            raise CommandError("the two passwords are not the same; nothing changed")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _check(password: str) -> None:
    try:
        credentials.validate_new_password(password)
    except credentials.PasswordProblem as problem:
        if problem.key == "password_too_short":
            raise CommandError(f"the password needs at least {credentials.MIN_PASSWORD} characters") from None
        raise CommandError(f"the password may have at most {credentials.MAX_PASSWORD} characters") from None


def run(args: argparse.Namespace) -> int:
    config = load_config_or_fail(args.config)
    db = args.db or config.store.db
    store = open_store_or_fail(db, config.region, create=args.create)  # a typo is refused before asking
    try:
        password = _read_password()
        _check(password)
        credentials.set_password(store, password)
    except StoreError as exc:  # e.g. the disk filled up between opening and writing
        raise CommandError(f"the password was not set: {exc}") from None
    finally:
        store.close()
    print(f"website password set in {db}; everyone must log in again")
    return 0
