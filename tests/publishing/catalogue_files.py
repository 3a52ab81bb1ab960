"""A small catalogue folder on disk (the factories' procedures as YAML files), for publishing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import yaml

from knowledge.portal import slug
from tests.factories import SMALL_CATALOGUE, procedure_data

OVERLAY = {
    "province_code": "96",
    "province_name": "Tỉnh Cà Mau",
    "overrides": {"1.000001": {"submit_at": "Trung tâm Phục vụ hành chính công xã, tỉnh Cà Mau"}},
}


def yaml_bytes(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def procedure_file(**overrides: Any) -> bytes:
    return yaml_bytes(procedure_data(**overrides))


def write_catalogue(root: Path) -> Path:
    """The factories' small catalogue and one province overlay under ``root``."""
    for row in SMALL_CATALOGUE:
        data = procedure_data(**row)
        path = root / "national" / slug(data["field"]) / f"{data['code']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(yaml_bytes(data))
    (root / "provinces").mkdir(parents=True, exist_ok=True)
    (root / "provinces" / "96.yaml").write_bytes(yaml_bytes(OVERLAY))
    return root


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
