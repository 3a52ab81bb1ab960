import shutil
from pathlib import Path

import pytest
import yaml

from helpdesk.errors import CatalogueError, ProcedureNotFound
from helpdesk.settings import PROJECT_ROOT
from knowledge.catalogue import Catalogue, load_catalogue, validate
from knowledge.model import NoTime, Procedure, ProvinceOverlay
from tests.factories import make_procedure, procedure_data

BUNDLED = PROJECT_ROOT / "knowledge" / "catalogue"

# The procedures the bundled catalogue must cover (shared/catalogue-scope.md).
REQUIRED = """
1.001193 1.000894 1.000656 2.000635 1.004873 1.004859 1.001022 1.000689 1.004884 1.004746
1.005461 1.004772 1.004837 2.000986 2.000815 2.000884 2.001035 2.001019 2.001406 2.000908
1.004222 1.004194 1.003197 1.010028 1.003677 1.010041 1.010038 1.014061 1.014063 1.014064
1.001612 2.000720 1.001570 1.001266 2.000575 1.013978 1.012812 1.013225
""".split()


@pytest.fixture(scope="module")
def bundled() -> object:
    return load_catalogue(BUNDLED)


def test_bundled_catalogue_is_valid_and_complete(bundled) -> None:
    missing = [code for code in REQUIRED if code not in bundled]
    assert not missing, f"missing procedures: {missing}"
    assert len(bundled) >= len(REQUIRED) + 6


def test_every_procedure_is_bilingual_and_sourced(bundled) -> None:
    for procedure in bundled:
        assert procedure.name_en and procedure.summary_en, procedure.code
        assert procedure.source_url.startswith("https://"), procedure.code
        # a legal basis, or none with the reason why in an entry not yet verified
        assert procedure.legal_basis or (
            procedure.no_legal_basis_reason and not procedure.verified
        ), procedure.code


def test_every_procedure_has_a_time_or_says_why_not(bundled) -> None:
    for procedure in bundled:
        stated = procedure.no_time is not None
        assert (procedure.time_for() is None) == stated, procedure.code


def test_the_entries_without_a_figure_say_so_and_are_unverified(bundled) -> None:
    assert bundled.get("2.002516").no_time is NoTime.NOT_GIVEN
    assert bundled.get("6.003494").no_time is NoTime.NOT_GIVEN
    assert bundled.get("1.115148").no_time is NoTime.SET_BY_PROVINCE
    copies = bundled.get("3.000165")
    assert copies.legal_basis == [] and copies.no_legal_basis_reason
    for code in ("2.002516", "6.003494", "1.115148", "3.000165"):
        assert not bundled.get(code).verified and bundled.get(code).unverified_reason, code


def test_a_province_legal_basis_fills_a_record_that_had_none() -> None:
    base = make_procedure(legal_basis=[], no_legal_basis_reason="none listed", verified=False)
    overlay = ProvinceOverlay.model_validate(
        {
            "province_code": "96",
            "province_name": "Tỉnh Cà Mau",
            "overrides": {base.code: {"legal_basis": [{"title": "Quyết định 1/2026/QĐ-UBND"}]}},
        }
    )
    catalogue = Catalogue({base.code: base}, {"96": overlay}, "h")
    local = catalogue.get(base.code, "96")
    assert [b.title for b in local.legal_basis] == ["Quyết định 1/2026/QĐ-UBND"]
    assert local.no_legal_basis_reason is None
    # what the API serves is validated again: the merged record must still be valid
    assert Procedure.model_validate(local.model_dump()) == local
    assert catalogue.get(base.code).no_legal_basis_reason == "none listed"


def test_province_set_fees_carry_no_national_figure(bundled) -> None:
    for procedure in bundled:
        for fee in procedure.fees:
            if fee.set_by_province:
                assert fee.amount is None, procedure.code


def test_scope_facts_are_encoded(bundled) -> None:
    copy = bundled.get("2.000815")
    tiers = [(t.from_page, t.amount) for fee in copy.fees for t in fee.page_tiers]
    assert tiers == [(1, 2000), (3, 1000)]
    assert any(fee.cap == 200000 for fee in copy.fees)
    birth = bundled.get("1.001193")
    assert birth.time_for().cutoff_hour == 15
    residence = bundled.get("1.004222")
    amounts = {f.amount for f in residence.fees_for(None)} | {
        f.amount for c in residence.channels for f in c.fees
    }
    assert {10000, 20000} <= amounts


def test_ca_mau_overlay_overrides_a_province_fee(bundled) -> None:
    assert "96" in bundled.overlays
    overlay = bundled.overlays["96"]
    code = next(iter(overlay.overrides))
    base = bundled.get(code)
    local = bundled.get(code, "96")
    override = overlay.overrides[code]
    if override.fees is not None:
        assert local.fees == override.fees
    assert local.code == base.code
    assert bundled.get(code, "01") == base  # no overlay for Hà Nội: the national record


def test_unknown_code(bundled) -> None:
    with pytest.raises(ProcedureNotFound):
        bundled.get("9.999999")


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_validate_reports_every_problem_with_file_line_code_and_field(tmp_path: Path) -> None:
    root = tmp_path / "catalogue"
    _write(root / "national", "1.000001.yaml", procedure_data())
    _write(
        root / "national",
        "1.000002.yaml",
        procedure_data(code="1.000002", time={"unit": "working_days"}, level="huyen"),
    )
    _write(root / "national", "1.000009.yaml", procedure_data(code="1.000003"))
    (root / "national" / "broken.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    _write(
        root / "provinces",
        "96.yaml",
        {
            "province_code": "96",
            "province_name": "Tỉnh Cà Mau",
            "overrides": {"1.777777": {"agency": "x"}},
        },
    )
    _, problems = validate(root)
    text = "\n".join(str(p) for p in problems)
    assert "1.000002.yaml" in text and "[1.000002] level" in text
    assert "[1.000002] time" in text and "needs a value" in text
    assert "file name must be 1.000003.yaml" in text
    assert "broken.yaml" in text and "invalid YAML" in text
    assert "overrides.1.777777" in text
    level = next(p for p in problems if p.field == "level")
    source = (root / "national" / "1.000002.yaml").read_text().splitlines()
    assert source[level.line - 1].startswith("level:")
    assert len(problems) >= 5


def test_loading_a_broken_catalogue_fails_loudly(tmp_path: Path) -> None:
    root = tmp_path / "catalogue"
    shutil.copytree(BUNDLED, root)
    victim = next((root / "national").rglob("*.yaml"))
    victim.write_text(
        victim.read_text(encoding="utf-8").replace("level: xa", "level: 5"), encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as info:
        load_catalogue(root)
    assert any(victim.name in p.file for p in info.value.problems)


def test_json_files_are_accepted(tmp_path: Path) -> None:
    import json

    root = tmp_path / "catalogue"
    (root / "national").mkdir(parents=True)
    (root / "national" / "1.000001.json").write_text(json.dumps(procedure_data()), "utf-8")
    catalogue = load_catalogue(root)
    assert isinstance(catalogue.get("1.000001"), Procedure)
