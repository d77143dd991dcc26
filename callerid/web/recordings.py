"""A call's recording on its page: an HTML <audio> element (no JavaScript) and a download for the police.

The file is served from the recordings folder by the name the `recordings` table holds for that
call, never by a name from the request; Flask's send_file answers HTTP range requests, so a
browser can seek in a long call. Every call page says plainly when calls are recorded and that
the caller is told (issue 18). The login gate covers these routes like every other page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, request, send_file, url_for

from callerid.recording.storage import recording_enabled, recordings_folder
from callerid.web.state import state

bp = Blueprint("recordings", __name__)

TEXTS = {
    "en": {
        "heading": "Recording",
        "told": "This call was recorded after the caller was told: \u201cThis call is being recorded "
                "to prevent fraud.\u201d",
        "download": "Download the recording (FLAC, for the police)",
        "length": "Length",
        "ended": "Ended by",
        "delete": "Delete this call and its recording",
        "deleted": "The call and its recording were deleted.",
        "notice": "Suspicious calls are recorded when you answer them; the caller first hears that the call "
                  "is being recorded. Recordings are deleted after {days:g} days.",
    },
    "ja": {
        "heading": "録音",
        "told": "この通話は、相手に「この通話は、詐欺被害防止のため録音されます」と"
                "知らせてから録音しました。",
        "download": "録音をダウンロード（FLAC、警察への提出用）",
        "length": "長さ",
        "ended": "終了の理由",
        "delete": "この着信と録音を削除",
        "deleted": "着信と録音を削除しました。",
        "notice": "注意が必要な電話は、出たときに録音されます。相手には先に録音することを知らせます。"
                  "録音は{days:g}日後に削除されます。",
    },
}
ENDED = {
    "en": {"busy": "the caller hung up", "dial-tone": "the caller hung up", "quiet": "the line went quiet",
           "time-limit": "the time limit", "button": "the panel button", "silence": "the caller hung up"},
    "ja": {"busy": "相手が切った", "dial-tone": "相手が切った", "quiet": "無音が続いた",
           "time-limit": "時間の上限", "button": "本体のボタン", "silence": "相手が切った"},
}


def _texts() -> dict[str, str]:
    return TEXTS.get(getattr(g, "lang", "ja"), TEXTS["ja"])


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"recording_of": recording_view, "recording_notice": recording_notice,
            "recording_texts": _texts}


def recording_notice() -> str:
    """The call page's sentence when this appliance records calls; empty when it never does."""
    config = state().config
    if not recording_enabled(config):
        return ""
    return _texts()["notice"].format(days=config.recording.retention_days)


def recording_view(call_id: object) -> dict[str, str] | None:
    """What the call page shows for a call's recording (None when it has none)."""
    if not isinstance(call_id, int):
        return None
    recording = state().store.recording_for_call(call_id)
    if recording is None:
        return None
    texts = _texts()
    lang = getattr(g, "lang", "ja")
    minutes, seconds = divmod(round(recording.seconds), 60)
    return {
        "src": url_for("recordings.audio", call_id=call_id),
        "download_url": url_for("recordings.audio", call_id=call_id, download=1),
        "length": f"{minutes}:{seconds:02d}",
        "ended": ENDED.get(lang, ENDED["ja"]).get(recording.ended_by, recording.ended_by[:40]),
        "heading": texts["heading"],
        "told": texts["told"],
        "download_label": texts["download"],
        "length_label": texts["length"],
        "ended_label": texts["ended"],
    }


@bp.route("/calls/<int:call_id>/recording.flac")
def audio(call_id: int) -> Response:
    st = state()
    recording = st.store.recording_for_call(call_id) if 0 < call_id < 2**63 else None
    if recording is None:
        abort(404)
    path = recordings_folder(st.config, str(st.store.path)) / recording.file
    if not path.is_file():
        abort(404)
    download = request.args.get("download") == "1"
    name = f"call-{call_id}-{recording.created_at[:10]}.flac"
    return send_file(path, mimetype="audio/flac", as_attachment=download, download_name=name,
                     conditional=True, max_age=0)


@bp.route("/calls/<int:call_id>/delete", methods=["POST"])
def delete(call_id: int) -> Response:
    """Delete a call and, with it, its recording (the row by ON DELETE CASCADE, the file here)."""
    st = state()
    if not 0 < call_id < 2**63:
        abort(404)
    recording = st.store.recording_for_call(call_id)
    if not st.store.delete_call(call_id):
        abort(404)
    if recording is not None:
        (recordings_folder(st.config, str(st.store.path)) / recording.file).unlink(missing_ok=True)
    flash(_texts()["deleted"], "info")
    return redirect(url_for("pages.calls"))


__all__ = ["bp", "recording_notice", "recording_view"]
