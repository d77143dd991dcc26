"""A private Mosquitto for tests and `callerid bench fleet`: own config, own port, own folder.

It never touches the system's broker or its files: the generated config loads nothing from
/etc/mosquitto, listens on 127.0.0.1 on a free port, and keeps its log and persistence file in
the given folder. Run as root, Mosquitto would drop to the `mosquitto` user and then fail to
read a private temporary folder, so the config names the current user instead.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerError(RuntimeError):
    """Mosquitto is missing, or did not start (the message carries the end of its log)."""


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalMosquitto:
    """One Mosquitto process; `extra` is appended to the listener's config (TLS, ACL, ...).

    With `own_listener=False`, `extra` must open the listener itself on `self.port` (known
    before `extra` is written: pass `port=free_port()`).
    """

    def __init__(self, folder: str | Path, *, port: int | None = None, extra: str = "",
                 persistence: bool = False, anonymous: bool = True, own_listener: bool = True) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise BrokerError("mosquitto is not installed (Debian package: mosquitto)")
        self.binary = binary
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.config = self.folder / "mosquitto.conf"
        self.log = self.folder / "mosquitto.log"
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'true' if anonymous else 'false'}",
        ] if own_listener else []  # else `extra` brings its own listener (a config from the docs)
        lines += [
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {self.folder}/",
            f"log_dest file {self.log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "max_queued_messages 1000000",
            "max_inflight_messages 100",
        ]
        if os.geteuid() == 0:
            lines.append(f"user {getpass.getuser()}")
        self.config.write_text("\n".join(lines) + "\n" + extra.strip() + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> LocalMosquitto:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(f"mosquitto exited: {self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.port} within {timeout:g} s: {self.tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Mosquitto saves its persistence file), then wait."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 5) -> str:
        text = ""
        if self.process is not None and self.process.stderr is not None and self.process.poll() is not None:
            text = self.process.stderr.read().decode("utf-8", "replace")
        if self.log.exists():
            text += self.log.read_text(errors="replace")
        return " | ".join(text.strip().splitlines()[-lines:])

    def __enter__(self) -> LocalMosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["BrokerError", "LocalMosquitto", "free_port", "mosquitto_binary"]
