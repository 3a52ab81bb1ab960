"""The audit log for admins: ``GET /staff/audit``, newest first, a page at a time, read-only.

There is no route that changes or deletes an audit row, here or anywhere (the tests walk the
route table to keep it so), and the database refuses to as well. A record is shown by its
masked code (``…-0001``), looked up by the row id the log holds (``store/audit.py``).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from connectors.web.auth import AdminDep, staff_sessions
from connectors.web.pages import local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from store.audit import AuditEvent, newest, subject_record_id
from store.catalogue_releases import release_label, release_of_subject

router = APIRouter(
    prefix="/staff", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)

PAGE_SIZE = 50
ACTIONS = {
    "sign_in": "Đăng nhập",
    "sign_in_failed": "Đăng nhập không thành công",
    "sign_out": "Đăng xuất",
    "record_view": "Xem hồ sơ",
    "record_not_found": "Tra mã hồ sơ không có",
    "user_create": "Tạo tài khoản",
    "user_disable": "Khoá tài khoản",
    "user_reset_password": "Đặt lại mật khẩu",
    "catalogue_stage": "Tải lên danh mục thủ tục",
    "catalogue_publish": "Xuất bản danh mục thủ tục",
    "catalogue_rollback": "Quay lại danh mục trước",
    "handoff_claim": "Nhận cuộc trò chuyện của người dân",
    "handoff_reply": "Trả lời người dân",
    "handoff_return": "Trả cuộc trò chuyện cho trợ lý ảo",
    "handoff_close": "Đóng cuộc trò chuyện",
}


def _subject(event: AuditEvent) -> str:
    """What a row was about, as an admin reads it: a record by its masked code and row id
    (the last 4 characters alone are shared by many records), a code that matched no record
    by its masked code, anything else as logged."""
    is_release, release_id = release_of_subject(event.subject)
    if is_release:
        return f"Danh mục thủ tục, {release_label(release_id)}"
    record_id = subject_record_id(event.subject)
    if record_id is not None:
        if event.record is None:
            return f"Hồ sơ số {record_id} (không còn trong hệ thống)"
        return f"Hồ sơ {event.record} (số {record_id})"
    if event.record is not None:
        return f"Mã {event.record}"
    return event.subject or ""


@router.get("/audit")
async def audit_log(
    request: Request,
    user: AdminDep,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    page = await asyncio.to_thread(newest, staff_sessions(request), before=before, limit=PAGE_SIZE)
    rows = [
        {
            "at": local_time(event.at),
            "actor": event.actor,
            "action": ACTIONS.get(event.action, event.action),
            "subject": _subject(event),
            "reason": event.reason or "",
            "client": event.client or "",
        }
        for event in page.events
    ]
    context = {"rows": rows, "older": page.older, "first_page": before is None}
    return staff_page(request, "staff/audit.html", context)
