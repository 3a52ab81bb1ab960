"""Reading portal procedure pages into draft catalogue entries (invented fixture pages)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpdesk_cli.cli import app
from knowledge.catalogue import validate
from knowledge.model import (
    DRAFT_PLACEHOLDER,
    ChannelKind,
    DocumentAction,
    DocumentForm,
    Level,
    Procedure,
    TimeUnit,
)
from knowledge.portal import NotAPortalPage, check_draft, diff_entry, draft_entry, parse_page

FIXTURES = Path(__file__).parent / "fixtures" / "portal"
CATALOGUE = Path(__file__).resolve().parents[2] / "knowledge" / "catalogue"
runner = CliRunner()


def _page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A scratch copy of the bundled catalogue."""
    root = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, root)
    return root


def test_header_facts_are_read() -> None:
    parsed = parse_page(_page("1.999001.json"), source="1.999001.json")
    assert parsed.code == "1.999001"
    assert parsed.name == "Xác nhận mẫu thử"
    assert parsed.decision == "45/QĐ-BTP"
    assert parsed.levels == [Level.PROVINCE, Level.COMMUNE]
    assert parsed.agency == "Ủy ban nhân dân cấp xã"
    assert parsed.receiving_agency == "Công an cấp xã"
    assert [r.code for r in parsed.results] == ["KQ.G99.000001", "KQ.G99.000002"]
    assert [r.name for r in parsed.results] == ["Giấy xác nhận", "Văn bản từ chối"]


def test_channels_have_their_own_times_and_fees() -> None:
    parsed = parse_page(_page("1.999001.json"), source="x")
    by_kind = {c.kind: c for c in parsed.channels}
    online = by_kind[ChannelKind.ONLINE]
    assert online.time is not None and online.time.value == 3
    assert online.time.unit is TimeUnit.WORKING_DAYS and not online.time.unit_assumed
    postal = by_kind[ChannelKind.POSTAL]
    # a bare number: the unit comes from the steps and is marked as assumed
    assert postal.time is not None and postal.time.unit_assumed
    assert postal.time.unit is TimeUnit.WORKING_DAYS
    assert postal.fees[0].set_by_province
    in_person = by_kind[ChannelKind.IN_PERSON]
    assert in_person.time is not None and in_person.time.unit is TimeUnit.HOURS
    assert in_person.fees[0].amount == 12000
    assert in_person.fees[0].legal_basis == "Thông tư 10/2020/TT-BTC"


def test_documents_split_on_quantities_and_notes_are_not_documents() -> None:
    parsed = parse_page(_page("1.999001.json"), source="x")
    names = [d.name for d in parsed.documents]
    assert names == [
        "Đơn đề nghị xác nhận (Mẫu X1)",
        "Bản sao giấy tờ chứng minh nơi ở",
        "Thẻ căn cước",
    ]
    form, copy, card = parsed.documents
    assert form.form_code == "Mẫu X1 Đơn đề nghị" and form.form is DocumentForm.ORIGINAL
    assert copy.form is DocumentForm.COPY and copy.quantity == 1
    assert card.action is DocumentAction.SHOW
    assert parsed.document_notes == 1


def test_legal_basis_rows_are_cut_on_document_numbers() -> None:
    parsed = parse_page(_page("1.999001.json"), source="x")
    assert parsed.legal_basis == [
        "Luật 12/2020/QH14",
        "Nghị định 34/2021/NĐ-CP",
        "Thông tư 10/2020/TT-BTC",
    ]


def test_gaps_are_reported_per_field() -> None:
    parsed = parse_page(_page("2.999002.json"), source="x")
    assert parsed.decision is None
    fields = {gap.field for gap in parsed.gaps}
    assert {"decision", "levels", "agency", "time", "fees", "documents", "legal_basis"} <= fields
    assert {"results", "submit_at"} <= fields
    assert all(gap.code == "2.999002" for gap in parsed.gaps)
    clean = parse_page(_page("1.999001.json"), source="x")
    assert {gap.field for gap in clean.gaps} == {"time", "fees"}


def test_draft_is_unverified_valid_and_copies_no_prose() -> None:
    parsed = parse_page(_page("1.999001.json"), source="x")
    draft = draft_entry(parsed, today=date(2026, 12, 1))
    assert check_draft(draft) == []
    procedure = Procedure.model_validate(draft)
    assert procedure.draft and not procedure.verified and procedure.unverified_reason
    assert procedure.steps == [DRAFT_PLACEHOLDER] and procedure.name_en == DRAFT_PLACEHOLDER
    assert procedure.levels == [Level.PROVINCE, Level.COMMUNE] and procedure.level is Level.COMMUNE
    assert procedure.results == ["Giấy xác nhận", "Văn bản từ chối"]
    text = yaml.safe_dump(draft, allow_unicode=True)
    assert "Bước mẫu" not in text and "Ghi chú mẫu" not in text and "Hội đồng" not in text


def test_a_sparse_page_still_gives_a_valid_draft() -> None:
    draft = draft_entry(parse_page(_page("2.999002.json"), source="x"))
    assert check_draft(draft) == []
    assert draft["agency"] == DRAFT_PLACEHOLDER and "decision" not in draft


def test_placeholder_text_is_refused_outside_a_draft() -> None:
    draft = draft_entry(parse_page(_page("1.999001.json"), source="x"))
    published = {**draft, "draft": False, "verified": True}
    assert any("placeholder" in problem for problem in check_draft(published))
    assert any("verified" in p for p in check_draft({**draft, "verified": True}))


def test_diff_compares_page_facts_only() -> None:
    existing = yaml.safe_load(
        (CATALOGUE / "national" / "ho-tich" / "1.000656.yaml").read_text(encoding="utf-8")
    )
    draft = draft_entry(parse_page(_page("1.000656.json"), source="x"))
    changes = {change.field: change for change in diff_entry(existing, draft)}
    assert changes["decision"].old == "163/QĐ-BTP" and changes["decision"].new == "999/QĐ-BTP"
    assert not {"name", "steps", "summary", "aliases", "name_en", "notes"} & set(changes)


def test_not_a_page_is_refused() -> None:
    with pytest.raises(NotAPortalPage, match="not JSON"):
        parse_page("{oops", source="x")
    with pytest.raises(NotAPortalPage, match="ma_thu_tuc"):
        parse_page({"title": "something else"}, source="x")


def test_cli_writes_drafts_and_shows_a_diff_for_known_codes(catalogue: Path) -> None:
    existing = catalogue / "national" / "ho-tich" / "1.000656.yaml"
    before = existing.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["catalogue", "import-portal", str(FIXTURES), "--catalogue", str(catalogue)]
    )
    assert result.exit_code == 0, result.output
    assert "decision: '163/QĐ-BTP' → '999/QĐ-BTP'" in result.output
    assert "not parsed [decision]" in result.output
    assert "pages read: 3; drafts written: 2; diffs shown: 1" in result.output
    assert existing.read_text(encoding="utf-8") == before
    written = catalogue / "national" / "drafts" / "1.999001.yaml"
    assert written.exists()
    loaded, problems = validate(catalogue)
    assert problems == [] and loaded is not None
    assert "1.999001" in loaded.drafts and "1.999001" not in loaded.procedures
    # a second run never overwrites the drafts either: it compares with them
    again = runner.invoke(
        app, ["catalogue", "import-portal", str(FIXTURES), "--catalogue", str(catalogue)]
    )
    assert again.exit_code == 0, again.output
    assert "drafts written: 0" in again.output


def test_cli_dry_run_writes_nothing(catalogue: Path) -> None:
    page = str(FIXTURES / "1.999001.json")
    options = ["--catalogue", str(catalogue), "--dry-run", "--by-field"]
    result = runner.invoke(app, ["catalogue", "import-portal", page, *options])
    assert result.exit_code == 0, result.output
    assert "would write" in result.output and "thu-nghiem" in result.output
    assert not (catalogue / "national" / "thu-nghiem").exists()


def test_cli_bad_input_exits_non_zero_without_a_traceback(catalogue: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all", encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}', encoding="utf-8")
    result = runner.invoke(
        app, ["catalogue", "import-portal", str(bad), str(other), "--catalogue", str(catalogue)]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "bad.json: not JSON" in result.output
    assert "other.json: not a procedure page" in result.output
    missing = runner.invoke(app, ["catalogue", "import-portal", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output


def test_a_time_kept_once_for_every_channel_is_no_change() -> None:
    page_side = {
        "channels": [
            {"kind": "truc_tuyen", "time": {"value": 3, "unit": "working_days"}},
            {"kind": "truc_tiep", "time": {"value": 3, "unit": "working_days"}},
        ]
    }
    by_hand = {
        "channels": [{"kind": "truc_tiep"}, {"kind": "truc_tuyen"}],
        "time": {"value": 3, "unit": "working_days"},
    }
    assert diff_entry(by_hand, page_side) == []
    slower = {**by_hand, "time": {"value": 5, "unit": "working_days"}}
    (change,) = diff_entry(slower, page_side)
    assert change.field == "channels" and "5 working_days" in str(change.old)
