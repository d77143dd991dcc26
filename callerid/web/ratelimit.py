"""An in-memory sliding-window limiter for password guesses, per client address.

Kept in memory on purpose: it protects one small appliance on a home network, and
a restart clearing it is harmless (a restart costs an attacker far more time than
the window). Refused attempts are not counted, so a family member who waits the
advertised Retry-After always gets in. A caller that turns out to be right
(the correct password or API token) hands its slot back with `forgive`, so only
failures add up, yet parallel guesses cannot slip past the count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` attempts per `window` seconds for each key (a client address)."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 4096,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, key: str) -> int:
        """Record an attempt; 0 when it may go ahead, else the whole seconds to wait."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._prune(now)
                hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return 0

    def forgive(self, key: str) -> None:
        """Take back the latest attempt of `key`: it succeeded, so it should not count against anyone."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()

    def _prune(self, now: float) -> None:
        """Forget idle addresses; if all are busy, forget the oldest so memory stays bounded."""
        stale = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]
        for key in stale:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:
            oldest = min(self._hits, key=lambda k: self._hits[k][-1])
            del self._hits[oldest]
