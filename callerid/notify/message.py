"""What a notification says, in Japanese or English: pure functions from queued items to text.

Wording for verdicts and advice comes from `callerid.screen.messages`, the same words the voice and
the website use. Everything the caller controls (number, name, reasons) is cleaned to one printable
line, bounded, before it goes into a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from callerid.health import conditions
from callerid.model import Action
from callerid.screen import messages

#: How many calls a summary lists one by one (the rest are counted).
SUMMARY_LINES = 10

_ACTIONS = {  # in the order they are told
    Action.BLOCK: {"en": "hung up automatically", "ja": "自動で切断しました"},
    Action.WARN_CALLER: {"en": "warned the caller", "ja": "相手に警告を流しました"},
    Action.WARN_HOUSEHOLD: {"en": "warned the household by voice", "ja": "音声で家の人に警告しました"},
    Action.PANEL: {"en": "lit the warning lamp", "ja": "警告ランプを点けました"},
}
_NOTHING_DONE = {"en": "nothing (logged only)", "ja": "記録のみ"}
_ABSENCE = {
    "P": {"en": "number withheld", "ja": "非通知"},
    "O": {"en": "number unavailable", "ja": "表示圏外"},
    "C": {"en": "public phone", "ja": "公衆電話"},
    "S": {"en": "number unavailable", "ja": "通知不可能"},
}
_NO_NUMBER = {"en": "no number", "ja": "番号なし"}

_WORDS = {
    "en": {
        "call_title": "Call warning: {verdict} ({number})",
        "time": "Time", "number": "Number", "name": "Name", "verdict": "Verdict", "why": "Why",
        "done": "Done", "advice": "Advice", "more": "Details",
        "summary_title": "{count} calls flagged ({first} to {last})",
        "summary_intro": "Many calls came in a short time; here they are together:",
        "summary_more": "... and {count} more",
        "health_on_title": "Call guard: protection problem: {what}",
        "health_off_title": "Call guard: back to normal: {what}",
        "health_on": "Since {since}.",
        "health_off": "Back to normal at {at} (the problem began {since}).",
        "digest_title": "Call guard {period} summary: {calls} calls, {flagged} warnings, {blocked} blocked",
        "digest_daily": "daily", "digest_weekly": "weekly",
        "digest_span": "From {since} to {until}",
        "digest_calls": "Calls: {calls}   Warnings: {flagged}   Blocked: {blocked}",
        "digest_verdicts": "By kind:",
        "digest_health_ok": "Health: everything works.",
        "digest_health_bad": "Health problems now:",
        "test_title": "Call guard: test message",
        "test_body": (
            "This is a test from your call guard. If you can read this, warnings will reach you here."
        ),
    },
    "ja": {
        "call_title": "着信警告: {verdict}（{number}）",
        "time": "日時", "number": "番号", "name": "名前", "verdict": "判定", "why": "理由",
        "done": "対応", "advice": "助言", "more": "詳細",
        "summary_title": "警告の着信が{count}件ありました（{first}〜{last}）",
        "summary_intro": "短い間に多くの着信がありました。まとめてお知らせします:",
        "summary_more": "ほか{count}件",
        "health_on_title": "電話見守り: 異常: {what}",
        "health_off_title": "電話見守り: 復旧: {what}",
        "health_on": "{since}から",
        "health_off": "{at}に復旧しました（{since}から異常）。",
        "digest_title": "電話見守り {period}のまとめ: 着信{calls}件・警告{flagged}件・拒否{blocked}件",
        "digest_daily": "本日", "digest_weekly": "今週",
        "digest_span": "{since}〜{until}",
        "digest_calls": "着信: {calls}件　警告: {flagged}件　拒否: {blocked}件",
        "digest_verdicts": "内訳:",
        "digest_health_ok": "動作状況: 正常です。",
        "digest_health_bad": "現在の異常:",
        "test_title": "電話見守り: テスト通知",
        "test_body": "電話見守り装置からのテストです。これが読めれば、警告はここに届きます。",
    },
}


def _lang(lang: str) -> str:
    return lang if lang in _WORDS else "ja"


def verdict_text(code: str, lang: str) -> str:
    """The verdict in plain words; an unknown code (a newer database) is shown as it is."""
    try:
        return messages.verdict_text(code, _lang(lang))
    except KeyError:
        return clean(code, 32)


def advice_text(code: str, lang: str) -> str:
    try:
        return messages.advice_text(code, _lang(lang))
    except KeyError:
        return ""


def word(key: str, lang: str, **values: object) -> str:
    text = _WORDS[_lang(lang)][key]
    return text.format(**values) if values else text


def clean(value: object, limit: int = 80) -> str:
    """One printable line at most `limit` characters: the caller controls the number and name."""
    if value is None:
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def time_text(iso: str | None, lang: str) -> str:
    """ "11月30日 19:55" or "30 Nov 19:55"; an unreadable stamp is shown as it is."""
    try:
        moment = datetime.fromisoformat(iso or "")
    except ValueError:
        return clean(iso)
    if _lang(lang) == "ja":
        return f"{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment.day} {moment:%b %H:%M}"


def number_text(item: Mapping[str, Any], lang: str) -> str:
    """The number as the website shows it, or why there is none."""
    shown = item.get("display") or item.get("number")
    if shown:
        return clean(shown, 32)
    absence = item.get("absence")
    return _ABSENCE.get(absence or "", _NO_NUMBER)[_lang(lang)]


def _reasons(item: Mapping[str, Any], lang: str) -> list[str]:
    out = []
    for reason in item.get("reasons") or ():
        text = (reason.get("detail_ja") if _lang(lang) == "ja" else None) or reason.get("detail")
        if text:
            out.append(clean(text, 200))
    return out


def call_link(link: str | None, call_id: object) -> str | None:
    if not link or not isinstance(call_id, int):
        return None
    return f"{link.rstrip('/')}/calls/{call_id}"


def call_message(item: Mapping[str, Any], lang: str, link: str | None) -> tuple[str, str]:
    """(title, body) for one flagged call."""
    lang = _lang(lang)
    code = str(item.get("verdict") or "")
    verdict = verdict_text(code, lang)
    number = number_text(item, lang)
    lines = [
        f"{word('time', lang)}: {time_text(item.get('time'), lang)}",
        f"{word('number', lang)}: {number}",
    ]
    if item.get("name"):
        lines.append(f"{word('name', lang)}: {clean(item.get('name'), 40)}")
    lines.append(f"{word('verdict', lang)}: {verdict}")
    for text in _reasons(item, lang):
        lines.append(f"{word('why', lang)}: {text}")
    actions = [str(a) for a in item.get("actions") or ()]
    lines.append(f"{word('done', lang)}: {_done(actions, lang)}")
    advice = advice_text(code, lang)
    if advice:
        lines.append(f"{word('advice', lang)}: {advice}")
    url = call_link(link, item.get("id"))
    if url:
        lines.append(f"{word('more', lang)}: {url}")
    return word("call_title", lang, verdict=verdict, number=number), "\n".join(lines)


def _done(actions: Sequence[str], lang: str) -> str:
    said = [words[lang] for action, words in _ACTIONS.items() if action in actions]
    if not said:
        return _NOTHING_DONE[lang]
    return (", " if lang == "en" else "、").join(said)


def summary_message(items: Sequence[Mapping[str, Any]], lang: str, link: str | None) -> tuple[str, str]:
    """(title, body) for many calls at once: a flood, or what waited through quiet hours."""
    lang = _lang(lang)
    times = [time_text(i.get("time"), lang) for i in items]
    title = word("summary_title", lang, count=len(items), first=times[0], last=times[-1])
    lines = [word("summary_intro", lang)]
    for item, when in list(zip(items, times, strict=True))[:SUMMARY_LINES]:
        line = f"- {when}  {number_text(item, lang)}  {verdict_text(str(item.get('verdict') or ''), lang)}"
        if Action.BLOCK in (item.get("actions") or ()):
            line += f" ({_ACTIONS[Action.BLOCK][lang]})"
        url = call_link(link, item.get("id"))
        lines.append(line + (f"  {url}" if url else ""))
    if len(items) > SUMMARY_LINES:
        lines.append(word("summary_more", lang, count=len(items) - SUMMARY_LINES))
    if link:
        lines.append(f"{word('more', lang)}: {link.rstrip('/')}/calls?flagged=1")
    return title, "\n".join(lines)


def health_message(item: Mapping[str, Any], lang: str, link: str | None) -> tuple[str, str]:
    """(title, body) for a fault raised or cleared; the explanation comes from callerid.health."""
    lang = _lang(lang)
    code = str(item.get("condition") or "")
    what = conditions.title(code, lang)
    since = time_text(item.get("since"), lang)
    if item.get("state") == "off":
        subject = word("health_off_title", lang, what=what)
        lines = [word("health_off", lang, at=time_text(item.get("time"), lang), since=since)]
    else:
        subject = word("health_on_title", lang, what=what)
        lines = [word("health_on", lang, since=since), conditions.explain(code, lang)]
        if item.get("detail"):
            lines.append(clean(item.get("detail"), 200))
    if link:
        lines.append(f"{word('more', lang)}: {link.rstrip('/')}/status")
    return subject, "\n".join(lines)


def digest_message(item: Mapping[str, Any], lang: str, link: str | None) -> tuple[str, str]:
    """(title, body) for the daily or weekly summary."""
    lang = _lang(lang)
    counts = {k: int(item.get(k) or 0) for k in ("calls", "flagged", "blocked")}
    period = word("digest_weekly" if item.get("period") == "weekly" else "digest_daily", lang)
    subject = word("digest_title", lang, period=period, **counts)
    lines = [
        word("digest_span", lang, since=time_text(item.get("since"), lang),
             until=time_text(item.get("until"), lang)),
        word("digest_calls", lang, **counts),
    ]
    by_verdict = item.get("by_verdict") or {}
    if by_verdict:
        lines.append(word("digest_verdicts", lang))
        for code, count in sorted(by_verdict.items(), key=lambda kv: -int(kv[1])):
            lines.append(f"- {verdict_text(code, lang)}: {int(count)}")
    faults = item.get("health") or []
    if faults:
        lines.append(word("digest_health_bad", lang))
        lines.extend(f"- {conditions.title(str(code), lang)}" for code in faults)
    else:
        lines.append(word("digest_health_ok", lang))
    if link:
        lines.append(f"{word('more', lang)}: {link.rstrip('/')}/")
    return subject, "\n".join(lines)


def test_message(lang: str) -> tuple[str, str]:
    return word("test_title", lang), word("test_body", lang)


def render(item: Mapping[str, Any], lang: str, link: str | None) -> tuple[str, str]:
    """(title, body) for one queued item of any kind."""
    kind = item.get("kind")
    if kind == "health":
        return health_message(item, lang, link)
    if kind == "digest":
        return digest_message(item, lang, link)
    if kind == "test":
        return test_message(lang)
    return call_message(item, lang, link)


def call_item(record: Any) -> dict[str, Any]:
    """The outbox payload for a committed CallRecord: everything a message needs, nothing more."""
    verdict = record.verdict
    return {
        "kind": "call",
        "id": record.id,
        "time": record.received_at,
        "number": record.caller.number,
        "display": verdict.display,
        "name": record.caller.name,
        "absence": record.caller.absence,
        "verdict": verdict.verdict,
        "reasons": [{"code": r.code, "detail": r.detail, "detail_ja": r.detail_ja} for r in verdict.reasons],
        "actions": list(record.actions),
    }
