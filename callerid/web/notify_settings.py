"""The notification settings page (`/settings/notify`) and the health banner on every page.

Targets are apprise URLs, which carry tokens and passwords: the page shows each one masked (scheme
and last four characters), never puts one back into a form, and never logs one; a target is added
through a password field and removed by its position. Everything is saved in the settings table
(`notify.*`), where the running sender picks it up within seconds. "Send a test" delivers at once
and shows the result per target.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Flask, Response, flash, g, redirect, render_template, request, url_for

from callerid.health import conditions
from callerid.health.watch import active_faults
from callerid.model import VERDICT_CODES
from callerid.notify import message
from callerid.notify.deliver import check_url, deliver
from callerid.notify.message import verdict_text
from callerid.notify.sender import CHANNEL
from callerid.notify.settings import from_config, load, mask_url, save
from callerid.outbox import Outbox
from callerid.web.state import state

log = logging.getLogger("callerid.web")
bp = Blueprint("notify_settings", __name__)

MAX_TARGETS = 10
MAX_URL = 2000
_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "nav": "Notifications",
        "title": "Notifications",
        "intro": "Send warnings to the family's phones and e-mail (LINE, ntfy, Telegram, e-mail, "
                 "webhooks and more, through apprise).",
        "targets": "Where to send",
        "no_targets": "No targets yet: nothing leaves the house.",
        "remove": "Remove",
        "add_target": "Add a target (an apprise URL, e.g. ntfy://topic or mailto://user:pass@mail.example.com)",
        "verdicts": "Which calls",
        "quiet": "Quiet hours (held, then sent together)",
        "quiet_from": "from",
        "quiet_to": "to",
        "quiet_none": "leave both empty for none",
        "health": "Also tell us when protection stops and when it is back",
        "digest": "Summary",
        "digest_off": "none",
        "digest_daily": "every day",
        "digest_weekly": "every Monday",
        "digest_at": "at",
        "language": "Language of the messages",
        "save": "Save",
        "saved": "Saved.",
        "test": "Send a test",
        "test_ok": "Test sent to {target}.",
        "test_failed": "The test did NOT reach {target}. Check the URL and the network.",
        "test_none": "Add a target first.",
        "bad_url": "That target was not understood (it was not saved). Check it against the apprise "
                   "documentation.",
        "too_many": "At most {max} targets.",
        "bad_time": "Times must look like 22:00.",
        "banner_off": "Protection is OFF",
        "banner_check": "The appliance needs attention",
        "banner_since": "since {since}",
        "pending": "{count} messages waiting to be delivered.",
    },
    "ja": {
        "nav": "通知",
        "title": "通知の設定",
        "intro": "警告を家族のスマートフォンやメールに送ります（LINE・ntfy・Telegram・メール・Webhook など。"
                 "apprise を使います）。",
        "targets": "送り先",
        "no_targets": "送り先がありません。家の外には何も送られません。",
        "remove": "削除",
        "add_target": "送り先を追加（apprise の URL。例: ntfy://トピック名、mailto://ユーザー:パスワード@mail.example.com）",
        "verdicts": "通知する着信",
        "quiet": "通知しない時間帯（その間の通知は、終わってからまとめて送ります）",
        "quiet_from": "開始",
        "quiet_to": "終了",
        "quiet_none": "両方空欄で設定なし",
        "health": "装置の異常と復旧も知らせる",
        "digest": "まとめの通知",
        "digest_off": "なし",
        "digest_daily": "毎日",
        "digest_weekly": "毎週月曜",
        "digest_at": "時刻",
        "language": "通知の言語",
        "save": "保存",
        "saved": "保存しました。",
        "test": "テスト送信",
        "test_ok": "{target} にテストを送りました。",
        "test_failed": "{target} にテストが届きませんでした。URLとネットワークを確認してください。",
        "test_none": "先に送り先を追加してください。",
        "bad_url": "送り先の形式が正しくありません（保存していません）。apprise の説明を確認してください。",
        "too_many": "送り先は{max}件までです。",
        "bad_time": "時刻は 22:00 のように入力してください。",
        "banner_off": "保護が止まっています",
        "banner_check": "装置の点検が必要です",
        "banner_since": "{since}から",
        "pending": "未送信の通知が{count}件あります。",
    },
}


def nt(key: str, **values: object) -> str:
    table = STRINGS.get(getattr(g, "lang", "en"), STRINGS["en"])
    text = table.get(key) or STRINGS["en"][key]
    return text.format(**values) if values else text


def health_banner() -> dict[str, Any] | None:
    """The red banner's words for the faults the running appliance published, or None."""
    try:
        faults = active_faults(state().store)
    except Exception:
        return None
    if not faults:
        return None
    lang = getattr(g, "lang", "en")
    codes = [f["condition"] for f in faults]
    items = [
        {"title": conditions.title(code, lang), "explain": conditions.explain(code, lang),
         "since": message.time_text(str(f.get("since") or ""), lang)}
        for code, f in zip(codes, faults, strict=True)
    ]
    off = any(code in conditions.PROTECTION_OFF for code in codes)
    return {"headline": nt("banner_off" if off else "banner_check"), "faults": items}


def install(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(nt=nt, health_banner=health_banner)


def _settings() -> Any:
    st = state()
    return load(from_config(st.config), st.store)


@bp.route("/settings/notify")
def page() -> str:
    settings = _settings()
    pending = 0
    try:
        box = Outbox(state().store.path)
        try:
            pending = box.pending(CHANNEL)
        finally:
            box.close()
    except Exception:
        pending = 0
    return render_template(
        "notify_settings.html",
        targets=[mask_url(u) for u in settings.urls],
        verdicts=[{"code": c, "label": verdict_text(c, g.lang), "on": c in settings.verdicts}
                  for c in VERDICT_CODES],
        quiet_from=(settings.quiet_hours or "-").split("-")[0],
        quiet_to=(settings.quiet_hours or "-").split("-")[1],
        health=settings.health,
        digest=settings.digest,
        digest_time=settings.digest_time,
        language=settings.language,
        pending=pending,
        max_targets=MAX_TARGETS,
    )


@bp.route("/settings/notify", methods=["POST"])
def save_settings() -> Response:
    settings = _settings()
    form = request.form
    urls = list(settings.urls)
    remove = {int(v) for v in form.getlist("remove") if v.isdigit()}
    urls = [u for i, u in enumerate(urls) if i not in remove]
    new = form.get("new_url", "").strip()
    if new:
        if len(new) > MAX_URL or any(ord(c) < 32 for c in new) or "://" not in new or not check_url(new):
            flash(nt("bad_url"), "error")
            return redirect(url_for("notify_settings.page"))
        if len(urls) >= MAX_TARGETS:
            flash(nt("too_many", max=MAX_TARGETS), "error")
            return redirect(url_for("notify_settings.page"))
        if new not in urls:
            urls.append(new)
    quiet_from, quiet_to = form.get("quiet_from", "").strip(), form.get("quiet_to", "").strip()
    digest_time = form.get("digest_time", "").strip() or settings.digest_time
    times = [t for t in (quiet_from, quiet_to, digest_time) if t]
    if not all(_HHMM.fullmatch(t) for t in times) or bool(quiet_from) != bool(quiet_to):
        flash(nt("bad_time"), "error")
        return redirect(url_for("notify_settings.page"))
    quiet = ""
    if quiet_from and _hhmm(quiet_from) != _hhmm(quiet_to):
        quiet = f"{_hhmm(quiet_from)}-{_hhmm(quiet_to)}"
    digest = form.get("digest", "off")
    language = form.get("language", settings.language)
    save(
        state().store,
        urls=urls,
        verdicts=[c for c in VERDICT_CODES if c in form.getlist("verdicts")],
        quiet_hours=quiet,
        health=form.get("health") == "1",
        digest=digest if digest in ("off", "daily", "weekly") else "off",
        digest_time=_hhmm(digest_time),
        language=language if language in ("ja", "en") else settings.language,
    )
    log.info("notification settings changed from the website (%d targets)", len(urls))
    flash(nt("saved"), "ok")
    return redirect(url_for("notify_settings.page"))


@bp.route("/settings/notify/test", methods=["POST"])
def send_test() -> Response:
    settings = _settings()
    if not settings.urls:
        flash(nt("test_none"), "error")
        return redirect(url_for("notify_settings.page"))
    title, body = message.test_message(settings.language)
    for url in settings.urls:
        result = deliver([url], title, body)
        target = mask_url(url)
        flash(nt("test_ok" if result.ok else "test_failed", target=target), "ok" if result.ok else "error")
    return redirect(url_for("notify_settings.page"))


def _hhmm(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"
