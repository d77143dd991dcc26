"""Every route refuses what it must: no login, no or bad CSRF, wrong method; every response has the headers.

The route lists are taken from the app's own URL map, so a route added later without
protection makes these tests fail instead of slipping through.
"""

from __future__ import annotations

import http.client
import re

import pytest
from web_support import (
    PASSWORD,
    give_password,
    login,
    make_config,
    open_store,
    page_csrf,
    police_record,
    web_site,
)

from callerid.web import start_in_thread
from callerid.web.security import CONTENT_SECURITY_POLICY, PUBLIC_ENDPOINTS

EXPECTED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def site(tmp_path):
    with web_site(tmp_path) as site:
        site.call_id = site.store.add_call(police_record())
        yield site


def _routes(app, method: str) -> list[tuple[str, str]]:
    """(endpoint, concrete URL) for every rule answering `method`, with sample values for converters."""
    found = []
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or ()):
            continue
        url = rule.rule.replace("<int:call_id>", "1").replace("<path:filename>", "style.css")
        found.append((rule.endpoint, url))
    return sorted(found)


def test_the_route_table_is_what_the_docs_list(site):
    gets = {url for _, url in _routes(site.app, "GET")}
    posts = {url for _, url in _routes(site.app, "POST")}
    assert {
        "/",
        "/calls",
        "/calls/1",
        "/lists",
        "/status",
        "/login",
        "/setup",
        "/api/calls",
        "/api/lists",
    } <= gets
    assert {
        "/login",
        "/logout",
        "/setup",
        "/lists/add",
        "/lists/remove",
        "/lists/import",
        "/api/lists",
    } <= posts
    assert "/lists/remove" not in gets and "/lists/add" not in gets, "state changes are POST only"


def test_every_non_public_get_route_needs_login(site):
    client = site.app.test_client()
    checked = 0
    for endpoint, url in _routes(site.app, "GET"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(url)
        checked += 1
        if url.startswith("/api/"):
            assert response.status_code == 401, url
            assert response.get_json() == {"error": "login required"}
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url
    assert checked >= 8


def test_every_non_public_post_route_needs_login_even_with_a_csrf_token(site):
    client = site.app.test_client()
    token = page_csrf(client, "/login")  # an anonymous session can hold a token; it grants nothing
    for endpoint, url in _routes(site.app, "POST"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.post(url, data={"csrf_token": token, "kind": "block", "pattern": "0312345678"})
        assert response.status_code in (302, 401), url
    assert site.store.list_entries("block") == []
    assert site.store.get_call(site.call_id).reviewed is False


def test_public_routes_are_only_login_setup_language_and_static(site):
    assert {"auth.login", "auth.setup", "auth.language", "static", "favicon"} == PUBLIC_ENDPOINTS
    client = site.app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/favicon.ico").status_code == 200


@pytest.mark.parametrize("token", [None, "", "wrong", "A" * 43])
def test_every_post_route_refuses_missing_or_bad_csrf_when_logged_in(site, token):
    client = site.app.test_client()
    login(client)
    for endpoint, url in _routes(site.app, "POST"):
        data = {"kind": "block", "pattern": "0312345678", "reviewed": "1", "lang": "ja", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = client.post(url, data=data)
        assert response.status_code == 400, (endpoint, token)
    assert site.store.list_entries("block") == []
    assert site.store.get_call(site.call_id).reviewed is False
    assert client.get("/").status_code == 200, "still logged in: /logout was refused too"


def test_a_token_from_another_session_is_refused(site):
    alice, mallory = site.app.test_client(), site.app.test_client()
    login(alice)
    login(mallory)
    stolen = page_csrf(mallory, "/lists")
    response = alice.post("/lists/add", data={"csrf_token": stolen, "kind": "block", "pattern": "0312345678"})
    assert response.status_code == 400
    assert site.store.list_entries("block") == []


def test_csrf_error_page_is_a_plain_localized_400(site):
    client = site.app.test_client()
    login(client)
    response = client.post("/lists/add", data={"kind": "block", "pattern": "0312345678"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


def test_cross_origin_post_is_refused_even_with_a_valid_token(site):
    client = site.app.test_client()
    login(client)
    token = page_csrf(client, "/lists")
    response = client.post(
        "/lists/add",
        data={"csrf_token": token, "kind": "block", "pattern": "0312345678"},
        headers={"Origin": "http://192.168.1.66:8080"},
    )
    assert response.status_code == 400
    same = client.post(
        "/lists/add",
        data={"csrf_token": token, "kind": "block", "pattern": "0312345678"},
        headers={"Origin": "http://localhost"},
    )
    assert same.status_code == 302
    # Chromium sends "Origin: null" for our own forms under Referrer-Policy no-referrer: the token decides.
    null_origin = {"Origin": "null"}
    data = {"kind": "block", "pattern": "0312345679"}
    assert client.post("/lists/add", data=data, headers=null_origin).status_code == 400
    assert (
        client.post("/lists/add", data={**data, "csrf_token": token}, headers=null_origin).status_code == 302
    )


def test_state_changes_over_get_do_not_exist(site):
    client = site.app.test_client()
    login(client)
    for url in ("/lists/add?kind=block&pattern=0312345678", "/lists/remove", "/calls/1/review", "/logout"):
        assert client.get(url).status_code == 405, url
    assert site.store.list_entries("block") == []


def test_security_headers_on_pages_errors_static_and_api(site):
    client = site.app.test_client()
    anonymous = [
        client.get("/login"),
        client.get("/"),
        client.get("/no-such-page"),
        client.get("/static/style.css"),
    ]
    login(client)
    logged_in = [
        client.get(path)
        for path in ("/", "/calls", f"/calls/{site.call_id}", "/calls/999", "/lists", "/status", "/api/calls")
    ]
    logged_in.append(client.post("/lists/add", data={}))  # 400
    for response in anonymous + logged_in:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.path, name)


def test_csp_forbids_scripts_framing_and_foreign_forms():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_pages_are_not_cached_but_static_files_may_be(site):
    client = site.app.test_client()
    login(client)
    assert client.get("/calls").headers["Cache-Control"] == "no-store"
    assert client.get("/api/calls").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/style.css").headers.get("Cache-Control", "")


def test_templates_have_no_inline_script_or_style_and_never_mark_data_safe():
    from pathlib import Path

    import callerid.web

    folder = Path(callerid.web.__file__).parent / "templates"
    templates = list(folder.glob("*.html"))
    assert len(templates) >= 9
    for template in templates:
        text = template.read_text()
        assert "<script" not in text and "<style" not in text and "style=" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), f"event handler attribute in {template.name}"
        assert "|safe" not in text.replace(" ", "") and "Markup" not in text, template.name
        assert "autoescape false" not in text, template.name
    for module in (folder.parent).glob("*.py"):
        assert "Markup(" not in module.read_text(), module.name


def test_the_safe_filter_cannot_unescape(site):
    with site.app.app_context():
        template = site.app.jinja_env.from_string("{{ value|safe }}")
        assert template.render(value="<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"


def test_request_bodies_are_bounded(site):
    client = site.app.test_client()
    login(client)
    token = page_csrf(client, "/lists")
    big = {"csrf_token": token, "label": "x" * (600 * 1024), "kind": "block", "pattern": "0312345678"}
    response = client.post("/lists/add", data=big)
    assert response.status_code == 413
    assert site.store.list_entries("block") == []


def test_unknown_pages_and_calls_are_404_not_500(site):
    client = site.app.test_client()
    login(client)
    for path in (
        "/nope",
        "/calls/0",
        "/calls/99999",
        "/calls/99999999999999999999999",
        "/calls/-1",
        "/calls/abc",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/calls/424242").status_code == 404
    assert client.get("/api/calls/424242").get_json() == {"error": "no such call"}


def test_a_broken_database_gives_a_plain_500_without_internals(site, caplog):
    client = site.app.test_client()
    login(client)
    site.store.close()  # every Store call now raises StoreError
    for path in ("/", "/calls", "/api/calls"):
        response = client.get(path)
        assert response.status_code == 500, path
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "StoreError" not in body and "calls.db" not in body, path
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert client.get("/").get_data(as_text=True).count("The call log is safe") == 1
    assert client.get("/api/calls").get_json() == {"error": "server error"}
    assert "error serving" in caplog.text, "the cause goes to the log, not the page"


# --- issue 14, item 4: inputs that used to give a 500 ----------------------------------------------


@pytest.mark.parametrize("path", ["/calls?until=9999-12-31", "/api/calls?until=9999-12-31"])
def test_the_last_representable_day_is_a_filter_not_a_500(site, path):
    """`until` is inclusive, so the store is asked for "before the next day": 9999-12-31 has none."""
    client = site.app.test_client()
    login(client)
    response = client.get(path)
    assert response.status_code == 200, path
    if path.startswith("/api/"):
        assert response.get_json()["total"] == 1, "every call is before the end of 9999"
    else:
        assert f"/calls/{site.call_id}" in response.get_data(as_text=True)
    for since_path in ("/calls?since=9999-12-31", "/api/calls?since=9999-12-31&until=9999-12-31"):
        assert client.get(since_path).status_code == 200, since_path


#: Host headers that Werkzeug cannot turn into a URL adapter (IDNA refuses them): a 64-character
#: label (DNS allows 63), an empty label, a lone dot.
BAD_HOSTS = ("a" * 64 + ".local", "a" * 64, "callerid..local", ".")
#: Odd hosts Werkzeug does accept: they must be served as usual, and quietly.
ODD_HOSTS = ("xn--", "\u00e9" * 70 + ".local", "a" * 63 + ".local")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The site under real waitress: the test client's own cookie jar cannot even build these URLs."""
    tmp_path = tmp_path_factory.mktemp("served")
    config = make_config(tmp_path)
    store = open_store(config)
    give_password(store)
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    yield server
    server.stop()
    store.close()


@pytest.mark.parametrize("host", BAD_HOSTS + ODD_HOSTS)
@pytest.mark.parametrize("path", ["/", "/login", "/api/calls", "/static/style.css", "/nope"])
def test_a_host_header_werkzeug_cannot_encode_is_a_quiet_400(served, caplog, host, path):
    """Unauthenticated, so it must be cheap: a plain 400, no traceback in the log (it was ~200 lines)."""
    caplog.set_level("DEBUG")
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host.encode("utf-8"))
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    if host in BAD_HOSTS:
        assert response.status == 400, (host, path)
    else:
        assert response.status in (200, 302, 401, 404), (host, path)
    assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    assert "Traceback" not in body
    noisy = [r for r in caplog.records if r.levelno >= 30 or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]
