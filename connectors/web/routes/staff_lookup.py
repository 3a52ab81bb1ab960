"""The counter staff's procedure lookup, for a signed-in officer.

``GET /staff/lookup`` is one search box; without a script its form's GET shows the results
(and a whole procedure code goes straight to that procedure). ``GET /staff/lookup/results``
answers the same search as an HTML fragment, fetched as the officer types
(``static/staff.js``). ``GET /staff/procedures/{code}`` is a procedure's card and
``GET /staff/procedures/{code}/print`` the checklist handed to a citizen (A4, with the
center's name, its hotline and a QR code of the procedure's page on the national portal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from connectors.web.auth import StaffDep, StaffUser
from connectors.web.deps import KnowledgeDep, SettingsDep
from connectors.web.pages import staff_page
from connectors.web.staff.card import build_card
from connectors.web.staff.lookup import Lookup, LookupKind, look_up, syllables_of
from connectors.web.staff.qr import qr_svg
from knowledge.answers import day_text
from store.status import VN_TZ

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)


def get_now() -> datetime:
    """The moment a page is shown, in Vietnam time: fees in force and due dates depend on it."""
    return datetime.now(VN_TZ)


NowDep = Annotated[datetime, Depends(get_now)]


def _status(found: Lookup) -> int:
    return 422 if found.kind is LookupKind.TOO_LONG else 200


def procedure_path(code: str) -> str:
    return f"/staff/procedures/{code}"


@router.get("/lookup")
def lookup_page(request: Request, user: StaffDep, knowledge: KnowledgeDep, q: str = "") -> Response:
    """The search box, with the results of ``q`` when the form was sent."""
    found = look_up(knowledge, q)
    if found.exact is not None:
        return RedirectResponse(
            procedure_path(found.exact.code), status_code=303, headers={"Cache-Control": "no-store"}
        )
    syllables_of(knowledge.index)  # ready before the first keystroke's search
    context = {"staff_user": user, "lookup": found}
    return staff_page(request, "staff/lookup.html", context, status_code=_status(found))


@router.get("/lookup/results")
def lookup_results(
    request: Request, user: StaffDep, knowledge: KnowledgeDep, q: str = ""
) -> Response:
    """The results of ``q`` as an HTML fragment (``staff/lookup_results.html``)."""
    found = look_up(knowledge, q)
    context = {"staff_user": user, "lookup": found}
    return staff_page(request, "staff/lookup_results.html", context, status_code=_status(found))


def _not_found(request: Request, user: StaffUser, code: str) -> Response:
    context = {"staff_user": user, "code": code}
    return staff_page(request, "staff/procedure_not_found.html", context, status_code=404)


@router.get("/procedures/{code}")
def procedure_card(
    request: Request,
    user: StaffDep,
    knowledge: KnowledgeDep,
    settings: SettingsDep,
    now: NowDep,
    code: str,
) -> Response:
    """A procedure's card: checklist, fees today, due date, where, online, legal basis."""
    if code not in knowledge.catalogue.procedures:
        return _not_found(request, user, code)
    card = build_card(knowledge.catalogue, code, now, settings.province)
    return staff_page(request, "staff/procedure.html", {"staff_user": user, "card": card})


@router.get("/procedures/{code}/print")
def procedure_print(
    request: Request,
    user: StaffDep,
    knowledge: KnowledgeDep,
    settings: SettingsDep,
    now: NowDep,
    code: str,
) -> Response:
    """The checklist a citizen takes home: one A4 page for a typical procedure."""
    if code not in knowledge.catalogue.procedures:
        return _not_found(request, user, code)
    card = build_card(knowledge.catalogue, code, now, settings.province)
    context = {
        "staff_user": user,
        "card": card,
        "qr": qr_svg(card.online_url, f"Mã QR: {card.online_title}, thủ tục {card.code}"),
        "center_name": settings.center_name,
        "hotline": settings.hotline,
        "hotline_hours": settings.hotline_hours("vi"),
        "printed_on": day_text(now.date(), "vi"),
    }
    return staff_page(request, "staff/print.html", context)
