"""The `[recording]` section's values (checked and loaded by callerid.config; docs/recording.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordingConfig:
    """Joining answered calls the policy marks `record` (docs/recording.md)."""

    enabled: bool = True  # off: the `record` action is ignored everywhere
    language: str = ""  # of the announcement; "" follows [speech] language
    folder: str = ""  # "" = a "recordings" folder beside the database
    time_limit_minutes: float = 30.0
    retention_days: float = 30.0
    max_total_mb: float = 500.0
    min_free_mb: float = 200.0  # never fill the disk: keep at least this much free
    listen_seconds: float = 1.5  # after joining, before the announcement
    quiet_seconds: float = 8.0  # the line this long without speech ends the recording
    announcement_dbfs: float = -20.0  # RMS level of the announcement: modest, not a shout


__all__ = ["RecordingConfig"]
