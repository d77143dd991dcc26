"""What every request handler needs: the Store, the configuration, the limiters, the clock.

Kept on `app.extensions["callerid"]` rather than in module globals so that two
apps (the appliance's and a test's) never share anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app

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
