"""Who may see what: the login gate, CSRF, API tokens, rate limits and security headers.

Everything is enforced in `before_request`/`after_request` hooks for the whole app,
not per route, so a page added later cannot forget its login check or its CSRF check:
only the endpoints in `PUBLIC_ENDPOINTS` are reachable without a session.
"""

from __future__ import annotations

import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, jsonify, redirect, request, session, url_for

from callerid.web import credentials
from callerid.web.i18n import LANGUAGES, choose_language, translate
from callerid.web.state import state

#: Reachable without logging in: the login and setup forms, the language switch, the stylesheet.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.setup", "auth.language", "static", "favicon"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_SECONDS = 30 * 24 * 3600  # a family member's phone stays logged in for a month

#: No script at all, styles only from our own stylesheet, nothing may frame us, forms post only here;
#: audio only from here (a call's recording on its page).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class TooManyAttempts(Exception):
    """Raised by handlers when the limiter refuses; rendered as 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def client_address() -> str:
    """The peer address as waitress saw it; forwarding headers are not trusted (no proxy in front)."""
    return request.remote_addr or "unknown"


def is_api() -> bool:
    return (request.endpoint or "").startswith("api.") or request.path.startswith("/api/")


# --- session login -------------------------------------------------------------------------


def logged_in() -> bool:
    """A session counts only with the current epoch, a password set, and within its lifetime."""
    epoch = session.get("epoch")
    login_at = session.get("login_at")
    if not isinstance(epoch, str) or not isinstance(login_at, int | float):
        return False
    now = time.time()
    if now - login_at > SESSION_SECONDS or login_at > now + 300:
        return False
    store = state().store
    if not credentials.has_password(store):
        return False
    return hmac.compare_digest(epoch.encode(), credentials.session_epoch(store).encode())


def start_session() -> None:
    """A fresh session after a good password: old contents (and CSRF token) are dropped."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["epoch"] = credentials.session_epoch(state().store)
    session["login_at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)
    if lang in LANGUAGES:
        session["lang"] = lang


def safe_next(target: str | None) -> str:
    """Only a path on this site may be a redirect target (no `//evil`, no `https://evil`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.today")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return url_for("pages.today")
    return target


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token, created on first use; forms carry it as `csrf_token`."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not isinstance(expected, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("utf-8"))


def same_origin() -> bool:
    """A browser's Origin header, when it names a site, must name this one (defence in depth beside CSRF).

    Under `Referrer-Policy: no-referrer` Chromium sends `Origin: null` even for our own forms,
    so "null" tells us nothing and is left to the CSRF token and the SameSite=Strict cookie.
    """
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host and parts.scheme == request.scheme


# --- API token -------------------------------------------------------------------------------


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _api_refusal(status: int, message: str, **headers: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _check_token() -> Response | None:
    """Authorize an API request that brought an Authorization header; a refusal response or None."""
    limiter = state().token_limiter
    address = client_address()
    wait = limiter.attempt(address)
    if wait:
        return _api_refusal(429, "too many failed attempts", Retry_After=str(wait))
    configured = state().config.web.api_token
    sent = _bearer_token()
    if configured and sent and hmac.compare_digest(sent.encode("utf-8", "replace"), configured.encode()):
        limiter.forgive(address)
        g.auth = "token"
        return None
    reason = "no API token is configured" if not configured else "bad API token"
    return _api_refusal(401, reason, WWW_Authenticate='Bearer realm="callerid"')


# --- hooks -----------------------------------------------------------------------------------


def _choose_language() -> None:
    cfg = state().config
    g.lang = choose_language(
        chosen=session.get("lang"),
        configured_web=state().store.get_setting("web.language") or getattr(cfg.web, "language", "auto"),
        configured=getattr(cfg, "language", "ja"),
        accept_language_best=request.accept_languages.best_match(LANGUAGES),
    )


def _gate() -> Response | None:
    """Refuse anything that is not logged in (or token-authorized), then anything without CSRF."""
    g.auth = None
    endpoint = request.endpoint
    if endpoint is None:  # unknown URL or wrong method: routing will answer 404/405
        return None
    if is_api() and request.headers.get("Authorization") is not None:
        return _check_token()
    if logged_in():
        g.auth = "session"
    elif endpoint not in PUBLIC_ENDPOINTS:
        if is_api():
            return _api_refusal(401, "login required", WWW_Authenticate='Bearer realm="callerid"')
        if not credentials.has_password(state().store):
            return redirect(url_for("auth.setup"))
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target))
    if request.method not in SAFE_METHODS and not (csrf_ok() and same_origin()):
        if is_api():
            return _api_refusal(400, "missing or bad CSRF token (send X-CSRF-Token)")
        abort(400)
    return None


def _add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in ("static", "favicon"):
        response.headers["Cache-Control"] = "no-store"
    return response


def translate_here(key: str, **values: object) -> str:
    return translate(getattr(g, "lang", "en"), key, **values)


def install(app: Flask) -> None:
    app.before_request(_choose_language)
    app.before_request(_gate)
    app.after_request(_add_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, _=translate_here)


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PUBLIC_ENDPOINTS",
    "SECURITY_HEADERS",
    "TooManyAttempts",
    "client_address",
    "csrf_token",
    "install",
    "logged_in",
    "safe_next",
    "start_session",
    "translate_here",
]
