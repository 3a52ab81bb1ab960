"""The staff inbox: conversations citizens handed to the ward's staff.

``GET /staff/inbox`` lists those waiting (with how long), claimed (by whom) and the questions
left outside office hours; ``GET /staff/inbox/{id}`` shows one with its transcript (record
codes and personal numbers masked when stored) and, to the officer who claimed it, the reply
form, one-click procedure cards and checklists from the catalogue, and the buttons to hand
it back to the bot or close it. Every POST carries the session's anti-forgery token
(checked by ``require_staff``); every step is in the audit log (``store/handoff.py``).

The pages work without JavaScript; ``staff-inbox.js`` refreshes the list and the transcript
(``/staff/inbox/list``, ``/staff/inbox/{id}/messages``) every few seconds.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from connectors.handoff.desk import HandoffDesk, Outcome
from connectors.web.auth import StaffDep, StaffUser
from connectors.web.deps import ClientAddressDep
from connectors.web.pages import STAFF_HEADERS, local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.errors import FeedbackInvalid
from helpdesk.language import Lang
from knowledge.answers import Topic, render
from knowledge.service import Knowledge
from store.handoff import LiveMessage, LiveView, get_live, live_inbox, live_messages
from store.personal import mask_personal_numbers
from store.status import utc_now

router = APIRouter(
    prefix="/staff/inbox", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)

STATES = {
    "asking": "Đang ghi câu hỏi",
    "waiting": "Đang chờ",
    "pending": "Câu hỏi ngoài giờ",
    "claimed": "Đã nhận",
    "returned": "Đã trả cho trợ lý ảo",
    "closed": "Đã đóng",
}
CHANNELS = {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo", "messenger": "Messenger"}
AUTHORS = {"citizen": "Người dân", "bot": "Trợ lý ảo", "staff": "Cán bộ", "system": "Thông báo"}
PROBLEMS = {
    "missing": "Không có cuộc trò chuyện này.",
    "taken": "Cuộc trò chuyện đã có cán bộ khác nhận hoặc đã kết thúc.",
    "bot": "Chưa liên lạc được với trợ lý ảo để tạm dừng/tiếp tục; vui lòng thử lại.",
    "not_yours": "Chỉ cán bộ đã nhận cuộc trò chuyện mới trả lời được.",
    "ended": "Cuộc trò chuyện đã kết thúc.",
    "empty": "Nội dung trả lời đang trống.",
    "no_procedure": "Không tìm thấy thủ tục có mã này trong danh mục.",
    "undelivered": (
        "Đã lưu, nhưng chưa gửi được tới kênh của người dân; hệ thống sẽ tự gửi lại trong vài phút."
    ),
}
_CODE = re.compile(r"^[0-9A-Za-z.\-]{1,16}$")
_EMAIL = re.compile(r"^([^@\s]{1,2})[^@\s]*(@.+)$")
MAX_REPLY_CHARS = 4000


def _desk(request: Request) -> HandoffDesk:
    desk: HandoffDesk = request.app.state.handoff
    return desk


def _knowledge(request: Request) -> Knowledge | None:
    return getattr(request.app.state, "knowledge", None)


def mask_contact(contact: str | None) -> str | None:
    """A contact as the list shows it: a phone number's last 3 digits, an e-mail's first
    characters and domain (the conversation's own page shows it whole)."""
    if not contact:
        return None
    email = _EMAIL.match(contact)
    if email:
        return email.group(1) + "…" + email.group(2)
    digits = [c for c in contact if c.isdigit()]
    if len(digits) >= 6:
        return "…" + "".join(digits[-3:])
    return mask_personal_numbers(contact)


def _minutes(view: LiveView, now: datetime) -> int:
    return max(0, int(view.waited(now).total_seconds() // 60))


def _procedure(request: Request, code: str | None) -> str | None:
    knowledge = _knowledge(request)
    if knowledge is None or code is None:
        return None
    procedure = knowledge.catalogue.procedures.get(code)
    return procedure.name if procedure is not None else None


def _item(request: Request, view: LiveView, now: datetime) -> dict[str, Any]:
    return {
        "id": view.id,
        "state": view.state,
        "state_label": STATES.get(view.state, view.state),
        "channel": CHANNELS.get(view.channel, view.channel),
        "procedure_code": view.procedure_code,
        "procedure_name": _procedure(request, view.procedure_code),
        "created_at": local_time(view.created_at),
        "waited": _minutes(view, now),
        "claimed_by": view.claimed_by,
        "after_hours": view.after_hours,
        "question": view.question,
        "contact": mask_contact(view.contact),
    }


def _message(message: LiveMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "who": AUTHORS.get(message.author, message.author)
        + (f" {message.staff}" if message.staff else ""),
        "kind": message.kind,
        "text": message.text,
        "at": local_time(message.at),
    }


def _back(handoff_id: int, problem: str | None = None) -> RedirectResponse:
    where = f"/staff/inbox/{handoff_id}" + (f"?problem={problem}" if problem else "")
    return RedirectResponse(where, status_code=303, headers={"Cache-Control": "no-store"})


def _after(handoff_id: int, outcome: Outcome) -> RedirectResponse:
    if not outcome.done:
        return _back(handoff_id, outcome.problem)
    return _back(handoff_id, None if outcome.delivered else "undelivered")


async def _list(request: Request) -> list[dict[str, Any]]:
    views = await asyncio.to_thread(live_inbox, _desk(request).sessions)
    now = utc_now()
    return [_item(request, view, now) for view in views]


@router.get("")
async def inbox(request: Request, user: StaffDep) -> Response:
    return staff_page(request, "staff/inbox.html", {"items": await _list(request)})


@router.get("/list")
async def inbox_list(request: Request, user: StaffDep) -> Response:
    """The list alone, for the page's refresh."""
    return staff_page(request, "staff/inbox_list.html", {"items": await _list(request)})


@router.get("/{handoff_id}")
async def conversation(
    request: Request,
    user: StaffDep,
    handoff_id: int,
    problem: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    sessions = _desk(request).sessions
    view = await asyncio.to_thread(get_live, sessions, handoff_id)
    if view is None:
        missing = {"items": [], "missing": True}
        return staff_page(request, "staff/inbox.html", missing, status_code=404)
    messages = await asyncio.to_thread(live_messages, sessions, handoff_id)
    mine = view.state == "claimed" and view.claimed_by == user.username
    return staff_page(
        request,
        "staff/conversation.html",
        {
            "item": _item(request, view, utc_now()),
            "contact": view.contact,
            "messages": [_message(m) for m in messages],
            "last_id": messages[-1].id if messages else 0,
            "can_claim": view.state in ("waiting", "pending"),
            "mine": mine,
            "active": view.active,
            "problem": PROBLEMS.get(problem or ""),
            "max_reply": MAX_REPLY_CHARS,
        },
    )


@router.get("/{handoff_id}/messages")
async def conversation_messages(
    request: Request,
    user: StaffDep,
    handoff_id: int,
    after: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """The state and the messages after ``after``, for the page's refresh."""
    sessions = _desk(request).sessions
    view = await asyncio.to_thread(get_live, sessions, handoff_id)
    if view is None:
        return JSONResponse({"error": "missing"}, status_code=404, headers=STAFF_HEADERS)
    messages = await asyncio.to_thread(live_messages, sessions, handoff_id)
    return JSONResponse(
        {
            "state": view.state,
            "claimed_by": view.claimed_by,
            "messages": [_message(m) for m in messages if m.id > after],
        },
        headers=STAFF_HEADERS,
    )


@router.post("/{handoff_id}/claim")
async def claim(
    request: Request, user: StaffDep, client: ClientAddressDep, handoff_id: int
) -> Response:
    outcome = await _desk(request).claim(handoff_id, user.username, client)
    return _after(handoff_id, outcome)


async def _reply(
    request: Request, user: StaffUser, client: str, handoff_id: int, text: str
) -> Response:
    if not text.strip():
        return _back(handoff_id, "empty")
    try:
        outcome, _ = await _desk(request).reply(
            handoff_id, user.username, text[:MAX_REPLY_CHARS], client
        )
    except FeedbackInvalid:
        return _back(handoff_id, "empty")
    return _after(handoff_id, outcome)


@router.post("/{handoff_id}/reply")
async def reply(
    request: Request,
    user: StaffDep,
    client: ClientAddressDep,
    handoff_id: int,
    text: Annotated[str, Form()] = "",
) -> Response:
    return await _reply(request, user, client, handoff_id, text)


@router.post("/{handoff_id}/card")
async def card(
    request: Request,
    user: StaffDep,
    client: ClientAddressDep,
    handoff_id: int,
    code: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "card",
) -> Response:
    """A procedure's card (overview) or checklist (documents) from the catalogue, sent as a
    reply in the citizen's language."""
    knowledge = _knowledge(request)
    code = code.strip()
    view = await asyncio.to_thread(get_live, _desk(request).sessions, handoff_id)
    if knowledge is None or view is None or not _CODE.match(code):
        return _back(handoff_id, "no_procedure")
    try:
        procedure = knowledge.catalogue.get(code, request.app.state.settings.province)
    except Exception:
        return _back(handoff_id, "no_procedure")
    topic = Topic.DOCUMENTS if kind == "checklist" else Topic.OVERVIEW
    lang: Lang = "en" if view.language == "en" else "vi"
    answer = render(topic, procedure, lang, now=utc_now())
    return await _reply(request, user, client, handoff_id, answer.text)


@router.post("/{handoff_id}/return")
async def hand_back(
    request: Request, user: StaffDep, client: ClientAddressDep, handoff_id: int
) -> Response:
    outcome = await _desk(request).end(handoff_id, "returned", user.username, client)
    return _after(handoff_id, outcome)


@router.post("/{handoff_id}/close")
async def close(
    request: Request, user: StaffDep, client: ClientAddressDep, handoff_id: int
) -> Response:
    outcome = await _desk(request).end(handoff_id, "closed", user.username, client)
    return _after(handoff_id, outcome)
