"""Laying uploads over the live catalogue: where each file goes, what validation and diff say."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.errors import UploadRejected
from knowledge.catalogue import load_catalogue, validate
from knowledge.diff import ChangeKind
from knowledge.model import DRAFT_PLACEHOLDER
from publishing.archive import pack, unpack
from publishing.candidate import Upload, prepare
from tests.publishing.catalogue_files import (
    OVERLAY,
    procedure_file,
    write_catalogue,
    yaml_bytes,
    zip_of,
)


@pytest.fixture
def live_root(tmp_path: Path) -> Path:
    return write_catalogue(tmp_path / "live")


def _prepare(live_root: Path, tmp_path: Path, *uploads: Upload):  # type: ignore[no-untyped-def]
    return prepare(live_root, load_catalogue(live_root), list(uploads), tmp_path / "candidate")


def test_a_changed_fee_replaces_its_file_and_shows_field_by_field(
    live_root: Path, tmp_path: Path
) -> None:
    changed = procedure_file(code="1.000001", fees=[{"name": "Lệ phí", "amount": 8000}])
    candidate = _prepare(live_root, tmp_path, Upload("khai-sinh.yaml", changed))

    assert candidate.problems == ()
    assert candidate.placed == ("national/ho-tich/1.000001.yaml",)
    [entry] = candidate.diff.entries
    assert (entry.key, entry.kind) == ("1.000001", ChangeKind.CHANGED)
    [fees] = entry.fields
    assert fees.field == "fees"
    assert fees.before is not None and "free: true" in fees.before
    assert fees.after is not None and "amount: 8000" in fees.after
    assert len(candidate.catalogue or []) == 5
    # the live folder itself is untouched
    assert load_catalogue(live_root).procedures["1.000001"].fees[0].free


def test_a_new_procedure_goes_under_its_field(live_root: Path, tmp_path: Path) -> None:
    new = procedure_file(code="1.000009", name="Đăng ký khai tử", field="Hộ tịch")
    candidate = _prepare(live_root, tmp_path, Upload("khai-tu.yml", new))
    assert candidate.placed == ("national/ho-tich/1.000009.yml",)
    assert [(e.key, e.kind) for e in candidate.diff.entries] == [("1.000009", ChangeKind.ADDED)]
    assert candidate.report()["counts"] == {"added": 1, "removed": 0, "changed": 0}


def test_every_problem_has_its_file_line_and_field(live_root: Path, tmp_path: Path) -> None:
    broken = procedure_file(code="1.000002", time={"unit": "fortnights", "value": 1})
    unreadable = b"code: 1.000007\nname: [unclosed\n"
    candidate = _prepare(
        live_root, tmp_path, Upload("ket-hon.yaml", broken), Upload("hong.yaml", unreadable)
    )
    report = candidate.report()
    files = {problem["file"] for problem in report["problems"]}
    assert files == {"national/ho-tich/1.000002.yaml", "national/uploaded/hong.yaml"}
    time_problem = next(p for p in report["problems"] if p["field"].startswith("time"))
    assert time_problem["code"] == "1.000002"
    assert time_problem["line"] is not None and time_problem["line"] > 1
    assert report["problem_count"] == len(candidate.problems) >= 2


def test_a_province_overlay_goes_to_provinces(live_root: Path, tmp_path: Path) -> None:
    overlay = {**OVERLAY, "overrides": {"1.000002": {"submit_at": "Bộ phận Một cửa xã"}}}
    candidate = _prepare(live_root, tmp_path, Upload("ca-mau.yaml", yaml_bytes(overlay)))
    assert candidate.placed == ("provinces/96.yaml",)
    [entry] = candidate.diff.entries
    assert (entry.key, entry.kind) == ("province:96", ChangeKind.CHANGED)
    assert [f.field for f in entry.fields] == ["overrides"]


def test_an_overlay_for_an_unknown_procedure_is_a_problem(live_root: Path, tmp_path: Path) -> None:
    overlay = {**OVERLAY, "overrides": {"9.999999": {"submit_at": "Bộ phận Một cửa xã"}}}
    candidate = _prepare(live_root, tmp_path, Upload("96.yaml", yaml_bytes(overlay)))
    assert [(p.field, p.message) for p in candidate.problems] == [
        ("overrides.9.999999", "no such procedure in the catalogue")
    ]


def test_a_zip_lays_its_files_by_path(live_root: Path, tmp_path: Path) -> None:
    archive = zip_of(
        {
            "national/chung-thuc/2.000010.yaml": procedure_file(
                code="2.000010", name="Chứng thực chữ ký", field="Chứng thực"
            ),
            "provinces/96.yaml": yaml_bytes(OVERLAY),
            "README.txt": b"skipped",
        }
    )
    candidate = _prepare(live_root, tmp_path, Upload("thay-doi.zip", archive))
    assert candidate.placed == ("national/chung-thuc/2.000010.yaml", "provinces/96.yaml")
    assert [(e.key, e.kind) for e in candidate.diff.entries] == [("2.000010", ChangeKind.ADDED)]


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (Upload("notes.txt", b"hello"), "only .yaml, .yml, .json or .zip"),
        (Upload("x.zip", b"not a zip"), "not a readable zip"),
        (Upload("x.zip", zip_of({"../../etc/x.yaml": b"a: 1"})), "outside the catalogue"),
        (Upload("x.zip", zip_of({"/abs/national/x.yaml": b"a: 1"})), "outside the catalogue"),
        (Upload("x.zip", zip_of({"other/x.yaml": b"a: 1"})), "national/ or provinces/"),
    ],
)
def test_unreadable_uploads_are_refused_with_the_reason(
    live_root: Path, tmp_path: Path, upload: Upload, says: str
) -> None:
    with pytest.raises(UploadRejected, match=says.replace(".", r"\.")):
        _prepare(live_root, tmp_path, upload)


def test_no_file_is_refused(live_root: Path, tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match="at least one file"):
        _prepare(live_root, tmp_path)


def test_a_packed_release_unpacks_to_the_same_catalogue(live_root: Path, tmp_path: Path) -> None:
    data = pack(live_root)
    assert pack(live_root) == data  # the same files make the same bytes
    unpack(data, tmp_path / "copy")
    copy, problems = validate(tmp_path / "copy")
    assert problems == []
    assert copy is not None
    assert copy.content_hash == load_catalogue(live_root).content_hash


def _draft(**overrides: object) -> bytes:
    return procedure_file(
        code="1.000008",
        name="Đăng ký giám hộ",
        draft=True,
        verified=False,
        unverified_reason="Lấy từ trang của Cổng Dịch vụ công quốc gia, chưa đối chiếu.",
        **overrides,
    )


def test_reviewing_a_draft_lists_what_the_editor_still_has_to_write(
    live_root: Path, tmp_path: Path
) -> None:
    (live_root / "national" / "ho-tich" / "1.000008.yaml").write_bytes(
        _draft(summary_en=DRAFT_PLACEHOLDER)
    )
    live = load_catalogue(live_root)
    assert "1.000008" in live.drafts and "1.000008" not in live.procedures

    candidate = prepare(live_root, live, [], tmp_path / "candidate", drafts=["1.000008"])
    assert candidate.placed == ("national/ho-tich/1.000008.yaml",)
    assert any("placeholder" in problem.message for problem in candidate.problems)


def test_a_finished_draft_becomes_a_new_procedure(live_root: Path, tmp_path: Path) -> None:
    (live_root / "national" / "ho-tich" / "1.000008.yaml").write_bytes(_draft())
    candidate = prepare(
        live_root, load_catalogue(live_root), [], tmp_path / "candidate", drafts=["1.000008"]
    )
    assert candidate.problems == ()
    kinds = {(e.key, e.kind) for e in candidate.diff.entries}
    assert kinds == {("1.000008", ChangeKind.ADDED), ("draft:1.000008", ChangeKind.REMOVED)}


def test_reviewing_a_code_that_is_no_draft_is_refused(live_root: Path, tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match=r"1\.000001: no draft"):
        prepare(
            live_root, load_catalogue(live_root), [], tmp_path / "candidate", drafts=["1.000001"]
        )
