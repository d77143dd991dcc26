"""End to end in a real headless Chromium: log in, see the flagged call, block it, find it on /lists.

The site runs under waitress in a thread; the browser is Debian's chromium driven by Playwright.
Any Content-Security-Policy violation or script error would show up as a console error and fail.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from web_support import CHROMIUM_ARGS, PASSWORD, PHONE, give_password, make_config, open_store, police_record

from callerid.web import start_in_thread

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture
def served(tmp_path):
    config = make_config(tmp_path)
    store = open_store(config)
    give_password(store)
    call_id = store.add_call(police_record())
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    yield server, store, call_id
    server.stop()
    store.close()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.timeout(90)
def test_log_in_see_the_flagged_call_block_it_and_find_it_on_lists(served, browser):
    server, store, call_id = served
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login"), "anonymous visitors land on the login form"
    page.fill("#password", "not the password")
    page.click("button[type=submit].primary")
    assert "Wrong password" in page.inner_text("main")
    assert problems == ["Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"]
    problems.clear()  # that 401 was the point; from here on the console must stay clean

    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(server.url + "/")
    card = page.locator(f'a.call[href="/calls/{call_id}"]').first
    assert card.is_visible()
    assert "Fake police number" in card.inner_text()
    # The warning is red: the stylesheet loaded under the strict CSP.
    badge_colour = card.locator(".badge").evaluate("e => getComputedStyle(e).backgroundColor")
    assert badge_colour == "rgb(179, 0, 27)"
    cookie = next(c for c in context.cookies() if c["name"] == "callerid_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"

    card.click()
    page.wait_for_url(f"{server.url}/calls/{call_id}")
    assert "A foreign number made to end in 0110" in page.inner_text("main")
    page.fill("#label", "fake police")
    page.click("button.danger")  # "Block this number"
    page.wait_for_url(f"{server.url}/calls/{call_id}")
    assert "This number is on the block list" in page.inner_text("main")

    page.click("nav.tabs >> text=Lists")
    page.wait_for_url(server.url + "/lists")
    block_list = page.locator("li.entry-block")
    assert block_list.count() == 1
    entry = block_list.first.inner_text()
    assert "8613901100110" in entry.replace(" ", "").replace("-", "") and "fake police" in entry
    assert [e.label for e in store.list_entries("block")] == ["fake police"]

    assert problems == [], f"console errors (CSP violations?): {problems}"
    context.close()


@pytest.mark.timeout(120)
def test_screenshot_script_makes_phone_and_desktop_pages(tmp_path):
    import importlib.util
    import struct

    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    script = Path(__file__).resolve().parent.parent / "docs" / "make_screenshots.py"
    spec = importlib.util.spec_from_file_location("make_screenshots", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.make_screenshots(tmp_path, langs=("en",), chromium=CHROMIUM)
    phone = ["today", "calls", "call", "history", "lists", "settings"]
    desktop = ["today-desktop", "history-desktop"]
    assert [p.name for p in written] == [f"{name}-en.png" for name in phone + desktop]
    for png in written:
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", header[16:24])
        expected = (1280, 800) if "desktop" in png.name else (780, 1688)  # the phone at device scale 2
        assert (width, height) == expected, png.name


@pytest.mark.timeout(90)
def test_no_page_scrolls_sideways_on_a_phone_even_with_a_hostile_caller(served, browser):
    """Every page fits 390 px: the list page's file picker and a 10k-character name once did not."""
    from web_support import HOSTILE_NAMES, HOSTILE_NUMBERS, make_record

    server, store, call_id = served
    hostile_id = store.add_call(make_record(number=HOSTILE_NUMBERS["long"], name=HOSTILE_NAMES["long"],
                                            code="invalid", action="warn", actions=("panel",)))
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-US")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(server.url + "/")
    for path in ("/", "/calls", f"/calls/{call_id}", f"/calls/{hostile_id}", "/lists", "/status",
                 "/history", "/settings", "/calls?since=2026-01-01&until=2026-12-31"):
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px phone"
    context.close()


@pytest.mark.timeout(120)
def test_a_daughters_visit_review_history_export_and_a_new_password(tmp_path, browser):
    """Hanako checks her parents' calls on her phone, in Japanese, the way the issue tells it."""
    from dataclasses import replace

    from web_support import JST, make_record

    from callerid.web import credentials

    config = make_config(tmp_path, language="ja")
    store = open_store(config)
    give_password(store)
    now = datetime.now(JST)
    son = make_record(number="+12125550143", code="international", action="warn",
                      actions=("warn-household", "panel"), when=now - timedelta(minutes=50))
    son_id = store.add_call(replace(son, verdict=replace(son.verdict, e164="+12125550143")))
    police_id = store.add_call(police_record(now - timedelta(minutes=30)))
    for minutes in (200, 150, 100, 20, 10, 5):
        store.add_call(make_record(number=f"0612345{minutes:03d}", when=now - timedelta(minutes=minutes)))
    store.add_call(make_record(number="0335814321", name="=HYPERLINK(\"x\")", when=now - timedelta(days=3)))
    store.add_list_entry("allow", "+1 212 555 0143", "息子 太郎 (NY)")  # added after he called
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="ja-JP", accept_downloads=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(server.url + "/login")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(server.url + "/")

        # The flagged call shows the family's name for the number, under "needs a look".
        needs = page.locator("ul.calls").first
        son_card = needs.locator(f'a.call[href="/calls/{son_id}"]')
        assert son_card.is_visible() and "息子 太郎 (NY)" in son_card.inner_text()
        assert "宅内で音声警告" in son_card.inner_text() and "未確認" in son_card.inner_text()
        assert needs.locator(f'a.call[href="/calls/{police_id}"]').is_visible()
        # Compact: an ordinary call is two short lines; the day's 8 calls once took 2,833 px.
        heights = page.eval_on_selector_all("a.call", "els => els.map(e => e.getBoundingClientRect().height)")
        assert len(heights) == 8 and sorted(heights)[5] <= 90 and max(heights) <= 180, heights
        page_height = page.evaluate("document.documentElement.scrollHeight")
        assert page_height < 1900, page_height

        page.click("#mark-all-reviewed")
        page.wait_for_url(server.url + "/")
        assert "確認が必要な着信はありません" in page.inner_text("main")
        assert store.get_call(son_id).reviewed and store.get_call(police_id).reviewed

        page.click("nav.tabs >> text=履歴")
        page.wait_for_url(server.url + "/history")
        chart = page.locator("#chart-days svg")
        assert chart.is_visible() and chart.bounding_box()["width"] <= PHONE["width"]
        assert page.locator("#chart-days rect").count() >= 3  # today's blocked, warned and ordinary parts
        assert page.locator(".sr-only table").first.locator("tbody tr").count() == 30

        page.goto(server.url + "/calls?flagged=0")
        with page.expect_download() as download_info:
            page.click("#download-csv")
        body = Path(download_info.value.path()).read_bytes()
        assert body.startswith(b"\xef\xbb\xbf")
        lines = body.decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + 9
        assert any('\t0335814321' in line and "'=HYPERLINK" in line for line in lines)
        assert any("息子 太郎 (NY)" in line for line in lines)

        new_password = "ハナコの新しいパスワード 2026"
        page.click("nav.tabs >> text=設定")
        page.wait_for_url(server.url + "/settings")
        page.fill("#current", PASSWORD)
        page.fill("#new-password", new_password)
        page.fill("#confirm", new_password)
        page.click("#change-password")
        page.wait_for_url(server.url + "/settings")
        assert "パスワードを変更しました" in page.inner_text("main")

        page.click("footer >> text=ログアウト")
        page.wait_for_url(server.url + "/login")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        assert "パスワードが違います" in page.inner_text("main")
        problems.clear()  # that 401 was the point
        page.fill("#password", new_password)
        page.click("button[type=submit].primary")
        page.wait_for_url(server.url + "/")
        assert credentials.check_password(store, new_password)
        assert problems == [], f"console errors (CSP violations?): {problems}"
    finally:
        context.close()
        server.stop()
        store.close()
