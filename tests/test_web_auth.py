"""Logging in: first-run setup code, password hashing, sessions, rate limits, `callerid passwd`."""

from __future__ import annotations

import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import pytest
from web_support import PASSWORD, csrf_from, login, make_config, open_store, page_csrf

from callerid.web import create_app, credentials
from callerid.web.ratelimit import GLOBAL_LOGIN_ATTEMPTS, GLOBAL_LOGIN_WINDOW, LoginLimiter, RateLimiter


class FakeClock:
    """A monotonic clock the test moves by hand, so rate-limit windows take no real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fresh(tmp_path):
    """An app on a new database: no password yet."""
    config = make_config(tmp_path)
    store = open_store(config)
    codes: list[str] = []
    clock = FakeClock()
    app = create_app(
        config,
        store,
        announce=codes.append,
        limiter=LoginLimiter(clock=clock),
        token_limiter=RateLimiter(5, 60.0, clock=clock),
    )
    yield SimpleNamespace(
        app=app, store=store, codes=codes, client=app.test_client(), clock=clock, config=config
    )
    store.close()


@pytest.fixture
def ready(fresh):
    credentials.set_password(fresh.store, PASSWORD)
    return fresh


def _setup_form(client, code: str, password: str = PASSWORD, confirm: str | None = None):
    token = csrf_from(client.get("/setup").get_data(as_text=True))
    return client.post(
        "/setup",
        data={"csrf_token": token, "setup_code": code, "password": password, "confirm": confirm or password},
    )


# --- first run -------------------------------------------------------------------------------


def test_first_run_announces_a_setup_code_and_stores_only_its_hash(fresh):
    assert len(fresh.codes) == 1
    code = fresh.codes[0]
    assert len(credentials.normalise_setup_code(code)) == 10
    stored = fresh.store.get_setting(credentials.SETUP_CODE_KEY)
    assert stored and stored.startswith("scrypt:")
    assert credentials.normalise_setup_code(code) not in stored
    assert not credentials.has_password(fresh.store), "there is never a default password"


def test_setup_code_is_printed_to_stdout_by_default(tmp_path, capsys):
    config = make_config(tmp_path)
    store = open_store(config)
    try:
        create_app(config, store)
    finally:
        store.close()
    out = capsys.readouterr().out
    assert "one-time setup code" in out and "/setup" in out


def test_each_start_without_password_makes_a_new_code_and_the_old_one_dies(fresh):
    old = fresh.codes[0]
    create_app(fresh.config, fresh.store, announce=fresh.codes.append)
    assert fresh.codes[1] != old
    assert not credentials.check_setup_code(fresh.store, old)
    assert credentials.check_setup_code(fresh.store, fresh.codes[1])


def test_without_a_password_every_page_leads_to_setup_and_login_is_impossible(fresh):
    for path in ("/", "/calls", "/lists", "/status", "/login"):
        response = fresh.client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/setup", path
    assert fresh.client.get("/api/calls").status_code == 401


def test_setup_with_the_code_sets_the_password_once(fresh):
    code = fresh.codes[0]
    response = _setup_form(fresh.client, code.lower().replace("-", " "))  # forgiving about case and dashes
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert credentials.check_password(fresh.store, PASSWORD)
    assert fresh.store.get_setting(credentials.SETUP_CODE_KEY) is None
    # The code cannot be used again, and /setup is closed now that a password exists.
    again = fresh.client.get("/setup")
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    token = page_csrf(fresh.client, "/login")
    replay = fresh.client.post(
        "/setup",
        data={
            "csrf_token": token,
            "setup_code": code,
            "password": "another password",
            "confirm": "another password",
        },
    )
    assert replay.status_code == 302 and replay.headers["Location"] == "/login"
    assert credentials.check_password(fresh.store, PASSWORD)


def test_setup_refuses_a_wrong_code(fresh):
    response = _setup_form(fresh.client, "AAAAA-AAAAA")
    assert response.status_code == 401
    assert "setup code is not right" in response.get_data(as_text=True)
    assert not credentials.has_password(fresh.store)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", None, "at least 8"),
        ("long enough pw", "different pw!!", "not the same"),
        ("x" * 1025, None, "at most"),
    ],
)
def test_setup_refuses_weak_or_mismatched_passwords(fresh, password, confirm, message):
    response = _setup_form(fresh.client, fresh.codes[0], password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert not credentials.has_password(fresh.store)


def test_setup_attempts_are_rate_limited(fresh):
    for _ in range(5):
        assert _setup_form(fresh.client, "WRONG-WRONG").status_code == 401
    refused = _setup_form(fresh.client, fresh.codes[0])  # even the right code waits
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert not credentials.has_password(fresh.store)


# --- password storage ------------------------------------------------------------------------


def test_password_is_stored_as_a_salted_scrypt_hash(ready):
    stored = ready.store.get_setting(credentials.PASSWORD_KEY)
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    credentials.set_password(ready.store, PASSWORD)
    assert ready.store.get_setting(credentials.PASSWORD_KEY) != stored, "a new salt every time"


def test_a_damaged_hash_refuses_instead_of_crashing(ready):
    ready.store.set_setting(credentials.PASSWORD_KEY, "scrypt:garbage")
    assert login(ready.client).status_code == 401


def test_secret_key_is_random_and_persisted(ready, tmp_path):
    key = ready.store.get_setting(credentials.SECRET_KEY_KEY)
    assert len(key) == 64 and ready.app.secret_key == key
    again = create_app(ready.config, ready.store, announce=lambda code: None)
    assert again.secret_key == key
    other = make_config(tmp_path / "other")
    (tmp_path / "other").mkdir()
    other_store = open_store(other)
    try:
        assert create_app(other, other_store, announce=lambda code: None).secret_key != key
    finally:
        other_store.close()


# --- logging in ------------------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_site(ready):
    assert ready.client.get("/").status_code == 302
    response = login(ready.client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert ready.client.get("/").status_code == 200


def test_wrong_password_is_refused_with_a_message(ready):
    response = login(ready.client, "wrong password")
    assert response.status_code == 401
    assert "Wrong password" in response.get_data(as_text=True)
    assert ready.client.get("/calls").status_code == 302


def test_empty_and_huge_passwords_are_refused(ready):
    assert login(ready.client, "").status_code == 401
    assert login(ready.client, PASSWORD + "x" * 5000).status_code == 401


def test_login_without_csrf_token_is_refused(ready):
    ready.client.get("/login")
    response = ready.client.post("/login", data={"password": PASSWORD})
    assert response.status_code == 400
    assert ready.client.get("/").status_code == 302


def test_login_with_a_forged_csrf_token_is_refused(ready):
    ready.client.get("/login")
    response = ready.client.post("/login", data={"password": PASSWORD, "csrf_token": "A" * 43})
    assert response.status_code == 400


def test_login_from_another_site_is_refused_by_origin(ready):
    token = page_csrf(ready.client, "/login")
    response = ready.client.post(
        "/login", data={"password": PASSWORD, "csrf_token": token}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 400


def test_login_is_rate_limited_per_address_then_allowed_after_retry_after(ready):
    for _ in range(5):
        assert login(ready.client, "guess").status_code == 401
    refused = login(ready.client)  # the right password too: no guessing past the limit
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert "wait" in refused.get_data(as_text=True)
    # Another address is not affected.
    other = ready.app.test_client()
    token = page_csrf(other, "/login")
    ok = other.post(
        "/login",
        data={"password": PASSWORD, "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert ok.status_code == 302
    ready.clock.now += wait
    assert login(ready.client).status_code == 302


def _login_from(app, address: str, password: str):  # noqa: ANN001, ANN202 - Flask app, response
    client = app.test_client()
    token = page_csrf(client, "/login")
    return client.post(
        "/login", data={"password": password, "csrf_token": token}, environ_overrides={"REMOTE_ADDR": address}
    )


def test_many_addresses_share_one_login_budget(ready, caplog):
    """What was measured: 100 addresses in 127/8 made 500 guesses in 31 s; now everyone shares a budget."""
    caplog.set_level("WARNING", logger="callerid.web")
    addresses = [f"127.0.{n // 250}.{n % 250 + 1}" for n in range(GLOBAL_LOGIN_ATTEMPTS + 15)]
    statuses = [_login_from(ready.app, address, "guess").status_code for address in addresses]
    assert statuses[:GLOBAL_LOGIN_ATTEMPTS] == [401] * GLOBAL_LOGIN_ATTEMPTS
    assert set(statuses[GLOBAL_LOGIN_ATTEMPTS:]) == {429}
    refused = _login_from(ready.app, "10.0.0.77", PASSWORD)  # a fresh address, the right password
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= GLOBAL_LOGIN_WINDOW
    warnings = [r for r in caplog.records if "login attempts" in r.getMessage()]
    assert len(warnings) == 1, "one line for the attack, not one per refused guess"
    ready.clock.now += GLOBAL_LOGIN_WINDOW
    assert _login_from(ready.app, "10.0.0.77", PASSWORD).status_code == 302


def test_the_budget_counts_only_failures(ready):
    for n in range(GLOBAL_LOGIN_ATTEMPTS + 10):
        assert _login_from(ready.app, f"10.1.0.{n + 1}", PASSWORD).status_code == 302


def test_a_stale_api_token_does_not_lock_the_same_machine_out_of_logging_in(ready):
    """A family script with an old token retries all day; the browser on that machine must still log in."""
    headers = {"Authorization": "Bearer an-old-token-from-last-year"}
    statuses = [ready.client.get("/api/calls", headers=headers).status_code for _ in range(12)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert login(ready.client).status_code == 302


def test_password_guesses_do_not_block_a_correct_api_token(tmp_path):
    config = make_config(tmp_path)
    store = open_store(config)
    try:
        credentials.set_password(store, PASSWORD)
        app = create_app(config, store, announce=lambda code: None)
        client = app.test_client()
        for _ in range(6):
            login(client, "guess")
        assert login(client).status_code == 429
        good = client.get("/api/calls", headers={"Authorization": f"Bearer {config.web.api_token}"})
        assert good.status_code == 200
    finally:
        store.close()


def test_successful_logins_do_not_use_up_the_limit(ready):
    for _ in range(8):
        assert login(ready.app.test_client()).status_code == 302


def test_session_cookie_is_httponly_and_samesite_strict(ready):
    response = login(ready.client)
    header = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "callerid_session=" in v)
    cookie = SimpleCookie(header)["callerid_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"


def test_login_redirects_only_to_local_paths(ready):
    for target, expected in [
        ("/calls?flagged=1", "/calls?flagged=1"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client = ready.app.test_client()
        token = page_csrf(client, "/login")
        response = client.post(f"/login?next={target}", data={"password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"] == expected, target


def test_anonymous_page_request_remembers_where_it_was_going(ready):
    response = ready.client.get("/calls?flagged=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/calls?flagged%3D1"


def test_logout_ends_the_session_and_needs_csrf(ready):
    login(ready.client)
    assert ready.client.post("/logout").status_code == 400  # no token: a cross-site logout cannot happen
    token = page_csrf(ready.client, "/")
    assert ready.client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert ready.client.get("/").status_code == 302


def test_logout_everywhere_ends_other_sessions(ready):
    phone, laptop = ready.app.test_client(), ready.app.test_client()
    login(phone)
    login(laptop)
    token = page_csrf(laptop, "/status")
    assert laptop.post("/logout-everywhere", data={"csrf_token": token}).status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_changing_the_password_ends_every_session(ready):
    login(ready.client)
    credentials.set_password(ready.store, "a brand new password")
    assert ready.client.get("/").status_code == 302
    assert login(ready.client).status_code == 401
    assert login(ready.client, "a brand new password").status_code == 302


def test_an_expired_session_is_refused(ready):
    login(ready.client)
    with ready.client.session_transaction() as session:
        session["login_at"] -= 31 * 24 * 3600
    assert ready.client.get("/").status_code == 302


def test_a_session_cookie_signed_with_another_key_is_refused(ready, tmp_path):
    login(ready.client)
    cookie = ready.client.get_cookie("callerid_session")
    (tmp_path / "b").mkdir()
    config = make_config(tmp_path / "b")
    store = open_store(config)
    try:
        credentials.set_password(store, PASSWORD)
        other = create_app(config, store, announce=lambda code: None).test_client()
        other.set_cookie("callerid_session", cookie.value)
        assert other.get("/").status_code == 302
    finally:
        store.close()


# --- the passwd command ----------------------------------------------------------------------


def _passwd(db: str, stdin: str) -> subprocess.CompletedProcess[str]:
    config = Path(db).with_name("empty.toml")
    config.write_text("# defaults\n")
    return subprocess.run(
        [sys.executable, "-m", "callerid", "passwd", "--config", str(config), "--db", db, "--create"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_passwd_command_reads_stdin_and_sets_the_hash(tmp_path):
    db = str(tmp_path / "calls.db")
    done = _passwd(db, "a family password\n")
    assert done.returncode == 0, done.stderr
    assert "password set" in done.stdout
    from callerid.store import Store

    with Store(db) as store:
        assert credentials.check_password(store, "a family password")
        assert store.get_setting(credentials.SETUP_CODE_KEY) is None


def test_passwd_command_refuses_a_short_password_in_one_line(tmp_path):
    done = _passwd(str(tmp_path / "calls.db"), "short\n")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "at least 8" in done.stderr
    assert "Traceback" not in done.stderr
