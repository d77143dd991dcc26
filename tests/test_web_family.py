"""Issue 16: the site as the daughter who checks it uses it: labels, review, search, history,
the call-log CSV, settings, the household's time zone, and getting back in without SSH."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from web_support import JST, PASSWORD, login, make_record, page_csrf, police_record, web_site

from callerid import household
from callerid.web import create_app, credentials, recovery

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=JST)


@pytest.fixture
def site(tmp_path):
    with web_site(tmp_path, logged_in=True, now=lambda: NOW) as site:
        yield site


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def card_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a class="call [^"]*" href="/calls/(\d+)"', html)]


# --- labels and plain words ------------------------------------------------------------------


def test_cards_and_the_call_page_show_the_family_list_label(site):
    daughter = site.store.add_call(make_record(number="+819012345678", when=NOW - timedelta(hours=1)))
    clinic = site.store.add_call(make_record(number="0337654321", when=NOW - timedelta(hours=2)))
    stranger = site.store.add_call(make_record(number="0612345678", when=NOW - timedelta(hours=3)))
    site.store.add_list_entry("allow", "090-1234-5678", "娘 花子")
    site.store.add_list_entry("allow", "03-3765-*", "山田クリニック")
    html = text(site.client.get("/calls"))
    cards = {
        i: html.split(f'href="/calls/{i}"', 1)[1].split("</a>", 1)[0] for i in (daughter, clinic, stranger)
    }
    assert '<bdi class="label list-allow">娘 花子</bdi>' in cards[daughter]
    assert "山田クリニック" in cards[clinic]  # a prefix entry labels every number it covers
    assert 'class="label' not in cards[stranger]
    page = text(site.client.get(f"/calls/{daughter}"))
    assert "娘 花子" in page.split('<p class="list-name', 1)[1].split("</p>", 1)[0]
    assert 'id="label" name="label" value="娘 花子"' in page  # the label field keeps the family's name


def test_a_trusted_label_is_not_shown_on_a_police_call(site):
    """Fraudsters display genuine police numbers: a trusted entry must not make the warning look safe."""
    spoofed = site.store.add_call(
        make_record(number="0335814321", code="police-number", action="warn",
                    actions=("warn-household",), when=NOW - timedelta(hours=1))
    )
    with site.store._write() as conn:  # an entry from before the allow list refused police numbers
        conn.execute("INSERT INTO lists (kind, pattern, label, added_at) VALUES ('allow', '+81335814321',"
                     " '警察署', '2026-01-01T00:00:00+00:00')")
    card = text(site.client.get("/calls")).split(f'href="/calls/{spoofed}"', 1)[1].split("</a>", 1)[0]
    assert "警察署" not in card and "list-allow" not in card
    assert "警察署" not in text(site.client.get(f"/calls/{spoofed}")).split("<section", 1)[0]


def test_plain_words_and_the_technical_fold(site):
    call = site.store.add_call(police_record(NOW - timedelta(hours=1)))
    html = text(site.client.get(f"/calls/{call}"))
    assert "Warned in the house" in html and "Household warned" not in html
    fold = html.split("<details class=\"facts\">", 1)[1].split("</details>", 1)[0]
    assert "For the technically minded" in fold
    assert "police-lookalike" in fold and "NTT Number Display (ntt)" in fold
    assert "police-lookalike" not in html.split("<details class=\"facts\">", 1)[0]
    client = site.app.test_client()
    login(client)
    client.post("/language", data={"csrf_token": page_csrf(client), "lang": "ja", "next": "/"})
    html = text(client.get(f"/calls/{call}"))
    assert "宅内で音声警告" in html and "家族に警告" not in html and "技術的な詳細" in html


# --- review ----------------------------------------------------------------------------------


def screened(record, e164: str):
    """`record` as the engine logs a well-formed number: with its E.164 form."""
    return replace(record, verdict=replace(record.verdict, e164=e164))


def seed_review(store) -> dict[str, int]:
    ids = {
        "police": store.add_call(police_record(NOW - timedelta(hours=5))),
        "solar": store.add_call(
            screened(make_record(number="0120444444", code="blocklisted", action="block",
                                 actions=("block",), when=NOW - timedelta(hours=4)), "+81120444444")
        ),
        "abroad": store.add_call(
            make_record(number="+12025550143", code="international", action="warn",
                        actions=("warn-household",), when=NOW - timedelta(hours=3))
        ),
        "ordinary": store.add_call(make_record(number="0612345678", when=NOW - timedelta(hours=2))),
    }
    store.add_list_entry("block", "0120-444-444", "solar panels")
    return ids


def test_needs_a_look_leaves_out_numbers_the_family_blocked_themselves(site):
    ids = seed_review(site.store)
    # An earlier warned call from a number the family has since blocked: they have had their look.
    before = site.store.add_call(
        screened(make_record(number="0120444444", code="invalid", action="warn",
                             actions=("warn-household",), when=NOW - timedelta(hours=6)), "+81120444444")
    )
    html = text(site.client.get("/"))
    needs = html.split("Needs a look", 1)[1].split("Other calls today", 1)[0]
    assert "(2)" in needs
    assert set(card_ids(needs)) == {ids["police"], ids["abroad"]}
    assert before not in card_ids(needs) and ids["solar"] not in card_ids(needs)


def test_today_shows_each_call_once(site):
    ids = seed_review(site.store)
    html = text(site.client.get("/"))
    shown = card_ids(html)
    assert sorted(shown) == sorted(ids.values()) and len(shown) == len(set(shown))


def test_mark_all_reviewed_marks_what_the_page_showed_and_not_a_call_that_came_later(site):
    ids = seed_review(site.store)
    html = text(site.client.get("/"))
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    late = site.store.add_call(police_record(NOW - timedelta(minutes=1)))  # rings after the page was shown
    response = site.client.post("/reviewed-all", data={"csrf_token": page_csrf(site.client), "up_to": up_to})
    assert response.status_code == 302
    assert site.store.get_call(ids["police"]).reviewed and site.store.get_call(ids["abroad"]).reviewed
    assert not site.store.get_call(late).reviewed
    assert not site.store.get_call(ids["ordinary"]).reviewed  # only calls that needed a look
    assert "2 calls marked as reviewed" in text(site.client.get("/"))
    assert site.client.post("/reviewed-all", data={"up_to": up_to}).status_code == 400  # CSRF


# --- search and filters ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["0335814321", "03-3581-4321", "+81335814321", "+81 3-3581-4321",
                                   "０３３５８１４３２１", "(03) 3581 4321"])
def test_every_form_of_a_number_finds_every_call_from_it(site, query):
    national = site.store.add_call(make_record(number="0335814321", when=NOW - timedelta(hours=2)))
    spoofed = site.store.add_call(
        make_record(number="+81335814321", code="police-number", action="warn",
                    actions=("warn-household",), when=NOW - timedelta(hours=1))
    )
    other = site.store.add_call(make_record(number="0335814322", when=NOW - timedelta(hours=3)))
    html = text(site.client.get("/calls", query_string={"q": query}))
    assert sorted(card_ids(html)) == sorted([national, spoofed]), query
    assert other not in card_ids(html)


def test_a_fragment_still_finds_by_substring(site):
    call = site.store.add_call(make_record(number="+81335814321"))
    assert card_ids(text(site.client.get("/calls?q=4321"))) == [call]


def test_filter_by_verdict_outcome_and_dates(site):
    ids = seed_review(site.store)
    old = site.store.add_call(make_record(number="0612345679", when=NOW - timedelta(days=10)))
    assert card_ids(text(site.client.get("/calls?verdict=police-lookalike"))) == [ids["police"]]
    def found(query: str) -> list[int]:
        return sorted(card_ids(text(site.client.get("/calls?" + query))))

    assert found("outcome=blocked") == sorted([ids["police"], ids["solar"]])
    assert found("outcome=warned") == [ids["abroad"]]
    assert found("outcome=plain") == sorted([ids["ordinary"], old])
    day = (NOW - timedelta(days=10)).date().isoformat()
    assert card_ids(text(site.client.get(f"/calls?since={day}&until={day}"))) == [old]
    for edge in ("since=0001-01-01", "since=0001-01-02&until=9999-12-30", "until=9999-12-31",
                 "since=9999-12-31"):  # the calendar's edges on the household's clock: no 500
        assert site.client.get("/calls?" + edge).status_code == 200, edge
        assert site.client.get("/calls.csv?" + edge).status_code == 200, edge
    assert len(card_ids(text(site.client.get("/calls?since=0001-01-01&until=9999-12-31")))) == 5
    html = text(site.client.get("/calls?verdict=<script>&outcome=everything"))  # unknown: ignored
    assert len(card_ids(html)) == 5 and "<script>" not in html


# --- the household's clock -----------------------------------------------------------------------


def test_times_follow_the_household_zone_not_the_clock_the_call_was_logged_with(site):
    # The Pi's clock was left at UTC: logged at 16:30 UTC on the 24th, which is 01:30 on the 25th in Tokyo.
    call = site.store.add_call(make_record(when=datetime(2026, 11, 24, 16, 30, tzinfo=UTC)))
    assert household.zone_name(site.store, "JP") == "Asia/Tokyo"
    html = text(site.client.get("/"))
    assert '<span class="time">01:30</span>' in html  # today, on the household's clock
    assert card_ids(text(site.client.get("/calls?since=2026-11-25&until=2026-11-25"))) == [call]
    assert card_ids(text(site.client.get("/calls?until=2026-11-24"))) == []
    token = page_csrf(site.client, "/settings")
    site.client.post("/settings/timezone", data={"csrf_token": token, "zone": "Europe/London"})
    assert site.store.get_setting(household.ZONE_SETTING) == "Europe/London"
    assert "2026-11-24 16:30" in text(site.client.get(f"/calls/{call}"))
    assert card_ids(text(site.client.get("/calls?since=2026-11-24&until=2026-11-24"))) == [call]
    response = site.client.post("/settings/timezone", data={"csrf_token": token, "zone": "../../etc/passwd"})
    assert "That is not a time zone" in text(site.client.get(response.headers["Location"]))
    assert site.store.get_setting(household.ZONE_SETTING) == "Europe/London"


# --- history -------------------------------------------------------------------------------------


def test_history_draws_30_days_stacked_by_outcome_with_the_numbers_in_a_table(site):
    for hours in (1, 2):
        site.store.add_call(police_record(NOW - timedelta(hours=hours)))  # blocked today
    site.store.add_call(make_record(when=NOW - timedelta(hours=3)))  # ordinary today
    site.store.add_call(make_record(code="withheld", action="warn", actions=("warn-household",),
                                    number=None, absence="P", when=NOW - timedelta(days=2)))
    site.store.add_call(make_record(when=NOW - timedelta(days=40)))  # outside the 30 days
    html = text(site.client.get("/history"))
    days = html.split('id="chart-days"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in days and "<script" not in html
    shape = r'<rect class="seg-(\w+)" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"'
    rects = re.findall(shape, days)
    kinds = sorted(kind for kind, _y, _h in rects)
    assert kinds == ["blocked", "plain", "warned"]
    heights = {kind: float(h) for kind, _y, h in rects}
    assert heights["blocked"] == pytest.approx(2 * heights["plain"], rel=0.01)  # two blocked, one ordinary
    table = html.split('<div class="sr-only"><table>', 1)[1].split("</table>", 1)[0]
    cell = r"<td>(\d+)</td>"
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>' + cell * 4, table)
    assert len(rows) == 30
    assert rows[-1] == ("2026-11-25", "2", "0", "1", "3") and rows[-3] == ("2026-11-23", "0", "1", "0", "1")
    assert "5 calls in all" not in days and "4 calls in all: 2 blocked, 1 warned, 1 ordinary" in days
    weeks = html.split('id="chart-weeks"', 1)[1].split("</figure>", 1)[0]
    assert "5 calls in all" in weeks
    assert 'id="chart-police"' in html  # the two fake-police calls, per month
    top = html.split('class="top-callers"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<bdi class="number">([^<]+)</bdi></a></td>\s*<td class="num">(\d+)</td>', top)
    assert sorted(rows) == [("+86 139 0110 0110", "2"), ("03-1234-5678", "2")]


def test_history_with_no_calls_still_draws_the_days(site):
    html = text(site.client.get("/history"))
    assert html.count('<tr><th scope="row">') >= 30 + 52 and "No calls claiming to be the police" in html


def test_day_counts_follow_daylight_saving(tmp_path):
    from zoneinfo import ZoneInfo

    from callerid.store import Store

    london = ZoneInfo("Europe/London")
    with Store(tmp_path / "calls.db") as store:
        # 23:30 UTC is 00:30 the next day in British Summer Time, 23:30 the same day in winter.
        store.add_call(make_record(when=datetime(2026, 7, 1, 23, 30, tzinfo=UTC)))
        store.add_call(make_record(when=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)))
        year = (datetime(2026, 1, 1, tzinfo=london), datetime(2027, 1, 1, tzinfo=london))
        days = store.day_counts(*year, london)
    assert [d.day.isoformat() for d in days] == ["2026-07-02", "2026-12-01"]


# --- the call-log CSV ------------------------------------------------------------------------------


def test_calls_csv_is_excel_ready_one_row_per_call_in_the_filter(site):
    ids = seed_review(site.store)
    site.store.add_call(make_record(number="0335814321", name="=HYPERLINK(\"http://x\")", when=NOW))
    site.store.add_list_entry("allow", "0335814321", "=cmd|' /C calc'!A0")
    response = site.client.get("/calls.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, rows = rows[0], rows[1:]
    assert len(rows) == 5
    number = header.index("number")
    doctor = next(r for r in rows if "0335814321" in r[number])
    assert doctor[number] == "\t0335814321"  # text with its zero, not a formula
    assert doctor[header.index("list label")] == "'=cmd|' /C calc'!A0"
    assert doctor[header.index("caller name")].startswith("'=")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert b'="' not in body
    flagged = site.client.get("/calls.csv?outcome=blocked").data.decode("utf-8-sig")
    flagged_rows = list(csv.reader(io.StringIO(flagged)))[1:]
    assert sorted(int(r[0]) for r in flagged_rows) == sorted([ids["police"], ids["solar"]])
    police = next(r for r in flagged_rows if int(r[0]) == ids["police"])
    assert police[number] == "\t+8613901100110"
    assert "Warned in the house" in police[header.index("what the appliance did")]


@pytest.mark.parametrize("number", ["=2+5", "-1234", "+SUM(A1)", "@A1", "03\x1b[2J12", "０３１２３４５６"])
def test_a_number_that_is_not_a_number_cannot_become_a_formula_in_the_csv(site, number):
    site.store.add_call(make_record(number=number, name="\tcmd\r\n=1"))
    rows = list(csv.reader(io.StringIO(site.client.get("/calls.csv").data.decode("utf-8-sig"))))
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\r")) or cell.startswith("'"), cell
        assert "\x1b" not in cell and "\r" not in cell and "\n" not in cell
        assert not cell.startswith("\t") or re.fullmatch(r"\t\+?[0-9][0-9 -]*", cell), cell


def test_calls_csv_needs_login(tmp_path):
    with web_site(tmp_path, now=lambda: NOW) as site:
        response = site.client.get("/calls.csv")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_log_csv_from_the_command_line_is_the_same_export(tmp_path, site):
    seed_review(site.store)
    site.store.add_list_entry("allow", "0612345678", "近所の田中さん")
    result = subprocess.run(
        [sys.executable, "-m", "callerid", "log", "--csv", "--db", str(site.config.store.db)],
        capture_output=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"))))
    assert len(rows) == 1 + 4
    assert any("\t0612345678" in row and "近所の田中さん" in row for row in rows)
    bad = subprocess.run([sys.executable, "-m", "callerid", "log", "--csv", "--json", "--db",
                          str(site.config.store.db)], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


# --- settings --------------------------------------------------------------------------------------


def test_a_password_changed_on_settings_works_at_the_next_login_and_the_old_one_does_not(site):
    other = site.app.test_client()
    login(other)
    assert other.get("/").status_code == 200
    token = page_csrf(site.client, "/settings")
    new = "a brand new family password"
    wrong = site.client.post("/settings/password", data={"csrf_token": token, "current": "not it",
                                                          "password": new, "confirm": new})
    assert "The current password is not right" in text(site.client.get(wrong.headers["Location"]))
    assert credentials.check_password(site.store, PASSWORD)
    mismatch = site.client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD,
                                                             "password": new, "confirm": new + "x"})
    assert "not the same" in text(site.client.get(mismatch.headers["Location"]))
    short = site.client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD,
                                                          "password": "short", "confirm": "short"})
    assert "at least 8" in text(site.client.get(short.headers["Location"]))
    ok = site.client.post("/settings/password", data={"csrf_token": token, "current": PASSWORD,
                                                       "password": new, "confirm": new})
    assert "The password is changed" in text(site.client.get(ok.headers["Location"]))
    assert site.client.get("/").status_code == 200  # this browser stays logged in
    assert other.get("/").status_code == 302  # every other one is logged out
    fresh = site.app.test_client()
    assert login(fresh, PASSWORD).status_code == 401
    assert login(fresh, new).status_code == 302


def test_settings_language_becomes_the_site_default(site):
    token = page_csrf(site.client, "/settings")
    site.client.post("/settings/language", data={"csrf_token": token, "lang": "ja"})
    assert 'lang="ja"' in text(site.client.get("/"))
    newcomer = site.app.test_client()
    login(newcomer)
    assert 'lang="ja"' in text(newcomer.get("/"))  # the configuration said en; the family chose ja


def test_settings_page_has_every_form_with_csrf_and_links_notify_only_when_it_exists(site):
    html = text(site.client.get("/settings"))
    for action in ("/settings/password", "/settings/language", "/settings/timezone"):
        form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
        assert 'name="csrf_token"' in form
    assert '<option selected>Asia/Tokyo</option>' in html
    has_notify = any(rule.rule == "/settings/notify" for rule in site.app.url_map.iter_rules())
    assert ('href="/settings/notify"' in html) == has_notify  # linked exactly when the page exists


# --- getting in without SSH ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["lower", "fullwidth", "spaced"])
def test_setup_code_accepted_in_lowercase_and_full_width(tmp_path, typed):
    from web_support import make_config, open_store

    config = make_config(tmp_path)
    store = open_store(config)
    codes: list[str] = []
    try:
        app = create_app(config, store, announce=codes.append)
        code = codes[0]
        entered = {
            "lower": code.lower(),
            "fullwidth": "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in code),
            "spaced": " ".join(code.replace("-", "")),
        }[typed]
        client = app.test_client()
        token = page_csrf(client, "/setup")
        response = client.post("/setup", data={"csrf_token": token, "setup_code": entered,
                                                "password": PASSWORD, "confirm": PASSWORD})
        assert response.status_code == 302, entered
        assert credentials.check_password(store, PASSWORD)
    finally:
        store.close()


def test_a_reset_file_on_the_boot_partition_clears_the_password_once(tmp_path):
    from web_support import give_password, make_config, open_store

    boot = tmp_path / "bootfs"
    boot.mkdir()
    (boot / "config.txt").write_text("arm_64bit=1\n")
    config = make_config(tmp_path)
    store = open_store(config)
    try:
        give_password(store)
        codes: list[str] = []
        create_app(config, store, announce=codes.append, boot_dir=boot)
        assert codes == [] and credentials.has_password(store)  # no file: nothing happens
        (boot / "CALLERID-RESET-PASSWORD.TXT.txt").write_text("")  # as a Windows PC may save it
        app = create_app(config, store, announce=codes.append, boot_dir=boot)
        assert not credentials.has_password(store)
        assert len(codes) == 1 and not list(boot.glob("*RESET*")) and (boot / "config.txt").exists()
        client = app.test_client()
        assert client.get("/").headers["Location"].endswith("/setup")
        setup = text(client.get("/setup"))
        assert "callerid-setup-code.txt" in setup and "screen" in setup
        create_app(config, store, announce=codes.append, boot_dir=boot)
        assert len(codes) == 2  # still no password: a fresh code at each start, the file is gone
        assert recovery.reset_from_boot_partition(store, boot) is False
    finally:
        store.close()


def test_login_page_says_how_to_reset_a_forgotten_password(site):
    client = site.app.test_client()
    html = text(client.get("/login"))
    assert recovery.RESET_FILE in html and recovery.SETUP_CODE_FILE in html


def test_no_script_anywhere_and_the_csp_is_unchanged(site):
    from callerid.web.security import CONTENT_SECURITY_POLICY

    seed_review(site.store)
    for path in ("/", "/history", "/settings", "/calls?q=03"):
        response = site.client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "<script" not in response.get_data(as_text=True)
        assert " style=" not in response.get_data(as_text=True)

