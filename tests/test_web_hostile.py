"""Caller-controlled fields (name, and on text modems the number) rendered on every page and in the API.

Each hostile value is logged through the real Store, then every page that shows it is
fetched: markup must come out escaped, control and bidi characters visible as U+FFFD,
long values shortened visibly on lists, and nothing may crash or vanish.
"""

from __future__ import annotations

import json

import pytest
from web_support import (
    HOSTILE_NAMES,
    HOSTILE_NUMBERS,
    make_record,
    page_csrf,
    web_site,
)

from callerid.web.present import clean_text

#: Raw fragments that must never appear in any page: they would be live markup or invisible controls.
FORBIDDEN = (
    "<script",
    "<img",
    "<svg",
    "<b>END",
    'onfocus="alert',
    "\x1b",
    "\x07",
    "\x00",
    "\u202e",
    "\u2066",
    "\u200b",
)


@pytest.fixture
def site(tmp_path):
    with web_site(tmp_path, logged_in=True) as site:
        yield site


def pages_for(call_id: int) -> list[str]:
    return ["/", "/calls", f"/calls/{call_id}", "/status", "/calls?flagged=1", "/history"]


#: The one SVG element of our own markup (the history's charts); any other `<svg` came from a caller.
OUR_SVG = '<svg class="bars" viewBox="0 0 360 170" role="img" aria-hidden="true" focusable="false"'


def assert_inert(html: str, where: str) -> None:
    html = html.replace(OUR_SVG, "")
    for fragment in FORBIDDEN:
        assert fragment not in html, (where, fragment)
    # The only script-capable tags in our own markup: none at all.
    assert html.count("<script") == 0


@pytest.mark.parametrize("kind", sorted(HOSTILE_NAMES))
def test_hostile_names_are_escaped_on_every_page(site, kind):
    name = HOSTILE_NAMES[kind]
    call_id = site.store.add_call(
        make_record(name=name, code="police-number", action="warn", actions=("warn-household",))
    )
    assert site.store.get_call(call_id).caller.name == name, "the store keeps the name as received"
    for path in pages_for(call_id):
        response = site.client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.get_data(as_text=True), path)


def test_html_in_a_name_shows_as_text(site):
    call_id = site.store.add_call(make_record(name=HOSTILE_NAMES["html"]))
    html = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html


def test_attribute_breakout_in_a_name_stays_inside_the_value(site):
    call_id = site.store.add_call(make_record(name=HOSTILE_NAMES["attribute"]))
    html = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    # The label field is pre-filled with the name: quotes must be entities inside value="...".
    assert 'value="&#34; autofocus onfocus=&#34;alert(1)&#34; x=&#34;"' in html


def test_sql_in_a_name_is_just_text_and_the_tables_survive(site):
    call_id = site.store.add_call(make_record(name=HOSTILE_NAMES["sql"]))
    html = site.client.get("/calls?q=" + "%27%29%3B%20DROP").get_data(as_text=True)
    assert "(1 calls)" in html and "&#39;); DROP TABLE calls; --" in html
    assert site.store.get_call(call_id) is not None and site.store.count_calls() == 1


def test_control_and_bidi_characters_become_visible_replacements(site):
    call_id = site.store.add_call(make_record(name=HOSTILE_NAMES["bidi"] + HOSTILE_NAMES["control"]))
    html = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Bank\ufffdgnp.exe\ufffd" in html
    assert "ESC\ufffd[31mRED" in html and "NUL\ufffd" in html
    # Names are wrapped in <bdi> so right-to-left text cannot reorder the page around them.
    assert "<bdi>Bank" in html


def test_a_very_long_name_is_shortened_visibly_on_lists_and_bounded_on_the_call_page(site):
    name = HOSTILE_NAMES["long"]
    call_id = site.store.add_call(
        make_record(name=name, code="police-number", action="warn", actions=("panel",))
    )
    listing = site.client.get("/calls").get_data(as_text=True)
    assert "A" * 27 + "…" in listing and "A" * 29 not in listing and "(shortened)" in listing
    assert len(listing) < 20_000
    detail = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "400 of 10000 characters shown" in detail and "A" * 401 not in detail
    today = site.client.get("/").get_data(as_text=True)
    assert "A" * 29 not in today


def test_template_syntax_in_a_name_is_not_evaluated(site):
    call_id = site.store.add_call(make_record(name=HOSTILE_NAMES["template"]))
    html = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "{{ 7*7 }}" in html and ">49<" not in html


@pytest.mark.parametrize("kind", sorted(HOSTILE_NUMBERS))
def test_hostile_numbers_are_escaped_and_cannot_be_listed_blindly(site, kind):
    number = HOSTILE_NUMBERS[kind]
    call_id = site.store.add_call(make_record(number=number, name="x"))
    for path in pages_for(call_id):
        response = site.client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.get_data(as_text=True), path)
    html = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "9" * 65 not in html, "a 5000-digit number is shortened"
    # If the page offers a block button at all, the number it posts is refused unless it is a real pattern.
    token = page_csrf(site.client, f"/calls/{call_id}")
    site.client.post("/lists/add", data={"csrf_token": token, "kind": "block", "pattern": number})
    for entry in site.store.list_entries("block"):
        assert entry.pattern == clean_text(entry.pattern) and len(entry.pattern) <= 40
        assert "<" not in entry.pattern and "'" not in entry.pattern


def test_hostile_list_labels_are_escaped_and_csv_safe(site):
    site.store.add_list_entry("block", "0120999999", HOSTILE_NAMES["html"])
    html = site.client.get("/lists").get_data(as_text=True)
    assert_inert(html, "/lists")
    assert "&lt;script&gt;" in html


def test_api_returns_hostile_fields_exactly_as_json_strings(site):
    name = HOSTILE_NAMES["html"] + HOSTILE_NAMES["control"]
    site.store.add_call(make_record(name=name, number=HOSTILE_NUMBERS["sql"]))
    response = site.client.get("/api/calls")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    call = json.loads(response.get_data(as_text=True))["calls"][0]
    assert call["name"] == name and call["number"] == HOSTILE_NUMBERS["sql"]
    assert "\x1b" not in response.get_data(as_text=True), "JSON escapes control characters"


def test_hostile_search_terms_are_just_text(site):
    site.store.add_call(make_record(name="Tanaka"))
    for term in ("%", "_", "' OR 1=1 --", "<script>", "\x00", "\\", "9" * 500):
        response = site.client.get("/calls", query_string={"q": term})
        assert response.status_code == 200, term
        html = response.get_data(as_text=True)
        assert_inert(html, term)
        assert "(0 calls)" in html, term
