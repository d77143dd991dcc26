"""The recordings' own thread: encoding and deleting files never holds up a call.

The appliance's loop hands each finished join here and goes back to the line at once. The worker
saves the recording (FLAC, linked to its call), marks the call's actions with "record", and
applies retention and the size cap after every save and once an hour.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from callerid.model import Action
from callerid.modem.join import JoinResult
from callerid.recording.storage import RecordingStorage

log = logging.getLogger(__name__)

#: How often retention runs when no call comes.
SWEEP_SECONDS = 3600.0


@dataclass(frozen=True)
class _Job:
    call_id: int
    result: JoinResult


class RecordingWorker:
    """Saves joins' recordings in the background; `submit` returns at once."""

    def __init__(self, storage: RecordingStorage, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.storage = storage
        self._sweep_seconds = sweep_seconds
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="recordings", daemon=True)
        self.saved = threading.Semaphore(0)  # released after every job (tests wait on it)

    def start(self) -> None:
        self._thread.start()

    def submit(self, call_id: int, result: JoinResult) -> None:
        self._jobs.put(_Job(call_id, result))

    def close(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        self._guard(self.storage.enforce)
        while True:
            try:
                job = self._jobs.get(timeout=self._sweep_seconds)
            except queue.Empty:
                self._guard(self.storage.enforce)
                continue
            if job is None:
                return
            self._guard(lambda j=job: self._save(j))
            self.saved.release()

    def _save(self, job: _Job) -> None:
        result = job.result
        saved = self.storage.save(job.call_id, result.samples, encoding=result.encoding, rate=result.rate,
                                  ended_by=result.ended_by)
        if saved is None:
            return
        log.info("recorded call %s: %.1f s (%s)", job.call_id, saved.seconds, saved.ended_by)
        store = self.storage.store
        call = store.get_call(job.call_id)
        if call is not None and Action.RECORD not in call.actions:
            store.set_actions(job.call_id, sorted({*map(str, call.actions), str(Action.RECORD)}))
        self.storage.enforce()

    @staticmethod
    def _guard(fn) -> None:  # noqa: ANN001 - a callable
        try:
            fn()
        except Exception:  # a disk error must not end the worker: the next call may be recorded
            log.exception("recording storage failed")


__all__ = ["RecordingWorker"]
