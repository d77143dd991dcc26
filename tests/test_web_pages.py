"""The pages a family member uses: today, the log with filters and paging, one call, the lists, status."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from web_support import (
    JST,
    POLICE_REASON,
    give_password,
    login,
    make_config,
    make_record,
    open_store,
    page_csrf,
    police_record,
    web_site,
)

from callerid.web import create_app

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=JST)


@pytest.fixture
def site(tmp_path):
    with web_site(tmp_path, logged_in=True, now=lambda: NOW) as site:
        yield site


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def seed_day(store) -> dict[str, int]:
    """A day: a fake police call blocked, a withheld call warned, two ordinary calls, one from yesterday."""
    ids = {}
    ids["yesterday"] = store.add_call(make_record(number="0120444444", when=NOW - timedelta(days=1)))
    ids["police"] = store.add_call(police_record(NOW - timedelta(hours=5)))
    ids["withheld"] = store.add_call(
        make_record(
            number=None,
            absence="P",
            code="withheld",
            action="warn",
            actions=("warn-household", "panel"),
            when=NOW - timedelta(hours=3),
        )
    )
    ids["doctor"] = store.add_call(
        make_record(number="0337654321", name="YAMADA CLINIC", when=NOW - timedelta(hours=2))
    )
    ids["shop"] = store.add_call(make_record(number="0612345678", when=NOW - timedelta(hours=1)))
    return ids


# --- today -----------------------------------------------------------------------------------


def test_today_counts_calls_warnings_and_blocks_of_today_only(site):
    seed_day(site.store)
    html = text(site.client.get("/"))
    assert '<span class="count">4</span> <span class="what">Calls' in html
    assert '<span class="count">1</span> <span class="what">Warnings' in html
    assert '<span class="count">1</span> <span class="what">Blocked' in html
    assert "tile-danger" in html


def test_today_lists_unreviewed_flagged_calls_in_red_until_reviewed(site):
    ids = seed_day(site.store)
    html = text(site.client.get("/"))
    needs = html.split("Needs a look", 1)[1].split("Other calls today", 1)[0]
    assert "(2)" in needs
    assert (
        f'href="/calls/{ids["police"]}"' in needs and "sev-danger" in needs and "Fake police number" in needs
    )
    assert f'href="/calls/{ids["withheld"]}"' in needs and "Withheld" in needs
    assert f'href="/calls/{ids["doctor"]}"' not in needs
    site.store.mark_reviewed(ids["police"])
    site.store.mark_reviewed(ids["withheld"])
    assert "Nothing needs a look" in text(site.client.get("/"))


def test_today_with_no_calls_says_so(site):
    html = text(site.client.get("/"))
    assert "No calls yet today" in html and "Nothing needs a look" in html


# --- the log ---------------------------------------------------------------------------------


def test_calls_lists_every_call_newest_first(site):
    ids = seed_day(site.store)
    html = text(site.client.get("/calls"))
    order = [
        html.index(f'href="/calls/{ids[k]}"') for k in ("shop", "doctor", "withheld", "police", "yesterday")
    ]
    assert order == sorted(order)
    assert "Page 1 of 1 (5 calls)" in html


def test_calls_flagged_only_filter(site):
    ids = seed_day(site.store)
    html = text(site.client.get("/calls?flagged=1"))
    assert f'/calls/{ids["police"]}"' in html and f'/calls/{ids["withheld"]}"' in html
    assert f'/calls/{ids["doctor"]}"' not in html and "(2 calls)" in html
    assert 'name="flagged" value="1" checked' in html


def test_calls_date_range_is_inclusive_of_both_days(site):
    ids = seed_day(site.store)
    day = NOW.date().isoformat()
    html = text(site.client.get(f"/calls?since={day}&until={day}"))
    assert "(4 calls)" in html and f'/calls/{ids["yesterday"]}"' not in html
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    html = text(site.client.get(f"/calls?until={yesterday}"))
    assert "(1 calls)" in html and f'/calls/{ids["yesterday"]}"' in html


def test_calls_bad_date_is_reported_and_ignored(site):
    seed_day(site.store)
    html = text(site.client.get("/calls?since=yesterday%3Cb%3E&until=2026-13-45"))
    assert "is not a date" in html and "(5 calls)" in html
    assert "yesterday&lt;b&gt;" in html and "yesterday<b>" not in html


def test_calls_number_search_ignores_separators(site):
    ids = seed_day(site.store)
    html = text(site.client.get("/calls?q=03-3765-4321"))
    assert "(1 calls)" in html and f'/calls/{ids["doctor"]}"' in html
    html = text(site.client.get("/calls?q=clinic"))
    assert "(1 calls)" in html


def test_calls_paging_walks_through_every_call_once(site):
    for minute in range(45):
        site.store.add_call(make_record(number=f"03{minute:08d}", when=NOW - timedelta(minutes=minute)))
    seen: list[str] = []
    html = text(site.client.get("/calls"))
    assert "Page 1 of 3 (45 calls)" in html and 'rel="prev"' not in html
    for page in (1, 2, 3):
        html = text(site.client.get(f"/calls?page={page}"))
        seen += [line.split('"')[0] for line in html.split('href="')[1:] if line.startswith("/calls/")]
    assert len(seen) == 45 == len(set(seen))
    assert 'rel="next"' not in html and 'rel="prev"' in html
    assert "Page 3 of 3" in text(site.client.get("/calls?page=999"))
    assert "Page 1 of 3" in text(site.client.get("/calls?page=-5"))
    assert "Page 1 of 3" in text(site.client.get("/calls?page=abc"))


def test_paging_links_keep_the_filters(site):
    for minute in range(25):
        site.store.add_call(police_record(NOW - timedelta(minutes=minute)))
    html = text(site.client.get("/calls?flagged=1&q=8613"))
    assert 'href="/calls?page=2&amp;flagged=1&amp;q=8613"' in html


# --- one call ----------------------------------------------------------------------------------


def test_call_page_shows_verdict_reasons_and_actions(site):
    ids = seed_day(site.store)
    html = text(site.client.get(f"/calls/{ids['police']}"))
    assert "Fake police number" in html and "sev-danger" in html
    assert POLICE_REASON.detail in html
    assert "Blocked (hung up)" in html and "Warned in the house" in html
    assert "+8613901100110" in html and "KEISATSU" in html
    assert "Block this number" in html and "Mark as reviewed" in html


def test_call_page_in_japanese_uses_the_japanese_reason(site):
    ids = seed_day(site.store)
    client = site.app.test_client()
    login(client)
    html = client.get(f"/calls/{ids['police']}", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    # The configured web language (en) wins over the browser; switch with the button instead.
    assert 'lang="en"' in html
    token = page_csrf(client, "/")
    client.post("/language", data={"csrf_token": token, "lang": "ja", "next": f"/calls/{ids['police']}"})
    html = text(client.get(f"/calls/{ids['police']}"))
    assert 'lang="ja"' in html and POLICE_REASON.detail_ja in html and "この番号を着信拒否する" in html


def test_block_from_the_call_page_puts_the_number_on_the_block_list(site):
    ids = seed_day(site.store)
    token = page_csrf(site.client, f"/calls/{ids['doctor']}")
    response = site.client.post(
        "/lists/add",
        data={
            "csrf_token": token,
            "kind": "block",
            "pattern": "0337654321",
            "label": "pushy seller",
            "next": f"/calls/{ids['doctor']}",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/calls/{ids['doctor']}"
    entries = site.store.list_entries("block")
    assert [(e.pattern, e.label) for e in entries] == [(entries[0].pattern, "pushy seller")]
    html = text(site.client.get(f"/calls/{ids['doctor']}"))
    assert "added to the Blocked list" in html and "This number is on the block list" in html
    assert "Block this number" not in html
    assert "pushy seller" in text(site.client.get("/lists"))


def test_a_prefix_on_the_block_list_counts_for_the_call_page(site):
    ids = seed_day(site.store)
    site.store.add_list_entry("block", "03-3765-*", "whole range")
    html = text(site.client.get(f"/calls/{ids['doctor']}"))
    assert "This number is on the block list" in html and "Block this number" not in html
    assert "Trust this number" in html, "an exact allow can still override a blocked range"


def test_call_page_shows_the_screening_advice(site):
    from callerid.screen.messages import advice_text, verdict_text

    ids = seed_day(site.store)
    html = text(site.client.get(f"/calls/{ids['police']}"))
    assert "What to do" in html
    assert advice_text("police-lookalike", "en") in html
    assert verdict_text("police-lookalike", "en") in html


def test_allowing_a_blocked_number_takes_it_off_the_block_list(site):
    site.store.add_list_entry("block", "0337654321", "oops")
    token = page_csrf(site.client, "/lists")
    site.client.post("/lists/add", data={"csrf_token": token, "kind": "allow", "pattern": "0337654321"})
    assert site.store.list_entries("block") == []
    assert len(site.store.list_entries("allow")) == 1


def test_withheld_call_offers_no_block_button(site):
    ids = seed_day(site.store)
    html = text(site.client.get(f"/calls/{ids['withheld']}"))
    assert "sent no number" in html and "Block this number" not in html


def test_mark_reviewed_and_back(site):
    ids = seed_day(site.store)
    token = page_csrf(site.client, f"/calls/{ids['police']}")
    response = site.client.post(f"/calls/{ids['police']}/review", data={"csrf_token": token, "reviewed": "1"})
    assert response.status_code == 302
    assert site.store.get_call(ids["police"]).reviewed is True
    assert "Mark as not reviewed" in text(site.client.get(f"/calls/{ids['police']}"))
    site.client.post(f"/calls/{ids['police']}/review", data={"csrf_token": token, "reviewed": "0"})
    assert site.store.get_call(ids["police"]).reviewed is False
    assert site.client.post("/calls/4242/review", data={"csrf_token": token}).status_code == 404


# --- lists ---------------------------------------------------------------------------------------


def test_lists_add_and_remove(site):
    token = page_csrf(site.client, "/lists")
    site.client.post(
        "/lists/add", data={"csrf_token": token, "kind": "allow", "pattern": "0312345678", "label": "Dr"}
    )
    site.client.post("/lists/add", data={"csrf_token": token, "kind": "block", "pattern": "0120-99-*"})
    html = text(site.client.get("/lists"))
    assert "Dr" in html and "entry-allow" in html and "entry-block" in html
    allow = site.store.list_entries("allow")[0]
    response = site.client.post(
        "/lists/remove", data={"csrf_token": token, "kind": "allow", "pattern": allow.pattern}
    )
    assert response.status_code == 302
    assert site.store.list_entries("allow") == []
    assert "removed from the Trusted list" in text(site.client.get("/lists"))


def test_lists_refuse_nonsense_with_a_message(site):
    token = page_csrf(site.client, "/lists")
    for pattern in ("", "hello", "*", "<script>", "1" * 80, "03\u202e1234"):
        site.client.post("/lists/add", data={"csrf_token": token, "kind": "block", "pattern": pattern})
    assert site.store.list_entries("block") == []
    html = text(site.client.get("/lists"))
    assert "cannot be used" in html and "<script>" not in html
    site.client.post("/lists/add", data={"csrf_token": token, "kind": "grey", "pattern": "0312345678"})
    assert "Choose the trusted or the blocked list" in text(site.client.get("/lists"))


def test_removing_something_not_listed_says_so(site):
    token = page_csrf(site.client, "/lists")
    site.client.post("/lists/remove", data={"csrf_token": token, "kind": "block", "pattern": "0312345678"})
    assert "was not on the Blocked list" in text(site.client.get("/lists"))


def test_csv_export_then_import_round_trips_and_defuses_formulas(site):
    site.store.add_list_entry("allow", "0312345678", "Dr Sato")
    site.store.add_list_entry("block", "0120999999", '=HYPERLINK("http://evil","click")')
    response = site.client.get("/lists/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Japanese Excel reads it right
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["kind", "pattern", "label"]
    assert sorted(row[1] for row in rows[1:]) == ["\t+81120999999", "\t+81312345678"]  # text in Excel
    labels = {row[2] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil","click")' in labels, "a spreadsheet must not run it"

    for kind in ("allow", "block"):
        for entry in site.store.list_entries(kind):
            site.store.remove_list_entry(kind, entry.pattern)
    token = page_csrf(site.client, "/lists")
    upload = (io.BytesIO(response.get_data()), "lists.csv")
    result = site.client.post(
        "/lists/import", data={"csrf_token": token, "csv": upload}, content_type="multipart/form-data"
    )
    assert result.status_code == 302
    assert [e.label for e in site.store.list_entries("allow")] == ["Dr Sato"]
    assert [e.label for e in site.store.list_entries("block")] == ['=HYPERLINK("http://evil","click")']
    assert "2 entries imported" in text(site.client.get("/lists"))


def test_csv_import_skips_bad_lines_and_says_which(site):
    body = (
        "kind,pattern,label\nallow,0312345678,ok\ngrey,0312345679,x\n"
        "block,not a number,x\nblock,0120111111,\n"
    )
    token = page_csrf(site.client, "/lists")
    site.client.post(
        "/lists/import",
        data={"csrf_token": token, "csv": (io.BytesIO(body.encode()), "l.csv")},
        content_type="multipart/form-data",
    )
    html = text(site.client.get("/lists"))
    assert "2 entries imported" in html and "2 lines skipped: line 3" in html
    assert len(site.store.list_entries("allow")) == 1 and len(site.store.list_entries("block")) == 1


def test_csv_import_without_a_file_or_with_binary_junk(site):
    token = page_csrf(site.client, "/lists")
    site.client.post("/lists/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert "Choose a CSV file first" in text(site.client.get("/lists"))
    junk = bytes(range(256)) * 20
    response = site.client.post(
        "/lists/import",
        data={"csrf_token": token, "csv": (io.BytesIO(junk), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "0 entries imported" in text(site.client.get("/lists"))


# --- status, language ------------------------------------------------------------------------------


def test_status_page_shows_modem_last_call_disk_and_version(site):
    from callerid import __version__

    ids = seed_day(site.store)
    site.store.set_setting("modem.state", "ready")
    site.store.set_setting("modem.detail", "Conexant CX93001 on /dev/ttyACM0")
    html = text(site.client.get("/status"))
    assert "ready: Conexant CX93001 on /dev/ttyACM0" in html
    assert f'/calls/{ids["shop"]}"' in html
    assert site.config.store.db in html and "GB" in html and f"callerid {__version__}" in html
    assert "(5 calls" not in html and ">5<" in html


def test_status_without_modem_report(site):
    assert "not reported" in text(site.client.get("/status"))


def test_language_follows_config_then_browser(tmp_path):
    config = make_config(tmp_path, language="auto")
    store = open_store(config)
    try:
        give_password(store)
        app = create_app(config, store, announce=lambda code: None)
        client = app.test_client()
        ja = client.get("/login", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"}).get_data(
            as_text=True
        )
        en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
        none = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
        assert 'lang="ja"' in ja and "パスワード" in ja
        assert 'lang="en"' in en and "Password" in en
        assert 'lang="ja"' in none, "the appliance language (ja) when the browser offers neither"
    finally:
        store.close()


def test_every_page_renders_in_both_languages(site):
    ids = seed_day(site.store)
    paths = [
        "/",
        "/calls",
        f"/calls/{ids['police']}",
        f"/calls/{ids['withheld']}",
        "/lists",
        "/status",
        "/nope",
    ]
    for lang in ("ja", "en"):
        token = page_csrf(site.client, "/")
        site.client.post("/language", data={"csrf_token": token, "lang": lang})
        for path in paths:
            response = site.client.get(path)
            assert response.status_code in (200, 404)
            assert f'lang="{lang}"' in response.get_data(as_text=True), (lang, path)
