"""The website's secrets, kept in the Store's settings table so they survive restarts.

- the family password, only as a werkzeug scrypt hash;
- a one-time setup code (only its hash is stored) that lets the first visitor set the
  password when none exists: there is never a default password;
- the random key that signs session cookies;
- a session "epoch": every session carries it, and changing the password or pressing
  "log out on every device" replaces it, which ends every existing session at once.

`callerid passwd` and the website may run in different processes, so nothing here is
cached: each check reads the Store.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from callerid.store import Store

PASSWORD_KEY = "web.password_hash"
SETUP_CODE_KEY = "web.setup_code_hash"
SECRET_KEY_KEY = "web.secret_key"
EPOCH_KEY = "web.session_epoch"

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing megabytes of "password" would be a cheap denial of service

#: Setup codes avoid look-alike characters (0/O, 1/I/L) because they are read off a terminal.
_SETUP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_SETUP_LENGTH = 10  # 31**10 ≈ 8e14 codes; with 5 tries a minute, unguessable

#: scrypt is werkzeug's default and memory-hard; on a Pi Zero 2 W one check takes about a second.
HASH_METHOD = "scrypt"


class PasswordProblem(ValueError):
    """A new password that cannot be accepted; `.key` names the message, `.values` fills it in."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def validate_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordProblem("password_too_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise PasswordProblem("password_too_long", max=MAX_PASSWORD)


def has_password(store: Store) -> bool:
    return bool(store.get_setting(PASSWORD_KEY))


def set_password(store: Store, password: str) -> None:
    """Hash and keep a new password; the setup code dies and every existing session ends."""
    validate_new_password(password)
    store.set_setting(PASSWORD_KEY, generate_password_hash(password, method=HASH_METHOD))
    store.set_setting(SETUP_CODE_KEY, None)
    rotate_epoch(store)


def check_password(store: Store, password: str) -> bool:
    stored = store.get_setting(PASSWORD_KEY)
    if not stored or not password or len(password) > MAX_PASSWORD:
        return False
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):  # a damaged hash in the database refuses, it never crashes
        return False


def normalise_setup_code(code: str) -> str:
    """The code as it was made: full-width (ＰＣＫＸＸ－Ｖ８ＷＸＳ), lowercase, spaces and dashes all fine."""
    folded = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def new_setup_code(store: Store) -> str:
    """Make a fresh one-time setup code, keep only its hash, and return it to be printed."""
    raw = "".join(secrets.choice(_SETUP_ALPHABET) for _ in range(_SETUP_LENGTH))
    store.set_setting(SETUP_CODE_KEY, generate_password_hash(raw, method=HASH_METHOD))
    return f"{raw[:5]}-{raw[5:]}"


def check_setup_code(store: Store, code: str) -> bool:
    stored = store.get_setting(SETUP_CODE_KEY)
    cleaned = normalise_setup_code(code or "")
    if not stored or not cleaned or len(cleaned) > 64:
        return False
    try:
        return check_password_hash(stored, cleaned)
    except (ValueError, TypeError):
        return False


def secret_key(store: Store) -> str:
    """The cookie-signing key: random on first use, then the same for every process and restart."""
    key = store.init_setting(SECRET_KEY_KEY, secrets.token_hex(32))  # atomic: two processes agree
    if len(key) < 32:  # damaged or hand-edited: replace it
        key = secrets.token_hex(32)
        store.set_setting(SECRET_KEY_KEY, key)
    return key


def session_epoch(store: Store) -> str:
    return store.get_setting(EPOCH_KEY) or store.init_setting(EPOCH_KEY, secrets.token_hex(16))


def rotate_epoch(store: Store) -> str:
    epoch = secrets.token_hex(16)
    store.set_setting(EPOCH_KEY, epoch)
    return epoch
