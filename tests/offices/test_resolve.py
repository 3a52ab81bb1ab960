"""Resolving free-text old addresses against the shipped data."""

from __future__ import annotations

import statistics
import time

import pytest

from offices.resolve import Resolution, UnitResolver
from tests.offices.conftest import ADMIN_UNITS


def best(resolution: Resolution) -> tuple[str, str]:
    assert resolution.matches, f"no match for {resolution.text!r}"
    match = resolution.matches[0]
    return match.new_ward, match.new_province


@pytest.mark.parametrize(
    "text",
    [
        "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
        "xã Phúc Xá, Ba Đình, Hà Nội",  # wrong type word: still found
        "phuc xa ba dinh ha noi",
        "Phuc Xa ward, Ba Dinh district, Hanoi",
        "PHÚC XÁ - BA ĐÌNH - HN",
        "Hà Nội, Ba Đình, Phúc Xá",  # big to small
        "Phuc Xaa, Ba Dinh, Ha Noi",  # one typo
        "123 Đội Cấn, phường Phúc Xá, quận Ba Đình, Hà Nội, Việt Nam",
    ],
)
def test_phuc_xa_became_hong_ha(resolver: UnitResolver, text: str) -> None:
    resolution = resolver.resolve(text)
    assert best(resolution) == ("Phường Hồng Hà", "Thành phố Hà Nội")
    match = resolution.matches[0]
    assert (match.old_ward, match.old_district, match.old_province) == (
        "Phường Phúc Xá",
        "Quận Ba Đình",
        "Thành phố Hà Nội",
    )
    assert not resolution.ambiguous


@pytest.mark.parametrize(
    ("text", "ward", "province"),
    [
        ("phường 1 quận 3 tp hcm", "Phường Bàn Cờ", "Thành phố Hồ Chí Minh"),
        ("p.1 q.3 TPHCM", "Phường Bàn Cờ", "Thành phố Hồ Chí Minh"),
        ("Ward 1, District 3, Ho Chi Minh City", "Phường Bàn Cờ", "Thành phố Hồ Chí Minh"),
        ("District 3, Ward 1, HCMC", "Phường Bàn Cờ", "Thành phố Hồ Chí Minh"),
        ("Hưng Long, Ninh Giang, Hải Dương", "Xã Hồng Châu", "Thành phố Hải Phòng"),
        ("Hưng Long, Ninh Giang, Hải Phòng", "Xã Hồng Châu", "Thành phố Hải Phòng"),  # new province
        (
            "Hung Long commune, Ninh Giang district, Hai Duong province",
            "Xã Hồng Châu",
            "Thành phố Hải Phòng",
        ),
        ("thị trấn Tà Lùng, Quảng Hòa, Cao Bằng", "Xã Phục Hòa", "Tỉnh Cao Bằng"),
        ("Bến Nghé, Q1, Sài Gòn", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
        ("Phường Đúc, Huế", "Phường Thuận Hóa", "Thành phố Huế"),
        ("huyện Côn Đảo, Bà Rịa - Vũng Tàu", "Đặc khu Côn Đảo", "Thành phố Hồ Chí Minh"),
        ("xã Tứ Quận, Yên Sơn, Tuyên Quang", "Xã Yên Sơn", "Tỉnh Tuyên Quang"),
        ("Ly Son District, Quang Ngai Province", "Đặc khu Lý Sơn", "Tỉnh Quảng Ngãi"),
    ],
)
def test_known_resolutions(resolver: UnitResolver, text: str, ward: str, province: str) -> None:
    assert best(resolver.resolve(text)) == (ward, province)


def test_every_csv_row_of_a_district_resolves(resolver: UnitResolver) -> None:
    for old in resolver.units.old_wards:
        if old.district == "Quận Ba Đình":
            text = f"{old.name}, {old.district}, {old.province}"
            codes = {w.code for w in resolver.resolve(text).matches[0].new_wards}
            assert codes == set(old.new_codes), text


def test_split_ward_lists_all_new_wards(resolver: UnitResolver) -> None:
    resolution = resolver.resolve("Phường Cống Vị, Quận Ba Đình, Hà Nội")
    match = resolution.matches[0]
    assert match.split
    assert [w.name for w in match.new_wards] == ["Phường Giảng Võ", "Phường Ngọc Hà"]
    assert match.new_ward == "Phường Giảng Võ"
    assert match.to_dict()["new_wards"][1]["name"] == "Phường Ngọc Hà"


def test_common_name_without_district_asks_for_it(resolver: UnitResolver) -> None:
    resolution = resolver.resolve("Phường 1, Trà Vinh")
    assert resolution.ambiguous
    assert resolution.ask_for == "district"
    districts = {p.district for p in resolution.candidates}
    assert {"Thành phố Trà Vinh", "Thị xã Duyên Hải"} <= districts
    # ... and giving the district settles it.
    decided = resolver.resolve("Phường 1, Thị xã Duyên Hải, Trà Vinh")
    assert not decided.ambiguous
    assert decided.matches[0].old_district == "Thị xã Duyên Hải"


def test_common_name_alone_asks_for_the_province(resolver: UnitResolver) -> None:
    resolution = resolver.resolve("Tân Thành")
    assert resolution.ambiguous
    assert resolution.ask_for == "province"
    assert len({p.province for p in resolution.candidates}) > 5
    assert len(resolution.matches) == 5  # limit


def test_current_ward_resolves_to_itself(resolver: UnitResolver) -> None:
    for text in ("Xã Phục Hòa, Cao Bằng", "Phường Hồng Hà, Hà Nội", "phuong ban co tp hcm"):
        match = resolver.resolve(text).matches[0]
        assert match.current, text
        assert match.old_ward is None
    match = resolver.resolve("Xã Phục Hòa").matches[0]
    assert (match.new_ward, match.new_province, match.new_ward_code) == (
        "Xã Phục Hòa",
        "Tỉnh Cao Bằng",
        "01648",
    )


def test_later_renames_are_applied(resolver: UnitResolver) -> None:
    # Since 30 April 2026: Thành phố Đồng Nai, and Trảng Bom is a phường.
    match = resolver.resolve("Thị trấn Trảng Bom, Huyện Trảng Bom, Đồng Nai").matches[0]
    assert (match.new_ward, match.new_province) == ("Phường Trảng Bom", "Thành phố Đồng Nai")
    assert match.new_wards[0].name_2025 == "Xã Trảng Bom"


def test_diacritics_prefer_the_exact_spelling(resolver: UnitResolver) -> None:
    match = resolver.resolve("Xã Nam Thanh, Nghệ An").matches[0]
    assert match.old_ward == "Xã Nam Thanh"


@pytest.mark.parametrize(
    "text", ["New York", "qwerty uiop", "", "  ,, ", "Hà Nội", "quận 3", "Ba Dinh district"]
)
def test_unknown_or_incomplete_places_return_no_matches(resolver: UnitResolver, text: str) -> None:
    resolution = resolver.resolve(text)
    assert resolution.matches == ()
    assert not resolution.ambiguous


def test_limit(resolver: UnitResolver) -> None:
    assert len(resolver.resolve("Phường 1", limit=2).matches) == 2
    assert len(resolver.resolve("Phường 1", limit=0).matches) == 1


def test_long_or_odd_text_stays_fast(resolver: UnitResolver) -> None:
    started = time.perf_counter()
    resolver.resolve("Xã " * 400)
    resolver.resolve("tân " * 300 + "phường 1 quận 3 tp hcm")
    assert time.perf_counter() - started < 2.0


def test_load_and_query_speed(resolver: UnitResolver) -> None:
    started = time.perf_counter()
    UnitResolver.from_dir(ADMIN_UNITS)
    load = time.perf_counter() - started
    texts = [f"{o.name}, {o.district}, {o.province}" for o in resolver.units.old_wards[::50]]
    timings = []
    for text in texts:
        started = time.perf_counter()
        resolver.resolve(text)
        timings.append(time.perf_counter() - started)
    # Budgets: < 1 s to load, < 5 ms a query; doubled here for busy CI machines.
    assert load < 2.0
    assert statistics.median(timings) < 0.010
