"""In-memory sliding-window limiters for password guesses and API tokens, per client address and overall.

Kept in memory on purpose: it protects one small appliance on a home network, and
a restart clearing it is harmless (a restart costs an attacker far more time than
the window). Refused attempts are not counted, so a family member who waits the
advertised Retry-After always gets in. A caller that turns out to be right
(the correct password or API token) hands its slot back with `forgive`, so only
failures add up, yet parallel guesses cannot slip past the count.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("callerid.web")


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


#: Every address together may make this many password or setup-code attempts per window.
#: Why 30 per 10 minutes: a household of a few phones never comes near it (five typos each would
#: take six people in ten minutes), while a swarm of addresses drops from the ~967 guesses a minute
#: measured to 3 a minute (about 4,300 a day instead of 1.4 million), and the scrypt work those
#: guesses cost stays around 5% of one core of a Pi Zero 2 W instead of all four server threads.
GLOBAL_LOGIN_ATTEMPTS = 30
GLOBAL_LOGIN_WINDOW = 600.0
#: Per address: a family member who mistypes five times waits a minute.
ADDRESS_LOGIN_ATTEMPTS = 5
ADDRESS_LOGIN_WINDOW = 60.0

_EVERYONE = "*"


class LoginLimiter:
    """Password and setup-code attempts: a limit per address and one budget shared by every address.

    The per-address limit stops one machine guessing; the shared budget stops many addresses (a
    whole /8 on the home network, or IPv6) from multiplying it. Under a swarm the family cannot log
    in until it stops (already logged-in phones are unaffected, and `callerid passwd` always works);
    one warning goes to the log so the journal shows why. API tokens have a limiter of their own.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        per_address: tuple[int, float] = (ADDRESS_LOGIN_ATTEMPTS, ADDRESS_LOGIN_WINDOW),
        everyone: tuple[int, float] = (GLOBAL_LOGIN_ATTEMPTS, GLOBAL_LOGIN_WINDOW),
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.per_address = RateLimiter(*per_address, clock=clock)
        self.everyone = RateLimiter(*everyone, clock=clock)
        self.clock = clock
        self._warn = warn or log.warning
        self._quiet_until = -math.inf

    def attempt(self, address: str) -> int:
        """Record an attempt; 0 when it may go ahead, else the whole seconds to wait."""
        wait = self.per_address.attempt(address)
        if wait:
            return wait
        wait = self.everyone.attempt(_EVERYONE)
        if wait:
            self.per_address.forgive(address)  # refused attempts are not counted anywhere
            self._warn_once(wait)
        return wait

    def forgive(self, address: str) -> None:
        """The attempt succeeded: hand its slot back to the address and to the shared budget."""
        self.per_address.forgive(address)
        self.everyone.forgive(_EVERYONE)

    def _warn_once(self, wait: int) -> None:
        now = self.clock()
        if now < self._quiet_until:
            return
        self._quiet_until = now + self.everyone.window
        self._warn(
            f"{self.everyone.limit} failed login attempts within {self.everyone.window:g} s from the home "
            f"network: logins paused for {wait} s (is something guessing the website password?)"
        )


def token_limiter(clock: Callable[[], float] = time.monotonic) -> RateLimiter:
    """Bad API tokens per address, counted apart from logins: a family script with a stale token
    must not lock the household's browser on the same machine out. Tokens are 20+ random
    characters, so no shared budget is needed against guessing; this only keeps the log quiet."""
    return RateLimiter(ADDRESS_LOGIN_ATTEMPTS, ADDRESS_LOGIN_WINDOW, clock=clock)
