#!/usr/bin/env python3
"""Make the screenshots of the family website in docs/screenshots/: phone and desktop, ja and en.

    .venv/bin/python docs/make_screenshots.py [--out docs/screenshots] [--lang ja --lang en]

A day of realistic calls (and a few months of older ones, for the history) is screened by the
real engine and policy, logged in a temporary Store, served by the real app under waitress, and
photographed by Debian's headless Chromium after logging in: every page at 390x844 (an iPhone
12-14 sized window), and Today and History at 1280x800 (`*-desktop-<lang>.png`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # web_support: the browser settings the tests use too

from web_support import CHROMIUM_ARGS, PHONE  # noqa: E402

from callerid.config import Config, StoreConfig, WebConfig  # noqa: E402
from callerid.model import CallerID, CallRecord, ListEntry  # noqa: E402

PASSWORD = "screenshot password"
DESKTOP = {"width": 1280, "height": 800}
#: (file name, path) photographed on the phone, then on the desktop.
PHONE_SHOTS = (
    ("today", "/"),
    ("calls", "/calls"),
    ("call", "/calls/{police_call}"),
    ("history", "/history"),
    ("lists", "/lists"),
    ("settings", "/settings"),
)
DESKTOP_SHOTS = (("today", "/"), ("history", "/history"))
JST = timezone(timedelta(hours=9))

#: (minutes before "now", displayed number or absence code, name, reviewed)
DEMO_CALLS = [
    (60 * 26, "0663334444", None, False),
    (60 * 25, "09012345678", None, False),
    (60 * 23, "0120991234", None, True),
    (60 * 6 + 40, "0337654321", None, False),  # the family doctor, on the allow list
    (60 * 5 + 10, "0312345678", None, False),
    (60 * 4 + 2, "P", None, False),  # withheld
    (60 * 3 + 15, "0335814321", None, False),  # the real Tokyo police HQ number: may be spoofed
    (60 * 2 + 48, "+8613901100110", None, False),  # fake police from abroad: blocked
    (60 + 31, "09087654321", None, False),
    (25, "+12025550143", "WIRELESS CALLER", False),
    (12, "09087654321", None, False),  # Hanako, on the allow list
]
#: Older calls for the history: (days ago, hour, number). A few a day, a fake police call now and then.
HISTORY_CALLS = [
    (days, 9 + (days * 7) % 10, number)
    for days in range(1, 200)
    for number in (("0663334444", "09087654321") if days % 3 else ("0337654321",))
] + [(days, 11, "+8613901100110") for days in (3, 17, 40, 41, 95, 150)] + [
    (days, 16, "01209912" + f"{days % 100:02d}") for days in range(2, 120, 9)
]
DEMO_LISTS = [
    ListEntry("allow", "03-3765-4321", "山田クリニック (Dr Yamada)"),
    ListEntry("allow", "090-8765-4321", "娘 花子 (Hanako)"),
    ListEntry("block", "0120-99-*", "投資の勧誘 (sales calls)"),
]


def build_demo_store(db_path: Path, now: datetime):  # noqa: ANN201 - returns a Store
    """A Store holding a realistic day, every call screened by the real engine and policy."""
    from callerid.policy import Policy
    from callerid.screen.engine import ScreenConfig, screen
    from callerid.store import Store
    from callerid.web import credentials

    store = Store(db_path)
    for entry in DEMO_LISTS:
        store.add_list_entry(entry.kind, entry.pattern, entry.label)
    lists = store.family_lists("JP")
    config = ScreenConfig()
    policy = Policy.from_config(Config())
    # Older calls first: the log lists calls in the order they were logged.
    for days, hour, shown in sorted(HISTORY_CALLS, key=lambda c: (-c[0], c[1])):
        when = (now - timedelta(days=days)).replace(hour=hour, minute=(days * 13) % 60)
        caller = CallerID(format="ntt", number=shown, date=when.strftime("%m%d"), time=when.strftime("%H%M"))
        verdict = screen(caller, lists, config)
        actions = tuple(sorted(policy.actions_for(verdict)))
        record = CallRecord(received_at=when.isoformat(), caller=caller, verdict=verdict, actions=actions)
        store.mark_reviewed(store.add_call(record))
    for minutes, shown, name, reviewed in DEMO_CALLS:
        when = now - timedelta(minutes=minutes)
        absent = shown in ("P", "O", "C", "S")
        caller = CallerID(
            format="ntt",
            number=None if absent else shown,
            name=name,
            absence=shown if absent else None,
            date=when.strftime("%m%d"),
            time=when.strftime("%H%M"),
            checksum_ok=True,
        )
        verdict = screen(caller, lists, config)
        actions = tuple(sorted(policy.actions_for(verdict)))
        record = CallRecord(received_at=when.isoformat(), caller=caller, verdict=verdict, actions=actions)
        call_id = store.add_call(record)
        if reviewed:
            store.mark_reviewed(call_id)
    credentials.set_password(store, PASSWORD)
    return store


def make_screenshots(
    out_dir: Path,
    *,
    langs: tuple[str, ...] = ("ja", "en"),
    now: datetime | None = None,
    chromium: str = "/usr/bin/chromium",
) -> list[Path]:
    """Write the phone shots (`today-<lang>.png`, ...) and the desktop ones; return their paths."""
    from playwright.sync_api import sync_playwright

    from callerid.web import create_app, start_in_thread

    now = now or datetime(2026, 11, 25, 14, 30, tzinfo=JST)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            store=StoreConfig(db=str(Path(tmp) / "calls.db")),
            web=WebConfig(host="127.0.0.1", port=0, language="auto"),
        )
        store = build_demo_store(Path(config.store.db), now)
        police_call = next(r.id for r in store.calls(flagged_only=True, limit=50) if "block" in r.actions)
        app = create_app(config, store, now=lambda: now, announce=lambda code: None)
        server = start_in_thread(config, store, host="127.0.0.1", port=0, app=app)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for lang in langs:
                    for size, viewport, scale, shots in (
                        ("", PHONE, 2, PHONE_SHOTS),
                        ("-desktop", DESKTOP, 1, DESKTOP_SHOTS),
                    ):
                        context = browser.new_context(
                            viewport=viewport,
                            device_scale_factor=scale,
                            locale="ja-JP" if lang == "ja" else "en-US",
                            extra_http_headers={"Accept-Language": lang},
                        )
                        page = context.new_page()
                        page.goto(server.url + "/login")
                        page.fill("#password", PASSWORD)
                        page.click("button[type=submit].primary")
                        page.wait_for_url(server.url + "/")
                        for name, path in shots:
                            page.goto(server.url + path.format(police_call=police_call))
                            target = out_dir / f"{name}{size}-{lang}.png"
                            page.screenshot(path=str(target))
                            written.append(target)
                        context.close()
                browser.close()
        finally:
            server.stop()
            store.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", action="append", choices=("ja", "en"), help="default: both")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    for path in make_screenshots(args.out, langs=tuple(args.lang or ("ja", "en")), chromium=args.chromium):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
