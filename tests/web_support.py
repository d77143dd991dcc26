"""Shared helpers for the website tests: a real Store file, real Config objects, realistic calls.

Not a test module itself (pytest collects only test_*.py); the test_web_*.py files import it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from werkzeug.security import generate_password_hash

from callerid.config import Config, StoreConfig, WebConfig
from callerid.model import CallerID, CallRecord, Reason, Verdict
from callerid.store import Store
from callerid.web import credentials

JST = timezone(timedelta(hours=9))
#: Headless Chromium flags for the browser tests and docs/make_screenshots.py: no sandbox (root in
#: containers), no GPU, and no background traffic of its own on a machine without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: An iPhone 12-14 sized window: the phone the family website is checked and photographed on.
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"
API_TOKEN = "tok_" + "x7Qm2p9LzR4vK8sN3wY6" * 2

#: Fields a caller (or a broken modem) can put on the line; each must come out escaped and inert.
HOSTILE_NAMES = {
    "html": '<script>alert("pwned")</script><img src=x onerror=alert(1)>',
    "attribute": '" autofocus onfocus="alert(1)" x="',
    "sql": "'); DROP TABLE calls; --",
    "control": "ESC\x1b[31mRED\x1b[0m BEL\x07 NUL\x00 CR\rLF\n",
    "bidi": "Bank\u202egnp.exe\u202c \u2066isolate\u2069 zero\u200bwidth",
    "long": "A" * 9990 + "<b>END</b>",
    "template": "{{ 7*7 }}{% raw %}",
}
HOSTILE_NUMBERS = {
    "html": "<svg onload=alert(1)>0312345678",
    "sql": "0312345678' OR '1'='1",
    "control": "03\x1b[2J1234\x005678",
    "long": "9" * 5000,
}


def make_config(tmp_path: Path, *, api_token: str | None = API_TOKEN, language: str = "en") -> Config:
    return Config(
        store=StoreConfig(db=str(tmp_path / "calls.db")),
        web=WebConfig(host="127.0.0.1", port=0, api_token=api_token, language=language),
    )


def verdict_for(
    number: str, code: str, action: str, reasons: tuple[Reason, ...] = (), risk: int = 0
) -> Verdict:
    return Verdict(
        input=number,
        number=number,
        e164=None,
        display=number,
        country="JP",
        verdict=code,
        risk=risk,
        action=action,
        reasons=reasons,
    )


def make_record(
    *,
    number: str | None = "0312345678",
    name: str | None = None,
    code: str = "ordinary",
    action: str = "none",
    actions: tuple[str, ...] = (),
    when: datetime | None = None,
    absence: str | None = None,
    reasons: tuple[Reason, ...] = (),
    reviewed: bool = False,
) -> CallRecord:
    when = when or datetime.now(JST)
    caller = CallerID(format="ntt", number=number, name=name, absence=absence, raw=b"\x90\x10")
    verdict = verdict_for(number or "", code, action, reasons, risk=90 if action == "block" else 0)
    return CallRecord(
        received_at=when.isoformat(), caller=caller, verdict=verdict, actions=actions, reviewed=reviewed
    )


POLICE_REASON = Reason(
    code="police-lookalike",
    detail="A foreign number made to end in 0110 like a police line.",
    detail_ja="警察の番号に見せかけた海外の番号です。",
)


def police_record(when: datetime | None = None) -> CallRecord:
    return make_record(
        number="+8613901100110",
        name="KEISATSU",
        code="police-lookalike",
        action="block",
        actions=("warn-household", "panel", "block"),
        when=when,
        reasons=(POLICE_REASON,),
    )


def open_store(config: Config) -> Store:
    return Store(config.store.db)


@functools.cache
def _password_hash() -> str:
    return generate_password_hash(PASSWORD, method=credentials.HASH_METHOD)


def give_password(store: Store) -> None:
    """What `credentials.set_password(store, PASSWORD)` stores, with the scrypt hash made once per run."""
    store.set_setting(credentials.PASSWORD_KEY, _password_hash())
    credentials.rotate_epoch(store)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def login(client, password: str = PASSWORD):  # noqa: ANN001, ANN201 - Flask test client
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"password": password, "csrf_token": token})


def page_csrf(client, path: str = "/") -> str:  # noqa: ANN001
    return csrf_from(client.get(path).get_data(as_text=True))


@contextmanager
def web_site(
    tmp_path: Path, *, logged_in: bool = False, now: Callable[[], datetime] | None = None
) -> Iterator[SimpleNamespace]:
    """The real app on a real Store file with the family password set (so no setup code is announced).

    Yields app, store, client (logged in when asked) and config; the Store is closed afterwards.
    """
    from callerid.web import create_app

    config = make_config(tmp_path)
    store = open_store(config)
    try:
        give_password(store)
        app = create_app(config, store, announce=lambda code: None, now=now)
        client = app.test_client()
        if logged_in:
            login(client)
        yield SimpleNamespace(app=app, store=store, client=client, config=config)
    finally:
        store.close()
