"""Logging in and out, first-run setup with the one-time code, and the language switch."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for

from callerid.web import credentials
from callerid.web.i18n import LANGUAGES
from callerid.web.security import (
    TooManyAttempts,
    client_address,
    logged_in,
    safe_next,
    start_session,
    translate_here,
)
from callerid.web.state import state

bp = Blueprint("auth", __name__)


def limit_attempts() -> None:
    """Count a password or setup-code attempt from this address; refuse when there were too many."""
    wait = state().limiter.attempt(client_address())
    if wait:
        raise TooManyAttempts(wait)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    store = state().store
    if not credentials.has_password(store):
        return redirect(url_for("auth.setup"))
    next_target = request.values.get("next", "")
    if request.method == "GET":
        if logged_in():
            return redirect(safe_next(next_target))
        return render_template("login.html", next_target=next_target, error=None)
    limit_attempts()
    if credentials.check_password(store, request.form.get("password", "")):
        state().limiter.forgive(client_address())
        start_session()
        return redirect(safe_next(next_target))
    return render_template("login.html", next_target=next_target, error=translate_here("login_failed")), 401


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang
    flash(translate_here("logged_out"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
def logout_everywhere() -> Response:
    """Replace the session epoch: every phone and browser that was logged in must log in again."""
    credentials.rotate_epoch(state().store)
    session.clear()
    flash(translate_here("logged_out_everywhere"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Response | str | tuple[str, int]:
    store = state().store
    if credentials.has_password(store):
        flash(translate_here("already_set_up"), "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("setup.html", error=None)
    limit_attempts()
    if not credentials.check_setup_code(store, request.form.get("setup_code", "")):
        return render_template("setup.html", error=translate_here("setup_bad_code")), 401
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        state().limiter.forgive(client_address())
        return render_template("setup.html", error=translate_here("password_mismatch")), 400
    try:
        credentials.set_password(store, password)
    except credentials.PasswordProblem as problem:
        state().limiter.forgive(client_address())
        return render_template("setup.html", error=translate_here(problem.key, **problem.values)), 400
    state().limiter.forgive(client_address())
    state().setup_code = None
    flash(translate_here("setup_done"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")))
