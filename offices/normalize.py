"""Place-name normalisation: folding, unit-type prefixes, numbers and abbreviations.

Matching works on *folded* text (no case, no diacritics, đ→d) because many citizens type
without diacritics; the *accent key* of a token keeps the diacritics in a canonical form
("hoà" and "hòa" agree) so that a query typed with diacritics can still prefer "Tân Thành"
over "Tân Thạnh". Folding itself is the project's one rule, ``knowledge.normalize.fold``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from knowledge.normalize import fold as _fold_text

# Combining marks that carry the tone; the others (circumflex, breve, horn) change the vowel.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_APOSTROPHES = re.compile(r"['’‘`ʼ´]")
# A word (letters and digits of any script) or a punctuation mark that separates parts.
_PIECE = re.compile(r"[^\W_]+|[.,;/|()\n]")
_DIGITS_OR_NOT = re.compile(r"\d+|\D+")


class Level(StrEnum):
    """The three tiers of the pre-2025 administration (the district tier is gone since 2025)."""

    WARD = "ward"
    DISTRICT = "district"
    PROVINCE = "province"


class UnitKind(StrEnum):
    """The unit type a prefix or suffix named ("xã", "quận", "district" ...)."""

    COMMUNE = "xã"
    WARD = "phường"
    TOWNSHIP = "thị trấn"
    SPECIAL_ZONE = "đặc khu"
    URBAN_DISTRICT = "quận"
    RURAL_DISTRICT = "huyện"
    TOWN = "thị xã"
    CITY = "thành phố"
    PROVINCE = "tỉnh"
    DISTRICT = "district"  # English: quận or huyện
    SMALL_TOWN = "town"  # English: thị xã or thị trấn

    @property
    def levels(self) -> frozenset[Level]:
        """The tiers a unit of this kind can belong to."""
        return _KIND_LEVELS[self]

    def matches(self, unit_type: str) -> bool:
        """Whether a unit whose type is ``unit_type`` (e.g. "Thị trấn") can be of this kind."""
        return _type_key(unit_type) in _KIND_TYPES[self]


@lru_cache(maxsize=64)
def _type_key(unit_type: str) -> str:
    return fold(unit_type)


_KIND_TYPES: dict[UnitKind, frozenset[str]] = {
    UnitKind.COMMUNE: frozenset({"xa"}),
    UnitKind.WARD: frozenset({"phuong"}),
    UnitKind.TOWNSHIP: frozenset({"thi tran"}),
    UnitKind.SPECIAL_ZONE: frozenset({"dac khu", "huyen"}),
    UnitKind.URBAN_DISTRICT: frozenset({"quan"}),
    UnitKind.RURAL_DISTRICT: frozenset({"huyen"}),
    UnitKind.TOWN: frozenset({"thi xa"}),
    UnitKind.CITY: frozenset({"thanh pho"}),
    UnitKind.PROVINCE: frozenset({"tinh"}),
    UnitKind.DISTRICT: frozenset({"quan", "huyen"}),
    UnitKind.SMALL_TOWN: frozenset({"thi xa", "thi tran"}),
}
_W, _D, _P = Level.WARD, Level.DISTRICT, Level.PROVINCE
_KIND_LEVELS: dict[UnitKind, frozenset[Level]] = {
    UnitKind.COMMUNE: frozenset({_W}),
    UnitKind.WARD: frozenset({_W}),
    UnitKind.TOWNSHIP: frozenset({_W}),
    UnitKind.SPECIAL_ZONE: frozenset({_W}),
    UnitKind.URBAN_DISTRICT: frozenset({_D}),
    # The five island districts (Côn Đảo, Lý Sơn ...) had no wards: they are ward-level here.
    UnitKind.RURAL_DISTRICT: frozenset({_D, _W}),
    UnitKind.TOWN: frozenset({_D}),
    UnitKind.CITY: frozenset({_D, _P}),
    UnitKind.PROVINCE: frozenset({_P}),
    UnitKind.DISTRICT: frozenset({_D, _W}),
    UnitKind.SMALL_TOWN: frozenset({_W, _D}),
}

# Vietnamese type words. They also occur inside names ("Phường Đúc", "Xã Tứ Quận", "Hà Tĩnh"),
# so a matcher must try each occurrence both as a prefix and as part of the name.
VI_PREFIXES: tuple[tuple[tuple[str, ...], UnitKind], ...] = (
    (("thi", "tran"), UnitKind.TOWNSHIP),
    (("thi", "xa"), UnitKind.TOWN),
    (("thanh", "pho"), UnitKind.CITY),
    (("dac", "khu"), UnitKind.SPECIAL_ZONE),
    (("thu", "do"), UnitKind.CITY),
    (("xa",), UnitKind.COMMUNE),
    (("phuong",), UnitKind.WARD),
    (("quan",), UnitKind.URBAN_DISTRICT),
    (("huyen",), UnitKind.RURAL_DISTRICT),
    (("tinh",), UnitKind.PROVINCE),
)
# Abbreviations that never occur in names: always prefixes.
ABBREVIATED_PREFIXES: dict[str, UnitKind] = {
    "tp": UnitKind.CITY,
    "tx": UnitKind.TOWN,
    "tt": UnitKind.TOWNSHIP,
}
# One-letter abbreviations: prefixes when written "p." or directly before a number ("p1").
LETTER_PREFIXES: dict[str, UnitKind] = {
    "p": UnitKind.WARD,
    "q": UnitKind.URBAN_DISTRICT,
    "h": UnitKind.RURAL_DISTRICT,
    "x": UnitKind.COMMUNE,
}
# English type words: a suffix ("Phuc Xa ward"), or a prefix before a number ("District 3").
ENGLISH_TYPES: dict[str, UnitKind] = {
    "ward": UnitKind.WARD,
    "commune": UnitKind.COMMUNE,
    "township": UnitKind.TOWNSHIP,
    "town": UnitKind.SMALL_TOWN,
    "district": UnitKind.DISTRICT,
    "city": UnitKind.CITY,
    "province": UnitKind.PROVINCE,
    "zone": UnitKind.SPECIAL_ZONE,
}
# Tokens typed glued together.
GLUED: dict[str, tuple[str, ...]] = {
    "tphcm": ("tp", "hcm"),
    "tphn": ("tp", "hn"),
    "hcmc": ("hcm", "city"),
}
# Province names as citizens write them -> the folded official short name.
PROVINCE_ALIASES: dict[str, str] = {
    "hcm": "ho chi minh",
    "sai gon": "ho chi minh",
    "saigon": "ho chi minh",
    "sg": "ho chi minh",
    "hn": "ha noi",
    "hanoi": "ha noi",
    "thua thien hue": "hue",
    "thua thien": "hue",
    "brvt": "ba ria vung tau",
    "br vt": "ba ria vung tau",
    "hp": "hai phong",
    "dac lac": "dak lak",
    "dac nong": "dak nong",
}
# Words after the province that say nothing about the place.
TRAILING_NOISE: tuple[tuple[str, ...], ...] = (("viet", "nam"), ("vietnam",), ("vn",))


def fold(text: str) -> str:
    """NFC, lower-case, diacritics removed (đ→d) and whitespace collapsed.

    Args:
        text: Any text.

    Returns:
        The folded text, e.g. ``"Phường Phúc Xá"`` -> ``"phuong phuc xa"``.
    """
    text = unicodedata.normalize("NFC", text).replace("ð", "đ").replace("Ð", "Đ")
    return " ".join(_fold_text(_fold_text(text)).split())


def accent_key(token: str) -> str:
    """Lower-case token with its tone mark moved to the end, so "hoà" and "hòa" agree."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    base = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return unicodedata.normalize("NFC", base) + "".join(tones[:1])


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a place name: folded for matching, accent key for tie-breaking."""

    key: str
    accent: str
    marked: bool  # the raw word carried diacritics
    dotted: bool = False  # written with a trailing "." ("p.", "tp.")
    boundary_before: bool = False  # a comma (or similar) came before it

    @property
    def is_number(self) -> bool:
        return self.key.isdigit()


def tokenize(text: str) -> list[Token]:
    """Split a place name or address into tokens.

    Letters and digits are separated ("p1" -> "p", "1"), leading zeros of numbers dropped
    ("01" -> "1"), apostrophes removed ("H'Leo" -> "hleo"), glued abbreviations split
    ("tphcm" -> "tp", "hcm"); commas, semicolons, slashes and brackets mark boundaries.
    """
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFC", text))
    out: list[Token] = []
    boundary = False
    for piece in _PIECE.findall(text):
        if piece == ".":
            if out and not out[-1].dotted:
                last = out[-1]
                out[-1] = Token(last.key, last.accent, last.marked, True, last.boundary_before)
            continue
        if len(piece) == 1 and piece in ",;/|()\n":
            boundary = True
            continue
        for part in _DIGITS_OR_NOT.findall(piece):
            for word, accent, marked in _words(part):
                out.append(Token(word, accent, marked, boundary_before=boundary))
                boundary = False
    return out


@lru_cache(maxsize=65_536)
def _words(part: str) -> tuple[tuple[str, str, bool], ...]:
    """(key, accent key, marked) of each word one piece of text stands for."""
    if part.isdecimal():
        return ((str(int(part)), str(int(part)), False),)
    key = fold(part)
    marked = key != part.lower()
    words = GLUED.get(key)
    if words is not None:
        return tuple((word, word, marked) for word in words)
    return ((key, accent_key(part) if marked else key, marked),)


@dataclass(frozen=True, slots=True)
class PlaceName:
    """A normalised place name: the matching key, and the unit type its prefix named."""

    text: str
    key: str
    kind: UnitKind | None = None

    @property
    def has_prefix(self) -> bool:
        """Whether the text named a unit type ("xã", "quận", "tp", "district" ...)."""
        return self.kind is not None


def match_prefix(keys: list[str], at: int) -> tuple[int, UnitKind] | None:
    """The Vietnamese type word starting at ``keys[at]``, as (length in tokens, kind)."""
    for words, kind in VI_PREFIXES:
        if tuple(keys[at : at + len(words)]) == words:
            return len(words), kind
    return None


def province_alias(key: str) -> str:
    """The official folded short name for a province alias ("tp hcm" -> "ho chi minh")."""
    return PROVINCE_ALIASES.get(key, key)


def normalize(text: str, level: Level | None = None) -> PlaceName:
    """Normalise one place name for matching.

    Folds the text, drops one unit-type prefix ("xã", "tp.", "q.") or English suffix
    ("ward", "district") and records its kind, normalises numbers ("P.01" -> "1"), and maps
    province aliases ("TPHCM", "Sài Gòn" -> "ho chi minh") unless the prefix or ``level``
    says the name is a ward or district ("Phường Sài Gòn" stays "sai gon").

    Args:
        text: One name, e.g. "Phường 1", "tp HCM", "Ba Dinh district".
        level: The tier the name is known to belong to, if any.

    Returns:
        The :class:`PlaceName`.
    """
    tokens = tokenize(text)
    keys = [t.key for t in tokens]
    kind: UnitKind | None = None
    if len(keys) > 1:
        first = keys[0]
        vi = match_prefix(keys, 0)
        if first in ABBREVIATED_PREFIXES:
            kind, keys = ABBREVIATED_PREFIXES[first], keys[1:]
        elif first in LETTER_PREFIXES and (tokens[0].dotted or tokens[1].is_number):
            kind, keys = LETTER_PREFIXES[first], keys[1:]
        elif first in ENGLISH_TYPES and tokens[1].is_number:
            kind, keys = ENGLISH_TYPES[first], keys[1:]
        elif vi is not None and vi[0] < len(keys):
            kind, keys = vi[1], keys[vi[0] :]
        elif keys[-1] in ENGLISH_TYPES:
            kind, keys = ENGLISH_TYPES[keys[-1]], keys[:-1]
    key = " ".join(keys)
    levels = kind.levels if kind is not None else frozenset(Level)
    if (level is None or level is Level.PROVINCE) and Level.PROVINCE in levels:
        key = province_alias(key)
    return PlaceName(text=text, key=key, kind=kind)
