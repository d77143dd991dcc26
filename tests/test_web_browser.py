"""End to end in a real headless Chromium: log in, see the flagged call, block it, find it on /lists.

The site runs under waitress in a thread; the browser is Debian's chromium driven by Playwright.
Any Content-Security-Policy violation or script error would show up as a console error and fail.
"""

from __future__ import annotations

import shutil
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
def test_screenshot_script_makes_phone_sized_pages(tmp_path):
    import importlib.util
    import struct

    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    script = Path(__file__).resolve().parent.parent / "docs" / "make_screenshots.py"
    spec = importlib.util.spec_from_file_location("make_screenshots", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.make_screenshots(tmp_path, langs=("en",), chromium=CHROMIUM)
    assert [p.name for p in written] == ["today-en.png", "calls-en.png", "call-en.png", "lists-en.png"]
    for png in written:
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", header[16:24])
        assert (width, height) == (780, 1688), png.name  # 390x844 at device scale 2


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
    for path in ("/", "/calls", f"/calls/{call_id}", f"/calls/{hostile_id}", "/lists", "/status"):
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px phone"
    context.close()
