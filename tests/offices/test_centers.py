"""Service-center files: the shipped samples, the loader's error reports, center_for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpdesk.errors import ServiceCenterError
from offices.centers import CenterDirectory, load_centers, template
from offices.units import AdminUnits
from tests.offices.conftest import SERVICE_CENTERS

HOTLINE = "1800 1096"


@pytest.fixture(scope="module")
def directory(units: AdminUnits) -> CenterDirectory:
    return CenterDirectory.from_dir(SERVICE_CENTERS, HOTLINE, units)


@pytest.mark.parametrize(
    ("code", "province", "count"), [("96", "Tỉnh Cà Mau", 64), ("04", "Tỉnh Cao Bằng", 56)]
)
def test_shipped_files_list_every_ward_as_sample(
    directory: CenterDirectory, units: AdminUnits, code: str, province: str, count: int
) -> None:
    file = directory.provinces[code]
    assert file.province == province
    assert [w.code for w in file.wards] == [w.code for w in units.wards_of(code)]
    assert len(file.wards) == count
    assert all(w.sample for w in file.wards) and file.center.sample
    text = (SERVICE_CENTERS / f"{code}.yaml").read_text(encoding="utf-8")
    assert "SAMPLE DATA" in text.splitlines()[2]


def test_center_for_a_ward_by_code_or_name(directory: CenterDirectory) -> None:
    by_code = directory.center_for("01648")
    assert by_code.level == "ward"
    assert by_code.ward == "Xã Phục Hòa"
    assert by_code.province == "Tỉnh Cao Bằng"
    assert by_code.sample
    assert by_code.phone == HOTLINE  # no verified phone yet: the hotline
    assert directory.center_for("xã Phục Hòa", "Cao Bằng") == by_code
    assert directory.center_for("phuc hoa", "04") == by_code


def test_center_for_falls_back_to_province_then_hotline(directory: CenterDirectory) -> None:
    province = directory.center_for("Xã Không Có", "Cà Mau")
    assert province.level == "province"
    assert province.name == "Trung tâm Phục vụ hành chính công tỉnh Cà Mau"
    national = directory.center_for("Phường Hồng Hà", "Hà Nội")  # no file for Hà Nội yet
    assert national.level == "national"
    assert national.phone == HOTLINE


def test_verified_values_win_over_fallbacks(tmp_path: Path) -> None:
    data = yaml.safe_load((SERVICE_CENTERS / "04.yaml").read_text(encoding="utf-8"))
    data["hotline"] = "0206 3 123 456"
    data["wards"][0].update(phone="0206 3 111 222", sample=False, source="https://example.gov.vn")
    (tmp_path / "04.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    directory = CenterDirectory.from_dir(tmp_path, HOTLINE)
    first = directory.center_for(data["wards"][0]["code"])
    assert (first.phone, first.sample, first.hotline) == ("0206 3 111 222", False, "0206 3 123 456")
    second = directory.center_for(data["wards"][1]["code"])
    assert second.phone == "0206 3 123 456"  # province hotline before the national one


BAD_FILE = """\
province_code: "04"
province: Tỉnh Cao Bằng
center:
  name: Trung tâm Phục vụ hành chính công tỉnh Cao Bằng
  sample: true
wards:
  - code: "01648"
    ward: Xã Phục Hòa
    name: Trung tâm xã Phục Hòa
    phone: call us
    sample: true
    colour: blue
  - code: "1648"
    ward: Xã Phục Hòa
    name: Trung tâm xã Phục Hòa
  - code: "01648"
    ward: Xã Phục Hòa
    name: Trung tâm xã Phục Hòa
    sample: false
"""


def test_loader_reports_every_problem_with_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "04.yaml").write_text(BAD_FILE, encoding="utf-8")
    (tmp_path / "96.yaml").write_text("province_code: [unclosed\n", encoding="utf-8")
    with pytest.raises(ServiceCenterError) as caught:
        load_centers(tmp_path)
    problems = {(Path(p.file).name, p.field, p.line) for p in caught.value.problems}
    assert ("04.yaml", "wards[0].phone", 10) in problems
    assert ("04.yaml", "wards[0].colour", 12) in problems
    assert ("04.yaml", "wards[1].code", 13) in problems
    assert ("04.yaml", "wards[1].sample", 13) in problems  # missing: points at the entry
    assert ("04.yaml", "wards[2]", 16) in problems  # verified without a source
    assert ("04.yaml", "wards[2].code", 16) in problems  # 01648 twice
    assert any(name == "96.yaml" and field == "(yaml)" for name, field, _ in problems)
    assert "04.yaml:10" in str(caught.value)


def test_loader_checks_codes_and_names_against_the_data(tmp_path: Path, units: AdminUnits) -> None:
    text = template(units, "04")
    text = text.replace('code: "01648"', 'code: "99999"', 1)
    text = text.replace("ward: Xã Hòa An", "ward: Xã Hòa Bình", 1)
    (tmp_path / "96.yaml").write_text(text, encoding="utf-8")  # wrong file name too
    with pytest.raises(ServiceCenterError) as caught:
        load_centers(tmp_path, units)
    messages = {(p.field, p.code): p.message for p in caught.value.problems}
    assert "named 96.yaml" in messages[("province_code", None)]
    assert "99999 is not a ward" in next(m for (f, c), m in messages.items() if c == "99999")
    assert any("Hòa Bình" in m for m in messages.values())
    assert all(p.file.endswith("96.yaml") and p.line for p in caught.value.problems)


def test_template_covers_a_province_and_refuses_unknown_codes(units: AdminUnits) -> None:
    parsed = yaml.safe_load(template(units, "01"))
    assert len(parsed["wards"]) == len(units.wards_of("01"))
    with pytest.raises(ServiceCenterError):
        template(units, "63")
