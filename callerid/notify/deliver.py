"""Hand a message to apprise for a list of URLs; the only module that imports apprise.

apprise is imported lazily (it loads many service plugins): the appliance pays for it only when
the first notification leaves. Its own logging is silenced, and any error text that quotes a
URL has it masked, because apprise URLs carry tokens and passwords.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from callerid.notify.settings import mask_url

log = logging.getLogger("callerid.notify")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str = ""  # why not, for the log and the website (URLs masked)
    results: tuple[tuple[str, bool], ...] = ()  # (masked URL, delivered)


def deliver(urls: Sequence[str], title: str, body: str) -> Delivery:
    """Send to every URL; ok only when every target accepted it (a retry then resends to all)."""
    if not urls:
        return Delivery(False, "no notification targets are set")
    try:
        import apprise
    except ImportError:
        return Delivery(False, "apprise is not installed (pip install apprise)")
    logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its lines can name hosts and users
    results: list[tuple[str, bool]] = []
    for url in urls:
        sender = apprise.Apprise()
        if not sender.add(url):
            results.append((mask_url(url), False))
            continue
        try:
            ok = bool(sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT))
        except Exception as exc:  # a plugin bug must not end the sender thread
            log.debug("apprise raised %s", type(exc).__name__)
            ok = False
        results.append((mask_url(url), ok))
    failed = [masked for masked, ok in results if not ok]
    if failed:
        return Delivery(False, "not delivered to " + ", ".join(failed), tuple(results))
    return Delivery(True, "", tuple(results))


def check_url(url: str) -> bool:
    """True when apprise understands the URL (without sending anything)."""
    import apprise

    return apprise.Apprise().add(url)
