"""A record's full history for a signed-in officer: ``GET /staff/records`` (the form) and
``POST /staff/records`` (the result).

No second factor is asked, but a reason is, and every access goes to the audit log with who,
when, which code, why and from where (``store/record_history.py``). The lookup is a POST with
the session's anti-forgery token, so no other site can make a signed-in browser open a record
(and write an audit row in the officer's name).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from connectors.web.auth import StaffDep, staff_sessions
from connectors.web.deps import ClientAddressDep
from connectors.web.pages import local_time, staff_page
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.errors import AccessReasonMissing, RecordCodeDefect, RecordCodeInvalid
from helpdesk.messages import text
from knowledge.service import Knowledge
from store.record_history import (
    REASON_MAX_CHARS,
    REASON_MIN_CHARS,
    RecordHistory,
    open_for_staff,
)

router = APIRouter(
    prefix="/staff", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)

CHANNELS = {"in_person": "Trực tiếp", "online": "Trực tuyến", "postal": "Qua bưu chính"}
_INPUT_CHARS = 400


def _procedure_name(request: Request, code: str) -> str | None:
    knowledge: Knowledge | None = getattr(request.app.state, "knowledge", None)
    if knowledge is None:
        return None
    procedure = knowledge.catalogue.procedures.get(code)
    return procedure.name if procedure is not None else None


def history_view(request: Request, history: RecordHistory) -> dict[str, Any]:
    """What the result page shows, worded (status words from the message catalogue)."""
    return {
        "code": history.code,
        "procedure_code": history.procedure_code,
        "procedure_name": _procedure_name(request, history.procedure_code),
        "receiving_commune": history.receiving_commune,
        "receiving_unit_code": history.receiving_unit_code,
        "channel": CHANNELS.get(history.channel.value, history.channel.value),
        "status": text(f"record.status.{history.status.value}.label", "vi"),
        "deadline": text(f"record.deadline.{history.deadline.value}", "vi")
        if history.deadline
        else None,
        "overdue": history.deadline is not None and history.deadline.value == "overdue",
        "received_at": local_time(history.received_at),
        "due_at": local_time(history.due_at),
        "finished_at": local_time(history.finished_at),
        "missing_documents": history.missing_documents,
        "result_delivery": text(f"record.delivery.{history.result_delivery.value}", "vi")
        if history.result_delivery
        else None,
        "collect_at": history.collect_at,
        "updated_at": local_time(history.updated_at),
        "steps": [
            {
                "status": text(f"record.status.{step.status.value}.label", "vi"),
                "at": local_time(step.at),
                "note": step.note,
            }
            for step in reversed(history.steps)
        ],
    }


def _form(request: Request, status_code: int = 200, **context: Any) -> Response:
    values = {"reason_min": REASON_MIN_CHARS, "reason_max": REASON_MAX_CHARS, **context}
    return staff_page(request, "staff/records.html", values, status_code=status_code)


@router.get("/records")
async def record_form(request: Request, user: StaffDep) -> Response:
    return _form(request)


@router.post("/records")
async def record_lookup(
    request: Request,
    user: StaffDep,
    client: ClientAddressDep,
    code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    code, reason = code[:_INPUT_CHARS], reason[:_INPUT_CHARS]
    try:
        canonical, history = await asyncio.to_thread(
            open_for_staff,
            staff_sessions(request),
            code,
            actor=user.username,
            reason=reason,
            client=client,
        )
    except RecordCodeInvalid as exc:
        problem = RecordCodeDefect.of(exc).text("vi")
        return _form(request, 422, code=code, reason=reason, code_problem=problem)
    except AccessReasonMissing:
        return _form(request, 422, code=code, reason=reason, reason_missing=True)
    if history is None:
        return _form(request, 404, code=code, reason=reason, not_found=canonical)
    # The reason is asked again for the next record: each access has its own.
    return _form(request, code=canonical, record=history_view(request, history))
