"""The staff record page (full history, no second factor, every access audited) and the
admins' audit log page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from connectors.web.pages import STAFF_CSP
from store import accounts, audit
from store.hashing import verification_hash
from store.models import Record, RecordStatusEvent
from store.status import RecordStatus
from tests.connectors.staff_site import HTML, StaffSite, signed_in

CODE = "000.00.12.H12-250701-0001"
RECEIVED = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    site = StaffSite.on(tmp_path)
    site.add_user("lan", "staff")
    site.add_user("admin", "admin")
    secret = site.settings.secret_key.get_secret_value()
    record = Record(
        code=CODE,
        procedure_code="1.004222",
        receiving_commune="Phường An Xuyên, Tỉnh Cà Mau",
        receiving_unit_code="000.00.12.H12",
        channel="in_person",
        received_at=RECEIVED,
        due_at=RECEIVED + timedelta(days=5),
        finished_at=None,
        status=RecordStatus.WAITING_SUPPLEMENT.value,
        missing_documents=["Bản sao giấy khai sinh"],
        result_delivery="counter",
        collect_at="Bộ phận Một cửa, Phường An Xuyên",
        phone_hash=verification_hash(secret, CODE, "5678"),
        id_hash=verification_hash(secret, CODE, "2345"),
        source="test",
        created_at=RECEIVED,
        updated_at=RECEIVED + timedelta(days=1),
    )
    record.events = [
        RecordStatusEvent(status="received", at=RECEIVED, note=None),
        RecordStatusEvent(
            status="waiting_supplement", at=RECEIVED + timedelta(days=1), note="Thiếu khai sinh"
        ),
    ]
    with site.sessions.begin() as session:
        session.add(record)
    try:
        yield site
    finally:
        site.close()


def _audit(site: StaffSite) -> list[tuple[str, str, str | None, str | None]]:
    rows = site.rows("SELECT actor, action, subject, reason FROM audit_log ORDER BY id")
    return [tuple(row) for row in rows if row[1] in {"record_view", "record_not_found"}]


def _whole_log(site: StaffSite) -> str:
    """Every value of every audit row, as one text."""
    return " ".join(str(v) for row in site.rows("SELECT * FROM audit_log") for v in row)


def _record_id(site: StaffSite, code: str = CODE) -> int:
    record_id: int = site.scalar("SELECT id FROM records WHERE code = :code", code=code)
    return record_id


def _subjects(page: str) -> list[str]:
    """The "Đối tượng" cell of each row of the audit page."""
    return re.findall(r"<tr><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", page)


def test_a_signed_in_officer_sees_the_whole_history_without_a_factor(site: StaffSite) -> None:
    with site.client() as client:
        token = signed_in(client, "lan")
        form = client.get("/staff/records", headers=HTML)
        assert form.status_code == 200 and 'name="reason"' in form.text
        assert form.headers["content-security-policy"] == STAFF_CSP
        page = client.post(
            "/staff/records",
            data={
                "code": "000.00.12.h12 250701 0001",
                "reason": "Người nộp hỏi tại quầy",
                "csrf_token": token,
            },
            headers={**HTML, "X-Forwarded-For": "203.0.113.9"},
        )
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert f"Hồ sơ {CODE}" in page.text
    assert "Chờ bổ sung hồ sơ" in page.text and "Mới tiếp nhận" in page.text
    assert "Thiếu khai sinh" in page.text and "Bản sao giấy khai sinh" in page.text
    assert "01/07/2025 09:00" in page.text  # Vietnam time
    history = page.text[page.text.index("Quá trình xử lý") :]
    assert history.index("Chờ bổ sung hồ sơ") < history.index("Mới tiếp nhận")  # newest first
    for hidden in (
        "5678",
        "2345",
        verification_hash(site.settings.secret_key.get_secret_value(), CODE, "5678"),
    ):
        assert hidden not in page.text
    # the reason is not carried over to the next record
    assert 'value="Người nộp hỏi tại quầy"' not in page.text
    record_id = _record_id(site)
    assert _audit(site) == [
        ("lan", "record_view", f"record:#{record_id}", "Người nộp hỏi tại quầy")
    ]
    # the log names the record by its row id: no row holds its code, whole or in part
    log = _whole_log(site)
    assert CODE not in log and CODE[:-4] not in log and "250701" not in log
    # the address is the peer's: X-Forwarded-For from an untrusted client is ignored
    assert site.scalar("SELECT client FROM audit_log WHERE action = 'record_view'") == "testclient"


def test_a_code_without_a_record_is_audited_too(site: StaffSite) -> None:
    with site.client() as client:
        token = signed_in(client, "lan")
        missing = "000.00.12.H12-250701-0999"
        page = client.post(
            "/staff/records",
            data={"code": missing, "reason": "gọi điện hỏi", "csrf_token": token},
            headers=HTML,
        )
    assert page.status_code == 404
    assert f"Không có hồ sơ nào mã {missing}" in page.text
    # no record to name: the code is kept only by its last 4 characters
    assert _audit(site) == [("lan", "record_not_found", "record:…-0999", "gọi điện hỏi")]
    assert missing not in _whole_log(site) and "250701" not in _whole_log(site)


@pytest.mark.parametrize(
    ("code", "reason", "says"),
    [
        (CODE, "", "Hãy ghi lý do tra cứu"),
        (CODE, "   hỏi ", "Hãy ghi lý do tra cứu"),
        ("???", "Người nộp hỏi tại quầy", "Mã hồ sơ"),
    ],
)
def test_no_history_without_a_reason_or_a_valid_code(
    site: StaffSite, code: str, reason: str, says: str
) -> None:
    with site.client() as client:
        token = signed_in(client, "lan")
        page = client.post(
            "/staff/records",
            data={"code": code, "reason": reason, "csrf_token": token},
            headers=HTML,
        )
    assert page.status_code == 422
    assert says in page.text and "Quá trình xử lý" not in page.text
    assert _audit(site) == []


def test_a_forged_lookup_is_refused_and_not_audited(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "lan")
        page = client.post(
            "/staff/records", data={"code": CODE, "reason": "Người nộp hỏi"}, headers=HTML
        )
    assert page.status_code == 403 and "Quá trình xử lý" not in page.text
    assert _audit(site) == []


def test_the_citizens_lookup_still_needs_the_factor(site: StaffSite) -> None:
    from store.lookup import RecordLookup
    from store.outcomes import LookupOutcome

    lookup = RecordLookup(site.sessions, site.settings)
    assert lookup.lookup(CODE, "0000", "conv-1").outcome is LookupOutcome.NOT_FOUND
    assert lookup.lookup(CODE, "5678", "conv-1").outcome is LookupOutcome.FOUND


# --- the audit log page ---------------------------------------------------------------------


def test_admins_read_the_audit_log_newest_first_a_page_at_a_time(site: StaffSite) -> None:
    with site.client() as lan:
        token = signed_in(lan, "lan")
        for n in range(55):
            lan.post(
                "/staff/records",
                data={"code": CODE, "reason": f"lần tra cứu số {n}", "csrf_token": token},
                headers=HTML,
            )
    with site.client() as admin:
        signed_in(admin, "admin")
        first = admin.get("/staff/audit", headers=HTML)
        assert first.status_code == 200
        assert first.headers["content-security-policy"] == STAFF_CSP
        rows = re.findall(r"<tr><td>", first.text)
        assert len(rows) == 50
        body = first.text
        assert body.index("lần tra cứu số 54") < body.index("lần tra cứu số 53")
        assert "Xem hồ sơ" in body
        # the record is shown by its masked code, found through the id the log holds
        assert f"Hồ sơ …-0001 (số {_record_id(site)})" in _subjects(body)
        assert CODE not in body and "250701" not in body
        older = re.search(r'href="/staff/audit\?before=(\d+)"', body)
        assert older, "a link to older rows"
        second = admin.get(f"/staff/audit?before={older.group(1)}", headers=HTML)
        assert "lần tra cứu số 4<" in second.text and "lần tra cứu số 54" not in second.text
        assert "Tạo tài khoản" in second.text  # the accounts made from the command line
        assert 'href="/staff/audit?before=' not in second.text  # the last page
        assert 'href="/staff/audit">« Mới nhất' in second.text


def test_staff_may_not_read_the_audit_log(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "lan")
        page = client.get("/staff/audit", headers=HTML)
        assert page.status_code == 403 and "chỉ dành cho quản trị viên" in page.text
        assert "Nhật ký truy cập</h1>" not in page.text


def test_the_audit_page_masks_codes_however_a_row_names_its_record(site: StaffSite) -> None:
    """A code that matched no record, a record gone from the store, and a row that still holds
    a whole code (written before the log kept ids) all show without the code."""
    gone_id = _record_id(site) + 1000
    with site.client() as lan:
        token = signed_in(lan, "lan")
        lan.post(
            "/staff/records",
            data={
                "code": "000.00.12.H12-250701-0999",
                "reason": "gọi điện hỏi",
                "csrf_token": token,
            },
            headers=HTML,
        )
    with site.sessions.begin() as session:
        for subject in (f"record:{CODE}", f"record:#{gone_id}"):
            audit.append(session, actor="lan", action="record_view", subject=subject, reason="cũ")
    with site.client() as admin:
        signed_in(admin, "admin")
        page = admin.get("/staff/audit", headers=HTML)
    assert page.status_code == 200
    subjects = _subjects(page.text)
    assert "Mã …-0999" in subjects  # the unmatched code
    assert "Mã …-0001" in subjects  # the old row's whole code, masked on reading
    assert f"Hồ sơ số {gone_id} (không còn trong hệ thống)" in subjects
    assert "user:lan" in subjects  # other subjects as logged
    assert CODE not in page.text and "250701" not in page.text
