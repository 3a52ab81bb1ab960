"""Administrative units before and after the 2025 reform, loaded from the shipped data files.

Sources (see ``data/admin-units/README.md``): the old→new table and the list of new wards as of
1 July 2025 come from tranngocminhhieu/vietnamadminunits; the later renames (Đồng Nai became
"Thành phố Đồng Nai" on 30 April 2026 and ten of its communes became wards) are applied from
thanglequoc/vietnamese-provinces-database when that file is present.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from helpdesk.errors import AdminUnitsError, Problem
from offices.normalize import fold

_TRAN = Path("tranngocminhhieu_vietnamadminunits")
_THANG = Path("thanglequoc_vietnamese-provinces-database")
LEGACY_FILE = _TRAN / "legacy-to-2025.csv"
NEW_WARDS_FILE = _TRAN / "wards-2025-with-location.csv"
CURRENT_NAMES_FILE = _THANG / "units-2026-07-25.simplified.json"

UNIT_TYPES = ("Thị trấn", "Thị xã", "Thành phố", "Đặc khu", "Phường", "Xã", "Quận", "Huyện", "Tỉnh")
_LEGACY_COLUMNS: tuple[str, ...] = (
    "wardCode",
    "wardType",
    "ward",
    "district",
    "districtType",
    "province",
    "provinceCode",
    "isDividedWard",
    "newWardCode",
)
_NEW_COLUMNS: tuple[str, ...] = (
    "province",
    "ward",
    "provinceShort",
    "wardShort",
    "wardType",
    "provinceCode",
    "wardCode",
)


@dataclass(frozen=True, slots=True)
class NewWard:
    """A commune-level unit since 1 July 2025 (xã, phường or đặc khu)."""

    code: str  # five digits, e.g. "01648"
    name: str  # full current name, e.g. "Xã Phục Hòa"
    short: str  # "Phục Hòa"
    unit_type: str  # "Xã"
    province_code: str  # two digits, e.g. "04"
    province: str  # "Tỉnh Cao Bằng"
    province_short: str  # "Cao Bằng"
    name_2025: str | None = None  # the 1 July 2025 full name, when renamed since


@dataclass(frozen=True, slots=True)
class OldWard:
    """A commune-level unit before the reform, with the new ward(s) that took it over."""

    code: str | None  # five digits; None for the five island districts that had no wards
    name: str  # "Phường Phúc Xá" (for an island district: "Huyện Côn Đảo")
    unit_type: str  # "Phường"
    district: str  # "Quận Ba Đình"
    district_type: str  # "Quận"
    province: str  # "Thành phố Hà Nội"
    province_code: str
    new_codes: tuple[str, ...]  # several when the old ward was divided

    @property
    def split(self) -> bool:
        """Whether the old ward was divided among several new wards."""
        return len(self.new_codes) > 1


@dataclass(frozen=True)
class AdminUnits:
    """Every old ward and every new ward, by code."""

    new_wards: dict[str, NewWard]
    old_wards: tuple[OldWard, ...]
    files: tuple[str, ...] = field(default=())

    @classmethod
    def from_dir(cls, path: Path, *, renames: bool = True) -> AdminUnits:
        """Load the data files under ``path`` (``settings.admin_units_dir``).

        Args:
            path: The admin-unit data folder.
            renames: Apply the renames made since 1 July 2025 (when their file is present);
                ``False`` keeps every name and province as of 1 July 2025.

        Raises:
            AdminUnitsError: a file is missing or malformed; every problem is listed.
        """
        problems: list[Problem] = []
        new_wards = _read_new_wards(path / NEW_WARDS_FILE, problems)
        old_wards = _read_legacy(path / LEGACY_FILE, set(new_wards), problems)
        files = [str(path / NEW_WARDS_FILE), str(path / LEGACY_FILE)]
        current = path / CURRENT_NAMES_FILE
        if renames and current.exists():
            new_wards = _apply_current_names(current, new_wards, problems)
            files.append(str(current))
        if problems:
            raise AdminUnitsError(problems)
        return cls(new_wards=new_wards, old_wards=tuple(old_wards), files=tuple(files))

    def wards_of(self, province_code: str) -> list[NewWard]:
        """The new wards of one province, in code order."""
        wards = (w for w in self.new_wards.values() if w.province_code == province_code)
        return sorted(wards, key=lambda w: w.code)

    def provinces(self) -> dict[str, str]:
        """Current province code -> full name ("04" -> "Tỉnh Cao Bằng")."""
        return {w.province_code: w.province for w in self.new_wards.values()}


def split_type(full_name: str) -> tuple[str, str]:
    """Split "Thị trấn Tà Lùng" into ("Thị trấn", "Tà Lùng"); ("", name) when untyped."""
    for unit_type in UNIT_TYPES:
        if full_name.casefold().startswith(unit_type.casefold() + " "):
            return unit_type, full_name[len(unit_type) + 1 :]
    return "", full_name


def _code(raw: str, width: int) -> str:
    return str(int(float(raw))).zfill(width)


def _read_csv(
    file: Path, columns: tuple[str, ...], problems: list[Problem]
) -> list[dict[str, str]]:
    if not file.exists():
        problems.append(Problem(str(file), "(file)", "missing"))
        return []
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            problems.append(Problem(str(file), ", ".join(missing), "column missing", line=1))
            return []
        return list(reader)


def _read_new_wards(file: Path, problems: list[Problem]) -> dict[str, NewWard]:
    wards: dict[str, NewWard] = {}
    for line, row in enumerate(_read_csv(file, _NEW_COLUMNS, problems), start=2):
        try:
            ward = NewWard(
                code=_code(row["wardCode"], 5),
                name=row["ward"],
                short=row["wardShort"],
                unit_type=row["wardType"],
                province_code=_code(row["provinceCode"], 2),
                province=row["province"],
                province_short=row["provinceShort"],
            )
        except ValueError:
            problems.append(Problem(str(file), "wardCode/provinceCode", "not a number", line=line))
            continue
        if ward.code in wards:
            problems.append(Problem(str(file), "wardCode", f"duplicate {ward.code}", line=line))
        wards[ward.code] = ward
    return wards


def _read_legacy(file: Path, known: set[str], problems: list[Problem]) -> list[OldWard]:
    rows_by_old: dict[tuple[str, str, str, str], list[tuple[int, dict[str, str]]]]
    rows_by_old = defaultdict(list)
    for line, row in enumerate(_read_csv(file, _LEGACY_COLUMNS, problems), start=2):
        key = (row["province"], row["district"], row["ward"], row["wardCode"])
        rows_by_old[key].append((line, row))
    old: list[OldWard] = []
    for (province, district, ward, ward_code), rows in rows_by_old.items():
        line, first = rows[0]
        new_codes: list[str] = []
        for row_line, row in rows:
            try:
                code = _code(row["newWardCode"], 5)
            except ValueError:
                problems.append(Problem(str(file), "newWardCode", "not a number", line=row_line))
                continue
            if code not in known:
                problems.append(Problem(str(file), "newWardCode", f"unknown {code}", line=row_line))
            elif code not in new_codes:
                new_codes.append(code)
        try:
            code_or_none = _code(ward_code, 5) if ward_code else None
            province_code = _code(first["provinceCode"], 2)
        except ValueError:
            problems.append(Problem(str(file), "wardCode/provinceCode", "not a number", line=line))
            continue
        # An island district without wards (Côn Đảo, Lý Sơn ...) is its own commune-level unit.
        name = ward or district
        unit_type = first["wardType"] if ward else first["districtType"]
        old.append(
            OldWard(
                code=code_or_none,
                name=name,
                unit_type=unit_type or split_type(name)[0],
                district=district,
                district_type=first["districtType"] or split_type(district)[0],
                province=province,
                province_code=province_code,
                new_codes=tuple(new_codes),
            )
        )
    return old


def _apply_current_names(
    file: Path, wards: dict[str, NewWard], problems: list[Problem]
) -> dict[str, NewWard]:
    """Apply renames made after 1 July 2025; a spelling variant ("Hoà"/"Hòa") is no rename."""
    try:
        provinces: list[dict[str, Any]] = json.loads(file.read_text(encoding="utf-8"))
        current = {
            str(w["Code"]): (str(w["FullName"]), str(w["Name"]), str(p["FullName"]), str(p["Name"]))
            for p in provinces
            for w in p["Wards"]
        }
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(Problem(str(file), "Wards", f"unreadable: {exc}"))
        return wards
    out = dict(wards)
    for code, ward in wards.items():
        if code not in current:
            continue
        name, short, province, province_short = current[code]
        renamed = fold(name) != fold(ward.name)
        if renamed or fold(province) != fold(ward.province):
            out[code] = replace(
                ward,
                name=name if renamed else ward.name,
                short=short if renamed else ward.short,
                unit_type=split_type(name)[0] if renamed else ward.unit_type,
                province=province,
                province_short=province_short,
                name_2025=ward.name if renamed else None,
            )
    return out
