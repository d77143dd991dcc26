"""The call page's recording in a real headless Chromium: the <audio> element loads the FLAC under
the site's strict CSP (no JavaScript on the page; Playwright only reads the element's state)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from web_support import CHROMIUM_ARGS, PASSWORD, PHONE, give_password, make_config, make_record, open_store

from callerid.model import Action
from callerid.recording.storage import RecordingStorage, recordings_folder
from callerid.web import start_in_thread

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="Debian chromium is not installed (apt-get install chromium)"),
]


@pytest.mark.timeout(90)
def test_the_browser_plays_the_recording_on_the_call_page(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    config = make_config(tmp_path)
    store = open_store(config)
    give_password(store)
    call_id = store.add_call(make_record(number=None, absence="P", code="withheld", action="warn",
                                         actions=(Action.RECORD,)))
    rng = np.random.default_rng(3)
    raw = np.clip(np.round(rng.normal(0, 0.08, 8000 * 5) * 128 + 128), 0, 255).astype(np.uint8).tobytes()
    RecordingStorage(store, recordings_folder(config, str(store.path))).save(
        call_id, raw, encoding="u8", rate=8000, ended_by="busy")
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-US")
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            page.goto(server.url + "/login")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_url(server.url + "/")
            page.goto(f"{server.url}/calls/{call_id}")
            audio = page.locator("section.recording audio")
            assert audio.is_visible()
            page.wait_for_function("document.querySelector('section.recording audio').readyState >= 1",
                                   timeout=20000)
            duration = audio.evaluate("a => a.duration")
            assert abs(duration - 5.0) < 0.05, duration  # Chromium decoded the FLAC's length
            assert audio.evaluate("a => a.error") is None
            link = page.locator("section.recording a[download]")
            assert link.get_attribute("href") == f"/calls/{call_id}/recording.flac?download=1"
            assert "caller was told" in page.inner_text("section.recording")
            assert problems == [], f"console errors (CSP violations?): {problems}"
            context.close()
            browser.close()
    finally:
        server.stop()
        store.close()
