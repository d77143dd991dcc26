"""The notification settings page and the health banner on the real app over a real Store file."""

from __future__ import annotations

import json
import logging

import pytest
from notify_helpers import Hook
from web_support import page_csrf, web_site

from callerid.notify.settings import from_config, load

SECRET = "tk_Zq8SECRETtoken9981"
PAGES = ["/", "/calls", "/lists", "/status", "/settings/notify"]


def _set_faults(store, *codes: str) -> None:  # noqa: ANN001
    store.set_setting("health.active", json.dumps(
        [{"condition": c, "since": "2026-11-30T09:00:00+09:00", "detail": "x"} for c in codes]))


def _lang(client, lang: str) -> None:  # noqa: ANN001
    client.post("/language", data={"lang": lang, "csrf_token": page_csrf(client, "/status"), "next": "/"})


def test_the_red_banner_is_on_every_page_in_both_languages_while_a_fault_lasts(tmp_path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        for path in PAGES:
            assert "health-banner" not in site.client.get(path).get_data(as_text=True)
        _set_faults(site.store, "modem")
        for path in PAGES:
            html = site.client.get(path).get_data(as_text=True)
            assert 'class="health-banner" role="alert"' in html, path
            assert "Protection is OFF" in html and "The modem is missing" in html
        _lang(site.client, "ja")
        for path in PAGES:
            html = site.client.get(path).get_data(as_text=True)
            assert "保護が止まっています" in html and "モデムが見つからない" in html, path
        _set_faults(site.store, "no-number")
        html = site.client.get("/").get_data(as_text=True)
        assert "ナンバー・ディスプレイ" in html and "116" in html  # how to get the number service
        _set_faults(site.store, "sound")
        assert "装置の点検が必要です" in site.client.get("/").get_data(as_text=True)
        _set_faults(site.store)
        assert "health-banner" not in site.client.get("/").get_data(as_text=True)


def test_the_banner_shows_on_the_login_page_too(tmp_path) -> None:
    with web_site(tmp_path) as site:
        _set_faults(site.store, "storage")
        html = site.client.get("/login").get_data(as_text=True)
        assert "The call log cannot be written" in html


def test_a_target_is_saved_but_never_shown_or_logged_in_full(tmp_path, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    url = f"json://127.0.0.1:9/hook?token={SECRET}"
    with web_site(tmp_path, logged_in=True) as site:
        token = page_csrf(site.client, "/settings/notify")
        response = site.client.post("/settings/notify", data={
            "csrf_token": token, "new_url": url, "verdicts": ["police-lookalike", "international"],
            "quiet_from": "22:00", "quiet_to": "7:00", "health": "1", "digest": "weekly",
            "digest_time": "09:30", "language": "en"}, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert "Saved." in html and SECRET not in html and "json://…" in html
        settings = load(from_config(site.config), site.store)
        assert settings.urls == (url,)
        assert settings.verdicts == ("police-lookalike", "international")
        assert settings.quiet_hours == "22:00-07:00"
        assert (settings.digest, settings.digest_time) == ("weekly", "09:30")
        page = site.client.get("/settings/notify").get_data(as_text=True)
        assert SECRET not in page and 'value="22:00"' in page
    assert SECRET not in caplog.text


def test_a_bad_target_is_refused_without_echoing_it(tmp_path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        token = page_csrf(site.client, "/settings/notify")
        form = {"csrf_token": token, "new_url": f"nonsense{SECRET}"}
        html = site.client.post("/settings/notify", data=form, follow_redirects=True).get_data(as_text=True)
        assert "not understood" in html and SECRET not in html
        assert load(from_config(site.config), site.store).urls == ()


def test_saving_needs_the_csrf_token_and_a_login(tmp_path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        assert site.client.post("/settings/notify", data={"new_url": "json://x/y"}).status_code == 400
        assert site.client.post("/settings/notify/test", data={}).status_code == 400
    with web_site(tmp_path / "b") as site:
        assert site.client.get("/settings/notify").status_code == 302


@pytest.mark.parametrize("up", [True, False])
def test_send_a_test_shows_the_result_per_target(tmp_path, up: bool) -> None:
    hook = Hook()
    with web_site(tmp_path, logged_in=True) as site:
        token = page_csrf(site.client, "/settings/notify")
        site.client.post("/settings/notify", data={"csrf_token": token, "new_url": hook.url + f"?t={SECRET}",
                                                   "language": "ja", "health": "1"})
        if up:
            hook.start()
        try:
            html = site.client.post("/settings/notify/test", data={"csrf_token": token},
                                    follow_redirects=True).get_data(as_text=True)
        finally:
            hook.stop()
    assert SECRET not in html
    if up:
        assert "Test sent to json://…" in html and len(hook.posts) == 1
        assert "テスト" in hook.posts[0][1]["title"]
    else:
        assert "did NOT reach json://…" in html


def test_callerid_notify_test_and_status_from_the_command_line(tmp_path) -> None:
    import subprocess
    import sys

    from callerid.store import Store

    Store(tmp_path / "c.db").close()  # the appliance's log (the command refuses to make a new one)
    with Hook() as hook:
        config = tmp_path / "config.toml"
        config.write_text(f'[notify]\nurls = ["{hook.url}?t={SECRET}"]\n')
        run = [sys.executable, "-m", "callerid", "--config", str(config), "notify"]
        done = subprocess.run([*run, "test", "--db", str(tmp_path / "c.db")], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "json://…" + SECRET[-4:] + ": delivered"
        assert len(hook.posts) == 1
        status = subprocess.run([*run, "status", "--db", str(tmp_path / "c.db")], capture_output=True,
                                text=True, timeout=60)
    assert status.returncode == 0 and "waiting to be delivered: 0" in status.stdout
    assert SECRET not in status.stdout + done.stdout
    hook.stop()
    down = subprocess.run([*run, "test", "--db", str(tmp_path / "c.db")], capture_output=True, text=True,
                          timeout=60)
    assert down.returncode == 1 and "NOT delivered" in down.stdout and "Traceback" not in down.stderr


def test_a_stopped_or_silent_appliance_is_a_banner_on_a_website_in_another_process(tmp_path) -> None:
    import time

    with web_site(tmp_path, logged_in=True) as site:
        site.store.set_settings({"health.running": "1", "health.checked_at": str(int(time.time()))})
        assert "health-banner" not in site.client.get("/").get_data(as_text=True)
        site.store.set_setting("health.checked_at", str(int(time.time()) - 3600))  # killed an hour ago
        assert "The appliance is not running" in site.client.get("/").get_data(as_text=True)
        site.store.set_settings({"health.running": "0", "health.checked_at": str(int(time.time()))})
        html = site.client.get("/calls").get_data(as_text=True)
        assert "Protection is OFF" in html and "The appliance is not running" in html
