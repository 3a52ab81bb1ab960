"""Place-name normalisation: folding properties, prefixes, numbers, abbreviations."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offices.normalize import Level, UnitKind, accent_key, fold, normalize, tokenize

# Each plain letter with the Vietnamese letters that fold to it.
VARIANTS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
    "d": "dđ",
}
PLAIN = st.text(alphabet="abcdeghiklmnopqrstuvxy 0123456789", max_size=40)


@st.composite
def decorated(draw: st.DrawFn) -> tuple[str, str]:
    """(plain text, the same text with random diacritics, case and Unicode form)."""
    plain = draw(PLAIN)
    out = []
    for ch in plain:
        ch = draw(st.sampled_from(VARIANTS.get(ch, ch)))
        out.append(ch.upper() if draw(st.booleans()) else ch)
    text = "".join(out)
    return plain, unicodedata.normalize("NFD", text) if draw(st.booleans()) else text


@given(st.text(max_size=60))
def test_fold_is_idempotent_on_any_text(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(decorated())
def test_fold_ignores_diacritics_case_and_unicode_form(pair: tuple[str, str]) -> None:
    plain, fancy = pair
    assert fold(fancy) == " ".join(plain.split())


@given(decorated())
def test_tokens_match_with_or_without_diacritics(pair: tuple[str, str]) -> None:
    plain, fancy = pair
    assert [t.key for t in tokenize(fancy)] == [t.key for t in tokenize(plain)]


def test_fold_examples() -> None:
    assert fold("Phường  Phúc Xá") == "phuong phuc xa"
    assert fold("ĐẮK LẮK") == "dak lak"
    assert fold("Ðồng Nai") == "dong nai"  # Icelandic eth typed for Đ


def test_accent_key_ignores_where_the_tone_mark_sits() -> None:
    assert accent_key("Hoà") == accent_key("hòa")
    assert accent_key("Thuỵ") == accent_key("Thụy")
    assert accent_key("Thành") != accent_key("Thạnh")


@pytest.mark.parametrize(
    "text", ["Phường 1", "P.1", "phuong 01", "p1", "P. 01", "Ward 1", "1 ward"]
)
def test_numbered_wards_match(text: str) -> None:
    name = normalize(text)
    assert name.key == "1"
    assert name.kind is UnitKind.WARD
    assert name.has_prefix


@pytest.mark.parametrize(
    ("text", "key", "kind"),
    [
        ("Xã Phúc Xá", "phuc xa", UnitKind.COMMUNE),
        ("thị trấn Tà Lùng", "ta lung", UnitKind.TOWNSHIP),
        ("Quận Ba Đình", "ba dinh", UnitKind.URBAN_DISTRICT),
        ("q.3", "3", UnitKind.URBAN_DISTRICT),
        ("huyện Ninh Giang", "ninh giang", UnitKind.RURAL_DISTRICT),
        ("h. Ninh Giang", "ninh giang", UnitKind.RURAL_DISTRICT),
        ("thị xã Bỉm Sơn", "bim son", UnitKind.TOWN),
        ("tx Bỉm Sơn", "bim son", UnitKind.TOWN),
        ("tt Tà Lùng", "ta lung", UnitKind.TOWNSHIP),
        ("Thành phố Thủ Đức", "thu duc", UnitKind.CITY),
        ("Tỉnh Cao Bằng", "cao bang", UnitKind.PROVINCE),
        ("Ba Dinh district", "ba dinh", UnitKind.DISTRICT),
        ("Hai Duong province", "hai duong", UnitKind.PROVINCE),
        ("Phuc Xa commune", "phuc xa", UnitKind.COMMUNE),
        ("Hưng Long", "hung long", None),
    ],
)
def test_prefixes_are_dropped_and_remembered(text: str, key: str, kind: UnitKind | None) -> None:
    name = normalize(text)
    assert (name.key, name.kind) == (key, kind)


@pytest.mark.parametrize(
    "text", ["HCM", "TPHCM", "tp.HCM", "TP. Hồ Chí Minh", "Sài Gòn", "saigon", "Ho Chi Minh City"]
)
def test_ho_chi_minh_city_aliases(text: str) -> None:
    assert normalize(text).key == "ho chi minh"


@pytest.mark.parametrize("text", ["HN", "Hanoi", "Hà Nội", "TP Hà Nội", "Thủ đô Hà Nội"])
def test_hanoi_aliases(text: str) -> None:
    assert normalize(text).key == "ha noi"


def test_aliases_do_not_rename_wards() -> None:
    assert normalize("Phường Sài Gòn").key == "sai gon"
    assert normalize("Sài Gòn", level=Level.WARD).key == "sai gon"


def test_type_words_inside_names_survive() -> None:
    # "Phường Đúc" is the ward's name; its full name is "Phường Phường Đúc".
    assert normalize("Phường Phường Đúc").key == "phuong duc"
    assert normalize("Hà Tĩnh").key == "ha tinh"
    assert normalize("Xã").key == "xa"  # a lone type word is not stripped to nothing


def test_apostrophes_and_glued_abbreviations() -> None:
    assert normalize("Ea H'Leo").key == normalize("ea hleo").key == "ea hleo"
    assert [t.key for t in tokenize("tphcm")] == ["tp", "hcm"]
