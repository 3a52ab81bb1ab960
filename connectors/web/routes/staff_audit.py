"""The audit log for admins: ``GET /staff/audit``, newest first, a page at a time, read-only.

There is no route that changes or deletes an audit row, here or anywhere (the tests walk the
route table to keep it so), and the database refuses to as well.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from connectors.web.auth import AdminDep, staff_sessions
from connectors.web.pages import local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from store.audit import newest

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
}


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
            "subject": event.subject or "",
            "reason": event.reason or "",
            "client": event.client or "",
        }
        for event in page.events
    ]
    context = {"rows": rows, "older": page.older, "first_page": before is None}
    return staff_page(request, "staff/audit.html", context)
