"""Which prefecture a Japanese number's area code belongs to (pure after the one-time load).

The police pattern rules apply per prefecture ("Osaka's stations end in -1234"), so screening needs
a number's prefecture. The table (`callerid/data/jp_areas.csv`) is generated from phonenumbers'
geocoder by `scripts/gen_jp_areas.py`; loading it costs about 1,400 small strings, where the
geocoder itself would cost megabytes.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

AREAS_CSV = "data/jp_areas.csv"

#: The 47 prefectures: English as phonenumbers' geocoder spells them -> Japanese.
PREFECTURES: Mapping[str, str] = MappingProxyType({
    "Hokkaido": "北海道", "Aomori": "青森県", "Iwate": "岩手県", "Miyagi": "宮城県", "Akita": "秋田県",
    "Yamagata": "山形県", "Fukushima": "福島県", "Ibaraki": "茨城県", "Tochigi": "栃木県",
    "Gunma": "群馬県", "Saitama": "埼玉県", "Chiba": "千葉県", "Tokyo": "東京都", "Kanagawa": "神奈川県",
    "Niigata": "新潟県", "Toyama": "富山県", "Ishikawa": "石川県", "Fukui": "福井県",
    "Yamanashi": "山梨県", "Nagano": "長野県", "Gifu": "岐阜県", "Shizuoka": "静岡県", "Aichi": "愛知県",
    "Mie": "三重県", "Shiga": "滋賀県", "Kyoto": "京都府", "Osaka": "大阪府", "Hyogo": "兵庫県",
    "Nara": "奈良県", "Wakayama": "和歌山県", "Tottori": "鳥取県", "Shimane": "島根県",
    "Okayama": "岡山県", "Hiroshima": "広島県", "Yamaguchi": "山口県", "Tokushima": "徳島県",
    "Kagawa": "香川県", "Ehime": "愛媛県", "Kochi": "高知県", "Fukuoka": "福岡県", "Saga": "佐賀県",
    "Nagasaki": "長崎県", "Kumamoto": "熊本県", "Oita": "大分県", "Miyazaki": "宮崎県",
    "Kagoshima": "鹿児島県", "Okinawa": "沖縄県",
})
PREFECTURES_EN = frozenset(PREFECTURES)
PREFECTURE_BY_JA: Mapping[str, str] = MappingProxyType({ja: en for en, ja in PREFECTURES.items()})


@functools.cache
def area_prefixes() -> Mapping[str, str]:
    """Area-code prefix as dialled in Japan ("06", "0721") -> prefecture in English (read once)."""
    text = resources.files("callerid").joinpath(AREAS_CSV).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return MappingProxyType({row["prefix"]: row["prefecture_en"] for row in reader})


@functools.cache
def _prefix_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(p) for p in area_prefixes()}, reverse=True))


def prefecture_of(national_digits: str | None) -> str | None:
    """The prefecture (English) of a geographic number dialled in Japan, by longest prefix; or None."""
    if not national_digits or not national_digits.startswith("0"):
        return None
    table = area_prefixes()
    for length in _prefix_lengths():
        found = table.get(national_digits[:length])
        if found is not None:
            return found
    return None
