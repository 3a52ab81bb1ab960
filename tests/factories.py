"""Factories for test objects: small, valid by default, overridable per test."""

from __future__ import annotations

from datetime import date
from typing import Any

from knowledge.catalogue import Catalogue
from knowledge.model import Procedure


def procedure_data(**overrides: Any) -> dict[str, Any]:
    """A minimal valid procedure as plain data (what a YAML file holds)."""
    data: dict[str, Any] = {
        "code": "1.000001",
        "name": "Đăng ký khai sinh",
        "name_en": "Birth registration",
        "summary_en": "Register a newborn's birth.",
        "decision": "163/QĐ-BTP",
        "level": "xa",
        "field": "Hộ tịch",
        "agency": "Ủy ban nhân dân cấp xã",
        "submit_at": "Trung tâm Phục vụ hành chính công cấp xã",
        "applicants": "Công dân Việt Nam",
        "steps": ["Nộp hồ sơ.", "Nhận kết quả."],
        "channels": [{"kind": "truc_tiep"}, {"kind": "truc_tuyen"}],
        "documents": [{"name": "Tờ khai đăng ký khai sinh", "form_code": "TK-KS"}],
        "time": {"unit": "same_day", "cutoff_hour": 15},
        "fees": [{"name": "Lệ phí", "free": True}],
        "result": "Giấy khai sinh",
        "legal_basis": [{"title": "Luật Hộ tịch 2014"}],
        "online_level": "mot_phan",
        "source_url": "https://dichvucong.gov.vn/p/1",
        "verified_on": date(2026, 11, 1).isoformat(),
        "aliases": ["làm giấy khai sinh"],
    }
    data.update(overrides)
    return data


def make_procedure(**overrides: Any) -> Procedure:
    return Procedure.model_validate(procedure_data(**overrides))


def make_catalogue(*procedures: Procedure) -> Catalogue:
    return Catalogue({p.code: p for p in procedures}, {}, "test-hash")


SMALL_CATALOGUE = (
    {"code": "1.000001"},
    {
        "code": "1.000002",
        "name": "Đăng ký kết hôn",
        "name_en": "Marriage registration",
        "summary_en": "Register a marriage at the commune.",
        "aliases": ["làm giấy đăng ký kết hôn", "cưới"],
        "time": {"unit": "working_days", "value": 1},
    },
    {
        "code": "2.000003",
        "name": "Chứng thực bản sao từ bản chính",
        "name_en": "Certified copy from the original",
        "summary_en": "Certify that a copy matches its original.",
        "field": "Chứng thực",
        "aliases": ["công chứng giấy tờ", "sao y bản chính"],
        "fees": [
            {
                "name": "Phí chứng thực bản sao",
                "unit": "per_page",
                "page_tiers": [{"from_page": 1, "amount": 2000}, {"from_page": 3, "amount": 1000}],
                "cap": 200000,
            }
        ],
    },
    {
        "code": "1.000004",
        "name": "Đăng ký thường trú",
        "name_en": "Permanent residence registration",
        "summary_en": "Register a permanent address.",
        "field": "Cư trú",
        "aliases": ["nhập hộ khẩu"],
        "time": {"unit": "working_days", "value": 7},
        "fees": [
            {"name": "Lệ phí", "amount": 20000, "channels": ["truc_tiep"]},
            {"name": "Lệ phí", "amount": 10000, "channels": ["truc_tuyen"]},
        ],
    },
    {
        "code": "1.000005",
        "name": "Cấp giấy xác nhận tình trạng hôn nhân",
        "name_en": "Certificate of marital status",
        "summary_en": "Certify whether a person is single or married.",
        "aliases": ["giấy xác nhận độc thân"],
        "time": {"unit": "working_days", "value": 3},
        "fees": [{"name": "Lệ phí", "set_by_province": True}],
    },
)


def small_catalogue() -> Catalogue:
    return make_catalogue(*(make_procedure(**row) for row in SMALL_CATALOGUE))


def make_tracker(
    text: str = "",
    *,
    intent: str = "ask_procedure",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender_id: str = "conversation-1",
    history: list[str | tuple[str, str]] | None = None,
    actions: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """A rasa-sdk Tracker as Rasa 3.6 would send it for the latest user message ``text``."""
    from rasa_sdk import Tracker

    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
    for name in actions or []:
        events.append({"event": "action", "name": name})
        events.append({"event": "action", "name": "action_listen"})
    for previous in history or []:
        # a text, or (text, intent) as the NLU classified it
        said, said_intent = previous if isinstance(previous, tuple) else (previous, None)
        parse = {"intent": {"name": said_intent, "confidence": 0.95}} if said_intent else {}
        events.append({"event": "user", "text": said, "parse_data": parse})
    events.append({"event": "user", "text": text, "parse_data": latest})
    return Tracker(sender_id, dict(slots or {}), latest, events, False, None, {}, "action_listen")
