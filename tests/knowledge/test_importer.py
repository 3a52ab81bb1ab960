import json
import shutil
from pathlib import Path

import pytest

from helpdesk.errors import CatalogueError
from helpdesk.settings import PROJECT_ROOT
from knowledge.catalogue import load_catalogue
from knowledge.importer import import_procedures
from tests.factories import procedure_data

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "catalogue-import.csv"


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "catalogue", root)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_documented_csv_example_imports(catalogue_dir: Path) -> None:
    report = import_procedures(EXAMPLE, catalogue_dir)
    assert sorted(report.created) == ["1.900001", "1.900002"]
    catalogue = load_catalogue(catalogue_dir)
    assert catalogue.get("1.900001").aliases == ["mẫu a", "thủ tục a"]
    assert catalogue.get("1.900002").fees[0].set_by_province
    again = import_procedures(EXAMPLE, catalogue_dir)
    assert sorted(again.updated) == ["1.900001", "1.900002"] and not again.created


def test_bad_rows_are_all_reported_and_nothing_changes(catalogue_dir: Path, tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bad = [
        lines[0],
        lines[1].replace(",xa,", ",district,", 1),
        lines[2].replace("1.900002", "1900002", 1),
    ]
    source = tmp_path / "bad.csv"
    source.write_text("\n".join(bad) + "\n", encoding="utf-8")
    before = _snapshot(catalogue_dir)
    with pytest.raises(CatalogueError) as info:
        import_procedures(source, catalogue_dir)
    problems = info.value.problems
    assert {p.line for p in problems} == {2, 3}
    assert any(p.field == "level" and p.code == "1.900001" for p in problems)
    assert any(p.field == "code" for p in problems)
    assert _snapshot(catalogue_dir) == before


def test_json_import_updates_an_existing_procedure_in_place(
    catalogue_dir: Path, tmp_path: Path
) -> None:
    current = load_catalogue(catalogue_dir).get("1.001193")
    data = current.model_dump(mode="json")
    data["aliases"] = [*data["aliases"], "khai sinh cho cháu"]
    source = tmp_path / "update.json"
    source.write_text(json.dumps([data], ensure_ascii=False), encoding="utf-8")
    report = import_procedures(source, catalogue_dir)
    assert report.updated == ["1.001193"]
    assert "khai sinh cho cháu" in load_catalogue(catalogue_dir).get("1.001193").aliases
    assert not (catalogue_dir / "national" / "imported").exists()


def test_duplicate_codes_in_one_file_are_refused(catalogue_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "dup.json"
    row = procedure_data(code="1.900009")
    source.write_text(json.dumps([row, row]), encoding="utf-8")
    with pytest.raises(CatalogueError, match="duplicate"):
        import_procedures(source, catalogue_dir)
