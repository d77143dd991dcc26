"""`NotifySender`: the one thread that takes due notifications out of the outbox and delivers them.

It never touches a call: the appliance only queues. Each pass it reads the settings in force, and
- in quiet hours, holds everything until they end (then it goes out as one summary if many);
- sends health, digest and test items one by one;
- sends calls one by one up to `flood_limit` per minute; the calls beyond that wait until the
  minute is over and go out as ONE summary (20 fraud calls in a minute: the first at once, the
  other 19 together a minute later);
- marks an item sent only after apprise accepted it (at least once), and a failed one is retried
  with capped doubling backoff (`retry_first_seconds` .. `retry_max_seconds`).
A target that accepted an item is not sent it again when another target's failure makes it retry
(remembered in memory; after a restart every target is tried again: at least once).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from callerid.model import Action
from callerid.notify import message
from callerid.notify.deliver import Delivery, deliver
from callerid.notify.settings import NotifySettings, load, next_digest, quiet_until
from callerid.outbox import Outbox, OutboxItem

if TYPE_CHECKING:
    from callerid.store import Store

log = logging.getLogger("callerid.notify")

CHANNEL = Action.NOTIFY.value  # the outbox channel is named after the policy's action
FLOOD_WINDOW = 60.0
MAX_WAIT = 60.0  # re-read the settings (the website may change them) at least this often
SETTINGS_TTL = 5.0
KEEP_SENT_DAYS = 30


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _url_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class NotifySender:
    """See the module docstring. `start()` the thread, `stop()` it; `step()` is one pass (tests)."""

    def __init__(
        self,
        outbox: Outbox,
        settings: NotifySettings,
        store: Store | None = None,
        *,
        send: Callable[[Sequence[str], str, str], Delivery] = deliver,
        local_now: Callable[[], datetime] = _local_now,
        monotonic: Callable[[], float] = time.monotonic,
        on_delivered: Callable[[OutboxItem], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self._base = settings
        self._store = store
        self._send = send
        self._local_now = local_now
        self._mono = monotonic
        self._on_delivered = on_delivered
        self._settings = settings
        self._settings_at = -SETTINGS_TTL
        self._recent: deque[float] = deque()  # when call messages went out (flood window)
        self._accepted: dict[int, set[str]] = {}  # item id -> targets that already have it
        self._next_digest: datetime | None = None
        self._digest_plan: tuple[str, str] | None = None
        self._pruned_at = -1e18
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="callerid-notify", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.outbox.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def settings(self) -> NotifySettings:
        """The settings in force (the website's saved ones over the file's), cached a few seconds."""
        now = self._mono()
        if now - self._settings_at >= SETTINGS_TTL:
            self._settings = load(self._base, self._store)
            self._settings_at = now
        return self._settings

    def refresh(self) -> None:
        self._settings_at = -SETTINGS_TTL

    def _run(self) -> None:
        warmed = False
        while not self._stopping.is_set():
            seen = self.outbox.puts
            try:
                settings = self.settings()
                if settings.enabled and not warmed:
                    warmed = True
                    _warm_up()
                wait = self.step(settings)
            except Exception:  # a damaged item or a full disk must not end notifications
                log.exception("notification sender: unexpected error; trying again in a minute")
                wait = MAX_WAIT
            if self._stopping.is_set():
                break
            self.outbox.wait(max(0.0, min(wait, MAX_WAIT)), seen=seen)

    # -- one pass --------------------------------------------------------------------------------

    def step(self, settings: NotifySettings | None = None) -> float:
        """Deliver what is due now; returns the seconds until something may be due."""
        settings = settings or self.settings()
        self._plan_digest(settings)
        self._prune()
        if not settings.enabled:
            return MAX_WAIT
        now_local = self._local_now()
        quiet_end = quiet_until(settings.quiet_hours, now_local)
        if quiet_end is not None:
            return (quiet_end - now_local).total_seconds()
        items = self.outbox.due(CHANNEL, limit=500)
        calls = [i for i in items if i.payload.get("kind", "call") == "call"]
        for item in items:
            if item.payload.get("kind", "call") != "call":
                self._deliver_one(item, settings)
        hold = self._deliver_calls(calls, settings)
        waits = [MAX_WAIT]
        if hold is not None:  # calls held for the flood summary are due already: wait for the minute
            waits.append(hold)
        else:
            next_due = self.outbox.next_due_in(CHANNEL)
            if next_due is not None:
                waits.append(next_due)
        if self._next_digest is not None:
            waits.append((self._next_digest - now_local).total_seconds())
        return max(0.0, min(waits))

    def _deliver_calls(self, calls: list[OutboxItem], settings: NotifySettings) -> float | None:
        """Calls one by one within the flood limit, the rest as one summary; seconds to hold, or None."""
        if not calls:
            return None
        now = self._mono()
        while self._recent and now - self._recent[0] >= FLOOD_WINDOW:
            self._recent.popleft()
        room = settings.flood_limit - len(self._recent)
        if len(calls) <= room:
            for item in calls:
                if self._deliver_one(item, settings):
                    self._recent.append(self._mono())
            return None
        if room <= 0:  # the minute's allowance is used: the calls wait and go out together
            return self._recent[0] + FLOOD_WINDOW - now
        title, body = message.summary_message([c.payload for c in calls], settings.language, settings.link)
        result = self._send(settings.urls, title, body)
        if result.ok:
            self.outbox.mark_sent([c.id for c in calls])
            self._recent.append(self._mono())
            self.delivered += len(calls)
            log.info("notified the family of %d calls in one summary", len(calls))
            for item in calls:
                self._notify_delivered(item)
        else:
            for item in calls:
                self._failed(item, result, settings)
        return None

    def _deliver_one(self, item: OutboxItem, settings: NotifySettings) -> bool:
        try:
            title, body = message.render(item.payload, settings.language, settings.link)
        except Exception:  # a payload this version cannot read: never retried forever
            log.exception("notification %s cannot be written; dropping it", item.key)
            self.outbox.mark_sent([item.id])
            return False
        done = self._accepted.setdefault(item.id, set())
        targets = [u for u in settings.urls if _url_id(u) not in done]
        result = self._send(targets, title, body) if targets else Delivery(True)
        for url, (_, accepted) in zip(targets, result.results, strict=False):  # same order as targets
            if accepted:
                done.add(_url_id(url))
        if result.ok:
            self.outbox.mark_sent([item.id])
            self._accepted.pop(item.id, None)
            self.delivered += 1
            log.info("notified the family: %s", item.key)
            self._notify_delivered(item)
            return True
        self._failed(item, result, settings)
        return False

    def _failed(self, item: OutboxItem, result: Delivery, settings: NotifySettings) -> None:
        delay = self.outbox.mark_failed(item.id, result.detail, delay_for=settings.retry_delay)
        level = logging.WARNING if item.attempts == 0 else logging.INFO
        log.log(level, "notification %s not delivered (%s); retrying in %.0f s",
                item.key, result.detail, delay)

    def _notify_delivered(self, item: OutboxItem) -> None:
        if self._on_delivered is not None:
            try:
                self._on_delivered(item)
            except Exception:
                log.exception("delivery observer failed")

    # -- the digest and housekeeping -------------------------------------------------------------

    def _plan_digest(self, settings: NotifySettings) -> None:
        plan = (settings.digest, settings.digest_time)
        now = self._local_now()
        if plan != self._digest_plan:
            self._digest_plan = plan
            self._next_digest = next_digest(settings.digest, settings.digest_time, now)
        if self._next_digest is None or now < self._next_digest:
            return
        at = self._next_digest
        self._next_digest = next_digest(settings.digest, settings.digest_time, now)
        if settings.enabled and self._store is not None:
            item = digest_item(self._store, settings.digest, at)
            self.outbox.put(CHANNEL, f"digest:{settings.digest}:{at.date().isoformat()}", item)

    def _prune(self) -> None:
        now = self._mono()
        if now - self._pruned_at >= 86400:
            self._pruned_at = now
            try:
                self.outbox.prune_sent(KEEP_SENT_DAYS * 86400)
            except Exception as exc:
                log.debug("cannot prune the outbox: %s", exc)


def digest_item(store: Store, period: str, until: datetime) -> dict[str, Any]:
    """The digest payload for the day (or week) that ends at `until`."""
    import json

    since = until - timedelta(days=7 if period == "weekly" else 1)
    counts = store.counts(since=since, until=until)
    by_verdict: dict[str, int] = {}
    for record in store.calls(since=since, until=until, limit=10_000):
        by_verdict[record.verdict.verdict] = by_verdict.get(record.verdict.verdict, 0) + 1
    try:
        health = [f["condition"] for f in json.loads(store.get_setting("health.active") or "[]")]
    except (ValueError, TypeError, KeyError):
        health = []
    return {
        "kind": "digest", "period": period, "since": since.isoformat(), "until": until.isoformat(),
        "calls": counts.calls, "flagged": counts.flagged, "blocked": counts.blocked,
        "by_verdict": by_verdict, "health": health,
    }


def _warm_up() -> None:
    """Import apprise now, off the call path, so the first warning does not wait for it."""
    try:
        import apprise  # noqa: F401
    except ImportError:
        log.warning("notifications are set up but apprise is not installed (pip install apprise)")
