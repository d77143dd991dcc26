"""`callerid bench web`: page weight and server time (first byte) of the family website's pages.

A real Store file is filled with 10,000 calls over the last year (a mix of ordinary, warned,
blocked and fake-police calls from a few hundred numbers, 30 of them on the family's lists), the
real app is served by waitress on 127.0.0.1, and a logged-in client asks for each page in turn
over HTTP. Time to first byte is measured from sending the request to the response's status line
(what the server spends: the Store queries, the history's grouping, the templates); weight is the
HTML as sent (no compression), plus the one stylesheet every page uses. Goal: under 100 ms
server time for `/` and `/history` on the development machine.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from callerid.config import Config, StoreConfig, WebConfig
from callerid.model import (
    Absence,
    Action,
    Advice,
    CallerID,
    CallRecord,
    ListKind,
    Reason,
    ReasonCode,
    Verdict,
    VerdictCode,
)
from callerid.store import Store
from callerid.store.rows import INSERT_CALL, call_row
from callerid.web import create_app, credentials, start_in_thread

PAGES = ("/", "/history", "/calls", "/calls?q=0335814321", "/calls.csv")
GOAL_MS = 100.0
PASSWORD = "bench password 2026"


def _records(count: int, now: datetime) -> tuple[list[CallRecord], list[str]]:
    """`count` calls spread over a year, oldest first (the order they would have been logged),
    and the pool of ordinary numbers they came from."""
    rng = random.Random(16)
    pool = [f"0{rng.choice('3456789')}{rng.randrange(10**8):08d}" for _ in range(300)]
    fake = "+8613901100110"
    police = Reason(ReasonCode.POLICE_ENDING, "A foreign number ending in 0110.", "警察を装った番号です。")
    blocked = (Action.WARN_HOUSEHOLD, Action.PANEL, Action.BLOCK)
    warned = (Action.WARN_HOUSEHOLD, Action.PANEL)
    out = []
    for i in range(count):
        when = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        roll = rng.random()
        if roll < 0.05:  # fake police from abroad: blocked
            number, e164, code, advice = fake, fake, VerdictCode.POLICE_LOOKALIKE, Advice.BLOCK
            reasons, actions = (police,), blocked
        elif roll < 0.12:  # withheld: warned
            number, e164, code, advice = None, None, VerdictCode.WITHHELD, Advice.WARN
            reasons, actions = (), warned
        else:
            number = rng.choice(pool)
            e164, code, advice = "+81" + number[1:], VerdictCode.ORDINARY, Advice.NONE
            reasons, actions = (), ()
        absence = None if number else Absence.WITHHELD
        caller = CallerID("ntt", number, None, absence, None, None, None, True, b"")
        verdict = Verdict(number or absence, number or "", e164, number or "非通知", "JP", code,
                          90 if advice == Advice.BLOCK else 0, advice, reasons)
        out.append((when, CallRecord(when.isoformat(), caller, verdict, actions, reviewed=i % 7 != 0)))
    out.sort(key=lambda pair: pair[0])
    return [record for _when, record in out], pool


class _Client:
    """A logged-in HTTP/1.1 client on one keep-alive connection, as a phone's browser would be."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[float, float, bytes, int]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        first = time.perf_counter()
        data = response.read()
        done = time.perf_counter()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return (first - start) * 1000, (done - start) * 1000, data, response.status

    def login(self) -> None:
        _t, _d, page, _s = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"csrf_token": token, "password": PASSWORD})
        _t, _d, _p, status = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"bench login failed with HTTP {status}")


def run(args: argparse.Namespace) -> int:
    quick = getattr(args, "quick", False)
    count = 1_000 if quick else 10_000
    repeats = 5 if quick else 30
    now = datetime.now().astimezone()
    with tempfile.TemporaryDirectory(prefix="callerid-bench-web-") as tmp:
        db = Path(tmp) / "calls.db"
        records, pool = _records(count, now)
        with Store(db, durable=False) as store:
            with store._write() as conn:  # bulk fill in one transaction
                conn.executemany(INSERT_CALL, [call_row(r) for r in records])
            for index, number in enumerate(pool[:30]):
                kind = ListKind.ALLOW if index % 3 else ListKind.BLOCK
                store.add_list_entry(kind, number, f"家族のメモ {index}")
            credentials.set_password(store, PASSWORD)
        config = Config(store=StoreConfig(db=str(db)), web=WebConfig(host="127.0.0.1", port=0, language="ja"))
        store = Store(db)
        server = start_in_thread(config, store, host="127.0.0.1", port=0,
                                 app=create_app(config, store, announce=lambda code: None))
        try:
            client = _Client("127.0.0.1", server.port)
            client.login()
            _t, _d, css, _s = client.request("GET", "/static/style.css")
            print(f"website with {count:,} calls in the log ({store.info()['bytes'] / 2**20:.1f} MB), "
                  f"{repeats} requests a page over HTTP keep-alive, logged in:")
            print(f"  {'page':24s} {'first byte p50':>14s} {'p95':>8s} {'complete p50':>13s} {'HTML':>10s}")
            worst = 0.0
            for path in PAGES:
                client.request("GET", path)  # warm: templates compiled, pages of the file cached
                firsts, totals, size = [], [], 0
                for _ in range(repeats):
                    first, total, body, status = client.request("GET", path)
                    if status != 200:
                        raise RuntimeError(f"{path}: HTTP {status}")
                    firsts.append(first)
                    totals.append(total)
                    size = len(body)
                p50, p95 = statistics.median(firsts), sorted(firsts)[int(0.95 * (len(firsts) - 1))]
                if path in ("/", "/history"):
                    worst = max(worst, p50)
                print(f"  {path:24s} {p50:11.1f} ms {p95:5.1f} ms {statistics.median(totals):10.1f} ms "
                      f"{size / 1024:7.1f} KiB")
            print(f"  stylesheet (every page, cached by the browser): {len(css) / 1024:.1f} KiB")
            verdict = "met" if worst < GOAL_MS else "NOT met"
            print(f"  goal: / and /history under {GOAL_MS:.0f} ms to first byte: {verdict} "
                  f"(worst p50 {worst:.1f} ms)")
        finally:
            server.stop()
            store.close()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="1,000 calls and fewer requests (a smoke run)")


if __name__ == "__main__":  # pragma: no cover
    p = argparse.ArgumentParser(description=__doc__)
    add_arguments(p)
    raise SystemExit(run(p.parse_args()))
