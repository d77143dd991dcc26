"""What the speaker says: one short, calm warning per verdict, and the number in digit groups.

Written for someone in their eighties hearing it across a room before picking up:
first what kind of call this is, then one concrete thing to do. The Japanese is
written for Open JTalk (it must parse every word correctly, so `#9110` is written
as the syllables people say); the English for espeak-ng. The displayed number is
read digit by digit in its groups, the way people read phone numbers aloud
("ゼロサン、サンゴーハチイチ、…"), from pre-rendered digit clips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callerid.model import VerdictCode

LANGUAGES = ("ja", "en")

#: verdict code -> (Japanese, English). Spoken, so plain words and short sentences.
WARNINGS: dict[str, tuple[str, str]] = {
    VerdictCode.BLOCKLISTED: (
        "ブロックした番号からの電話です。出なくて大丈夫です。",
        "A call from a number you blocked. You do not need to answer.",
    ),
    VerdictCode.POLICE_LOOKALIKE: (
        "警察を装った番号からの電話です。詐欺の疑いが強いので、出ないでください。"
        "警察が電話でお金やカードの話をすることはありません。",
        "This number is made to look like the police. It is very likely a scam, so please do not answer. "
        "The police never ask about money or bank cards on the phone.",
    ),
    VerdictCode.POLICE_NUMBER: (
        "警察の番号からの電話です。本物とは限りません。お金やカードの話が出たら詐欺です。"
        "一度切って、ご家族か、シャープきゅういちいちゼロに相談してください。",
        "A call from a police number, but it may be faked. If they talk about money or bank cards, "
        "it is a scam. Hang up, and ask your family.",
    ),
    VerdictCode.INTERNATIONAL: (
        "海外からの電話です。心当たりがなければ、出ないでください。",
        "A call from abroad. If you do not expect one, please do not answer.",
    ),
    VerdictCode.WITHHELD: (
        "非通知の電話です。名乗らない相手や、お金の話には注意してください。",
        "The caller has hidden their number. Be careful if they will not say who they are, "
        "or if they talk about money.",
    ),
    VerdictCode.UNAVAILABLE: (
        "番号が表示されない電話です。お金の話が出たら、一度切って、ご家族に相談してください。",
        "The caller's number is not shown. If they talk about money, hang up and ask your family.",
    ),
    VerdictCode.PAYPHONE: (
        "公衆電話からの電話です。家族を名乗って、お金の話をしたら詐欺です。",
        "A call from a public phone. If the caller says they are family and asks for money, it is a scam.",
    ),
    VerdictCode.INVALID: (
        "見慣れない番号からの電話です。注意してください。",
        "A call from an unusual number. Please be careful.",
    ),
    VerdictCode.ALLOWLISTED: (
        "登録されている番号からの電話です。",
        "A call from a number on your family list.",
    ),
    VerdictCode.ORDINARY: (
        "お電話です。",
        "A phone call.",
    ),
}

#: Said instead when the policy also hangs the call up ("block"): the phone stops ringing at once, so
#: "do not answer" would be wrong, but the household should still learn what was stopped.
#: "*" covers any other verdict a family configures to block.
BLOCKED_WARNINGS: dict[str, tuple[str, str]] = {
    VerdictCode.POLICE_LOOKALIKE: (
        "警察を装った番号からの電話を、自動で切りました。詐欺の疑いが強い電話です。"
        "警察が電話でお金やカードの話をすることはありません。",
        "A call from a number made to look like the police was hung up automatically. "
        "It was very likely a scam. The police never ask about money or bank cards on the phone.",
    ),
    VerdictCode.BLOCKLISTED: (
        "ブロックした番号からの電話を、自動で切りました。",
        "A call from a number you blocked was hung up automatically.",
    ),
    "*": (
        "注意が必要な電話を、自動で切りました。",
        "A suspicious call was hung up automatically.",
    ),
}

#: What a caller hears when the policy answers a call to warn them ("warn-caller"; the municipal
#: call-warning recorders' approach: the announcement alone drives many fraud callers away).
CALLER_WARNINGS: dict[str, str] = {
    "ja": "こちらは、特殊詐欺対策の自動応答です。"
          "この電話は、家族が確認してから、こちらから折り返します。失礼します。",
    "en": "This is an automatic answer against phone fraud. The family will check this call and "
          "call back if needed. Goodbye.",
}

#: Said after the police-number warning when the directory knows the line: the household hears
#: which station's number is shown, and that it may still be faked (the warning said so).
POLICE_NAME = {"ja": "表示は、{name}の番号です。", "en": "The display shows the number of {name}."}


def police_name_text(lang: str, name_ja: str, name_en: str) -> str:
    """The sentence naming the police line a call displays ("表示は、新宿警察署の番号です。")."""
    name = name_ja if check_language(lang) == "ja" else (name_en or name_ja)
    return POLICE_NAME[lang].format(name=" ".join(name.split())[:60])


#: Digit words as said in phone numbers: long ニー and ゴー, ヨン/ナナ/キュー (never し/しち/く).
DIGITS_JA = ("ゼロ", "イチ", "ニー", "サン", "ヨン", "ゴー", "ロク", "ナナ", "ハチ", "キュー")
DIGITS_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PLUS = {"ja": "プラス", "en": "plus"}
#: Said before the digits.
NUMBER_INTRO = {"ja": "番号は", "en": "The number is"}

#: No phone number is longer than 15 digits (E.164); the rest is a garbled or hostile line.
MAX_DIGITS = 15
#: Gaps when joining digit clips: short inside a group, longer between groups.
DIGIT_GAP = 0.08
GROUP_GAP = 0.38


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def warning_text(code: str, lang: str, blocked: bool = False) -> str:
    """The fixed spoken warning for a verdict code (unknown codes get the neutral announcement)."""
    if blocked:
        ja, en = BLOCKED_WARNINGS.get(code, BLOCKED_WARNINGS["*"])
    else:
        ja, en = WARNINGS.get(code, WARNINGS[VerdictCode.ORDINARY])
    return ja if check_language(lang) == "ja" else en


def warning_label(code: str, blocked: bool = False) -> str:
    """The name a warning's WAV file carries, e.g. "police-number" or "police-lookalike-blocked"."""
    if not blocked:
        return str(code) if code in WARNINGS else str(VerdictCode.ORDINARY)
    return f"{code}-blocked" if code in BLOCKED_WARNINGS and code != "*" else "blocked"


@dataclass(frozen=True)
class SpokenNumber:
    """A displayed number as it will be read: an optional leading plus and digit groups."""

    plus: bool
    groups: tuple[str, ...]

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    def words(self, lang: str) -> str:
        """The number as text, e.g. "番号は、ゼロサン、サンゴーハチイチ、…" (for logs and `say`)."""
        table = DIGITS_JA if check_language(lang) == "ja" else DIGITS_EN
        joiner = "" if lang == "ja" else " "
        groups = [joiner.join(table[int(d)] for d in group) for group in self.groups]
        if self.plus:
            groups.insert(0, PLUS[lang])
        return ("、" if lang == "ja" else ", ").join([NUMBER_INTRO[lang], *groups]) + (
            "。" if lang == "ja" else "."
        )


def spoken_number(display: str | None) -> SpokenNumber | None:
    """Split a displayed number into the groups a person would read; None when it has no digits.

    Uses the separators already in the display ("03-3581-4321", "+1 202-555-0110");
    a bare run of digits is grouped like Japanese numbers are written (3-4-4 for
    mobiles, 2-4-4 for Tokyo and Osaka, 4-3-3 for 0120/0800, else 3-3-4), and any
    group longer than 4 is cut into fours from the right.
    """
    if not display:
        return None
    text = display.strip()
    plus = text.startswith(("+", "＋"))
    text = text.translate(_FULLWIDTH_DIGITS)
    raw_groups = [g for g in re.split(r"[^0-9]+", text) if g]
    if not raw_groups:
        return None
    groups: list[str] = []
    used = 0
    for group in raw_groups:
        group = group[: MAX_DIGITS - used]
        used += len(group)
        if group:
            groups.append(group)
        if used >= MAX_DIGITS:
            break
    if len(groups) == 1:
        groups = _group_bare(groups[0])
    split: list[str] = []
    for group in groups:
        split.extend(_fours_from_right(group) if len(group) > 4 else [group])
    return SpokenNumber(plus=plus, groups=tuple(split))


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _group_bare(digits: str) -> list[str]:
    n = len(digits)
    if n == 11 and digits.startswith("0"):
        cut = (3, 7)
    elif n == 10 and digits.startswith(("0120", "0800", "0570")):
        cut = (4, 7)
    elif n == 10 and digits.startswith(("03", "06")):
        cut = (2, 6)
    elif n == 10:
        cut = (3, 6)
    else:
        return _fours_from_right(digits) if n > 4 else [digits]
    return [digits[: cut[0]], digits[cut[0] : cut[1]], digits[cut[1] :]]


def _fours_from_right(digits: str) -> list[str]:
    head = len(digits) % 4
    groups = [digits[:head]] if head else []
    groups += [digits[i : i + 4] for i in range(head, len(digits), 4)]
    if len(groups) > 1 and len(groups[0]) == 1:  # "1 2345 6789" reads better as "12 345 6789"
        groups[0], groups[1] = groups[0] + groups[1][0], groups[1][1:]
    return groups


def clip_texts(lang: str) -> dict[str, str]:
    """Every short clip a number is assembled from: name -> text to render."""
    table = DIGITS_JA if check_language(lang) == "ja" else DIGITS_EN
    clips = {f"digit-{d}": word for d, word in enumerate(table)}
    clips["plus"] = PLUS[lang]
    clips["intro"] = NUMBER_INTRO[lang]
    return clips


__all__ = [
    "POLICE_NAME",
    "police_name_text",
    "BLOCKED_WARNINGS",
    "CALLER_WARNINGS",
    "LANGUAGES",
    "WARNINGS",
    "SpokenNumber",
    "check_language",
    "clip_texts",
    "spoken_number",
    "warning_label",
    "warning_text",
]
