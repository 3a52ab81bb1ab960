"""Record codes: tolerant parsing, clear rejections, and properties over generated input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.errors import RecordCodeDefect, RecordCodeInvalid
from store.codes import MAX_CODE_CHARS, CodeShape, parse_record_code

CANONICAL = "000.00.12.H12-250701-0001"


@pytest.mark.parametrize(
    "typed",
    [
        "000.00.12.H12-250701-0001",
        "000.00.12.h12-250701-0001",
        "  000.00.12.H12-250701-0001\n",
        "000.00.12.H12 250701 0001",
        "000.00.12.H12 - 250701 - 0001",
        "000.00.12.H12250701 0001",
        "000.00.12.H12-2507010001",
        "000.00.12.H122507010001",
        "000.00.12.H12–250701—0001",  # typographic dashes from a word processor
        "000. 00. 12. H12-250701-0001",
        "OOO.OO.I2.HI2-25O7OI-OOOl",  # letters where digits belong
        "000.00.12.H12-25o7ol-ooo1",
        "０００.００.１２.Ｈ１２-２５０７０１-０００１",  # full-width, from some phone keyboards
        "000.00.12.H12-250701-0001\u200b",  # zero-width space from copy-paste
    ],
)
def test_variants_of_a_tt01_code_parse_to_the_canonical_code(typed: str) -> None:
    parsed = parse_record_code(typed)
    assert parsed.canonical == CANONICAL
    assert parsed.shape is CodeShape.TT01
    assert parsed.agency == "000.00.12.H12"
    assert parsed.received_on == date(2025, 7, 1)
    assert parsed.sequence == "0001"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("H12.22-250701-0001", "H12.22-250701-0001"),
        ("h12.22 250701 0001", "H12.22-250701-0001"),
        ("H12.22250701-0001", "H12.22-250701-0001"),
        ("G22.36-230915-0003", "G22.36-230915-0003"),
        ("H12 250701 0001", "H12-250701-0001"),
    ],
)
def test_other_agency_shapes(typed: str, canonical: str) -> None:
    parsed = parse_record_code(typed)
    assert parsed.canonical == canonical
    assert parsed.shape is CodeShape.TT01


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("HS-2023-000123", "HS-2023-000123"),
        ("hs-2023-000123", "HS-2023-000123"),
        ("HS.2023.000123", "HS.2023.000123"),
        ("BNV 2024 12345", "BNV202412345"),
        ("2507010001AB", "2507010001AB"),
    ],
)
def test_plain_codes_of_other_systems(typed: str, canonical: str) -> None:
    parsed = parse_record_code(typed)
    assert parsed.canonical == canonical
    assert parsed.shape is CodeShape.PLAIN


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ("-", "empty"),
        ("x" * (MAX_CODE_CHARS + 1), "too_long"),
        ("0" * 10_000, "too_long"),
        ("000.00.12.H12-250701-0001; DROP TABLE records", "invalid_characters"),
        ("Mã hồ sơ 000.00.12.H12-250701-0001", "invalid_characters"),
        ("000.00.12.H12/250701/0001", "invalid_characters"),
        ("000.00.12.H12-251301-0001", "impossible_date"),
        ("000.00.12.H12-250230-0001", "impossible_date"),
        ("000.00.12.H12-250700-0001", "impossible_date"),
        ("000.00.12.H12-250701-001", "bad_sequence"),
        ("000.00.12.H12-250701-00001", "bad_sequence"),
        ("000.00.12.H12-2507-0001", "bad_date"),
        ("000.00.12.H12", "missing_parts"),
        ("000.00.12.H12-250701", "missing_parts"),
        ("000.00.12.H12-0001", "missing_parts"),
        ("000.00.12.H1234567-250701-0001", "bad_agency"),
        ("AB12", "too_short"),
        ("ABCDEFGHIJKL", "unrecognised"),
        ("A" * 31 + "1", "unrecognised"),
    ],
)
def test_rejections_say_why(typed: str, reason: str) -> None:
    with pytest.raises(RecordCodeInvalid) as caught:
        parse_record_code(typed)
    error = caught.value
    assert isinstance(error, RecordCodeDefect)
    assert error.reason == reason
    assert str(error) and error.text("vi") and error.text("en") == str(error)


def test_invalid_character_is_named_as_typed() -> None:
    with pytest.raises(RecordCodeDefect) as caught:
        parse_record_code("000.00.12.H12_250701_0001")
    assert "'_'" in str(caught.value)
    assert "«_»" in caught.value.text("vi")


def test_impossible_date_is_quoted() -> None:
    with pytest.raises(RecordCodeDefect) as caught:
        parse_record_code("000.00.12.H12-251301-0001")
    assert "251301" in str(caught.value)


# --- properties -------------------------------------------------------------------------

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
letters = st.sampled_from("ABCDEFGHKMNPRSTUVXY")


@st.composite
def agency_codes(draw: st.DrawFn) -> str:
    def num(n: int) -> str:
        return "".join(draw(digits) for _ in range(n))

    letter_digits = draw(letters) + num(2)
    if draw(st.booleans()):
        return f"{num(3)}.{num(2)}.{num(2)}.{letter_digits}"  # V1V2V3.Z1Z2.Y1Y2.MX1X2
    return f"{letter_digits}.{num(2)}"  # H12.22


@st.composite
def tt01_codes(draw: st.DrawFn) -> str:
    agency = draw(agency_codes())
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=9999))
    return f"{agency}-{day:%y%m%d}-{sequence:04d}"


_CONFUSE = {"0": "Oo", "1": "Iil"}


@st.composite
def typed_variants(draw: st.DrawFn, canonical: str) -> str:
    """How a citizen might type ``canonical``: case, separators, spacing, O/0 and I/l/1."""
    agency, day, sequence = canonical.rsplit("-", 2)
    segments = agency.split(".")

    def mistype(part: str, *, keep_first: bool = False) -> str:
        out = []
        for i, char in enumerate(part):
            if keep_first and i == 0:
                out.append(draw(st.sampled_from([char, char.lower()])))
            elif char in _CONFUSE and draw(st.integers(0, 3)) == 0:
                out.append(draw(st.sampled_from(_CONFUSE[char])))
            else:
                out.append(char)
        return "".join(out)

    typed_segments = [mistype(s, keep_first=s[0].isalpha()) for s in segments]
    dot = draw(st.sampled_from([".", ". ", " .", " . "]))
    typed_agency = dot.join(typed_segments)
    separators = [" - ", "-", " ", "  ", "–", "\u00a0"]
    first = draw(st.sampled_from([*separators, ""]))
    second = draw(st.sampled_from([*separators, ""]))
    pad = draw(st.sampled_from(["", " ", "\t", "\n "]))
    return f"{pad}{typed_agency}{first}{mistype(day)}{second}{mistype(sequence)}{pad}"


@settings(max_examples=400, deadline=None)
@given(data=st.data(), canonical=tt01_codes())
@example(data=None, canonical="000.00.12.H12-250701-0001")
def test_formatting_variants_parse_back_to_the_same_code(
    data: st.DataObject | None, canonical: str
) -> None:
    assert parse_record_code(canonical).canonical == canonical
    if data is not None:
        typed = data.draw(typed_variants(canonical))
        assert parse_record_code(typed).canonical == canonical


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=120))
@example("0" * 10_000)
@example("\u0000\u200b\ufeff")
@example("ﷺ" * 10)
def test_arbitrary_text_raises_only_record_code_invalid(text: str) -> None:
    try:
        parsed = parse_record_code(text)
    except RecordCodeInvalid:
        return
    # Whatever parses is canonical: parsing it again changes nothing.
    assert parse_record_code(parsed.canonical) == parsed
    assert len(parsed.canonical) <= MAX_CODE_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789OoIilL.- HhAa", max_size=40))
def test_code_like_text_raises_only_record_code_invalid(text: str) -> None:
    try:
        parsed = parse_record_code(text)
    except RecordCodeInvalid:
        return
    assert parse_record_code(parsed.canonical) == parsed
