"""/api/calls and /api/lists: token or session auth, CSRF for sessions, filters, paging, clear errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from web_support import (
    API_TOKEN,
    JST,
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
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def site(tmp_path):
    with web_site(tmp_path) as site:
        yield site


def seed(store) -> list[int]:
    ids = [store.add_call(make_record(number=f"03{n:08d}", when=NOW - timedelta(hours=n))) for n in range(30)]
    ids.append(store.add_call(police_record(NOW)))
    return ids


# --- token auth ------------------------------------------------------------------------------


def test_token_reads_calls_with_the_log_json_shape(site):
    ids = seed(site.store)
    response = site.client.get("/api/calls", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 31 and body["limit"] == 50 and body["offset"] == 0
    first = body["calls"][0]
    assert first["id"] == ids[-1]
    assert first["verdict"] == "police-lookalike" and first["flagged"] is True and "block" in first["actions"]
    assert first["reasons"][0]["detail_ja"].startswith("警察")
    assert set(first) >= {"id", "time", "number", "name", "absence", "verdict", "risk", "reasons", "actions"}


def test_token_filters_and_pages(site):
    seed(site.store)
    flagged = site.client.get("/api/calls?flagged=1", headers=AUTH).get_json()
    assert flagged["total"] == 1
    page = site.client.get("/api/calls?limit=10&offset=25", headers=AUTH).get_json()
    assert page["total"] == 31 and len(page["calls"]) == 6
    day = NOW.date().isoformat()
    today = site.client.get(f"/api/calls?since={day}&until={day}", headers=AUTH).get_json()
    assert today["total"] == 17  # 15:00 back to 00:00 is 16 ordinary calls, plus the police call
    search = site.client.get("/api/calls?q=03-0000-0007", headers=AUTH).get_json()
    assert search["total"] == 1 and search["calls"][0]["number"] == "0300000007"
    unreviewed = site.client.get("/api/calls?flagged=1&reviewed=0", headers=AUTH).get_json()
    assert unreviewed["total"] == 1


def test_limits_are_bounded(site):
    seed(site.store)
    assert site.client.get("/api/calls?limit=100000", headers=AUTH).get_json()["limit"] == 500
    assert site.client.get("/api/calls?limit=-3", headers=AUTH).get_json()["limit"] == 1
    assert site.client.get("/api/calls?offset=-3", headers=AUTH).get_json()["offset"] == 0
    assert site.client.get("/api/calls?limit=abc", headers=AUTH).get_json()["limit"] == 50


def test_bad_dates_are_a_400_with_a_message(site):
    response = site.client.get("/api/calls?since=last-tuesday", headers=AUTH)
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.get_json()["error"]


def test_one_call_and_marking_it_reviewed(site):
    ids = seed(site.store)
    call = site.client.get(f"/api/calls/{ids[-1]}", headers=AUTH).get_json()
    assert call["id"] == ids[-1] and call["reviewed"] is False
    response = site.client.post(f"/api/calls/{ids[-1]}/reviewed", json={"reviewed": True}, headers=AUTH)
    assert response.status_code == 200 and response.get_json() == {"id": ids[-1], "reviewed": True}
    assert site.store.get_call(ids[-1]).reviewed is True
    assert site.client.post("/api/calls/999999/reviewed", json={}, headers=AUTH).status_code == 404


def test_token_adds_and_removes_list_entries_without_csrf(site):
    response = site.client.post(
        "/api/lists",
        json={"op": "add", "kind": "block", "pattern": "0120-99-*", "label": "robocalls"},
        headers=AUTH,
    )
    assert response.status_code == 201
    added = response.get_json()["added"]
    assert added["kind"] == "block" and added["label"] == "robocalls"
    lists = site.client.get("/api/lists", headers=AUTH).get_json()
    assert [e["pattern"] for e in lists["block"]] == [added["pattern"]] and lists["allow"] == []
    removed = site.client.post(
        "/api/lists", json={"op": "remove", "kind": "block", "pattern": added["pattern"]}, headers=AUTH
    )
    assert removed.status_code == 200
    assert site.store.list_entries("block") == []
    again = site.client.post(
        "/api/lists", json={"op": "remove", "kind": "block", "pattern": "0120-99-*"}, headers=AUTH
    )
    assert again.status_code == 404


def test_token_can_post_form_encoded_too(site):
    response = site.client.post("/api/lists", data={"kind": "allow", "pattern": "0312345678"}, headers=AUTH)
    assert response.status_code == 201
    assert len(site.store.list_entries("allow")) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"op": "drop", "kind": "block", "pattern": "0312345678"}, "op must be"),
        ({"kind": "grey", "pattern": "0312345678"}, "kind must be"),
        ({"kind": "block", "pattern": 312345678}, "must be strings"),
        ({"kind": "block", "pattern": "<script>"}, "bad pattern"),
        ({"kind": "block", "pattern": "'; DROP TABLE lists; --"}, "bad pattern"),
        ({"kind": "block", "pattern": "*"}, "bad pattern"),
    ],
)
def test_bad_list_requests_are_400_with_a_reason(site, body, message):
    response = site.client.post("/api/lists", json=body, headers=AUTH)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert site.store.list_entries("block") == [] and site.store.list_entries("allow") == []


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {API_TOKEN}x",
        f"Bearer {API_TOKEN[:-1]}",
        "Bearer ",
        f"Basic {API_TOKEN}",
        API_TOKEN,
        "Bearer é",
    ],
)
def test_wrong_tokens_are_401(site, header):
    response = site.client.get("/api/calls", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    post = site.client.post(
        "/api/lists", json={"kind": "block", "pattern": "0312345678"}, headers={"Authorization": header}
    )
    assert post.status_code in (401, 429)
    assert site.store.list_entries("block") == []


def test_token_guessing_is_rate_limited(site):
    for n in range(5):
        assert site.client.get("/api/calls", headers={"Authorization": f"Bearer guess{n}"}).status_code == 401
    refused = site.client.get("/api/calls", headers=AUTH)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_good_token_requests_are_not_rate_limited(site):
    for _ in range(20):
        assert site.client.get("/api/lists", headers=AUTH).status_code == 200


def test_no_token_configured_refuses_every_token(tmp_path):
    config = make_config(tmp_path, api_token=None)
    store = open_store(config)
    try:
        give_password(store)
        client = create_app(config, store, announce=lambda code: None).test_client()
        response = client.get("/api/calls", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 401 and "no API token" in response.get_json()["error"]
    finally:
        store.close()


def test_a_token_does_not_open_the_html_pages(site):
    response = site.client.get("/calls", headers=AUTH)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- session auth ------------------------------------------------------------------------------


def test_session_reads_the_api(site):
    seed(site.store)
    login(site.client)
    assert site.client.get("/api/calls").get_json()["total"] == 31


def test_session_posts_need_the_csrf_header(site):
    login(site.client)
    body = {"kind": "block", "pattern": "0312345678"}
    refused = site.client.post("/api/lists", json=body)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    forged = site.client.post("/api/lists", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert forged.status_code == 400
    assert site.store.list_entries("block") == []
    token = page_csrf(site.client, "/lists")
    ok = site.client.post("/api/lists", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


def test_api_errors_are_json(site):
    response = site.client.get("/api/nope", headers=AUTH)
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}
    response = site.client.delete("/api/lists", headers=AUTH)
    assert response.status_code == 405 and response.get_json() == {"error": "method not allowed"}
