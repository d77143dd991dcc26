"""The `recordings` table: which FLAC file beside the database belongs to which call.

The audio itself lives in files (callerid.recording.storage), not in SQLite: a 30-minute call is
megabytes, and the website streams it with HTTP range requests. A row is written only once its
file is complete, and deleting a call deletes its row (ON DELETE CASCADE, migration 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from callerid.store import rows
from callerid.store.database import Database, guarded


@dataclass(frozen=True, slots=True)
class Recording:
    """One call's recording as the log knows it."""

    id: int
    call_id: int
    file: str  # the file's name inside the recordings folder (never a path from outside)
    seconds: float
    bytes: int
    created_at: str  # UTC, ISO 8601
    ended_by: str  # why the recording stopped: caller-gone, quiet, time-limit, button, ...


class RecordingRows(Database):
    """The `recordings` table (one row per recording, linked to its call)."""

    @guarded
    def add_recording(
        self, call_id: int, file: str, seconds: float, size: int, *, ended_by: str = "",
        created_at: str | None = None,
    ) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO recordings (call_id, file, seconds, bytes, created_at, ended_by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (int(call_id), file, float(seconds), int(size), created_at or rows.now_utc(), ended_by),
            )
            return int(cursor.lastrowid or 0)

    @guarded
    def recording_for_call(self, call_id: int) -> Recording | None:
        row = self._conn().execute(
            f"SELECT {_COLUMNS} FROM recordings WHERE call_id = ? ORDER BY id DESC LIMIT 1", (int(call_id),)
        ).fetchone()
        return _recording(row) if row is not None else None

    @guarded
    def recordings(self) -> list[Recording]:
        """Every recording, oldest first (the order retention deletes them in)."""
        found = self._conn().execute(f"SELECT {_COLUMNS} FROM recordings ORDER BY created_at, id")
        return [_recording(r) for r in found]

    @guarded
    def recording_files(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT file FROM recordings")}

    @guarded
    def delete_recording(self, recording_id: int) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM recordings WHERE id = ?", (int(recording_id),)).rowcount > 0

    @guarded
    def delete_call(self, call_id: int) -> bool:
        """Delete one call (its recording row goes with it; the file follows at the next sweep)."""
        with self._write() as conn:
            return conn.execute("DELETE FROM calls WHERE id = ?", (int(call_id),)).rowcount > 0


_COLUMNS = "id, call_id, file, seconds, bytes, created_at, ended_by"


def _recording(row: object) -> Recording:
    r = tuple(row)  # type: ignore[arg-type]
    return Recording(int(r[0]), int(r[1]), str(r[2]), float(r[3]), int(r[4]), str(r[5]), str(r[6]))


__all__ = ["Recording", "RecordingRows"]
