"""Recordings on disk: FLAC files beside the database, a retention period, a size cap, a free-space floor.

Why FLAC through soundfile: the recording may be evidence for the police, so it is kept lossless,
bit for bit what the modem heard; libsndfile is already how the appliance reads and writes audio
(callerid.wavfile), so no new library or codec; FLAC of 8 kHz telephone audio is about half the
size of WAV; and every current browser plays it in an HTML <audio> element. (Opus would be
smaller still, but lossy, and libsndfile's Opus support depends on its build.)

Files are written to a temporary name and renamed, then linked in the `recordings` table; a file
with no row (its call was deleted, on the website or by the log's pruning) is removed by `sweep`.
`enforce` deletes recordings past the retention period and, oldest first, whatever keeps the folder
over its cap or the disk under its free-space floor. A recording that cannot fit is dropped with one
line in the log: the disk is never filled.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from callerid.model import Action
from callerid.store.recordings import Recording
from callerid.wavfile import VoiceDecoder

if TYPE_CHECKING:
    from callerid.config import Config
    from callerid.store import Store

log = logging.getLogger(__name__)

SUFFIX = ".flac"
#: Decoded and written a second of audio at a time: a 30-minute call never sits in memory as floats.
BLOCK_SAMPLES = 8000


class RecordingStorage:
    """The recordings folder and its rules. `clock` (epoch seconds) and `free_bytes` are for tests."""

    def __init__(
        self,
        store: Store,
        folder: str | Path,
        *,
        retention_days: float = 30.0,
        max_total_bytes: int = 500 * 2**20,
        min_free_bytes: int = 200 * 2**20,
        clock: Callable[[], float] = time.time,
        free_bytes: Callable[[Path], int] | None = None,
    ) -> None:
        self.store = store
        self.folder = Path(folder)
        self.retention = timedelta(days=retention_days)
        self.max_total_bytes = int(max_total_bytes)
        self.min_free_bytes = int(min_free_bytes)
        self.clock = clock
        self._free = free_bytes or (lambda path: shutil.disk_usage(path).free)

    def path_of(self, recording: Recording) -> Path:
        """The file of a recording; only names this folder made are ever used."""
        return self.folder / Path(recording.file).name

    def save(self, call_id: int, raw: bytes, *, encoding: str, rate: int, ended_by: str) -> Recording | None:
        """Encode a modem's raw samples as FLAC, make room under the rules, link the file to the call.

        Returns None (and logs one line) when it cannot be kept: empty, no room, or the disk refused.
        """
        if not raw:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"call-{int(call_id)}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        try:
            tmp, frames = self._encode(raw, encoding, rate)
        except Exception as exc:  # a full disk, an unwritable folder: the call itself is already logged
            log.warning("recording of call %s not kept: cannot write it (%s)", call_id, exc)
            return None
        size = tmp.stat().st_size
        if not self._make_room(size):
            tmp.unlink(missing_ok=True)
            log.warning("recording of call %s not kept: no room for %d kB under the size cap and free-space "
                        "floor", call_id, size // 1024)
            return None
        final = self.folder / name
        os.replace(tmp, final)
        created = _iso(self.clock())
        try:
            rec_id = self.store.add_recording(call_id, name, frames / rate, size, ended_by=ended_by,
                                              created_at=created)
        except Exception as exc:  # the call was deleted meanwhile, or the database refused
            final.unlink(missing_ok=True)
            log.warning("recording of call %s not kept: %s", call_id, exc)
            return None
        return Recording(rec_id, int(call_id), name, frames / rate, size, created, ended_by)

    def enforce(self) -> int:
        """Apply retention, the size cap and the free-space floor; returns how many recordings went."""
        self.sweep()
        return self._delete_until(lambda total, free: total <= self.max_total_bytes
                                  and free >= self.min_free_bytes, expire=True)

    def sweep(self) -> int:
        """Delete files that no row links (their call was deleted) and stale temporary files."""
        if not self.folder.is_dir():
            return 0
        linked = self.store.recording_files()
        gone = 0
        for path in self.folder.iterdir():
            stale_tmp = path.name.startswith(".") and path.suffix == ".tmp" \
                and self.clock() - path.stat().st_mtime > 3600
            if (path.suffix == SUFFIX and path.name not in linked) or stale_tmp:
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def total_bytes(self) -> int:
        return sum(r.bytes for r in self.store.recordings())

    # -- internals -------------------------------------------------------------------------------

    def _make_room(self, incoming: int) -> bool:
        def fits(total: int, free: int) -> bool:
            # the new file is already on disk (as the temporary file): it counts in `free` already
            return total + incoming <= self.max_total_bytes and free >= self.min_free_bytes

        self._delete_until(fits, expire=True)
        return fits(self.total_bytes(), self._free(self.folder))

    def _delete_until(self, ok: Callable[[int, int], bool], *, expire: bool) -> int:
        """Delete expired recordings, then the oldest ones until `ok(total, free)`."""
        recordings = self.store.recordings()
        cutoff = _iso(self.clock() - self.retention.total_seconds())
        gone = 0
        total = sum(r.bytes for r in recordings)
        for rec in list(recordings):
            if expire and rec.created_at < cutoff:
                self._delete(rec)
                recordings.remove(rec)
                total -= rec.bytes
                gone += 1
        while recordings and not ok(total, self._free(self.folder)):
            oldest = recordings.pop(0)
            self._delete(oldest)
            total -= oldest.bytes
            gone += 1
        return gone

    def _delete(self, recording: Recording) -> None:
        self.store.delete_recording(recording.id)
        self.path_of(recording).unlink(missing_ok=True)
        log.info("deleted the recording of call %s (%s)", recording.call_id, recording.created_at)

    def _encode(self, raw: bytes, encoding: str, rate: int) -> tuple[Path, int]:
        import soundfile  # heavy: only when a recording is saved

        decoder = VoiceDecoder(encoding)
        fd, name = tempfile.mkstemp(prefix=".rec-", suffix=".tmp", dir=self.folder)
        os.close(fd)
        tmp = Path(name)
        frames = 0
        try:
            with soundfile.SoundFile(tmp, "w", samplerate=int(rate), channels=1, format="FLAC",
                                     subtype="PCM_16") as out:
                for start in range(0, len(raw), BLOCK_SAMPLES):
                    block = decoder.decode(raw[start : start + BLOCK_SAMPLES])
                    out.write(block.clip(-1.0, 32767 / 32768))
                    frames += len(block)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, frames


def recordings_folder(config: Config, db_path: str | None = None) -> Path:
    """Where the recordings live: [recording] folder, else "recordings" beside the database."""
    if config.recording.folder:
        return Path(config.recording.folder).expanduser()
    return Path(db_path or config.store.db).expanduser().parent / "recordings"


def recording_enabled(config: Config) -> bool:
    """Whether any call may be recorded under this configuration (for the website's notice)."""
    return config.recording.enabled and any(Action.RECORD in acts for acts in config.policy.actions.values())


def _iso(epoch: float) -> str:
    """UTC, the same form as the store's timestamps, so strings compare in time order."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


__all__ = ["RecordingStorage", "recording_enabled", "recordings_folder"]
