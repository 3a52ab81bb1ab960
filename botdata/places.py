"""Lookup tables and synonyms for provinces, districts and communes/wards.

Provinces (old and new, bare or prefixed) map to their short official name, pre-2025
districts (always with their type word: "quận 3", "huyện Gia Lâm", "tx Sơn Tây") to their full
official name; communes and wards (pre-2025 and current, always with their type word: "xã Phúc
Xá", "p.12", "tt Đông Anh") are listed without synonyms. Bare commune names are not listed: too
many are ordinary words ("Hòa Bình", "Tân Tiến"); the office form takes the whole reply as text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from botdata.render import clean, longest_first
from knowledge.normalize import fold
from offices.units import AdminUnits

# Province nicknames citizens type -> folded official short name. Two-letter ones
# ("hn", "sg", "hp") are left out: in chat they are more often words ("hn" = hôm nay).
_PROVINCE_NICKNAMES: dict[str, str] = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "tp hcm": "ho chi minh",
    "hcmc": "ho chi minh",
    "sai gon": "ho chi minh",
    "sài gòn": "ho chi minh",
    "saigon": "ho chi minh",
    "tphn": "ha noi",
    "hanoi": "ha noi",
    "thua thien hue": "hue",
    "thừa thiên huế": "hue",
    "brvt": "ba ria vung tau",
    "dac lac": "dak lak",
    "đắc lắc": "dak lak",
    "dac nong": "dak nong",
}
_PROVINCE_TYPES = ("Thành phố ", "Tỉnh ")
# Type word of a unit -> the short forms citizens type before the name.
_TYPE_FORMS: dict[str, tuple[str, ...]] = {
    "xã": ("xã", "xa"),
    "phường": ("phường", "phuong", "p.", "p"),
    "thị trấn": ("thị trấn", "thi tran", "tt.", "tt"),
    "đặc khu": ("đặc khu", "dac khu"),
    "quận": ("quận", "quan", "q.", "q"),
    "huyện": ("huyện", "huyen", "h."),
    "thị xã": ("thị xã", "thi xa", "tx.", "tx"),
    "thành phố": ("thành phố", "thanh pho", "tp.", "tp"),
}
_UNIT_TYPES = sorted(_TYPE_FORMS, key=len, reverse=True)
# English type words, written after a name ("Phuc Xa ward") or before a number ("ward 12").
_ENGLISH_TYPES: dict[str, tuple[str, ...]] = {
    "xã": ("commune",),
    "phường": ("ward",),
    "thị trấn": ("town", "township"),
    "đặc khu": ("special zone",),
    "quận": ("district",),
    "huyện": ("district",),
    "thị xã": ("town",),
    "thành phố": ("city",),
}


@dataclass(frozen=True, slots=True)
class PlaceTables:
    """Province and district spellings with their canonical names, and commune spellings."""

    provinces: dict[str, str]
    districts: dict[str, str]
    places: list[str]

    @classmethod
    def from_units(cls, units: AdminUnits) -> PlaceTables:
        """The tables of the old→new data and the current wards (as of 1 July 2025)."""
        legacy, current = units.old_wards, units.new_wards.values()
        province_names = {w.province for w in legacy} | {w.province for w in current}
        provinces = _province_spellings(province_names)

        district_canon: dict[str, set[str]] = defaultdict(set)
        for old in legacy:
            for key in unit_variants(old.district):
                if key not in provinces:  # "thành phố huế" is the province
                    district_canon[key].add(clean(old.district))
        districts = _with_canonical(district_canon)

        # an island district without wards (no code) is no commune name
        ward_names = {w.name for w in legacy if w.code is not None}
        ward_names |= {w.name for w in current if w.name}
        place_keys: set[str] = set()
        for name in ward_names:
            place_keys |= unit_variants(name)
        place_keys -= set(provinces) | set(districts)
        # "thị xã Sơn Tây" (a district) contains "xã Sơn Tây" (a commune elsewhere): the
        # commune spelling would match inside the district name, so it gives way.
        place_keys = {
            key for key in place_keys if not any(f"{t} {key}" in districts for t in ("thị", "thi"))
        }
        places = sorted(place_keys, key=longest_first)
        return cls(provinces, districts, places)


def _province_spellings(full_names: set[str]) -> dict[str, str]:
    canon: dict[str, set[str]] = defaultdict(set)
    short_of_folded: dict[str, str] = {}
    for full in sorted(full_names):
        full = clean(full)
        prefix = next((p for p in _PROVINCE_TYPES if full.startswith(p)), "")
        short = full[len(prefix) :]
        short_of_folded[fold(short)] = short
        forms = {short}
        if "-" in short:  # "Bà Rịa - Vũng Tàu"
            forms |= {clean(short.replace("-", " ")), clean(re.sub(r"\s*-\s*", "-", short))}
        for form in forms:
            for key in _with_folded({form.lower()}):
                canon[key].add(short)
            types = ("tỉnh", "tinh") if prefix == "Tỉnh " else _TYPE_FORMS["thành phố"]
            spelled = {f"{type_word} {form.lower()}" for type_word in types}
            spelled.add(f"{form.lower()} {'province' if prefix == 'Tỉnh ' else 'city'}")
            for key in _with_folded(spelled):
                canon[key].add(short)
    for nickname, folded_short in _PROVINCE_NICKNAMES.items():
        if folded_short in short_of_folded:
            canon[nickname].add(short_of_folded[folded_short])
    return _with_canonical(canon)


def unit_variants(full_name: str) -> set[str]:
    """Spellings of a unit name with its type word: "Phường 12" -> "phường 12", "p.12", "p12" ...

    A name without a known type word yields nothing (a bare name is too often a plain word).
    """
    full = clean(full_name)
    lowered = full.lower()
    unit_type = next((t for t in _UNIT_TYPES if lowered.startswith(t + " ")), None)
    if unit_type is None:
        return set()
    name = full[len(unit_type) + 1 :].strip()
    names = {name.lower()}
    if name.isdigit():
        names.add(str(int(name)))
    keys: set[str] = set()
    for type_word in _TYPE_FORMS[unit_type]:
        for short in names:
            if type_word.endswith("."):
                keys.add(f"{type_word}{short}")  # "p.12", "tp.vinh"
                keys.add(f"{type_word} {short}")
            elif len(type_word) <= 2:  # "p", "q", "tt", "tx", "tp": glued only to numbers
                if short.isdigit():
                    keys.add(f"{type_word}{short}")
                    keys.add(f"{type_word} {short}")
                elif len(type_word) == 2:
                    keys.add(f"{type_word} {short}")
            else:
                keys.add(f"{type_word} {short}")
    for english in _ENGLISH_TYPES[unit_type]:
        for short in names:
            keys.add(f"{english} {short}" if short.isdigit() else f"{short} {english}")
    return _with_folded(keys)


def _with_folded(keys: set[str]) -> set[str]:
    return {k for key in keys for k in (key, fold(key))}


def _with_canonical(canon: dict[str, set[str]]) -> dict[str, str]:
    """Every spelling (longest first) -> its official name, or "" when it has several.

    "huyen thanh tri" folds both "Huyện Thanh Trì" (Hà Nội) and "Huyện Thạnh Trị" (Sóc
    Trăng): it stays in the lookup table but gets no synonym.
    """
    keys = sorted(canon, key=longest_first)
    return {key: next(iter(canon[key])) if len(canon[key]) == 1 else "" for key in keys}
