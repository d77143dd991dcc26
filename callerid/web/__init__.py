"""The family website: a Flask app served by waitress on the home network.

`create_app(config, store)` builds the app; `start_in_thread(config, store)` serves it in a
background thread (beside the appliance, or for `callerid web`) and returns a handle with `stop()`.

Flask and waitress are imported here, not by the appliance's call path: the
appliance imports this package only when the website is enabled.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, send_from_directory
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from callerid.web import (
    api,
    auth,
    credentials,
    notify_settings,
    pages,
    recordings,
    recovery,
    security,
    settings,
)
from callerid.web.i18n import translate
from callerid.web.ratelimit import LoginLimiter, RateLimiter
from callerid.web.ratelimit import token_limiter as _token_limiter
from callerid.web.state import WebState

if TYPE_CHECKING:
    from callerid.config import Config
    from callerid.store import Store

log = logging.getLogger("callerid.web")

MAX_REQUEST_BYTES = 512 * 1024  # the largest thing anyone sends is a list CSV
SERVER_THREADS = 4  # each password check holds ~32 MB of scrypt memory: keep this small on a Pi


def _print_setup_code(code: str) -> None:
    print(
        "callerid web: no password is set yet. Open /setup on the family website and enter the "
        f"one-time setup code {code}  (or set one with `callerid passwd`).",
        flush=True,
    )


def _no_safe_filter(value: Any) -> Any:
    """Stands in for Jinja's `|safe`: caller data must never be marked safe, so this escapes anyway."""
    return escape(value)


def create_app(
    config: Config,
    store: Store,
    *,
    now: Callable[[], datetime] | None = None,
    limiter: LoginLimiter | None = None,
    token_limiter: RateLimiter | None = None,
    announce: Callable[[str], None] = _print_setup_code,
    boot_dir: Path | None = None,
) -> Flask:
    """The website for `config`, reading and writing `store`.

    With `boot_dir` (the SD card's boot partition on the appliance), a password reset file there
    clears the password first (`recovery.reset_from_boot_partition`). With no password set yet, a
    fresh one-time setup code is made, its hash stored, and the code passed to `announce`
    (printed to stdout, hence the terminal or the journal, where the image's
    callerid-setup-code.service finds it for the HDMI console and the boot partition).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=credentials.secret_key(store),
        SESSION_COOKIE_NAME="callerid_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=False,  # plain HTTP on the home LAN; see docs/web.md
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=security.SESSION_SECONDS),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_PARTS=200,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.filters["safe"] = _no_safe_filter

    web_state = WebState(
        config=config,
        store=store,
        limiter=limiter or LoginLimiter(),
        token_limiter=token_limiter or _token_limiter(),
    )
    if now is not None:
        web_state.now = now
        web_state.started_at = now()
    app.extensions["callerid"] = web_state

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(api.bp)
    notify_settings.install(app)
    app.register_blueprint(recordings.bp)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    security.install(app)
    _install_error_pages(app)

    if boot_dir is not None:
        recovery.reset_from_boot_partition(store, boot_dir)
    if not credentials.has_password(store):
        web_state.setup_code = credentials.new_setup_code(store)
        announce(web_state.setup_code)
    return app


def _favicon() -> Response:
    return send_from_directory(current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml")


def _bare_error_page(status: int) -> Response:
    """An error page that needs no URL building: for a request Werkzeug could not bind to a URL map.

    A Host header IDNA cannot encode (a label over 63 characters, an empty label) leaves Flask
    without a URL adapter, so every `url_for` in the normal templates would raise again inside the
    error handler: a 500 and a page of tracebacks for one unauthenticated request.
    """
    text = escape(translate(getattr(g, "lang", "en"), "error_400" if status == 400 else "error_500"))
    html = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{text}</p>\n"
    return Response(html, status=status, mimetype="text/html")


def _install_error_pages(app: Flask) -> None:
    def render_error(status: int, retry_after: int | None = None) -> Response:
        if request_ctx.url_adapter is None and not security.is_api():
            return _bare_error_page(status)
        if security.is_api():
            messages = {400: "bad request", 404: "not found", 405: "method not allowed",
                        413: "request too large", 429: "too many attempts"}
            response = jsonify({"error": messages.get(status, "server error")})
        else:
            lang_key = f"error_{status}" if status in (400, 404, 413, 429) else "error_500"
            if status == 405:
                lang_key = "error_404"
            if not hasattr(g, "lang"):
                g.lang = "en"
            try:
                html = render_template(
                    "error.html", status=status, message_key=lang_key, seconds=retry_after or 0
                )
            except Exception:  # an error page must never raise into Flask's handler again (a log flood)
                log.warning("the %d page could not be rendered for %s; sent a plain one", status,
                            request.path[:80], exc_info=True)
                return _bare_error_page(status)
            response = Response(html, mimetype="text/html")
        response.status_code = status
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return render_error(exc.code or 500)

    @app.errorhandler(security.TooManyAttempts)
    def too_many(exc: security.TooManyAttempts) -> Response:
        return render_error(429, exc.retry_after)

    @app.errorhandler(Exception)
    def crash(exc: Exception) -> Response:
        log.exception("error serving %s", request.path)
        return render_error(500)


@dataclass
class WebServer:
    """A waitress server running in a background thread; `stop()` ends it within a few seconds."""

    server: Any
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        from waitress import wasyncore

        if not self.thread.is_alive():
            return
        server = self.server
        # Close every socket from inside the server's own loop thread (wasyncore is not thread-safe);
        # with its socket map empty the loop returns and the thread ends.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        except OSError:  # the loop already closed its trigger (EBADF): it is shutting down by itself
            log.debug("website loop already closing")
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("website thread did not stop within %.1f s", timeout)


def start_in_thread(
    config: Config,
    store: Store,
    *,
    host: str | None = None,
    port: int | None = None,
    app: Flask | None = None,
    boot_dir: Path | None = None,
) -> WebServer:
    """Serve the website beside the appliance; the port is bound before this returns.

    The port is bound before the app is built, so a busy port (another appliance or demo already
    serving it) raises OSError before a setup code is made: a code is never printed, or its hash
    stored over the one the running site announced, for a website that does not exist.
    """
    from waitress import create_server

    bind_host = config.web.host if host is None else host
    bind_port = config.web.port if port is None else port
    built: list[Flask] = []

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return built[0](environ, start_response)

    try:
        server = create_server(application, host=bind_host, port=bind_port, threads=SERVER_THREADS,
                               ident="callerid")
    except ValueError:
        # waitress's word for "getaddrinfo found nothing": for the callers it is an address they
        # cannot listen on, like EADDRNOTAVAIL, so they report it in one line as they do that.
        problem = f"{bind_host!r} is not an address or a host name that resolves"
        raise OSError(errno.EADDRNOTAVAIL, problem) from None
    try:
        built.append(app or create_app(config, store, boot_dir=boot_dir))
    except BaseException:
        server.task_dispatcher.shutdown(timeout=1.0)
        server.close()
        raise
    thread = threading.Thread(target=server.run, name="callerid-web", daemon=True)
    thread.start()
    handle = WebServer(server=server, thread=thread, host=bind_host, port=int(server.effective_port))
    if bind_host in ("0.0.0.0", "::", ""):
        log.info("family website on port %d of every address of this machine (on the appliance: "
                 "http://callerid.local:%d/)", handle.port, handle.port)
    else:
        log.info("family website on %s", handle.url)
    return handle


__all__ = ["WebServer", "create_app", "start_in_thread"]
