"""`callerid demo` as a newcomer runs it: a second demo refuses in one line, never wipes the first."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callerid.commands.demo import SCRIPT

QUIET = "[speech]\nenabled = false\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _demo(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(QUIET)
    # PYTHONFAULTHANDLER: a demo that hangs is aborted by _finish and prints every thread's stack.
    return subprocess.Popen(
        [sys.executable, "-m", "callerid", "demo", "--config", str(config), "--speed", "8", *extra],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )


def _finish(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Wait for the demo to end; if it hangs, abort it so the failure shows where each thread was."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=30)
        raise AssertionError(f"the demo did not end within {timeout} s:\n{out}\n{err}") from None


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} never printed; got:\n{''.join(seen)}")


@pytest.mark.timeout(90)
def test_a_second_demo_refuses_in_one_line_and_leaves_the_first_alone(tmp_path: Path) -> None:
    port = _free_port()
    first = _demo(tmp_path, "--port", str(port), "--linger", "60")
    try:
        head = _wait_for_line(first, "Family website:", timeout=30)
        code = head.split("setup code ")[1].split()[0]

        same_db = _demo(tmp_path, "--port", str(_free_port()))
        out, err = same_db.communicate(timeout=30)
        assert same_db.returncode == 2, out + err
        assert err.strip() == ("callerid demo: another callerid demo is already running with "
                               "callerid-demo.db; stop it (Ctrl-C) or pass --db OTHER.db")
        assert "setup code" not in out

        same_port = _demo(tmp_path, "--port", str(port), "--db", "other.db")
        out, err = same_port.communicate(timeout=30)
        assert same_port.returncode == 2, out + err
        assert err.strip().startswith(f"callerid demo: port {port} is already in use")
        assert "setup code" not in out and "Traceback" not in err

        _wait_for_line(first, "stays up", timeout=60)
        # The first demo's log and setup code survived both attempts.
        from callerid.store import Store
        from callerid.web import credentials

        store = Store(tmp_path / "callerid-demo.db")
        try:
            assert store.count_calls() == len(SCRIPT)
            assert credentials.check_setup_code(store, code)
        finally:
            store.close()
        first.send_signal(signal.SIGINT)
        out, err = _finish(first, timeout=15)
        assert first.returncode == 0 and "Traceback" not in out + err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_demo_names_each_wav_once_a_call_not_every_repeat(caplog: pytest.LogCaptureFixture) -> None:
    """With no sound card the demo names the WAV it would play (issue 5), once per call."""
    import logging

    from callerid.commands.demo import _demo_logging

    speech = logging.getLogger("callerid.alert.speech")
    player = logging.getLogger("callerid.alert.player")
    _demo_logging()
    try:
        for call in ("withheld", "police-number"):
            speech.info(f"warning ({call}, ja): ...")
            for _ring in range(3):
                player.info("would have played /tmp/%s.wav", call)
                player.info("would have played /tmp/number.wav")
        player.warning("no sound output (aplay exited 1)")
        shown = [r.getMessage() for r in caplog.records]
    finally:
        for logger in (speech, player):
            logger.filters.clear()
        logging.getLogger("callerid.alert").setLevel(logging.NOTSET)
    assert shown == [
        "warning (withheld, ja): ...",
        "would have played /tmp/withheld.wav", "would have played /tmp/number.wav",
        "warning (police-number, ja): ...", "would have played /tmp/police-number.wav",
        "would have played /tmp/number.wav", "no sound output (aplay exited 1)",
    ]
