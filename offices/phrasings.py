"""Test phrasings of old addresses, the way citizens type them, for the resolver evaluation.

A seeded sample of old wards from every old province, each written in several forms. Each
phrasing says whether its words decide the answer at all (``decidable``): "Tân Thành, Cà Mau"
does not when Cà Mau had several Tân Thành, and then only asking for the district helps.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from offices.normalize import fold, tokenize
from offices.units import AdminUnits, NewWard, OldWard, split_type

FORMS = (
    "full",  # Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội
    "no_diacritics",  # phuong phuc xa, quan ba dinh, thanh pho ha noi
    "bare",  # phuc xa ba dinh ha noi
    "ward_province",  # Phường Phúc Xá, Hà Nội
    "english",  # Phuc Xa Ward, Ba Dinh District, Hanoi
    "abbreviated",  # p. Phúc Xá q. Ba Đình tp HN
    "typo",  # phuc xaa, ba dinh, ha noi
)
_ABBREVIATIONS = {
    "Xã": "x.",
    "Phường": "p.",
    "Thị trấn": "tt.",
    "Quận": "q.",
    "Huyện": "h.",
    "Thị xã": "tx.",
    "Thành phố": "tp.",
}
_ENGLISH = {
    "Xã": "Commune",
    "Phường": "Ward",
    "Thị trấn": "Town",
    "Quận": "District",
    "Huyện": "District",
    "Thị xã": "Town",
    "Thành phố": "City",
}
_PROVINCE_ABBREVIATIONS = {"Hồ Chí Minh": ("tp hcm", "TPHCM", "HCM"), "Hà Nội": ("HN", "tp HN")}
_PROVINCE_ENGLISH = {"Hà Nội": "Hanoi", "Hồ Chí Minh": "Ho Chi Minh City"}


@dataclass(frozen=True, slots=True)
class Phrasing:
    """One way to write one old ward, and the answers that count as right."""

    q: str
    form: str
    old_ward: str
    expected: tuple[str, ...]  # new ward codes; for a divided ward any of them is right
    decidable: bool  # False: the words fit places with other outcomes (ask the district)


def sample_old_wards(units: AdminUnits, size: int = 500, seed: int = 2025) -> list[OldWard]:
    """A seeded sample of about ``size`` old wards, spread evenly over all old provinces."""
    by_province: dict[str, list[OldWard]] = defaultdict(list)
    for old in units.old_wards:
        by_province[old.province].append(old)
    rng = random.Random(seed)
    per_province = max(1, round(size / len(by_province)))
    sample: list[OldWard] = []
    for province in sorted(by_province):
        wards = by_province[province]
        sample.extend(rng.sample(wards, min(per_province, len(wards))))
    return sample


def generate(units: AdminUnits, size: int = 500, seed: int = 2025) -> list[Phrasing]:
    """Every form of every sampled old ward (forms that do not apply are left out)."""
    rng = random.Random(seed + 1)
    oracle = _Oracle(units)
    out: list[Phrasing] = []
    for old in sample_old_wards(units, size, seed):
        for form, text in _forms(old, rng):
            out.append(
                Phrasing(
                    q=text,
                    form=form,
                    old_ward=f"{old.name}, {old.district}, {old.province}",
                    expected=old.new_codes,
                    decidable=oracle.decidable(old, form),
                )
            )
    return out


def _short(full_name: str) -> str:
    return split_type(full_name)[1]


def _ascii_title(name: str) -> str:
    return " ".join(word.capitalize() for word in fold(name).split())


def _forms(old: OldWard, rng: random.Random) -> Iterator[tuple[str, str]]:
    ward, district, province = _short(old.name), _short(old.district), _short(old.province)
    full = f"{old.name}, {old.district}, {old.province}"
    yield "full", full
    yield "no_diacritics", fold(full)
    yield "bare", fold(f"{ward} {district} {province}")
    yield "ward_province", f"{old.name}, {province}"
    yield "english", _english(old, ward, district, province)
    yield "abbreviated", _abbreviated(old, ward, district, province, rng)
    if len(fold(ward).replace(" ", "")) >= 6:
        yield "typo", f"{_typo(fold(ward), rng)}, {fold(district)}, {fold(province)}"


def _english(old: OldWard, ward: str, district: str, province: str) -> str:
    def named(name: str, unit_type: str) -> str:
        label = _ENGLISH.get(unit_type, "")
        title = _ascii_title(name)
        # Numbered units read "Ward 1", "District 3"; named ones "Phuc Xa Ward".
        return f"{label} {title}" if title.isdigit() else f"{title} {label}".strip()

    if province in _PROVINCE_ENGLISH:
        english_province = _PROVINCE_ENGLISH[province]
    else:
        label = "City" if old.province.startswith("Thành phố") else "Province"
        english_province = f"{_ascii_title(province)} {label}"
    parts = [named(ward, old.unit_type), named(district, old.district_type), english_province]
    return ", ".join(parts)


def _abbreviated(old: OldWard, ward: str, district: str, province: str, rng: random.Random) -> str:
    ward_prefix = _ABBREVIATIONS.get(old.unit_type, "")
    district_prefix = _ABBREVIATIONS.get(old.district_type, "")
    if province in _PROVINCE_ABBREVIATIONS:
        province_text = rng.choice(_PROVINCE_ABBREVIATIONS[province])
    else:
        province_text = province
    parts = [f"{ward_prefix}{ward}", f"{district_prefix}{district}", province_text]
    if rng.random() < 0.5:
        parts = [p.replace(". ", ".") for p in parts]
        return " ".join(parts)
    return ", ".join(parts)


def _typo(word: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    at = rng.choice(letters[1:-1] or letters)
    operation = rng.choice(("delete", "replace", "swap", "insert"))
    if operation == "delete":
        return word[:at] + word[at + 1 :]
    if operation == "replace":
        return word[:at] + rng.choice("aeiouhnt".replace(word[at], "")) + word[at + 1 :]
    if operation == "swap" and at + 1 < len(word) and word[at + 1].isalpha():
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + word[at] + word[at:]


def _key(name: str, accents: bool) -> str:
    tokens = tokenize(_short(name))
    return " ".join(t.accent if accents else t.key for t in tokens)


class _Oracle:
    """Which new wards the words of a form could mean, straight from the data."""

    def __init__(self, units: AdminUnits) -> None:
        self._old: dict[str, list[OldWard]] = defaultdict(list)
        self._new: dict[str, list[NewWard]] = defaultdict(list)
        self._sources: dict[str, set[str]] = defaultdict(set)
        for old in units.old_wards:
            self._old[_key(old.name, False)].append(old)
            for code in old.new_codes:
                self._sources[code].add(_key(old.province, False))
        for new in units.new_wards.values():
            self._new[_key(new.name, False)].append(new)

    def decidable(self, target: OldWard, form: str) -> bool:
        accents = form in ("full", "ward_province", "abbreviated")
        typed = form not in ("bare",)
        with_district = form != "ward_province"
        key = _key(target.name, False)

        def same(a: str, b: str) -> bool:
            return _key(a, accents) == _key(b, accents)

        outcomes: list[set[str]] = []
        for old in self._old[key]:
            if not same(old.name, target.name) or (typed and old.unit_type != target.unit_type):
                continue
            if with_district and not same(old.district, target.district):
                continue
            if same(old.province, target.province):
                outcomes.append(set(old.new_codes))
        if not with_district:
            province = _key(target.province, False)
            for new in self._new[key]:
                if _key(new.province, False) == province or province in self._sources[new.code]:
                    outcomes.append({new.code})
        common = set(target.new_codes)
        for outcome in outcomes:
            common &= outcome
        return bool(common)
