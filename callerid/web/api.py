"""JSON for scripts and home automation: /api/calls and /api/lists.

Same login as the pages (a session, whose POSTs need the X-CSRF-Token header), or
`Authorization: Bearer <web.api_token>` from the configuration (no CSRF: browsers
never attach that header on their own). Both are enforced in `security._gate`.
Fields are returned exactly as stored: JSON encoding is safe, but consumers that
put a caller's name into HTML must escape it themselves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from callerid.config import screen_config
from callerid.listguard import allow_conflict
from callerid.model import CallRecord, ListEntry, ListKind
from callerid.web import listio
from callerid.web.filters import bounded_int, parse_filters
from callerid.web.state import household_zone, state

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 500


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def call_json(record: CallRecord) -> dict[str, Any]:
    """The `callerid log --json` shape plus what the screen decided in full."""
    verdict = record.verdict
    data = record.to_json()
    data.update(
        display=verdict.display,
        e164=verdict.e164,
        country=verdict.country,
        action=verdict.action,
        flagged=verdict.flagged,
        format=record.caller.format,
        reasons=[{"code": r.code, "detail": r.detail, "detail_ja": r.detail_ja} for r in verdict.reasons],
    )
    return data


def entry_json(entry: ListEntry) -> dict[str, Any]:
    return {"kind": entry.kind, "pattern": entry.pattern, "label": entry.label, "added_at": entry.added_at}


@bp.route("/calls")
def calls() -> Response | tuple[Response, int]:
    filters = parse_filters(request.args)
    if filters.bad_dates:
        return _error(400, f"since/until must be YYYY-MM-DD, not {filters.bad_dates[0]!r}")
    limit = bounded_int(request.args.get("limit"), 50, 1, MAX_LIMIT)
    offset = bounded_int(request.args.get("offset"), 0, 0, 10**9)
    store = state().store
    kwargs = filters.store_kwargs(household_zone())  # dates are the household's calendar days
    records = store.calls(limit=limit, offset=offset, **kwargs)
    return jsonify(
        {
            "total": store.count_calls(**kwargs),
            "limit": limit,
            "offset": offset,
            "calls": [call_json(r) for r in records],
        }
    )


@bp.route("/calls/<int:call_id>")
def call(call_id: int) -> Response | tuple[Response, int]:
    record = state().store.get_call(call_id) if 0 < call_id < 2**63 else None
    if record is None:
        return _error(404, "no such call")
    return jsonify(call_json(record))


@bp.route("/calls/<int:call_id>/reviewed", methods=["POST"])
def reviewed(call_id: int) -> Response | tuple[Response, int]:
    body = _body()
    value = body.get("reviewed", True)
    if not isinstance(value, bool):
        value = str(value).lower() in ("1", "true", "yes", "on")
    if not (0 < call_id < 2**63) or not state().store.mark_reviewed(call_id, value):
        return _error(404, "no such call")
    return jsonify({"id": call_id, "reviewed": value})


@bp.route("/lists", methods=["GET"])
def lists_get() -> Response:
    store = state().store
    return jsonify({kind: [entry_json(e) for e in store.list_entries(kind)] for kind in listio.KINDS})


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        return data
    return {key: request.form.get(key, "") for key in request.form}


@bp.route("/lists", methods=["POST"])
def lists_post() -> Response | tuple[Response, int]:
    """`{"op": "add"|"remove", "kind": "allow"|"block", "pattern": "...", "label": "..."}`."""
    body = _body()
    op, kind = body.get("op", "add"), body.get("kind")
    if op not in ("add", "remove"):
        return _error(400, 'op must be "add" or "remove"')
    if kind not in listio.KINDS:
        return _error(400, 'kind must be "allow" or "block"')
    pattern, label = body.get("pattern"), body.get("label", "")
    if not isinstance(pattern, str) or not isinstance(label, str):
        return _error(400, "pattern and label must be strings")
    st = state()
    if op == "remove":
        if not st.store.remove_list_entry(kind, pattern.strip()[: listio.MAX_PATTERN]):
            return _error(404, f"not on the {kind} list")
        return jsonify({"removed": {"kind": kind, "pattern": pattern.strip()}})
    try:
        cleaned = listio.validate_pattern(pattern, st.store)
        if kind == ListKind.ALLOW:
            conflict = allow_conflict(st.store, screen_config(st.config), cleaned)
            if conflict is not None:
                return _error(400, f"not trusted: {conflict.en}")
        entry = st.store.add_list_entry(kind, cleaned, listio.clean_label(label))
    except ValueError as exc:
        return _error(400, f"bad pattern: {exc}")
    other = ListKind.BLOCK if kind == ListKind.ALLOW else ListKind.ALLOW
    st.store.remove_list_entry(other, cleaned)
    return jsonify({"added": entry_json(entry)}), 201
