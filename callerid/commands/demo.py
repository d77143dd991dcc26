"""`callerid demo`: the whole appliance against the built-in simulated modem.

This is the real product (driver over a real pseudo-terminal, screening, policy,
SQLite log, speech, LED panel on gpiozero's mock pins, the family website) with
only the phone line simulated. A newcomer sees, call by call, what the
appliance decides and does, and ends with the log on disk.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from callerid.appliance import ApplianceHooks, Runtime, build_runtime
from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.model import CallerID, ListKind
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.number_display import CAR_MAX_INTERVAL
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.store import Store, StoreError
from callerid.terminal_view import TerminalView, fit

if TYPE_CHECKING:
    from callerid.config import Config

#: Japanese normal ringing: 1 s on, 2 s off.
RING_PERIOD = 3.0

#: The scripted calls: (what the person should notice, the caller ID the line delivers, how the
#: line delivers it: "text" as a modem prints it, "ntt-audio" as Japan's Number Display FSK burst
#: that the appliance answers and decodes itself before the phone rings).
SCRIPT: tuple[tuple[str, CallerID, str], ...] = (
    ("A daughter calls: she is on the family allow list.",
     CallerID(format="text", number="09012345678", name="HANAKO", date="1125", time="0930"), "text"),
    ("A fraud call shows a foreign number ending in 0110, like a police station.",
     CallerID(format="text", number="+8014190110", name=None, date="1125", time="0941"), "text"),
    ("Number Display: the exchange sends a spoofed +…0110 number before the first ring; "
     "the appliance reads the FSK burst itself and drops the call before the phone ever rings.",
     CallerID(format="ntt", number="+8085930110", date="1125", time="0950"), "ntt-audio"),
    ("The Tokyo police headquarters' real number: genuine or spoofed, the advice is to call back.",
     CallerID(format="text", number="0335814321", name="KEISHICHO", date="1125", time="1002"), "text"),
    ("One digit off the Tokyo police number: a lookalike.",
     CallerID(format="text", number="0335814311", name=None, date="1125", time="1015"), "text"),
    ("A withheld number.",
     CallerID(format="text", number=None, absence="P", date="1125", time="1103"), "text"),
    ("A solar-panel seller the family has blocked.",
     CallerID(format="text", number="0120444555", name="SOLAR JAPAN", date="1125", time="1130"), "text"),
    ("An ordinary neighbour's call.",
     CallerID(format="text", number="0471230000", name="SATO HANAKO", date="1125", time="1205"), "text"),
)

#: The setting that marks a call database as the demo's own: only such a file may be replaced.
DEMO_MARK = "demo.log"

FAMILY_LISTS = (
    (ListKind.ALLOW, "090-1234-5678", "Daughter Hanako"),
    (ListKind.BLOCK, "0120-444-555", "Solar panel seller"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default="callerid-demo.db", help="where to write the demo's call log")
    parser.add_argument("--speed", type=float, default=4.0,
                        help="how much faster than a real line the calls ring (default 4; above about 8 "
                             "the simulated exchange stops waiting before Number Display can answer)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the family website")
    parser.add_argument("--port", type=int, default=8080, help="website port on localhost (default 8080)")
    parser.add_argument("--linger", type=float, default=None,
                        help="seconds to keep the website up after the calls (default: until Ctrl-C "
                             "in a terminal, 0 otherwise)")


def run(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        raise CommandError("--speed must be a positive number")
    _demo_logging()
    config = _demo_config(load_config_or_fail(args.config), args)
    db = Path(args.db)
    lock = _claim_demo_db(db)  # before the old log is wiped: it may be another running demo's
    _refuse_foreign_log(db)  # nor may it be the family's log, or any other file
    if not args.no_web and not _port_free(config.web.host, args.port):
        raise CommandError(f"port {args.port} is already in use (another callerid demo, or the appliance?); "
                           "pass --port N or --no-web")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    _mark_demo_log(db, config.region)

    done = threading.Event()
    handled: list[int] = []

    def on_call(record: object, _timings: object) -> None:
        handled.append(1)
        done.set()

    print("callerid demo: a simulated modem on a pseudo-terminal, the real appliance behind it.\n")
    with SimulatedModem("conexant", time_scale=1.0 / args.speed) as modem:
        runtime = build_runtime(
            config, port=modem.port, db_path=str(db), web=not args.no_web,
            hooks=ApplianceHooks(on_call=on_call), ring_gap_seconds=RING_GAP_SECONDS / args.speed,
            driver_options={"car_max_interval": CAR_MAX_INTERVAL / args.speed},
        )
        for kind, pattern, label in FAMILY_LISTS:
            runtime.store.add_list_entry(kind, pattern, label)
        runtime.appliance.reload_lists()
        panel_line = runtime.panel.render_text if runtime.panel is not None else None
        runtime.add_sink(TerminalView(language="en", panel_line=panel_line))
        runtime.start_in_thread()
        try:
            if not runtime.wait_modem_ready(timeout=10.0):
                print("the simulated modem did not come up; see the messages above", file=sys.stderr)
                return 1
            if runtime.web_url is not None:
                print(f"Family website: {runtime.web_url}\n")
            for story, caller, mode in SCRIPT:
                print(f"\n--- {story}")
                done.clear()
                modem.play_call(SimCall(caller=caller, rings=3, ring_period=RING_PERIOD, mode=mode)).wait(60)
                done.wait(timeout=5)
                # A call marked "record" that rang out is joined briefly (docs/recording.md): the line
                # is busy until the modem is back on-hook, so the next call waits for that.
                time.sleep(RING_GAP_SECONDS / args.speed)
                modem.wait_for(lambda m: all(h.onhook_at is not None for h in m.hangups), 10)
            _show_log(runtime, db)
            _linger(args, runtime)
        except KeyboardInterrupt:
            print("\nstopped")
        finally:
            runtime.stop()
            runtime.close()
            lock.close()
    return 0


def _claim_demo_db(db: Path) -> IO[bytes]:
    """Hold a lock for this demo's log, so a second demo on the same file refuses instead of wiping it.

    The lock file lives in the temporary directory (named after the log's full path), not beside the
    log; the kernel releases the lock when the process ends, however it ends.
    """
    import fcntl
    import hashlib

    key = hashlib.sha256(str(db.resolve()).encode()).hexdigest()[:16]
    handle = open(os.path.join(tempfile.gettempdir(), f"callerid-demo-{key}.lock"), "wb")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise CommandError(f"another callerid demo is already running with {db}; stop it (Ctrl-C) "
                           "or pass --db OTHER.db") from None
    return handle


def _refuse_foreign_log(db: Path) -> None:
    """The demo replaces its log on every run, so only a file it marked as its own may be replaced.

    `--db /var/lib/callerid/calls.db` once replaced a 157-call log and its lists with the demo's.
    """
    if not db.exists() and not db.is_symlink():
        return
    try:
        with Store.open_readonly(db) as store:
            if store.get_setting(DEMO_MARK) == "1":
                return
    except StoreError:
        pass  # not a database, or not one this callerid can read: certainly not the demo's
    raise CommandError(f"{db} is not a demo log (it may hold a family's calls), and the demo replaces its "
                       "log on every run; give the demo a path of its own with --db NEW.db")


def _mark_demo_log(db: Path, region: str) -> None:
    """Create the demo's new log already marked, so the next demo recognises it and may replace it."""
    try:
        with Store(db, region=region) as store:
            store.set_setting(DEMO_MARK, "1")
    except StoreError as exc:
        raise CommandError(str(exc)) from None


def _port_free(host: str, port: int) -> bool:
    """True when the website could listen on host:port now (the demo checks before it starts)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _demo_logging() -> None:
    """Show what the speaker says and, once per call, each WAV it plays (or would play).

    Without a sound card the player logs "would have played FILE" for every part and every ring's
    repeat: that noise would spill into the next call's story, so each file is named once a call.
    """
    logging.basicConfig(level=logging.WARNING, format="  [%(name)s] %(message)s", stream=sys.stdout)
    logging.getLogger("callerid.alert").setLevel(logging.INFO)
    logging.getLogger("callerid.modem").setLevel(logging.ERROR)  # the simulated line's chatter
    once = _OncePerCall()
    logging.getLogger("callerid.alert.speech").addFilter(once.new_call)
    logging.getLogger("callerid.alert.player").addFilter(once.first_time)


class _OncePerCall:
    """Logging filters: a new spoken warning starts a call; within it each message passes once."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def new_call(self, record: logging.LogRecord) -> bool:
        self._seen.clear()
        return True

    def first_time(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self._seen:
            return False
        self._seen.add(message)
        return True


def _demo_config(config: Config, args: argparse.Namespace) -> Config:
    """The user's configuration with the demo's safe overrides: localhost website, local cache."""
    cache = os.path.join(tempfile.gettempdir(), "callerid-demo-cache")
    return dataclasses.replace(
        config,
        speech=dataclasses.replace(config.speech, cache_dir=cache),
        modem=dataclasses.replace(config.modem, number_display="on"),
        web=dataclasses.replace(config.web, host="127.0.0.1", port=args.port),
    )


def _show_log(runtime: Runtime, db: Path) -> None:
    print(f"\n=== The call log (also: callerid log --db {db})")
    for record in reversed(runtime.store.calls(limit=50)):
        shown = record.caller.number or f"({record.caller.absence or '-'})"
        print(f"  {record.received_at}  {fit(shown, 16):<16} {record.verdict.verdict:<17} "
              f"{', '.join(record.actions) or '-'}")


def _linger(args: argparse.Namespace, runtime: Runtime) -> None:
    url = runtime.web_url
    if url is None:
        return
    linger = args.linger if args.linger is not None else (None if sys.stdin.isatty() else 0.0)
    if linger == 0:
        return
    if linger is None:
        print(f"\nThe family website stays up at {url} ; press Ctrl-C to end the demo.")
    else:
        print(f"\nThe family website stays up at {url} for {linger:g} s; Ctrl-C ends the demo sooner.")
    sys.stdout.flush()  # the log and this line now, not when the demo ends (stdout may be a pipe)
    if linger is None:
        threading.Event().wait()
    else:
        time.sleep(linger)
