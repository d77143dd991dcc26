"""What every request handler needs: the Store, the configuration, the limiters, the clock.

Kept on `app.extensions["callerid"]` rather than in module globals so that two
apps (the appliance's and a test's) never share anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from flask import current_app, g

from callerid import household
from callerid.web.ratelimit import LoginLimiter, RateLimiter

if TYPE_CHECKING:
    from callerid.config import Config
    from callerid.store import Store


def _local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class WebState:
    config: Config
    store: Store
    limiter: LoginLimiter  # passwords and setup codes
    token_limiter: RateLimiter  # bad API tokens, apart from logins
    setup_code: str | None = None  # only in memory, for the terminal and tests; the Store has a hash
    now: Callable[[], datetime] = _local_now
    started_at: datetime = field(default_factory=_local_now)


def state() -> WebState:
    return current_app.extensions["callerid"]


def household_zone() -> tzinfo:
    """The household's time zone (read from the Store once per request)."""
    cached = g.get("household_zone")
    if cached is None:
        st = state()
        cached = household.zone(st.store, st.config.region)
        g.household_zone = cached
    return cached


def household_now() -> datetime:
    """Now on the household's clock, whatever zone this machine is set to."""
    return state().now().astimezone(household_zone())
