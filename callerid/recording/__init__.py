"""Recording calls the household answered (issue 18): the announcement, the files, their rules.

The modem side (joining the line, listening, +VRX) is callerid.modem.join; this package is what
happens around it: `announcement` (what the caller hears), `storage` (FLAC files beside the
database, retention, size cap), `worker` (the thread that saves them off the call path).
"""

from callerid.recording.announcement import ANNOUNCEMENTS, build_announcement, render_announcement
from callerid.recording.storage import RecordingStorage
from callerid.recording.worker import RecordingWorker

__all__ = [
    "ANNOUNCEMENTS", "RecordingStorage", "RecordingWorker", "build_announcement", "render_announcement",
]
