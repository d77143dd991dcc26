"""`callerid fleet web`: a read-only page of every home's status and recent flagged calls.

It is the home site's own Flask app (same login, CSRF, security headers, look and languages)
with one more page, `/fleet`, fed by a `FleetFeed` subscribed to every home's status and calls.
Everything on it came over the network from the homes, so every field is cleaned and bounded
and Jinja escapes it; the page has no form that changes anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, g, render_template

from callerid.fleet.watch import FleetFeed
from callerid.web import create_app, present, start_in_thread

if TYPE_CHECKING:
    from flask import Flask

    from callerid.config import Config
    from callerid.fleet.config import Broker
    from callerid.store import Store

bp = Blueprint("fleet", __name__, template_folder="templates")
EXTENSION = "callerid_fleet"


def _text(value: Any, limit: int) -> str:
    return present.shorten(present.clean_text("" if value is None else value), limit)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def home_view(home: str, status: dict[str, Any], flagged: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """What the page shows for one home, every field from the network cleaned and bounded."""
    last = status.get("last_call") if isinstance(status.get("last_call"), dict) else None
    count = status.get("flagged_today")
    pending = status.get("pending_events")
    return {
        "home": _text(home, 64),
        "online": status.get("state") == "online",
        "alarm": status.get("alarm") is True,
        "modem": _text(status.get("modem"), 40),
        "flagged_today": count if _whole(count) else None,
        "pending": pending if _whole(pending) and pending > 0 else 0,
        "last": None if last is None else {
            "time": _text(last.get("time"), 32),
            "number": _text(last.get("number") or "—", 32),
            "headline": present.verdict_headline(str(last.get("verdict") or ""), lang),
        },
        "flagged": [
            {
                "time": _text(call.get("time"), 32),
                "number": _text(call.get("number") or "—", 32),
                "headline": present.verdict_headline(str(call.get("verdict") or ""), lang),
                "severity": present.severity(str(call.get("verdict") or "")),
            }
            for call in flagged[:10]
        ],
    }


@bp.route("/fleet")
def fleet() -> str:
    feed: FleetFeed = current_app.extensions[EXTENSION]
    homes = [home_view(home, status, flagged, g.lang) for home, status, flagged in feed.snapshot()]
    return render_template("fleet.html", homes=homes)


def fleet_app(config: Config, store: Store, feed: FleetFeed) -> Flask:
    """The home site's app with the `/fleet` page added."""
    app = create_app(config, store)
    app.register_blueprint(bp)
    app.extensions[EXTENSION] = feed
    return app


def serve_fleet_page(config: Config, store: Store, broker: Broker, *, host: str, port: int) -> None:
    """Follow the broker and serve the page until Ctrl-C."""
    feed = FleetFeed(config.fleet, broker, client_id=f"callerid-fleet-web-{port}")
    try:
        server = start_in_thread(config, store, host=host, port=port, app=fleet_app(config, store, feed))
        print(f"callerid fleet web: every home on {broker.url}, at {server.url}/fleet (Ctrl-C stops)",
              flush=True)
        try:
            server.thread.join()
        finally:
            server.stop()
    finally:
        feed.close()


__all__ = ["fleet_app", "home_view", "serve_fleet_page"]
