"""The family's pages: today, the call log, one call, the lists, the appliance status.

Handlers turn Store records into plain view dictionaries (see `call_view`) so that
templates only print prepared, cleaned strings and never decide anything.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from callerid import __version__
from callerid import calls_csv as calls_csv_module
from callerid.config import screen_config
from callerid.listguard import allow_conflict, ignored_for_police, split_allowed
from callerid.model import Action, Advice, CallRecord, ListKind
from callerid.screen.engine import POLICE_VERDICTS, ScreenConfig
from callerid.store import OUTCOMES
from callerid.web import history, listio, present
from callerid.web.filters import VERDICTS, bounded_int, parse_filters
from callerid.web.security import safe_next, translate_here
from callerid.web.state import household_now, household_zone, state

if TYPE_CHECKING:
    from callerid.screen.lists import FamilyLists

bp = Blueprint("pages", __name__)

PER_PAGE = 20
LIST_NAME_CHARS = 28  # names on lists are cut here, visibly
DETAIL_NAME_CHARS = 400  # the call page shows this much, and says how much more there was
MAX_UPLOAD = 256 * 1024


@dataclass(frozen=True)
class ViewContext:
    """What every call on a page is shown with: language, the household's day and zone, the lists."""

    lang: str
    today: str
    zone: tzinfo
    lists: FamilyLists | None


def view_context() -> ViewContext:
    st = state()
    try:
        lists = st.store.family_lists(st.config.region)
    except ValueError:  # an unknown region: no labels, the calls all the same
        lists = None
    return ViewContext(g.lang, household_now().date().isoformat(), household_zone(), lists)


def call_view(
    record: CallRecord, ctx: ViewContext, *, today: bool = True, name_chars: int = LIST_NAME_CHARS
) -> dict:
    """What a page needs to show one call, every caller-controlled field cleaned and bounded."""
    verdict = record.verdict
    code = verdict.verdict
    lang = ctx.lang
    entry = present.list_entry(record, ctx.lists)
    if entry is not None and entry.kind == ListKind.ALLOW and code in POLICE_VERDICTS:
        entry = None  # ignored for police calls: a trusted name must not soften the warning
    return {
        "id": record.id,
        "time": present.time_text(record.received_at, lang, ctx.today if today else None, tz=ctx.zone),
        "number": present.shorten(present.number_text(record, lang), 32),
        "name": present.show(record.caller.name, name_chars),
        "label": present.show(entry.label if entry else "", LIST_NAME_CHARS),
        "list_kind": entry.kind if entry else "",
        "code": present.clean_text(code)[:32],
        "headline": present.verdict_headline(code, lang),
        "severity": present.severity(code),
        "flagged": verdict.flagged,
        "blocked": Action.BLOCK in record.actions,
        "actions": present.action_labels(record.actions, lang),
        "outcome": present.action_labels(record.actions, lang, quiet=(Action.PANEL,), empty=False),
        "reviewed": record.reviewed,
        "hang_up_failed": record.hang_up_done is False,  # asked for, never reached the line
    }


def _day_range(day: date, zone: tzinfo) -> dict[str, datetime]:
    """The household's calendar day as a half-open UTC-comparable range."""
    start = datetime.combine(day, time(), zone)
    return {"since": start, "until": datetime.combine(day + timedelta(days=1), time(), zone)}


NEEDS_LOOK_SHOWN = 10
TODAY_SHOWN = 20


@bp.route("/")
def today() -> str:
    store = state().store
    ctx = view_context()
    day = date.fromisoformat(ctx.today)
    span = _day_range(day, ctx.zone)
    counts = store.counts(**span)
    needs_look = store.calls(needs_look=True, limit=NEEDS_LOOK_SHOWN)
    shown = {r.id for r in needs_look}
    # Today's other calls: each call appears once on this page, under "needs a look" or here.
    todays = [r for r in store.calls(limit=TODAY_SHOWN + len(shown), **span) if r.id not in shown]
    return render_template(
        "today.html",
        today=present.date_text(day, ctx.lang),
        total=counts.calls,
        warned=counts.flagged - counts.blocked,
        blocked=counts.blocked,
        needs_look=[call_view(r, ctx) for r in needs_look],
        needs_look_total=store.count_calls(needs_look=True),
        newest_needing_look=needs_look[0].id if needs_look else 0,
        todays=[call_view(r, ctx) for r in todays[:TODAY_SHOWN]],
        todays_more=counts.calls > len(todays[:TODAY_SHOWN]) + len(shown),
        today_iso=ctx.today,
    )


@bp.route("/reviewed-all", methods=["POST"])
def review_all() -> Response:
    """"Mark all reviewed": every call that needs a look, up to the newest one the page showed."""
    up_to = bounded_int(request.form.get("up_to"), 0, 0, 2**63 - 1)
    count = state().store.mark_needs_look_reviewed(up_to) if up_to else 0
    flash(translate_here("marked_all_reviewed", count=count), "ok")
    return redirect(safe_next(request.form.get("next") or url_for("pages.today")))


@bp.route("/calls")
def calls() -> str:
    store = state().store
    ctx = view_context()
    filters = parse_filters(request.args)
    for bad in filters.bad_dates:
        flash(translate_here("bad_date", value=bad), "error")
    kwargs = filters.store_kwargs(ctx.zone)
    total = store.count_calls(**kwargs)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = bounded_int(request.args.get("page"), 1, 1, pages)
    records = store.calls(limit=PER_PAGE, offset=(page - 1) * PER_PAGE, **kwargs)

    def link(to_page: int) -> str:
        return url_for("pages.calls", page=to_page, **filters.query())

    return render_template(
        "calls.html",
        filters=filters,
        verdicts=[(code, present.verdict_headline(code, ctx.lang)) for code in VERDICTS],
        outcomes=OUTCOMES,
        rows=[call_view(r, ctx) for r in records],
        total=total,
        page=page,
        pages=pages,
        newer=link(page - 1) if page > 1 else None,
        older=link(page + 1) if page < pages else None,
        csv_link=url_for("pages.calls_csv", **filters.query()),
    )


@bp.route("/calls.csv")
def calls_csv() -> Response:
    """The filtered log for a spreadsheet: UTF-8 with a BOM, numbers kept as text (see calls_csv)."""
    st = state()
    ctx = view_context()
    filters = parse_filters(request.args)
    records = st.store.calls(limit=None, **filters.store_kwargs(ctx.zone))
    body = calls_csv_module.to_csv(
        records,
        zone=ctx.zone,
        lists=ctx.lists,
        lang=ctx.lang,
        action_words=lambda actions: " · ".join(present.action_labels(actions, ctx.lang)),
    )
    stamp = household_now().strftime("%Y%m%d-%H%M")
    return Response(
        body.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="callerid-calls-{stamp}.csv"'},
    )


@bp.route("/history")
def history_page() -> str:
    st = state()
    ctx = view_context()
    today_day = date.fromisoformat(ctx.today)
    data = history.collect(st.store, today_day, ctx.zone, lambda d: present.date_text(d, ctx.lang))
    words = {name: translate_here(f"legend_{name}") for name in history.SERIES}
    top = []
    for caller in data.top:
        shown = listio.pattern_display(caller.e164 or caller.number, st.config.region)
        entry = present.number_entry(caller.e164 or caller.number, ctx.lists)
        top.append(
            {
                "number": present.shorten(present.clean_text(shown), 32),
                "search": present.shorten(present.clean_text(caller.e164 or caller.number), 32),
                "label": present.show(entry.label if entry else "", LIST_NAME_CHARS),
                "list_kind": entry.kind if entry else "",
                "calls": caller.calls,
            }
        )

    def totals(periods: list[history.Period]) -> dict[str, int]:
        return {name: sum(getattr(p, name) for p in periods) for name in (*history.SERIES, "total", "police")}

    return render_template(
        "history.html",
        series=words,
        days=data.days,
        weeks=data.weeks,
        months=data.months,
        day_chart=history.draw(data.days, words, every=7),
        week_chart=history.draw(data.weeks, words, every=13),
        police_chart=history.draw(data.months, {"police": translate_here("col_police")}, every=1),
        day_totals=totals(data.days),
        week_totals=totals(data.weeks),
        police_total=sum(m.police for m in data.months),
        top=top,
    )


@bp.route("/calls/<int:call_id>")
def call_detail(call_id: int) -> str:
    st = state()
    ctx = view_context()
    lang = ctx.lang
    record = st.store.get_call(call_id) if 0 < call_id < 2**63 else None
    if record is None:
        abort(404)
    view = call_view(record, ctx, today=False, name_chars=DETAIL_NAME_CHARS)
    number = present.listable_number(record)
    member = listio.membership(st.store, number, st.config.region) if number else None
    view.update(
        reasons=[present.reason_text(r, lang) for r in record.verdict.reasons],
        advice=present.verdict_advice(record.verdict.verdict, lang),
        format=present.format_text(record.caller.format, lang),
        listable=number,
        label_default=present.shorten(
            present.clean_text(view["label"].text or record.caller.name or "").strip(), 40
        ),
        membership=member,
        police=record.verdict.verdict in POLICE_VERDICTS,
        raw_number=present.shorten(present.clean_text(record.caller.number or ""), 64),
        full_time=view["time"],
        zone_name=getattr(ctx.zone, "key", "") or str(ctx.zone),
    )
    return render_template("call.html", call=view)


@bp.route("/calls/<int:call_id>/review", methods=["POST"])
def review(call_id: int) -> Response:
    reviewed = request.form.get("reviewed", "1") == "1"
    if not (0 < call_id < 2**63) or not state().store.mark_reviewed(call_id, reviewed):
        abort(404)
    return redirect(url_for("pages.call_detail", call_id=call_id))


def _kind_name(kind: str) -> str:
    return translate_here("allow_list" if kind == "allow" else "block_list")


@bp.route("/lists")
def lists() -> str:
    store = state().store

    region = state().config.region
    household = household_zone()

    ignored = ignored_for_police(store, _screen(), store.list_entries(ListKind.ALLOW))

    def rows(kind: str) -> list[dict[str, Any]]:
        return [
            {
                "pattern": present.shorten(present.clean_text(e.pattern), listio.MAX_PATTERN),
                "shown": present.shorten(present.clean_text(listio.pattern_display(e.pattern, region)), 40),
                "label": present.show(e.label, 60),
                "added": present.time_text(e.added_at, g.lang, None, tz=household) if e.added_at else "",
                "ignored_for_police": kind == ListKind.ALLOW and e.pattern in ignored,
            }
            for e in store.list_entries(kind)
        ]

    police = [
        {"number": p.number, "shown": p.display, "label": present.show(p.name_ja, 60)}
        for p in store.police_numbers()
    ]
    shared = [
        {
            "shown": present.shorten(present.clean_text(listio.pattern_display(e.pattern, region)), 40),
            "list": translate_here("shared_list_name", name=present.clean_text(e.list_name)[:64]),
            "label": present.show(e.label, 60),
        }
        for e in store.shared_entries()
        if e.verdict == Advice.BLOCK
    ]
    return render_template(
        "lists.html", allow=rows(ListKind.ALLOW), block=rows(ListKind.BLOCK), police=police, shared=shared
    )


def _screen() -> ScreenConfig:
    """The screening settings the appliance uses (the police directory with any extra CSV)."""
    return screen_config(state().config)


def _refuse_trust(kind: str, pattern: str) -> str | None:
    """The reason a pattern may not go on the allow list, in the page's language, or None."""
    if kind != ListKind.ALLOW:
        return None
    conflict = allow_conflict(state().store, _screen(), pattern)
    return conflict.text(g.lang) if conflict else None


@bp.route("/lists/police/add", methods=["POST"])
def police_add() -> Response:
    raw = request.form.get("number", "")
    try:
        entry = state().store.add_police_number(raw, request.form.get("name", ""))
    except ValueError as exc:
        shown = present.shorten(present.clean_text(raw), 40)
        flash(translate_here("bad_police", pattern=shown, reason=present.clean_text(str(exc))[:160]), "error")
        return redirect(url_for("pages.lists"))
    flash(translate_here("police_added", pattern=entry.display, name=entry.name_ja), "ok")
    return redirect(url_for("pages.lists"))


@bp.route("/lists/police/remove", methods=["POST"])
def police_remove() -> Response:
    raw = present.clean_text(request.form.get("number", "")).strip()[:40]
    if state().store.remove_police_number(raw):
        flash(translate_here("police_removed", pattern=raw), "ok")
    return redirect(url_for("pages.lists"))


@bp.route("/lists/add", methods=["POST"])
def list_add() -> Response:
    st = state()
    back = safe_next(request.form.get("next") or url_for("pages.lists"))
    kind = request.form.get("kind", "")
    raw_pattern = request.form.get("pattern", "")
    if kind not in listio.KINDS:
        flash(translate_here("bad_kind"), "error")
        return redirect(back)
    try:
        pattern = listio.validate_pattern(raw_pattern, st.store)
        refusal = _refuse_trust(kind, pattern)
        if refusal is not None:
            shown = listio.pattern_display(pattern, st.config.region)
            reason = present.clean_text(refusal)[:240]
            flash(translate_here("not_trusted", pattern=shown, reason=reason), "error")
            return redirect(back)
        st.store.add_list_entry(kind, pattern, listio.clean_label(request.form.get("label")))
    except ValueError as exc:
        shown = present.shorten(present.clean_text(raw_pattern), 40)
        reason = present.clean_text(str(exc))[:160]
        flash(translate_here("bad_pattern", pattern=shown, reason=reason), "error")
        return redirect(back)
    other = ListKind.BLOCK if kind == ListKind.ALLOW else ListKind.ALLOW
    shown = listio.pattern_display(pattern, st.config.region)
    if st.store.remove_list_entry(other, pattern):
        flash(translate_here("removed", pattern=shown, list=_kind_name(other)), "info")
    flash(translate_here("added", pattern=shown, list=_kind_name(kind)), "ok")
    return redirect(back)


@bp.route("/lists/remove", methods=["POST"])
def list_remove() -> Response:
    kind = request.form.get("kind", "")
    pattern = present.clean_text(request.form.get("pattern", "")).strip()[: listio.MAX_PATTERN]
    shown = listio.pattern_display(pattern, state().config.region)
    if kind not in listio.KINDS:
        flash(translate_here("bad_kind"), "error")
    elif state().store.remove_list_entry(kind, pattern):
        flash(translate_here("removed", pattern=shown, list=_kind_name(kind)), "ok")
    else:
        flash(translate_here("not_on_list", pattern=shown, list=_kind_name(kind)), "error")
    return redirect(url_for("pages.lists"))


@bp.route("/lists/import", methods=["POST"])
def list_import() -> Response:
    st = state()
    upload = request.files.get("csv")
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data:
        flash(translate_here("import_none"), "error")
        return redirect(url_for("pages.lists"))
    if len(data) > MAX_UPLOAD:
        abort(413)
    entries, errors = listio.parse_csv(data.decode("utf-8-sig", errors="replace"), st.store)
    entries, refused = split_allowed(st.store, _screen(), entries)
    errors += [f"{entry.pattern}: {conflict.text(g.lang)}"[:240] for entry, conflict in refused]
    added = 0
    for kind in listio.KINDS:
        batch = [e for e in entries if e.kind == kind]
        try:
            added += st.store.add_list_entries(kind, batch) if batch else 0
        except ValueError as exc:
            errors.append(present.clean_text(str(exc))[:160])
    flash(translate_here("import_done", count=added), "ok")
    if errors:
        flash(translate_here("import_errors", count=len(errors), first=errors[0]), "error")
    return redirect(url_for("pages.lists"))


@bp.route("/lists/export.csv")
def list_export() -> Response:
    store = state().store
    body = listio.export_csv(store.list_entries(ListKind.ALLOW) + store.list_entries(ListKind.BLOCK))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="callerid-lists.csv"'},
    )


def _disk(folder: Path) -> str:
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return "?"
    return f"{usage.free / 2**30:.1f} GB ({100 * usage.free / max(usage.total, 1):.0f} %)"


@bp.route("/status")
def status() -> str:
    st, lang = state(), g.lang
    ctx = view_context()
    store = st.store
    last = store.last_call()
    info = store.info()
    modem_at = store.get_setting("modem.updated_at")
    db_path = Path(info["path"])
    return render_template(
        "status.html",
        modem_state=present.clean_text(store.get_setting("modem.state") or "")[:40],
        modem_detail=present.clean_text(store.get_setting("modem.detail") or "")[:200],
        modem_at=present.time_text(modem_at, lang, None, tz=ctx.zone) if modem_at else "",
        last=call_view(last, ctx, today=False) if last else None,
        total=info["calls"],
        db_path=present.clean_text(os.fspath(db_path)),
        db_size=f"{info['bytes'] / 2**20:.1f} MB",
        schema=info.get("schema_version"),
        disk_free=_disk(db_path.parent),
        version=__version__,
        python=sys.version.split()[0],
        sqlite=info.get("sqlite_version", ""),
        started=present.time_text(st.started_at.isoformat(), lang, None, tz=ctx.zone),
    )
