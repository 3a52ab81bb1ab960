"""Public-service centers (Trung tâm Phục vụ hành chính công): contacts per new ward.

One editable YAML file per province, ``<province_code>.yaml`` under
``settings.service_centers_dir``: the province-level center, its hotline, and one entry per
new commune/ward. Every value not checked against an official source carries
``sample: true``; the assistant must say so (or give the hotline) rather than present it as
fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from helpdesk.errors import Problem, ServiceCenterError
from offices.normalize import Level, normalize
from offices.units import AdminUnits, split_type

PHONE_PATTERN = r"^\+?[0-9][0-9 .()-]{2,20}[0-9]$"
DEFAULT_SAMPLE_HOURS = "7:00–11:30 và 13:30–17:00, thứ Hai đến thứ Sáu"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Contact(_Strict):
    """A service point: who, where, how to call, when open, and whether it was verified."""

    name: str = Field(min_length=1)
    address: str | None = None
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    opening_hours: str | None = None
    sample: bool  # required: authors must say whether the entry was verified
    source: str | None = None  # where a verified value was checked (URL or document)
    note: str | None = None

    @model_validator(mode="after")
    def _verified_needs_source(self) -> Contact:
        if not self.sample and not self.source:
            raise ValueError("a verified entry (sample: false) needs a source")
        return self


class WardCenter(Contact):
    """The center of one new commune/ward."""

    code: str = Field(pattern=r"^\d{5}$")
    ward: str = Field(min_length=1)  # full name, e.g. "Xã Phục Hòa"


class Defaults(_Strict):
    """Values a ward entry takes when it leaves them empty."""

    opening_hours: str | None = None


class ProvinceCenters(_Strict):
    """The content of one province file."""

    province_code: str = Field(pattern=r"^\d{2}$")
    province: str = Field(min_length=1)
    note: str | None = None
    hotline: str | None = Field(default=None, pattern=PHONE_PATTERN)
    defaults: Defaults = Defaults()
    center: Contact
    wards: list[WardCenter] = []  # codes unique: checked by the loader, with line numbers


@dataclass(frozen=True, slots=True)
class CenterContact:
    """What to tell the citizen: the best-known center for their ward, with fallbacks filled."""

    level: Literal["ward", "province", "national"]
    name: str
    phone: str  # never empty: ward, then province center, then hotlines
    address: str | None
    opening_hours: str | None
    sample: bool  # some value shown was not verified: say so, offer the hotline
    hotline: str
    ward: str | None = None
    ward_code: str | None = None
    province: str | None = None


class CenterDirectory:
    """All loaded province files; answers :meth:`center_for`."""

    def __init__(self, provinces: dict[str, ProvinceCenters], hotline: str) -> None:
        self.provinces = provinces
        self.hotline = hotline

    @classmethod
    def from_dir(cls, path: Path, hotline: str, units: AdminUnits | None = None) -> CenterDirectory:
        """Load every ``*.yaml`` under ``path``; ``hotline`` is ``settings.hotline``.

        Raises:
            ServiceCenterError: every problem found, each with file, line and field.
        """
        return cls(load_centers(path, units), hotline)

    def phone_numbers(self) -> list[str]:
        """Every public number the directory knows: hotlines, centers' and wards' phones."""
        numbers = [self.hotline]
        for file in self.provinces.values():
            numbers += [file.hotline or "", file.center.phone or ""]
            numbers += [ward.phone or "" for ward in file.wards]
        return [number for number in numbers if number]

    def center_for(self, ward: str, province: str | None = None) -> CenterContact:
        """The center serving a new ward, falling back to the province center, then hotline.

        Args:
            ward: new ward code ("01648") or name ("Xã Phục Hòa", "phuc hoa").
            province: province code ("04") or name ("Cao Bằng"); needed for names that exist
                in several provinces.
        """
        candidates = self._provinces_for(province)
        if province is not None and not candidates:
            return self._national(None)
        code = ward.strip()
        key = normalize(ward, Level.WARD).key
        found = [
            (file, entry)
            for file in candidates
            for entry in file.wards
            if entry.code == code or _ward_key(entry.ward) == key
        ]
        if len(found) == 1:
            return self._ward_contact(*found[0])
        if len(candidates) == 1:
            return self._province_contact(candidates[0])
        return self._national(None)

    def _provinces_for(self, province: str | None) -> list[ProvinceCenters]:
        if province is None:
            return list(self.provinces.values())
        if province.strip() in self.provinces:
            return [self.provinces[province.strip()]]
        key = normalize(province, Level.PROVINCE).key
        return [p for p in self.provinces.values() if _province_key(p.province) == key]

    def _ward_contact(self, file: ProvinceCenters, entry: WardCenter) -> CenterContact:
        hours = entry.opening_hours or file.defaults.opening_hours
        return CenterContact(
            level="ward",
            name=entry.name,
            phone=entry.phone or file.center.phone or file.hotline or self.hotline,
            address=entry.address,
            opening_hours=hours,
            sample=entry.sample or (not entry.phone and file.center.sample),
            hotline=file.hotline or self.hotline,
            ward=entry.ward,
            ward_code=entry.code,
            province=file.province,
        )

    def _province_contact(self, file: ProvinceCenters) -> CenterContact:
        center = file.center
        return CenterContact(
            level="province",
            name=center.name,
            phone=center.phone or file.hotline or self.hotline,
            address=center.address,
            opening_hours=center.opening_hours or file.defaults.opening_hours,
            sample=center.sample,
            hotline=file.hotline or self.hotline,
            province=file.province,
        )

    def _national(self, province: str | None) -> CenterContact:
        return CenterContact(
            level="national",
            name="Tổng đài hỗ trợ",
            phone=self.hotline,
            address=None,
            opening_hours=None,
            sample=False,
            hotline=self.hotline,
            province=province,
        )


def _ward_key(full_name: str) -> str:
    return normalize(split_type(full_name)[1], Level.WARD).key


def _province_key(full_name: str) -> str:
    return normalize(split_type(full_name)[1], Level.PROVINCE).key


def load_centers(path: Path, units: AdminUnits | None = None) -> dict[str, ProvinceCenters]:
    """Read and check every province file under ``path``.

    With ``units``, also checks that each ward code is a real new ward of that province and
    that its name agrees with the data.

    Raises:
        ServiceCenterError: all problems at once, each naming file, line and field.
    """
    problems: list[Problem] = []
    provinces: dict[str, ProvinceCenters] = {}
    if not path.is_dir():
        raise ServiceCenterError([Problem(str(path), "(directory)", "not found")])
    for file in sorted(path.glob("*.yaml")):
        parsed = _load_file(file, problems)
        if parsed is None:
            continue
        data, root = parsed
        if parsed_file := _validate(file, data, root, problems):
            if parsed_file.province_code != file.stem:
                line = _line_of(root, ("province_code",))
                message = f"is {parsed_file.province_code} but the file is named {file.name}"
                problems.append(Problem(str(file), "province_code", message, line=line))
            if units is not None:
                _check_against_units(file, parsed_file, root, units, problems)
            provinces[parsed_file.province_code] = parsed_file
    if problems:
        raise ServiceCenterError(problems)
    return provinces


def _load_file(file: Path, problems: list[Problem]) -> tuple[Any, yaml.Node | None] | None:
    try:
        text = file.read_text(encoding="utf-8")
        return yaml.safe_load(text), yaml.compose(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(file), "(file)", f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(str(file), "(yaml)", f"not valid YAML: {exc}", line=line))
    return None


def _validate(
    file: Path, data: Any, root: yaml.Node | None, problems: list[Problem]
) -> ProvinceCenters | None:
    duplicates = _duplicate_codes(file, data, root)
    problems.extend(duplicates)
    try:
        parsed = ProvinceCenters.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(
                Problem(str(file), _dotted(loc) or "(top)", error["msg"], line=_line_of(root, loc))
            )
        return None
    return None if duplicates else parsed


def _duplicate_codes(file: Path, data: Any, root: yaml.Node | None) -> list[Problem]:
    wards = data.get("wards") if isinstance(data, dict) else None
    if not isinstance(wards, list):
        return []
    seen: set[str] = set()
    out: list[Problem] = []
    for index, entry in enumerate(wards):
        code = str(entry.get("code")) if isinstance(entry, dict) else None
        if code is None:
            continue
        if code in seen:
            where = ("wards", index, "code")
            message = f"ward code {code} is listed twice"
            out.append(Problem(str(file), _dotted(where), message, code, _line_of(root, where)))
        seen.add(code)
    return out


def _check_against_units(
    file: Path,
    parsed: ProvinceCenters,
    root: yaml.Node | None,
    units: AdminUnits,
    problems: list[Problem],
) -> None:
    known = {w.code: w for w in units.wards_of(parsed.province_code)}
    if not known:
        line = _line_of(root, ("province_code",))
        message = f"no current province has code {parsed.province_code}"
        problems.append(Problem(str(file), "province_code", message, line=line))
        return
    for index, entry in enumerate(parsed.wards):
        where = ("wards", index, "code")
        ward = known.get(entry.code)
        if ward is None:
            message = f"{entry.code} is not a ward of {parsed.province}"
            problems.append(
                Problem(str(file), _dotted(where), message, entry.code, _line_of(root, where))
            )
        elif _ward_key(ward.name) != _ward_key(entry.ward):
            where = ("wards", index, "ward")
            message = f"{entry.ward!r} but the data names {entry.code} {ward.name!r}"
            problems.append(
                Problem(str(file), _dotted(where), message, entry.code, _line_of(root, where))
            )


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at ``loc`` (as deep as the file goes)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def template(units: AdminUnits, province_code: str) -> str:
    """A province file listing every new ward of the province, all values marked sample."""
    wards = units.wards_of(province_code)
    if not wards:
        raise ServiceCenterError(
            [Problem("(data)", "province_code", f"no current province {province_code}")]
        )
    province = wards[0].province
    lines = [
        f"# Trung tâm Phục vụ hành chính công — {province} (mã {province_code})",
        "#",
        "# SAMPLE DATA (DỮ LIỆU MẪU). Nothing below has been checked against an official source:",
        "# names follow the usual pattern, addresses are the usual seat (trụ sở UBND), opening",
        "# hours are typical office hours. Before showing an entry to citizens as fact,",
        "# check it (province portal / UBND), fill phone and address, set `sample: false` and",
        "# name the `source`. Entries with `sample: true` are shown with a caution + hotline.",
        f"# Wards: {len(wards)}, from the shipped administrative-unit data (codes are GSO codes).",
        "",
        f'province_code: "{province_code}"',
        f"province: {province}",
        "note: >-",
        "  Dữ liệu mẫu, chưa xác minh: tên, địa chỉ và giờ làm việc dưới đây chỉ là gợi ý.",
        "  Số điện thoại để trống thì dùng tổng đài (hotline).",
        "hotline: null  # the province's own hotline once verified; else settings.hotline",
        "defaults:",
        f'  opening_hours: "{DEFAULT_SAMPLE_HOURS}"',
        "center:",
        f"  name: Trung tâm Phục vụ hành chính công {_lower_type(province)}",
        "  address: null",
        "  phone: null",
        "  opening_hours: null",
        "  sample: true",
        "wards:",
    ]
    for ward in wards:
        lines += [
            f'  - code: "{ward.code}"',
            f"    ward: {ward.name}",
            f"    name: Trung tâm Phục vụ hành chính công {_lower_type(ward.name)}",
            f"    address: Trụ sở UBND {_lower_type(ward.name)}, {province}",
            "    phone: null",
            "    sample: true",
        ]
    return "\n".join(lines) + "\n"


def _lower_type(full_name: str) -> str:
    unit_type, name = split_type(full_name)
    return f"{unit_type.lower()} {name}" if unit_type else name
