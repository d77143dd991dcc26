"""Every sentence the screening engine says, in English and Japanese, in one place.

The household hears and reads these words (the voice, the panel's website, `callerid
check`), so they are plain: what the number is, why it matters, what to do. Keeping them
here, away from the rules, means wording can be fixed without touching detection, and a
test can check that every reason code has both languages.
"""

from __future__ import annotations

from collections.abc import Mapping

from callerid.model import ListKind, Reason, ReasonCode, VerdictCode

LANGUAGES = ("en", "ja")

#: verdict code -> short headline.
HEADLINES: Mapping[VerdictCode, Mapping[str, str]] = {
    VerdictCode.BLOCKLISTED: {"en": "On your block list", "ja": "着信拒否に登録した番号です"},
    VerdictCode.POLICE_LOOKALIKE: {"en": "Fake police number", "ja": "警察を装った偽の番号です"},
    VerdictCode.POLICE_NUMBER: {
        "en": "Police number: may be faked",
        "ja": "警察の番号です（偽装の可能性があります）",
    },
    VerdictCode.INTERNATIONAL: {"en": "Call from abroad", "ja": "海外からの電話です"},
    VerdictCode.WITHHELD: {"en": "Number withheld", "ja": "非通知の電話です"},
    VerdictCode.UNAVAILABLE: {"en": "No number shown", "ja": "番号が表示されない電話です"},
    VerdictCode.PAYPHONE: {"en": "Public phone", "ja": "公衆電話からの電話です"},
    VerdictCode.INVALID: {"en": "Not a real phone number", "ja": "正しくない番号です"},
    VerdictCode.ALLOWLISTED: {"en": "On your trusted list", "ja": "登録済みの安心な番号です"},
    VerdictCode.ORDINARY: {"en": "Ordinary number", "ja": "通常の番号です"},
}

#: verdict code -> what to do.
ADVICE: Mapping[VerdictCode, Mapping[str, str]] = {
    VerdictCode.BLOCKLISTED: {
        "en": "Your family blocked this number. There is no need to answer.",
        "ja": "ご家族が着信拒否に登録した番号です。出る必要はありません。",
    },
    VerdictCode.POLICE_LOOKALIKE: {
        "en": (
            "Do not answer. Real police never call from a number like this. If you already spoke to "
            "them, hang up, talk to your family, and call #9110 or your police station on a number "
            "you look up yourself."
        ),
        "ja": (
            "出ないでください。本物の警察がこのような番号からかけることはありません。話してしまった場合は"
            "電話を切り、家族に相談して、#9110 か自分で調べた警察署の番号に電話してください。"
        ),
    },
    VerdictCode.POLICE_NUMBER: {
        "en": (
            "The number on the display can be faked. Ask for the caller's name, department and "
            "extension, hang up, and call back on a number you look up yourself, or #9110. Police "
            "never ask for money, bank cards or PINs by phone, and never move a call to LINE."
        ),
        "ja": (
            "表示された番号は偽装できます。相手の名前・所属・内線番号を聞いて電話を切り、自分で調べた番号か "
            "#9110 にかけ直してください。警察が電話でお金やキャッシュカード、暗証番号を求めたり、LINEに"
            "誘導したりすることはありません。"
        ),
    },
    VerdictCode.INTERNATIONAL: {
        "en": (
            "If you do not know anyone abroad, do not answer. About nine in ten fake-police calls come "
            "from abroad. Your phone company can refuse international calls for free."
        ),
        "ja": (
            "海外に知り合いがいなければ出ないでください。警察をかたる詐欺電話の約9割は海外からです。"
            "国際電話の着信は無料で止められます（国際電話不取扱受付センター）。"
        ),
    },
    VerdictCode.WITHHELD: {
        "en": (
            "The caller hid their number. Let the answering machine take it and call back only "
            "people you know."
        ),
        "ja": "相手が番号を隠しています。留守番電話に任せ、知っている相手にだけ折り返してください。",
    },
    VerdictCode.UNAVAILABLE: {
        "en": (
            "No number came with this call; calls from abroad often look like this. Let the answering "
            "machine take it."
        ),
        "ja": "番号が表示されません。海外からの電話によくある形です。留守番電話に任せてください。",
    },
    VerdictCode.PAYPHONE: {
        "en": (
            "Public phones are rarely used today. If the caller says they are police, family or a bank, "
            "hang up and call back on a number you know."
        ),
        "ja": (
            "公衆電話が使われることは少なくなりました。警察・家族・銀行を名乗ったら、電話を切って知っている"
            "番号にかけ直してください。"
        ),
    },
    VerdictCode.INVALID: {
        "en": "This is not a real phone number. Be careful and give no personal details.",
        "ja": "実在しない形の番号です。個人情報を話さないよう注意してください。",
    },
    VerdictCode.ALLOWLISTED: {
        "en": "Your family marked this number as trusted.",
        "ja": "ご家族が安心な番号として登録しています。",
    },
    VerdictCode.ORDINARY: {
        "en": "No warning signs. Still, never give money or bank details over the phone.",
        "ja": "特に警戒すべき点はありません。それでも電話でお金や口座の話が出たら注意してください。",
    },
}

#: reason code -> (English template, Japanese template); fields are filled by `reason()`.
REASONS: Mapping[ReasonCode, tuple[str, str]] = {
    ReasonCode.BLOCKLISTED: (
        "On your block list as {pattern}{label_en}.",
        "着信拒否に {pattern}{label_ja} として登録されています。",
    ),
    ReasonCode.ALLOWLISTED: (
        "On your trusted list as {pattern}{label_en}.",
        "安心な番号として {pattern}{label_ja} が登録されています。",
    ),
    ReasonCode.ALLOW_IGNORED_FOR_POLICE: (
        "Your trusted list has {pattern}{label_en}, but a trusted entry never silences a police "
        "warning: fraudsters display real police numbers.",
        "安心な番号として {pattern}{label_ja} が登録されていますが、警察の番号への警告は止めません"
        "（詐欺犯は本物の警察の番号を表示させます）。",
    ),
    ReasonCode.LIST_CONFLICT: (
        "Also on your {other_en} as {pattern}; the more specific entry wins, and a tie goes to "
        "the block list.",
        "{other_ja}にも {pattern} として登録されていますが、"
        "より細かい登録を優先します（同じなら着信拒否を優先）。",
    ),
    ReasonCode.POLICE_KNOWN: (
        "{display} is the number of {name_en}. Fraudsters fake this number: do not trust the display; "
        "hang up and call back on a number you look up yourself, or #9110.",
        "{display} は{name_ja}の番号です。詐欺犯はこの番号を偽装して表示させます。"
        "表示を信用せず、いったん切って自分で調べた番号か #9110 にかけ直してください。",
    ),
    ReasonCode.POLICE_PATTERN: (
        "{display} ends in 0110, like many police station numbers{type_note_en}. It may be a real "
        "station or a faked display: hang up and call back on a number you look up yourself.",
        "{display} は多くの警察署の番号と同じく末尾が0110です{type_note_ja}。"
        "本物の警察署か偽装かは分かりません。いったん切って、自分で調べた番号にかけ直してください。",
    ),
    ReasonCode.POLICE_AREA_PATTERN: (
        "{display} ends in {ending}, like {like_en}{type_note_en}. It may be a real police line or a "
        "faked display: hang up and call back on a number you look up yourself, or #9110.",
        "{display} は{like_ja}と同じく末尾が{ending}です{type_note_ja}。"
        "本物の警察か偽装かは分かりません。いったん切って、自分で調べた番号か #9110 にかけ直してください。",
    ),
    ReasonCode.POLICE_INTERNATIONAL_FORM: (
        "A Japanese police number ({police}) shown in international form ({shown}): calls from real "
        "police in Japan never look like this.",
        "日本の警察の番号（{police}）が国際電話の形（{shown}）で表示されています。"
        "本物の警察からの電話はこのようには表示されません。",
    ),
    ReasonCode.POLICE_ENDING: (
        "{what_en} number ending in {ending}, made to look like {like_en}.",
        "末尾が{ending}の{what_ja}番号です。{like_ja}に見せかけています。",
    ),
    ReasonCode.POLICE_DIGITS: (
        "{what_en} number that contains the digits of {police}, the number of {name_en}: a disguise; "
        "no real police call looks like this.",
        "{what_ja}番号の中に{name_ja}の番号（{police}）の数字が含まれています。本物の警察からの電話ではありえない偽装です。",
    ),
    ReasonCode.POLICE_ONE_OFF: (
        "One digit off {police}, the number of {name_en} ({edit_en}): a lookalike, not the real number.",
        "{name_ja}の番号 {police} と1桁だけ違います（{edit_ja}）。本物に似せた偽の番号です。",
    ),
    ReasonCode.JAPANESE_NUMBER_FROM_ABROAD: (
        "A Japanese number ({national}) shown in international form: the call came in over an overseas line.",
        "日本の番号（{national}）ですが国際電話の形で表示されています。海外の回線を通ってきた電話です。",
    ),
    ReasonCode.INTERNATIONAL: (
        "A call from abroad ({where_en}).",
        "海外（{where_ja}）からの電話です。",
    ),
    ReasonCode.WITHHELD: (
        "The caller withheld their number (P).",
        "相手が番号を通知していません（非通知）。",
    ),
    ReasonCode.UNAVAILABLE: (
        "No number: the caller is outside the display area (O), for example abroad.",
        "番号が表示されません（表示圏外）。海外などからの電話です。",
    ),
    ReasonCode.SERVICE_CONFLICT: (
        "No number: the network could not pass it on (S).",
        "番号が表示されません（通知不可能）。",
    ),
    ReasonCode.PAYPHONE: (
        "A call from a public phone (C).",
        "公衆電話からの電話です。",
    ),
    ReasonCode.NO_NUMBER: (
        "The line sent no number and no reason{code_en}.",
        "番号も理由も送られてきませんでした{code_ja}。",
    ),
    ReasonCode.MALFORMED: (
        "{shown} is not a real phone number: {problem_en}.",
        "{shown} は実在しない形の番号です（{problem_ja}）。",
    ),
    ReasonCode.ORDINARY: (
        "A valid {type_en} number{where_en}; no warning signs.",
        "{where_ja}{type_ja}の正しい番号です。警戒すべき点はありません。",
    ),
}

#: Number.problem -> (English, Japanese).
PROBLEMS: Mapping[str, tuple[str, str]] = {
    "empty": ("nothing was displayed", "何も表示されていません"),
    "no-digits": ("it has no digits", "数字がありません"),
    "junk": ("letters or symbols are mixed into the digits", "数字に文字や記号が混ざっています"),
    "too-short": ("too short for the number of a calling line", "発信元の番号としては短すぎます"),
    "too-long": ("too many digits", "桁数が多すぎます"),
    "unknown-country-code": ("no country uses that country code", "存在しない国番号です"),
    "missing-trunk-zero": (
        "domestic numbers are shown with a leading 0",
        "国内の番号なら先頭に0が付きます",
    ),
    "not-in-use": ("no such number range exists", "使われていない番号の範囲です"),
    "not-a-number": ("it cannot be read as a phone number", "電話番号として読み取れません"),
}

#: Number.number_type -> (English, Japanese).
NUMBER_TYPES: Mapping[str, tuple[str, str]] = {
    "fixed-line": ("fixed-line", "固定電話"),
    "mobile": ("mobile", "携帯電話"),
    "fixed-line-or-mobile": ("fixed-line or mobile", "固定電話または携帯電話"),
    "toll-free": ("toll-free", "フリーダイヤル"),
    "premium-rate": ("premium-rate", "有料情報サービス"),
    "shared-cost": ("shared-cost", "料金分担サービス"),
    "ip-phone": ("IP phone", "IP電話"),
    "personal": ("personal", "パーソナル番号"),
    "pager": ("pager or data", "ポケットベル・データ通信"),
    "uan": ("navigation-dial", "ナビダイヤル"),
    "voicemail": ("voicemail", "ボイスメール"),
    "unknown": ("phone", "電話"),
}

#: How a lookalike differs from the real police number.
EDITS: Mapping[str, tuple[str, str]] = {
    "substitution": ("digit {pos} is {got} instead of {want}", "{pos}桁目が{want}ではなく{got}"),
    "insertion": ("an extra {got} at digit {pos}", "{pos}桁目に余分な{got}"),
    "deletion": ("digit {pos} ({want}) is missing", "{pos}桁目の{want}が抜けています"),
    "transposition": ("digits {pos} and {pos2} are swapped", "{pos}桁目と{pos2}桁目が入れ替わっています"),
}

_OTHER_LIST = {
    ListKind.ALLOW: ("trusted list", "安心な番号の登録"),
    ListKind.BLOCK: ("block list", "着信拒否"),
}


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be 'en' or 'ja', not {lang!r}")
    return lang


def verdict_text(code: str, lang: str) -> str:
    """A short headline for a verdict code (KeyError for an unknown code)."""
    return HEADLINES[code][_lang(lang)]


def advice_text(code: str, lang: str) -> str:
    """What the household should do about a verdict (KeyError for an unknown code)."""
    return ADVICE[code][_lang(lang)]


def problem_text(problem: str | None, lang: str) -> str:
    en, ja = PROBLEMS.get(problem or "not-a-number", PROBLEMS["not-a-number"])
    return ja if _lang(lang) == "ja" else en


def type_text(number_type: str, lang: str) -> str:
    en, ja = NUMBER_TYPES.get(number_type, NUMBER_TYPES["unknown"])
    return ja if _lang(lang) == "ja" else en


def edit_text(kind: str, lang: str, **fields: object) -> str:
    en, ja = EDITS[kind]
    return (ja if _lang(lang) == "ja" else en).format(**fields)


def other_list(kind: str) -> dict[str, str]:
    en, ja = _OTHER_LIST[kind]
    return {"other_en": en, "other_ja": ja}


def label_fields(label: str) -> dict[str, str]:
    """A list entry's label, quoted the way each language quotes."""
    label = " ".join((label or "").split())[:60]
    return {"label_en": f' ("{label}")' if label else "", "label_ja": f"「{label}」" if label else ""}


def reason(code: ReasonCode, **fields: object) -> Reason:
    """Fill both templates of a reason code (KeyError for an unknown code or a missing field)."""
    en, ja = REASONS[code]
    return Reason(code=ReasonCode(code), detail=en.format(**fields), detail_ja=ja.format(**fields))


__all__ = [
    "ADVICE",
    "EDITS",
    "HEADLINES",
    "LANGUAGES",
    "NUMBER_TYPES",
    "PROBLEMS",
    "REASONS",
    "advice_text",
    "edit_text",
    "label_fields",
    "other_list",
    "problem_text",
    "reason",
    "type_text",
    "verdict_text",
]
