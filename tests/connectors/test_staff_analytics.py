"""The analytics through the gateway: turns recorded as channels relay them (with the bot's
facts, never personal data), the staff dashboard and its CSV tables, who may see them, and
the work queue's "add as an alias" staging a catalogue release."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient

from connectors.web.app import create_app
from knowledge.catalogue import load_catalogue
from knowledge.service import Knowledge
from store import accounts
from store.analytics import TurnEvent, TurnFacts, record_turns
from store.status import utc_now
from tests.connectors.conftest import Upstream
from tests.connectors.staff_site import HTML, StaffSite, form_token, signed_in
from tests.publishing.catalogue_files import write_catalogue

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "connectors" / "web" / "static" / "vendor" / "chart.umd.min.js"
NPM_COPY = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
PHONE = "0912 345 678"
ID_NUMBER = "079123456789"
RECORD = "000.00.12.H12-250701-0001"
NAME = "Nguyễn Văn An"
# what must never be kept or logged: the numbers as typed, their digits alone, their tails
SECRETS = (PHONE, "0912345678", "345 678", ID_NUMBER, RECORD, "250701-0001", NAME, "Văn An")
DATA_BLOCK = re.compile(r'<script type="application/json" id="analytics-data">(.*?)</script>')
TABLE_NAMES = ("daily", "procedures", "queue", "channels", "satisfaction", "handoffs")


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its cheapest parameters: the same code, without 0.3 s per hash."""
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    site = StaffSite.on(tmp_path, catalogue_dir=write_catalogue(tmp_path / "shipped"))
    site.add_user("admin1", role="admin")
    site.add_user("officer1")
    yield site
    site.close()


@contextmanager
def gateway(site: StaffSite, upstream: Upstream | None = None) -> Iterator[TestClient]:
    """The gateway on the site's database, answering from the small catalogue (no index:
    the dashboard and staging read only the catalogue)."""
    knowledge = Knowledge(load_catalogue(site.settings.catalogue_dir), None, Path("x"))  # type: ignore[arg-type]
    upstream = upstream or Upstream(site.settings.internal_token("rasa"))
    app = create_app(site.settings, knowledge, http_transport=httpx.MockTransport(upstream))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def flush(client: TestClient) -> None:
    client.app.state.turn_recorder.flush()  # type: ignore[attr-defined]


def chat(client: TestClient, conversation: str, **body: str) -> httpx.Response:
    response = client.post("/api/chat", json={"conversation_id": conversation, **body})
    assert response.status_code == 200, response.text
    return response


def seed(site: StaffSite) -> None:
    """A week of a few turns: two questions missed, one answered unsure, ratings."""
    now = utc_now()

    def turn(conversation: str, said: str, hours: float = 1, **facts: Any) -> TurnEvent:
        channel = conversation.split("-", 1)[0]
        at = now - timedelta(hours=hours)
        return TurnEvent(at, conversation, channel, said, 700, TurnFacts.from_raw(facts))

    record_turns(
        site.sessions,
        site.settings.secret_key.get_secret_value(),
        [
            turn("web-a", "lệ phí khai sinh", procedure="1.000001", answered=True, confidence=0.99),
            turn("web-a", '/feedback{"rating":"up"}', feedback="up"),
            turn("telegram-b", "giấy chứng sinh mất thì sao", answered=False, confidence=0.5),
            turn("telegram-b", "Giấy chứng sinh mất thì sao?", answered=False, confidence=0.5),
            turn("zalo-c", "=HYPERLINK(1) cưới", procedure="1.000002", answered=True,
                 confidence=0.82, language="vi"),
            turn("zalo-c", "2", feedback="down", hours=2),
            turn("web-d", "thủ tục cũ", hours=24 * 12, answered=False),
        ],
    )  # fmt: skip


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(response.text[1:])))


# --- who may see it ---------------------------------------------------------------------------


def test_only_signed_in_staff_see_the_figures_and_only_admins_add_aliases(
    site: StaffSite,
) -> None:
    with gateway(site) as client:
        page = client.get("/staff/analytics", headers=HTML)
        assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")
        assert client.get("/staff/analytics/daily.csv").status_code == 401
        assert client.post("/staff/analytics/alias", data={}).status_code == 401

        signed_in(client, "officer1")
        page = client.get("/staff/analytics", headers=HTML)
        assert page.status_code == 200 and "Người dân hỏi gì" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert "/staff/analytics/alias" not in page.text
        assert 'href="/staff/analytics"' in client.get("/staff/", headers=HTML).text
        refused = client.post(
            "/staff/analytics/alias",
            data={"csrf_token": form_token(page), "procedure": "1.000001", "alias": "x"},
            headers=HTML,
        )
        assert refused.status_code == 403
        assert client.get("/staff/analytics/daily.csv").status_code == 200
        assert client.get("/staff/analytics/nothing.csv").status_code == 404


# --- the page and its tables ------------------------------------------------------------------


def test_the_dashboard_and_every_table_as_csv(site: StaffSite) -> None:
    seed(site)
    with gateway(site) as client:
        signed_in(client, "officer1")
        page = client.get("/staff/analytics", headers=HTML).text
        assert "7 ngày qua" in page and 'aria-current="page">7 ngày qua' in page
        # 6 turns this week in 3 conversations; 4 questions, 2 answered; 1 rating of 2 up
        assert re.search(r'class="figure">6<', page)
        assert "50,0 %" in page and "chưa đạt" in page
        assert "Đăng ký khai sinh" in page  # the top procedure by its name
        assert "giấy chứng sinh mất thì sao" in page.lower()
        assert "thủ tục cũ" not in page  # 12 days ago
        assert "thủ tục cũ" in client.get("/staff/analytics?days=30", headers=HTML).text
        assert "<script>" not in page  # figures for the charts travel as JSON only
        found = re.search(
            r'<script type="application/json" id="analytics-data">(.*?)</script>', page
        )
        assert found is not None
        charts = json.loads(found.group(1))
        assert [s["key"] for s in charts["daily"]["series"]] == ["web", "telegram", "zalo"]
        assert sum(sum(s["values"]) for s in charts["daily"]["series"]) == 6
        assert charts["satisfaction"]["target"] == 95.0

        tables = {
            name: read_csv(client.get(f"/staff/analytics/{name}.csv")) for name in TABLE_NAMES
        }
        daily = tables["daily"]
        assert daily[0] == ["Ngày", "Trang web", "Telegram", "Zalo", "Tổng"]
        assert len(daily) == 1 + 7 and sum(int(row[-1]) for row in daily[1:]) == 6
        assert tables["procedures"][1] == ["1.000001", "Đăng ký khai sinh", "1", "100.0"]
        queue = tables["queue"]
        assert queue[1][0].lower() == "giấy chứng sinh mất thì sao"
        assert queue[1][2:5] == ["2", "2", "2"]
        # a cell a spreadsheet would run as a formula is written as text
        assert queue[2][0] == "'=HYPERLINK(***) cưới"
        assert tables["satisfaction"][1][1:4] == ["2", "1", "50.0"]
        assert {row[0] for row in tables["channels"][1:]} == {"Trang web", "Telegram", "Zalo"}
        assert tables["handoffs"] == [tables["handoffs"][0]]  # no handoffs: the header alone
        month = read_csv(client.get("/staff/analytics/daily.csv?days=30"))
        assert len(month) == 1 + 30 and sum(int(row[-1]) for row in month[1:]) == 7
        download = client.get("/staff/analytics/queue.csv?days=30")
        assert 'filename="thong-ke-queue-30-ngay-' in download.headers["content-disposition"]
        assert download.headers["cache-control"] == "no-store"


def test_the_chart_library_is_served_from_the_gateway(site: StaffSite) -> None:
    with gateway(site) as client:
        library = client.get("/staff/static/chart.umd.min.js")
        assert library.status_code == 200
        assert library.headers["content-type"].startswith("text/javascript")
        assert client.get("/staff/static/analytics.js").status_code == 200
        assert client.get("/staff/static/vendor").status_code == 404
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["chart.js"]
    assert f"Chart.js v{pinned}\n" in VENDORED.read_text(encoding="utf-8")[:200]
    assert "Released under the MIT License" in VENDORED.read_text(encoding="utf-8")[:200]


@pytest.mark.skipif(not NPM_COPY.exists(), reason="chart.js not installed (npm ci)")
def test_the_vendored_chart_library_is_the_one_npm_installed() -> None:
    assert VENDORED.read_bytes() == NPM_COPY.read_bytes()


# --- turns recorded through the gateway ---------------------------------------------------------


def test_a_conversation_leaves_no_personal_data_in_the_turns_or_the_logs(
    site: StaffSite, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = "b7e1c2d3-4f5a-4b6c-8d9e-0a1b2c3d4e5f"
    caplog.set_level(logging.DEBUG)
    with gateway(site) as client:
        chat(client, conversation, text=f"Tôi là {NAME}, số điện thoại {PHONE}, hỏi khai sinh")
        chat(client, conversation, text=f"CCCD của tôi là {ID_NUMBER}")
        chat(client, conversation, text="tra cứu hồ sơ")
        chat(client, conversation, text=RECORD)
        chat(client, conversation, text="5678")
        chat(client, conversation, text=f"hồ sơ {RECORD}, số {PHONE}")
        chat(client, conversation, payload='/feedback{"rating":"up"}')
        flush(client)
        signed_in(client, "admin1")
        shown = [client.get("/staff/analytics", headers=HTML).text] + [
            client.get(f"/staff/analytics/{name}.csv").text for name in TABLE_NAMES
        ]
    rows = site.rows("SELECT * FROM turns ORDER BY id")
    assert len(rows) == 7 and {row.channel for row in rows} == {"web"}
    stored = "\n".join(repr(tuple(row)) for row in rows)
    everywhere = {"turns": stored, "logs": caplog.text, "dashboard": "\n".join(shown)}
    for where, found in everywhere.items():
        for secret in (*SECRETS, conversation, "5678"):
            assert secret not in found, (where, secret)
    # no digit of what the citizen typed is kept at all
    assert all(not re.search(r"\d", row.question or "") for row in rows)
    assert rows[-1].question is None  # a button's payload is not a question


def test_the_bots_facts_are_recorded_and_never_shown(site: StaffSite) -> None:
    upstream = Upstream(site.settings.internal_token("rasa"))
    upstream.rasa_raw = [
        {"text": "Lệ phí đăng ký khai sinh: miễn."},
        {"custom": {"links": [{"title": "Cổng Dịch vụ công", "url": "https://dichvucong.gov.vn/p/1"}]}},
        {"custom": {"turn": {"intent": "ask_fee", "confidence": 0.42, "language": "vi"}}},
        {"custom": {"turn": {"procedure": "1.000001", "answered": True, "confidence": None}}},
    ]  # fmt: skip
    with gateway(site, upstream) as client:
        answer = chat(client, "a1b2c3d4-0000-4000-8000-000000000001", text="lệ phí khai sinh")
        flush(client)
    assert answer.json()["messages"] == [
        {
            "text": "Lệ phí đăng ký khai sinh: miễn.",
            "buttons": [],
            "image": None,
            "links": [{"title": "Cổng Dịch vụ công", "url": "https://dichvucong.gov.vn/p/1"}],
        }
    ]
    (row,) = site.rows("SELECT * FROM turns")
    assert (row.intent, row.confidence, row.procedure_code, bool(row.answered)) == (
        "ask_fee",
        0.42,
        "1.000001",
        True,
    )
    assert (row.language, row.question, row.channel) == ("vi", "lệ phí khai sinh", "web")
    assert row.latency_ms >= 0 and not row.handed_off


def test_a_recording_that_fails_never_reaches_the_citizen(
    site: StaffSite, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenSink:
        def record(self, event: TurnEvent) -> None:
            raise RuntimeError("full")

    with gateway(site) as client:
        site.execute("DROP TABLE turns")
        with caplog.at_level(logging.WARNING):
            assert chat(client, "c0ffee00-0000-4000-8000-000000000002", text="xin chào")
            flush(client)
        assert "turns not recorded" in caplog.text
        client.app.state.rasa.with_recorder(BrokenSink())  # type: ignore[attr-defined]
        assert chat(client, "c0ffee00-0000-4000-8000-000000000002", text="lệ phí")
        assert "a turn was not recorded (RuntimeError)" in caplog.text


# --- the work queue: a question added as an alias ---------------------------------------------


def _alias_form(client: TestClient, alias: str, procedure: str = "1.000002") -> httpx.Response:
    page = client.get("/staff/analytics", headers=HTML)
    data = {
        "csrf_token": form_token(page),
        "alias": alias,
        "procedure": procedure,
        "language": "vi",
        "days": "7",
    }
    return client.post("/staff/analytics/alias", data=data, headers=HTML)


def test_an_admin_adds_a_missed_question_as_an_alias_through_a_release(site: StaffSite) -> None:
    seed(site)
    with gateway(site) as client:
        signed_in(client, "admin1")
        page = client.get("/staff/analytics", headers=HTML).text
        assert 'action="/staff/analytics/alias"' in page
        assert 'name="procedure" value="1.000002"' in page  # suggested from the turns

        staged = _alias_form(client, "  giấy chứng sinh   mất thì sao ")
        assert staged.status_code == 303
        assert re.fullmatch(r"/staff/catalogue/releases/\d+", staged.headers["location"])
        report = client.get(staged.headers["location"], headers=HTML).text
        assert "không có lỗi" in report and "giấy chứng sinh mất thì sao" in report
        assert site.scalar("SELECT state FROM catalogue_releases") == "staged"
        assert site.scalar("SELECT version FROM catalogue_live") is None  # not published
        assert site.rows("SELECT actor, action FROM audit_log WHERE action LIKE 'catalogue%'") == [
            ("admin1", "catalogue_stage")
        ]

        for alias, procedure, problem in [
            ("giấy chứng sinh ***", "1.000002", "còn phần bị che"),
            ("   ", "1.000002", "Chưa có câu"),
            ("giấy chứng sinh", "9.999999", "Không có thủ tục"),
            ("CƯỚI", "1.000002", "đã có cách gọi khác này"),
            ("x" * 201, "1.000002", "dài quá"),
        ]:
            refused = _alias_form(client, alias, procedure)
            assert refused.status_code == 303
            assert refused.headers["location"].startswith("/staff/analytics?days=7&error=")
            assert problem in client.get(refused.headers["location"], headers=HTML).text
        assert site.scalar("SELECT count(*) FROM catalogue_releases") == 1

        forged = client.post(
            "/staff/analytics/alias",
            data={"alias": "giấy chứng sinh", "procedure": "1.000002"},
            headers=HTML,
        )
        assert forged.status_code == 403
