"""Loading the administrative-unit data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpdesk.errors import AdminUnitsError
from offices.resolve import UnitResolver
from offices.units import CURRENT_NAMES_FILE, LEGACY_FILE, NEW_WARDS_FILE, AdminUnits
from tests.offices.conftest import ADMIN_UNITS


def test_counts(units: AdminUnits) -> None:
    assert len(units.new_wards) == 3321
    assert len(units.provinces()) == 34
    assert len(units.old_wards) == 10040
    assert len({o.province for o in units.old_wards}) == 63
    assert all(code in units.new_wards for o in units.old_wards for code in o.new_codes)


def test_shipped_files_keep_licences_and_attribution() -> None:
    for folder in (
        "tranngocminhhieu_vietnamadminunits",
        "thanglequoc_vietnamese-provinces-database",
    ):
        assert "MIT License" in (ADMIN_UNITS / folder / "LICENSE").read_text(encoding="utf-8")
    readme = (ADMIN_UNITS / "README.md").read_text(encoding="utf-8")
    assert "780c27980afdae76d5c6e7b252955f6b571f34ca" in readme
    assert "cd58063299585146ded3981f2272946ef19ced54" in readme
    for file in ADMIN_UNITS.rglob("*"):
        assert file.stat().st_size < 5_000_000, file


def test_without_the_current_names_file_the_2025_names_are_used(tmp_path: Path) -> None:
    for file in (LEGACY_FILE, NEW_WARDS_FILE):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ADMIN_UNITS / file, tmp_path / file)
    assert not (tmp_path / CURRENT_NAMES_FILE).exists()
    match = UnitResolver.from_dir(tmp_path).resolve("Thị trấn Trảng Bom, Đồng Nai").matches[0]
    assert (match.new_ward, match.new_province) == ("Xã Trảng Bom", "Tỉnh Đồng Nai")


def test_missing_and_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(AdminUnitsError) as missing:
        AdminUnits.from_dir(tmp_path)
    assert {p.field for p in missing.value.problems} == {"(file)"}
    assert len(missing.value.problems) == 2

    (tmp_path / NEW_WARDS_FILE).parent.mkdir(parents=True)
    shutil.copy(ADMIN_UNITS / NEW_WARDS_FILE, tmp_path / NEW_WARDS_FILE)
    (tmp_path / LEGACY_FILE).write_text("province,ward\nX,Y\n", encoding="utf-8")
    with pytest.raises(AdminUnitsError) as malformed:
        AdminUnits.from_dir(tmp_path)
    problem = malformed.value.problems[0]
    assert problem.file.endswith("legacy-to-2025.csv")
    assert "wardCode" in problem.field
    assert problem.line == 1
