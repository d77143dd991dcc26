"""Action requests (hang up, play to the caller, Number Display) queued from any thread for the
driver's thread, each remembering when it was asked and for which call (`ref`)."""

from __future__ import annotations

import queue
from dataclasses import dataclass

#: The requests that answer a call and hang it up: the appliance hears what became of each.
HANG_UPS = frozenset({"hang_up", "play"})


@dataclass(frozen=True, slots=True)
class Request:
    kind: str  # "hang_up" | "play" | "number_display"
    arg: str | None
    queued_at: float
    ref: str | None = None


class Requests:
    """A thread-safe queue of requests; the driver's thread takes them and expires stale ones."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Request] = queue.SimpleQueue()

    def put(self, request: Request) -> None:
        self._queue.put(request)

    def take(self) -> Request | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def expire(self, now: float, max_age: float, *, everything: bool = False) -> list[Request]:
        """Remove and return the hang-up requests older than `max_age` (all requests with
        `everything`); younger ones stay for a port that may come back in time."""
        keep, gone = [], []
        while (request := self.take()) is not None:
            if not everything and now - request.queued_at <= max_age:
                keep.append(request)
            elif request.kind in HANG_UPS:
                gone.append(request)
        for request in keep:
            self._queue.put(request)
        return gone


__all__ = ["HANG_UPS", "Request", "Requests"]
