"""A USB voice modem simulated on a real pseudo-terminal, for the tests, the demo and benchmarks.

The driver opens `.port` (a symlink to the pty's slave side) exactly as it would open
/dev/ttyACM0, so pyserial, termios and timing are real. The simulator answers AT commands like the
chosen profile (ERROR for the ones that modem family does not take), echoes until ATE0, plays
scripted calls (RING cadence, caller ID between the first and second ring in the presentation the
driver enabled: formatted text for =1, the raw message as hex for =2), records voice-mode audio
sent with +VTX (DLE doubling undone), streams audio for +VRX with DLE shielding, and misbehaves
on request: garbage, going silent (a stuck modem), vanishing (unplugged: the pty closes and the
symlink goes; it comes back as a new pty at the same path).

Every duration the simulator waits (ring period, caller-ID delay, silence, absence, audio pacing
of +VRX) is multiplied by `time_scale`, so a test can run a three-ring call in a fraction of a
second. One thread does all the I/O; public methods hand it work through a queue.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import os
import random
import select
import shutil
import tempfile
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

from callerid.modem import dle
from callerid.modem.profiles import ModemProfile, get_profile
from callerid.modem.sim_answer import AnsweredCall
from callerid.modem.sim_line import (
    CallScript,
    SimAudio,
    SimCall,
    SimCallHandle,
    SimCommand,
    SimHangup,
    VoiceAudio,
)

#: Caller-ID presentation per +VCID value (0: off).
_CID_MODES = {"0": None, "1": "text", "2": "hex"}
_RESULTS_V0 = {"OK": "0", "CONNECT": "1", "RING": "2", "NO CARRIER": "3", "ERROR": "4"}
_OUT_LIMIT = 1 << 20  # bytes kept for a reader that went away; a real modem would drop them too


class SimulatedModem(CallScript, VoiceAudio, AnsweredCall):
    """See the module docstring. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        profile: str = "conexant",
        link_path: str | Path | None = None,
        *,
        time_scale: float = 1.0,
        seed: int = 0,
        refuse: tuple[str, ...] | frozenset[str] = (),
        response_delay: float = 0.0,
    ) -> None:
        self.profile: ModemProfile = get_profile(profile)
        self.time_scale = time_scale
        self._own_dir: str | None = None
        if link_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="callerid-sim-")
            link_path = os.path.join(self._own_dir, "modem")
        self._link_path = Path(link_path)
        self._refuse = frozenset(c.upper().removeprefix("AT") for c in refuse)
        self.response_delay = response_delay  # seconds (x time_scale) a command takes to answer
        self._random = random.Random(seed)
        self._cond = threading.Condition()
        self._log: list[SimCommand] = []
        self._hangups: list[SimHangup] = []
        self._audio: list[SimAudio] = []
        self._ops: list[Callable[[], None]] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._master: int | None = None
        self._keeper: int | None = None
        self._out = bytearray()
        self._silent_until = 0.0
        self._call: SimCallHandle | None = None
        self._rx_source = bytearray()
        self._reset_state()

    # ---- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> str:
        """The stable path to open (a symlink to the current pty slave)."""
        return str(self._link_path)

    def start(self) -> SimulatedModem:
        if self._thread is not None:
            raise RuntimeError("SimulatedModem.start() called twice")
        self._appear()
        self._thread = threading.Thread(target=self._run, name="sim-modem", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join(2.0)
        self._disappear()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> SimulatedModem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- scripted behaviour (any thread) --------------------------------------------------
    def play_call(self, call: SimCall) -> SimCallHandle:
        if call.mode not in (None, "text", "hex", "ntt-audio"):
            raise ValueError(f"SimCall mode {call.mode!r}: use None, 'text', 'hex' or 'ntt-audio'")
        handle = SimCallHandle(call)
        self._soon(lambda: self._start_call(handle))
        return handle

    def send_garbage(self, n: int) -> None:
        """Write n random bytes (any value: NUL, DLE, CR, 0xFF...) as a confused modem might."""
        data = self._random.randbytes(n)
        self._soon(lambda: self._send(data))

    def send_raw(self, data: bytes) -> None:
        """Write bytes exactly as given (for tests of partial lines and odd line endings)."""
        self._soon(lambda: self._send(bytes(data)))

    def go_silent(self, seconds: float) -> None:
        """Stop answering (and printing) for `seconds` × time_scale: a stuck USB modem."""
        self._soon(lambda: setattr(self, "_silent_until", time.monotonic() + seconds * self.time_scale))

    def vanish(self, seconds: float) -> None:
        """Unplug: close the pty and remove the symlink; come back after `seconds` × time_scale."""

        def go() -> None:
            self._disappear()
            self._at(time.monotonic() + seconds * self.time_scale, self._appear)

        self._soon(go)

    def queue_rx_audio(self, samples: bytes) -> None:
        """8-bit samples the next +VRX streams (before silence): e.g. a Number Display FSK burst."""
        self._soon(lambda: self._rx_source.extend(samples))

    # ---- what happened (any thread) -------------------------------------------------------
    @property
    def log(self) -> list[SimCommand]:
        with self._cond:
            return list(self._log)

    def commands(self) -> list[str]:
        return [c.text for c in self.log]

    @property
    def hangups(self) -> list[SimHangup]:
        with self._cond:
            return [SimHangup(h.offhook_at, h.via, h.onhook_at) for h in self._hangups]

    @property
    def audio_sessions(self) -> list[SimAudio]:
        with self._cond:
            return list(self._audio)

    @property
    def received_audio(self) -> bytes:
        """Every sample received with +VTX, all sessions joined."""
        with self._cond:
            return b"".join(bytes(a.samples) for a in self._audio)

    @property
    def caller_id_mode(self) -> str | None:
        """"text", "hex" or None: what the driver enabled."""
        return self._cid_mode

    def wait_for(self, predicate: Callable[[SimulatedModem], bool], timeout: float) -> bool:
        """Block until predicate(self) is true (checked whenever the modem logs something)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def wait_for_command(self, text: str, timeout: float, *, after: int = 0) -> SimCommand | None:
        """The first logged command equal to `text` (case-insensitive) at index >= after."""
        want = text.upper()
        found: list[SimCommand] = []

        def seen(_: SimulatedModem) -> bool:
            found[:] = [c for c in self._log[after:] if c.text.upper() == want][:1]
            return bool(found)

        return found[0] if self.wait_for(seen, timeout) else None

    # ---- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - now)
            readers = [self._wake_r] + ([self._master] if self._master is not None else [])
            writers = [self._master] if self._master is not None and self._out else []
            try:
                readable, writable, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):
                readable, writable = [], []  # the master was closed under us by vanish(); loop again
            if self._wake_r in readable:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 4096)
                with self._cond:
                    ops, self._ops = self._ops, []
                for op in ops:
                    op()
            if self._master is not None and self._master in readable:
                self._read_master()
            if self._master is not None and self._master in writable:
                self._flush()
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, action = heapq.heappop(self._timers)
                action()

    def _read_master(self) -> None:
        try:
            data = os.read(self._master, 4096)  # type: ignore[arg-type]
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        if not data or self._silent():
            return
        self._receive(data)

    # ---- modem behaviour ------------------------------------------------------------------
    def _reset_state(self) -> None:
        """Power-on / ATZ defaults: echo on, verbose, caller ID off, data class, on-hook."""
        self._echo = True
        self._verbose = True
        self._cid_mode: str | None = None
        self._fclass = "0"
        self._vsm_ok = False
        self._state = "command"  # command | vtx | vrx
        self._line = bytearray()
        self._unshield = dle.Unshielder()
        self._offhook: SimHangup | None = None

    def _receive(self, data: bytes) -> None:
        while data:
            if self._state == "vtx":
                data = self._receive_audio(data)
            elif self._state == "vrx":
                data = self._receive_during_vrx(data)
            else:
                data = self._receive_command_bytes(data)

    def _receive_command_bytes(self, data: bytes) -> bytes:
        for i, byte in enumerate(data):
            if self._echo:
                self._send(bytes([byte]))
            if byte == 0x0D:
                line = self._line.decode("ascii", errors="replace").strip()
                self._line.clear()
                if line:
                    self._command(line)
                if self._state != "command":
                    return data[i + 1 :]
            elif byte == 0x0A:
                continue
            elif byte in (0x08, 0x7F):
                del self._line[-1:]
            else:
                self._line.append(byte)
        return b""

    def _command(self, line: str) -> None:
        upper = line.upper()
        start = upper.find("AT")
        if start < 0:
            return  # not a command: a real modem ignores it
        upper = upper[start:]  # a modem skips whatever came before "AT" (e.g. a stray DLE ETX)
        with self._cond:
            self._log.append(SimCommand(time.monotonic(), line[start:]))
            self._cond.notify_all()
        body = upper[2:].strip()
        lines, result = ((), "ERROR") if body in self._refuse else self._execute(body)
        if self.response_delay > 0 and result != "CONNECT":
            self._at(time.monotonic() + self.response_delay * self.time_scale,
                     lambda: self._answer(lines, result))
        else:
            self._answer(lines, result)

    def _answer(self, lines: tuple[str, ...], result: str) -> None:
        for text in lines:
            self._send(f"\r\n{text}\r\n".encode())
        self._result(result)
        if result == "CONNECT" and self._state == "vrx":
            self._rx_tick()

    def _execute(self, body: str) -> tuple[tuple[str, ...], str]:  # noqa: C901 - one branch per command
        profile = self.profile
        if body == "":
            return (), "OK"
        if body in ("Z", "&F") or body.startswith("Z"):
            self._hang_up_line()
            self._reset_state()
            return (), "OK"
        if body in ("E0", "E1", "E"):
            self._echo = body == "E1"
            return (), "OK"
        if body in ("V0", "V1", "V"):
            self._verbose = body == "V1"
            return (), "OK"
        if body.startswith("I") and body[1:].isdigit() or body == "I":
            key = "I" if body in ("I", "I0") else body
            return tuple(profile.ati_examples.get(key, ())), "OK"
        if body in ("H", "H0"):
            self._hang_up_line()
            return (), "OK"
        if body == "H1":
            self._seize_line("H1")
            return (), "OK"
        if "=" in body:
            name, value = body.split("=", 1)
        else:
            name, value = body, ""
        if name == "+GCI" and profile.country_command:
            ok = len(value) == 2 and all(c in "0123456789ABCDEF" for c in value)
            return (), "OK" if ok else "ERROR"
        if name in profile.caller_id_commands:
            if value in _CID_MODES:
                self._cid_mode = _CID_MODES[value]
                return (), "OK"
            return (), "ERROR"
        region = {c.split("=", 1)[0] for cmds in profile.region_commands.values() for c in cmds}
        if name in region:
            return (), "OK"
        if name == "+FCLASS":
            if value in ("0", "1", "8"):
                self._fclass = value
                if value != "8":
                    self._vsm_ok = False
                return (), "OK"
            return (), "ERROR"
        if self._fclass != "8":
            return (), "ERROR"  # voice commands need voice mode
        if name == "+VSM":
            self._vsm_ok = value.split(",", 1)[0] == profile.voice_compression
            return (), "OK" if self._vsm_ok else "ERROR"
        if name == "+VLS":
            if value in ("1", "3"):  # 1: off-hook on the line; 3: the same with the local phone kept on it
                self._seize_line(f"+VLS={value}")
            elif value == "0":
                self._hang_up_line()
            else:
                return (), "ERROR"
            return (), "OK"
        if body in ("+VTX", "+VRX"):
            if self._offhook is None:
                return (), "ERROR"
            if body == "+VTX":
                self._on_vtx_start()
                self._state = "vtx"
                self._unshield = dle.Unshielder()
                with self._cond:
                    self._audio.append(SimAudio(started_at=time.monotonic()))
            else:
                self._state = "vrx"
                self._on_vrx_start()
            return (), "CONNECT"
        return (), "ERROR"

    def _result(self, code: str) -> None:
        if self._verbose:
            self._send(f"\r\n{code}\r\n".encode())
        else:
            self._send(f"{_RESULTS_V0.get(code, '4')}\r".encode())

    def _seize_line(self, via: str) -> None:
        if self._offhook is None:
            self._offhook = SimHangup(time.monotonic(), via)
            with self._cond:
                self._hangups.append(self._offhook)
                self._cond.notify_all()
        call = self._call
        if call is not None and call.phase == "car":
            # Number Display: the primary response. The exchange sends the FSK burst shortly after.
            call.phase = "number-display"
            call.primary_response_at = time.monotonic()
            self._at(time.monotonic() + call.call.nd_delay * self.time_scale,
                     lambda h=call: self._send_number_display(h))
        elif call is not None:
            call.answered = True

    def _hang_up_line(self) -> None:
        if self._offhook is not None:
            with self._cond:
                self._offhook.onhook_at = time.monotonic()
                self._cond.notify_all()
            self._offhook = None
        call = self._call
        if call is not None and call.phase == "number-display":
            # Reception complete: the exchange stops sending and rings the phone normally.
            self._rx_source.clear()
            call.phase = "ringing"
            self._normal_ringing(call, time.monotonic() + call.call.nd_ring_delay * self.time_scale)

    # ---- pty --------------------------------------------------------------------------------
    def _appear(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._keeper = master, slave
        self._out.clear()
        self._reset_state()
        tmp = self._link_path.with_name(self._link_path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self._link_path)
        with self._cond:
            self._cond.notify_all()

    def _disappear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._link_path.unlink()
        for fd in (self._master, self._keeper):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._keeper = None
        self._out.clear()
        self._hang_up_line()
        self._state = "command"
        with self._cond:
            self._cond.notify_all()

    def _send(self, data: bytes) -> None:
        if self._master is None or self._silent():
            return
        self._out += data
        if len(self._out) > _OUT_LIMIT:
            del self._out[: len(self._out) - _OUT_LIMIT]
        self._flush()

    def _flush(self) -> None:
        while self._out and self._master is not None:
            try:
                written = os.write(self._master, self._out)
            except BlockingIOError:
                return
            except OSError:
                self._out.clear()
                return
            del self._out[:written]

    def _silent(self) -> bool:
        return time.monotonic() < self._silent_until

    # ---- scheduling -------------------------------------------------------------------------
    def _soon(self, op: Callable[[], None]) -> None:
        with self._cond:
            self._ops.append(op)
        self._wake()

    def _at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (when, next(self._seq), action))

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"!")


__all__ = ["SimAudio", "SimCall", "SimCallHandle", "SimCommand", "SimHangup", "SimulatedModem"]
