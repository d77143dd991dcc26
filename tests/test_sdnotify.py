"""sd_notify over a real AF_UNIX datagram socket, and proof that a hung loop stops feeding the watchdog.

systemd is not PID 1 here (no `systemd-run`), so the tests play systemd's part: bind the socket
named in $NOTIFY_SOCKET, read the datagrams with their arrival times, and apply systemd's rule
(no WATCHDOG=1 for WatchdogSec -> kill) to a real child process that runs a loop and then hangs.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from callerid import sdnotify


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A bound datagram socket standing in for systemd's notify socket (a filesystem path)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_ready_watchdog_stopping_arrive_as_datagrams(notify_socket: socket.socket) -> None:
    assert sdnotify.ready("modem USR 5637 ready")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=modem USR 5637 ready"
    assert sdnotify.watchdog()
    assert notify_socket.recv(4096) == b"WATCHDOG=1"
    assert sdnotify.status("modem lost, retrying")
    assert notify_socket.recv(4096) == b"STATUS=modem lost, retrying"
    assert sdnotify.stopping()
    assert notify_socket.recv(4096) == b"STOPPING=1"


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """systemd may hand out '@/org/freedesktop/systemd1/notify/...': a Linux abstract socket."""
    name = f"callerid-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.ready()
        assert sock.recv(4096) == b"READY=1"


def test_no_socket_is_a_silent_no_op(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready() is False
    assert sdnotify.watchdog() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")  # a transport we do not speak
    assert sdnotify.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens.sock"))
    assert sdnotify.notify("READY=1") is False  # systemd gone: no exception


def test_watchdog_interval_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert sdnotify.watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))  # meant for another process
    assert sdnotify.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_PID", "not-a-pid")
    assert sdnotify.watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_PID")
    for bad in ("0", "-5", "", "thirty"):
        monkeypatch.setenv("WATCHDOG_USEC", bad)
        assert sdnotify.watchdog_interval() is None


def test_watchdog_kicks_at_most_every_half_interval() -> None:
    sent: list[int] = []
    dog = sdnotify.Watchdog(10.0, send=lambda: sent.append(1) or True)
    assert dog.enabled and dog.period == 5.0
    assert dog.deadline() == float("-inf")  # never kicked: due now
    assert dog.kick(100.0) is True
    assert dog.deadline() == 105.0
    assert [dog.kick(t) for t in (100.1, 102.0, 104.99)] == [False, False, False]
    assert dog.kick(105.0) is True
    assert dog.kick(200.0) is True
    assert len(sent) == 3


def test_watchdog_disabled_without_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    dog = sdnotify.Watchdog(send=lambda: pytest.fail("must not send"))
    assert not dog.enabled
    assert dog.deadline() is None
    assert dog.kick(0.0) is False
    assert sdnotify.Watchdog(0).enabled is False


# A miniature appliance loop: select() with a timeout bounded by the watchdog's deadline, kicking
# on every pass; after RUN_SECONDS it blocks forever in a read with no timeout, the way a stuck
# serial port or a deadlock would hang the real loop.
CHILD = textwrap.dedent(
    """
    import os, select, sys, time
    from callerid import sdnotify

    run_seconds = float(sys.argv[1])
    dog = sdnotify.Watchdog()
    assert dog.enabled, "WATCHDOG_USEC not seen"
    sdnotify.ready("loop running")
    wake_r, wake_w = os.pipe()
    start = time.monotonic()
    while (now := time.monotonic()) - start < run_seconds:
        dog.kick(now)
        timeout = max(0.0, dog.deadline() - time.monotonic())
        select.select([wake_r], [], [], timeout)
    sdnotify.status("hanging now")
    os.read(wake_r, 1)  # nobody ever writes: the loop is hung here
    """
)


def test_hung_loop_stops_feeding_the_watchdog(notify_socket: socket.socket, tmp_path: Path) -> None:
    interval = 0.6  # WatchdogSec=0.6s for the child; the real unit uses 30 s
    run_seconds = 2.4
    env = dict(os.environ, WATCHDOG_USEC=str(int(interval * 1e6)))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(run_seconds)], env=env)
    events: list[tuple[float, bytes]] = []
    killed_at: float | None = None
    try:
        notify_socket.setblocking(False)
        last_kick: float | None = None
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline:
            # systemd's rule: no WATCHDOG=1 within WatchdogSec after the last one -> SIGABRT.
            wait = interval if last_kick is None else max(0.0, last_kick + interval - time.monotonic())
            readable, _, _ = select.select([notify_socket], [], [], wait)
            now = time.monotonic()
            if readable:
                data = notify_socket.recv(4096)
                events.append((now, data))
                if data == b"WATCHDOG=1":
                    last_kick = now
            elif last_kick is not None and now - last_kick >= interval:
                killed_at = now
                child.send_signal(signal.SIGABRT)
                break
            assert child.poll() is None, "the child loop died on its own"
    finally:
        try:
            child.wait(5)  # SIGABRT ends it, as systemd's watchdog kill would
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)

    states = [data for _, data in events]
    assert states[0] == b"READY=1\nSTATUS=loop running"
    kicks = [t for t, data in events if data == b"WATCHDOG=1"]
    hang_at = next(t for t, data in events if data == b"STATUS=hanging now")
    # While the loop ran it fed the watchdog about every interval/2, never letting a gap reach WatchdogSec.
    running = [t for t in kicks if t < hang_at]
    assert len(running) >= run_seconds / (interval / 2) - 2, running
    gaps = [b - a for a, b in zip(running, running[1:], strict=False)]
    assert max(gaps) < interval * 0.9, gaps
    assert min(gaps) > interval / 2 * 0.8, gaps  # rate-limited: not a busy loop
    # Once hung, nothing more arrived and the "systemd" side fired within one interval.
    assert all(t <= hang_at for t in kicks)
    assert killed_at is not None, "the watchdog never fired on the hung loop"
    assert killed_at - running[-1] < interval * 1.5
    assert child.returncode == -signal.SIGABRT
