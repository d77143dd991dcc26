"""The website under real waitress: in a thread beside the appliance, and as `callerid web`."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web_support import give_password, make_config, open_store, police_record

from callerid.web import start_in_thread


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


@pytest.fixture
def served(tmp_path):
    config = make_config(tmp_path)
    store = open_store(config)
    give_password(store)
    store.add_call(police_record())
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    yield server
    server.stop()
    store.close()


def test_thread_server_answers_over_real_http_with_headers(served):
    assert served.port > 0 and served.url == f"http://127.0.0.1:{served.port}"
    login = _get(served.port, "/login")
    assert login.status == 200
    assert login.getheader("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in login.getheader("Content-Security-Policy")
    assert login.getheader("Server") == "callerid"
    home = _get(served.port, "/")
    assert home.status == 302 and home.getheader("Location") == "/login?next=/"
    assert _get(served.port, "/api/calls").status == 401


def test_forwarded_headers_do_not_fool_the_rate_limiter(served):
    for n in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        conn.request(
            "GET",
            "/api/calls",
            headers={"Authorization": f"Bearer wrong{n}", "X-Forwarded-For": f"10.9.9.{n}"},
        )
        assert conn.getresponse().status == 401
        conn.close()
    assert (
        _get(served.port, "/api/calls", {"Authorization": "Bearer x", "X-Forwarded-For": "10.1.1.1"}).status
        == 429
    )


def test_stop_ends_the_thread_and_frees_the_port_even_with_a_keepalive_client(tmp_path):
    config = make_config(tmp_path)
    store = open_store(config)
    give_password(store)
    server = start_in_thread(config, store, host="127.0.0.1", port=0)
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    idle.request("GET", "/login")
    idle.getresponse().read()  # the connection stays open (HTTP/1.1 keep-alive)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    assert not server.thread.is_alive()
    assert _refused(server.port)
    server.stop()  # twice is harmless
    store.close()


def test_busy_port_is_an_oserror_for_the_appliance_to_report(served, tmp_path):
    (tmp_path / "b").mkdir()
    config = make_config(tmp_path / "b")
    store = open_store(config)
    try:
        with pytest.raises(OSError):
            start_in_thread(config, store, host="127.0.0.1", port=served.port)
    finally:
        store.close()


def test_busy_port_makes_no_setup_code_and_keeps_the_running_sites_code(tmp_path, capsys):
    """A second server on the same database and a taken port must not print or replace a setup code."""
    from callerid.web import credentials

    config = make_config(tmp_path)
    store = open_store(config)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        code = credentials.new_setup_code(store)  # the code the running site announced
        with pytest.raises(OSError):
            start_in_thread(config, store, host="127.0.0.1", port=blocker.getsockname()[1])
        assert "setup code" not in capsys.readouterr().out
        assert credentials.check_setup_code(store, code), "the running site's setup code was replaced"
    finally:
        blocker.close()
        store.close()


# --- the `callerid web` command ------------------------------------------------------------------


def _start_command(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text('[web]\nlanguage = "en"\n')
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callerid",
            "web",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "calls.db"),
            "--create",
            "--host",
            "127.0.0.1",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _read_until(
    proc: subprocess.Popen[str], pattern: str, timeout: float = 30.0
) -> tuple[re.Match[str], str]:
    deadline = time.monotonic() + timeout
    seen = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        match = re.search(pattern, seen)
        if match:
            return match, seen
    raise AssertionError(
        f"no {pattern!r} in output: {seen!r}; stderr: {proc.stderr.read() if proc.stderr else ''}"
    )


@pytest.mark.timeout(60)
def test_web_command_prints_the_setup_code_serves_and_stops_cleanly_on_sigterm(tmp_path):
    proc = _start_command(tmp_path, "--port", "0")
    try:
        code, _ = _read_until(proc, r"setup code ([A-Z0-9]{5}-[A-Z0-9]{5})")
        served, _ = _read_until(proc, r"on http://127\.0\.0\.1:(\d+)/")
        port = int(served.group(1))
        assert _get(port, "/setup").status == 200
        assert _get(port, "/").getheader("Location") == "/setup"
        assert len(code.group(1)) == 11
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert _refused(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(60)
def test_web_command_on_a_busy_port_says_so_in_one_line(tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        proc = _start_command(tmp_path, "--port", str(port))
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 2
        assert "setup code" not in out, "a setup code for a website that never started"
        assert err.strip() == f"callerid web: port {port} is already in use (is the appliance serving it?)"
    finally:
        blocker.close()


def test_web_command_refuses_a_bad_port(tmp_path):
    proc = _start_command(tmp_path, "--port", "70000")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "0..65535" in err and "Traceback" not in err


def test_web_and_passwd_say_the_same_one_line_for_a_database_they_cannot_open(tmp_path):
    not_a_db = tmp_path / "a-directory"
    not_a_db.mkdir()
    web = _start_command(tmp_path, "--port", "0", "--db", str(not_a_db))
    _, web_err = web.communicate(timeout=30)
    passwd = subprocess.run(
        [sys.executable, "-m", "callerid", "passwd", "--config", str(tmp_path / "config.toml"),
         "--db", str(not_a_db)],
        input="a family password\n", capture_output=True, text=True, timeout=30,
    )
    for name, code, err in (("web", web.returncode, web_err), ("passwd", passwd.returncode, passwd.stderr)):
        assert code == 2, err
        assert err.startswith(f"callerid {name}: cannot open the call database {not_a_db}: "), err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
