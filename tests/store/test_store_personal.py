"""What may not be kept of a citizen's text: phone and ID numbers, factors, names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.personal import (
    MASK,
    mask_personal_numbers,
    read_factor,
    redact_message,
    scrub,
)

PHONES_AND_IDS = [
    "0912345678",
    "0912 345 678",
    "0912.345.678",
    "0912-345-678",
    "+84 912 345 678",
    "84912345678",
    "02439876543",  # landline with area code
    "079123456789",  # 12-digit citizen ID
    "079 123 456 789",
    "123456789",  # old 9-digit ID card
]


@pytest.mark.parametrize("number", PHONES_AND_IDS)
def test_phone_and_id_numbers_are_masked(number: str) -> None:
    masked = mask_personal_numbers(f"số của tôi là {number}, cảm ơn")
    assert masked == f"số của tôi là {MASK}, cảm ơn"


@pytest.mark.parametrize(
    "text",
    [
        "000.00.12.H12-250701-0001",
        "tra cứu hồ sơ h12.22 250701 0001",
        "HS-2023-000123",
        "chứng thực 10 trang năm 2025",
        "gọi 1800 1096",
        '/choose_procedure{"procedure":"1.001193"}',
        "lệ phí 1.500.000 đồng",
    ],
)
def test_codes_years_pages_and_hotlines_are_kept(text: str) -> None:
    assert mask_personal_numbers(text) == text


@pytest.mark.parametrize(
    ("reply", "factor"),
    [
        ("1234", "1234"),
        ("12 34", "1234"),
        ("4 số cuối là 1234", "1234"),
        ("bon so cuoi 0246 a", "0246"),
        ("1234 5678", "12345678"),
        ("1234 và 5678", "12345678"),
        ("0912345678", "5678"),  # the whole phone number: its last 4
        ("0912 345 678 và 079123456789", "56786789"),
        ("１２３４", "1234"),  # full-width digits
    ],
)
def test_a_factor_is_read_from_a_reply(reply: str, factor: str) -> None:
    reading = read_factor(reply)
    assert reading.digits == factor and reading.text == MASK


@pytest.mark.parametrize("reply", ["123", "12345", "1234567", "1 2 3", "31/12/1980"])
def test_a_near_miss_is_not_a_factor_and_is_masked(reply: str) -> None:
    reading = read_factor(reply)
    assert reading.digits is None
    assert not any(c.isdigit() for c in reading.text)


def test_a_reply_without_digits_or_with_a_code_passes() -> None:
    assert read_factor("không nhớ") == read_factor("không nhớ")
    assert read_factor("không nhớ").text == "không nhớ"
    code = read_factor("000.00.12.H12-250701-0002")
    assert code.digits is None and code.text == "000.00.12.H12-250701-0002"


def test_digits_beside_a_code_are_taken_for_its_factor() -> None:
    text = redact_message("hồ sơ 000.00.12.H12-250701-0001 số 5678")
    assert text == f"hồ sơ 000.00.12.H12-250701-0001 số {MASK}"
    assert redact_message("năm 2025 làm khai sinh") == "năm 2025 làm khai sinh"


def test_scrub_hides_codes_factors_numbers_and_names() -> None:
    text = scrub(
        "Tên tôi là Nguyễn Văn An, hồ sơ 000.00.12.H12-250701-0001, số 4821, sđt 0912345678"
    )
    for secret in ("Nguyễn", "Văn", "250701-0001", "4821", "0912345678"):
        assert secret not in text
    assert "hồ sơ" in text and "10 trang" in scrub("chứng thực 10 trang")


@given(
    st.from_regex(r"0[1-9][0-9]{8,10}", fullmatch=True),
    st.sampled_from(["", " ", ".", "-"]),
    st.sampled_from(["sđt ", "số tôi là ", "", "cccd: "]),
)
def test_every_phone_or_id_spelling_is_masked(number: str, sep: str, before: str) -> None:
    grouped = sep.join(number[i : i + 3] for i in range(0, len(number), 3))
    masked = mask_personal_numbers(before + grouped + " nhé")
    assert not any(c.isdigit() for c in masked), masked
