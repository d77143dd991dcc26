"""The faults the appliance reports, and what each means for the family, in Japanese and English."""

from __future__ import annotations

#: condition code -> (English title, Japanese title); most serious first.
TITLES: dict[str, tuple[str, str]] = {
    "stopped": ("The appliance is not running", "装置が動いていません"),
    "modem": ("The modem is missing or not answering", "モデムが見つからないか、応答しません"),
    "storage": ("The call log cannot be written", "通話記録を保存できません"),
    "no-number": ("Calls arrive without a number", "着信に番号が表示されません"),
    "silent": ("No calls for a long time", "長い間、着信がありません"),
    "sound": ("The speaker does not work", "スピーカーから音が出せません"),
    "restart": ("The appliance restarted after an unexpected stop", "装置が予期せず停止し、再起動しました"),
}

#: condition code -> (English, Japanese) explanation: what it means and what to do.
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "stopped": (
        "Calls are NOT being screened: the screening service was stopped or has stopped responding. "
        "Restart the appliance (unplug its power for ten seconds); if this stays, look at its log.",
        "電話の確認と警告が止まっています。確認の仕組みが停止したか、応答していません。装置を再起動して"
        "ください（電源を10秒抜いて挿し直す）。続く場合は装置のログを確認してください。",
    ),
    "modem": (
        "Calls are NOT being screened or warned about. Check that the USB modem is plugged into the "
        "appliance and the phone cable into the modem; then unplug the modem and plug it back in.",
        "電話の確認と警告が止まっています。USBモデムが装置に、電話線がモデムに挿さっているか確かめ、"
        "モデムを一度抜いて挿し直してください。",
    ),
    "storage": (
        "Calls are still screened and warned about, but not saved. The memory card may be full or "
        "failing: delete old calls on the website or replace the card.",
        "着信の確認と警告は続いていますが、記録が保存されません。メモリーカードがいっぱいか故障している"
        "可能性があります。古い記録を削除するか、カードを交換してください。",
    ),
    "no-number": (
        "Every recent call came without the caller's number, so fake police numbers cannot be "
        "recognised. In Japan the line needs the caller-number service: NTT East/West's "
        "\u201cNumber Display\u201d (\u30ca\u30f3\u30d0\u30fc\u30fb\u30c7\u30a3\u30b9\u30d7\u30ec\u30a4, "
        "a monthly option; call 116) or your carrier's number display option for Hikari Denwa or "
        "other lines. NTT East/West waive the fee for households with someone aged 70 or over.",
        "最近の着信がすべて番号なしで届いています。このままでは警察を装った番号を見分けられません。"
        "電話回線に「ナンバー・ディスプレイ」の契約が必要です（NTT東日本・西日本は116番、"
        "ひかり電話などは各社の番号表示サービス）。NTT東日本・西日本では、70歳以上の方がいる世帯は"
        "無料で利用できます。",
    ),
    "silent": (
        "The phone has not rung at all for days. Check that the phone line is plugged into the modem "
        "and that the phone itself works.",
        "何日も一度も着信がありません。電話線がモデムに挿さっているか、電話機が使えるか確かめてください。",
    ),
    "sound": (
        "Spoken warnings cannot be played. The lights and the log still work. Check the speaker's "
        "cable and power.",
        "音声の警告を流せません。ランプと記録は動いています。スピーカーの配線と電源を確かめてください。",
    ),
    "restart": (
        "The appliance stopped without shutting down (a fault, the watchdog, or a power cut) and "
        "started again. If this happens often, look at the log on the appliance.",
        "装置が正常に終了せずに止まり（故障、監視機能、停電など）、再起動しました。たびたび起きる場合は"
        "装置のログを確認してください。",
    ),
}

#: condition code -> (English, Japanese) short text for the 128x64 display.
SHORT: dict[str, tuple[str, str]] = {
    "stopped": ("STOPPED", "停止中"),
    "modem": ("NO MODEM", "モデム異常"),
    "storage": ("CANNOT SAVE", "記録できません"),
    "no-number": ("NO NUMBERS", "番号表示なし"),
    "silent": ("LINE SILENT", "着信がありません"),
    "sound": ("NO SOUND", "音が出ません"),
    "restart": ("RESTARTED", "再起動しました"),
}

CONDITIONS = tuple(TITLES)

#: Conditions that mean calls are no longer screened (or screened blind): the banner says
#: "protection is off" for these, "needs attention" for the rest.
PROTECTION_OFF = frozenset({"stopped", "modem", "no-number"})


def _pick(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    en, ja = table.get(code, (code, code))
    return ja if lang == "ja" else en


def title(code: str, lang: str) -> str:
    return _pick(TITLES, code, lang)


def explain(code: str, lang: str) -> str:
    return _pick(EXPLANATIONS, code, lang)


def short(code: str, lang: str) -> str:
    return _pick(SHORT, code, lang)


def order(code: str) -> int:
    """Most serious first (unknown codes last)."""
    return CONDITIONS.index(code) if code in CONDITIONS else len(CONDITIONS)
