"""Catalogue publishing on the staff pages: upload, report, publish, swap, rollback, audit.

The gateway loads a small catalogue from a folder, with the real embedder; a publish builds
the new index beside the live one and the gateway's watcher swaps to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.web.app import create_app
from tests.connectors.conftest import Upstream
from tests.connectors.staff_site import HTML, StaffSite, form_token, signed_in
from tests.publishing.catalogue_files import procedure_file, write_catalogue, zip_of

CHANGED_FEE = procedure_file(code="1.000001", fees=[{"name": "Lệ phí", "amount": 8000}])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    folder = write_catalogue(tmp_path / "shipped")
    site = StaffSite.on(tmp_path, catalogue_dir=folder, catalogue_poll_seconds=0.2)
    site.add_user("admin1", role="admin")
    site.add_user("officer1")
    yield site
    site.close()


@contextmanager
def gateway(site: StaffSite) -> Iterator[TestClient]:
    upstream = Upstream(site.settings.internal_token("rasa"))
    app = create_app(site.settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def wait_for(check: Callable[[], Any], seconds: float = 180) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def fee_of(client: TestClient, code: str = "1.000001") -> Any:
    response = client.get(f"/api/procedures/{code}")
    assert response.status_code == 200, response.text
    return response.json()["fees"][0]


def upload(client: TestClient, token: str, *files: tuple[str, bytes]) -> httpx.Response:
    return client.post(
        "/staff/catalogue/upload",
        data={"csrf_token": token},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        headers=HTML,
    )


def test_upload_review_publish_swap_and_roll_back(site: StaffSite) -> None:
    with gateway(site) as client:
        token = signed_in(client, "admin1")
        assert fee_of(client)["free"] is True

        staged = upload(client, token, ("khai-sinh.yaml", CHANGED_FEE))
        assert staged.status_code == 303
        report = client.get(staged.headers["location"], headers=HTML)
        assert report.status_code == 200
        assert "không có lỗi" in report.text
        assert "1 thay đổi" in report.text and "8000" in report.text
        assert fee_of(client)["free"] is True  # staged, not live

        release = int(staged.headers["location"].rsplit("/", 1)[1])
        publish = client.post(
            f"/staff/catalogue/releases/{release}/publish",
            data={"csrf_token": form_token(report)},
            headers=HTML,
        )
        assert publish.status_code == 303
        again = client.post(
            f"/staff/catalogue/releases/{release}/publish", data={"csrf_token": token}, headers=HTML
        )
        assert again.status_code == 409  # one press wins
        wait_for(lambda: fee_of(client).get("amount") == 8000)
        assert site.scalar("SELECT state FROM catalogue_releases WHERE id = :i", i=release) == (
            "published"
        )

        page = client.get("/staff/catalogue", headers=HTML)
        assert f"Bản số {release}" in page.text and "đang dùng" in page.text
        rolled = client.post(
            "/staff/catalogue/rollback", data={"csrf_token": token, "version": "1"}, headers=HTML
        )
        assert rolled.status_code == 303
        wait_for(lambda: fee_of(client).get("free") is True)

        stale = client.post(
            "/staff/catalogue/rollback", data={"csrf_token": token, "version": "1"}, headers=HTML
        )
        assert stale.headers["location"].endswith("error=rollback")

        audit = client.get("/staff/audit", headers=HTML).text
        for words in ("Tải lên danh mục thủ tục", "Xuất bản danh mục thủ tục", "Quay lại danh mục"):
            assert words in audit
        actions = site.rows("SELECT actor, action FROM audit_log WHERE action LIKE 'catalogue%'")
        assert [tuple(row) for row in actions] == [
            ("admin1", "catalogue_stage"),
            ("admin1", "catalogue_publish"),
            ("admin1", "catalogue_rollback"),
        ]


def test_a_release_with_problems_shows_them_and_cannot_be_published(site: StaffSite) -> None:
    broken = procedure_file(code="1.000002", time={"unit": "fortnights", "value": 1})
    with gateway(site) as client:
        token = signed_in(client, "admin1")
        staged = upload(
            client, token, ("b.zip", zip_of({"national/ho-tich/1.000002.yaml": broken}))
        )
        report = client.get(staged.headers["location"], headers=HTML)
        assert "national/ho-tich/1.000002.yaml" in report.text
        assert "Bản có lỗi không xuất bản được" in report.text
        assert "/publish" not in report.text
        release = int(staged.headers["location"].rsplit("/", 1)[1])
        refused = client.post(
            f"/staff/catalogue/releases/{release}/publish", data={"csrf_token": token}, headers=HTML
        )
        assert refused.status_code == 409
        assert site.scalar("SELECT version FROM catalogue_live") is None  # nothing ever published


def test_an_unreadable_upload_says_what_was_wrong(site: StaffSite) -> None:
    with gateway(site) as client:
        token = signed_in(client, "admin1")
        response = upload(client, token, ("x.zip", zip_of({"../../etc/passwd.yaml": b"a: 1"})))
        assert response.status_code == 422
        assert "Không đọc được tệp" in response.text and "outside the catalogue" in response.text
        assert site.scalar("SELECT count(*) FROM catalogue_releases") == 0


def test_only_admins_reach_catalogue_publishing(site: StaffSite) -> None:
    with gateway(site) as client:
        token = signed_in(client, "officer1")
        assert client.get("/staff/catalogue", headers=HTML).status_code == 403
        assert upload(client, token, ("a.yaml", CHANGED_FEE)).status_code == 403
        assert site.scalar("SELECT count(*) FROM catalogue_releases") == 0
    with gateway(site) as client:
        response = client.post(
            "/staff/catalogue/upload", files=[("files", ("a.yaml", CHANGED_FEE))]
        )
        assert response.status_code in (303, 401, 403)
        assert site.scalar("SELECT count(*) FROM catalogue_releases") == 0


def test_a_portal_draft_is_reviewed_into_a_release(site: StaffSite) -> None:
    draft = procedure_file(
        code="1.000008",
        name="Đăng ký giám hộ",
        draft=True,
        verified=False,
        unverified_reason="Lấy từ trang của Cổng Dịch vụ công quốc gia, chưa đối chiếu.",
    )
    (site.settings.catalogue_dir / "national" / "ho-tich" / "1.000008.yaml").write_bytes(draft)
    with gateway(site) as client:
        token = signed_in(client, "admin1")
        page = client.get("/staff/catalogue", headers=HTML)
        assert "1.000008 · Đăng ký giám hộ" in page.text
        assert client.get("/api/procedures/1.000008").status_code == 404  # drafts are not live
        staged = client.post(
            "/staff/catalogue/drafts", data={"csrf_token": token, "code": "1.000008"}, headers=HTML
        )
        assert staged.status_code == 303, staged.text
        report = client.get(staged.headers["location"], headers=HTML).text
        assert "Thêm mới</strong>: 1.000008" in report and "không có lỗi" in report
        assert "duyệt bản nháp: 1.000008" in report
        missing = client.post(
            "/staff/catalogue/drafts", data={"csrf_token": token, "code": "1.000001"}, headers=HTML
        )
        assert missing.status_code == 422 and "no draft with this code" in missing.text
