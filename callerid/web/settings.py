"""/settings: the family changes the password, the site's language and the household's time zone.

Every change is a POST carrying the CSRF token (enforced for the whole app in `security._gate`).
Changing the password needs the current one, ends every other session (new session epoch) and
keeps this browser logged in with a fresh session.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from callerid import household
from callerid.web import credentials
from callerid.web.auth import limit_attempts
from callerid.web.i18n import LANGUAGES, translate
from callerid.web.security import client_address, start_session, translate_here
from callerid.web.state import state

bp = Blueprint("settings", __name__)

#: The site's own language, chosen here; a visitor's language button still wins for their session.
LANGUAGE_SETTING = "web.language"
NOTIFY_PATH = "/settings/notify"


def _has_route(path: str) -> bool:
    return any(rule.rule == path for rule in current_app.url_map.iter_rules())


@bp.route("/settings")
def settings() -> str:
    st = state()
    current_language = st.store.get_setting(LANGUAGE_SETTING) or st.config.web.language
    return render_template(
        "settings.html",
        languages=LANGUAGES,
        current_language=current_language,
        zone=household.zone_name(st.store, st.config.region),
        zones=household.zone_names(),
        notify_link=NOTIFY_PATH if _has_route(NOTIFY_PATH) else None,
        min_password=credentials.MIN_PASSWORD,
    )


@bp.route("/settings/password", methods=["POST"])
def change_password() -> Response | tuple[str, int]:
    store = state().store
    limit_attempts()
    if not credentials.check_password(store, request.form.get("current", "")):
        flash(translate_here("wrong_current_password"), "error")
        return redirect(url_for("settings.settings"))
    state().limiter.forgive(client_address())
    new = request.form.get("password", "")
    if new != request.form.get("confirm", ""):
        flash(translate_here("password_mismatch"), "error")
        return redirect(url_for("settings.settings"))
    try:
        credentials.set_password(store, new)
    except credentials.PasswordProblem as problem:
        flash(translate_here(problem.key, **problem.values), "error")
        return redirect(url_for("settings.settings"))
    start_session()  # every other device is logged out by the new epoch; this one stays in
    flash(translate_here("password_changed"), "ok")
    return redirect(url_for("settings.settings"))


@bp.route("/settings/language", methods=["POST"])
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        state().store.set_setting(LANGUAGE_SETTING, chosen)
        session["lang"] = chosen
        flash(translate(chosen, "language_saved"), "ok")  # in the language just chosen
    return redirect(url_for("settings.settings"))


@bp.route("/settings/timezone", methods=["POST"])
def timezone() -> Response:
    try:
        chosen = household.set_zone(state().store, request.form.get("zone", ""))
    except ValueError:
        flash(translate_here("bad_timezone"), "error")
    else:
        flash(translate_here("timezone_saved", zone=chosen.key), "ok")
    return redirect(url_for("settings.settings"))
