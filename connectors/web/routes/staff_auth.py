"""Signing in and out of the staff pages, and their home page.

``GET/POST /staff/login`` (the one staff page open to anyone), ``POST /staff/logout`` and
``GET /staff/`` (links to the pages a signed-in officer may open). Wrong username, wrong
password and a disabled account get one answer; a username locked after repeated failures
gets another, whether or not an account has that name, and an address locked after repeated
failures with any usernames a third (``store/signin.py``).
"""

from __future__ import annotations

import asyncio
import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from connectors.web.auth import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    StaffDep,
    check_login_form_token,
    current_session,
    login_form_token,
    safe_next,
    set_staff_cookie,
    staff_sessions,
)
from connectors.web.deps import ClientAddressDep, SettingsDep
from connectors.web.pages import staff_page
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.settings import Settings
from store.signin import LockScope, SignInOutcome, StaffSignIn

router = APIRouter(
    prefix="/staff", tags=["staff"], include_in_schema=False, route_class=StrictJsonRoute
)


def _login_page(
    request: Request,
    settings: Settings,
    next_path: str,
    *,
    error: str | None = None,
    retry_minutes: int | None = None,
    status_code: int = 200,
    username: str = "",
) -> Response:
    token, fresh_nonce = login_form_token(request, settings)
    context = {
        "login_token": token,
        "next_path": safe_next(next_path),
        "error": error,
        "retry_minutes": retry_minutes,
        "username": username[:64],
    }
    headers = {"Retry-After": str(retry_minutes * 60)} if retry_minutes else None
    response = staff_page(
        request, "staff/login.html", context, status_code=status_code, headers=headers
    )
    if fresh_nonce is not None:
        set_staff_cookie(response, request, settings, LOGIN_COOKIE, fresh_nonce)
    return response


@router.get("/login")
async def login_page(
    request: Request,
    settings: SettingsDep,
    next_path: Annotated[str, Query(alias="next")] = "",
) -> Response:
    if await current_session(request) is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _login_page(request, settings, next_path)


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    client: ClientAddressDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    check_login_form_token(request, settings, csrf_token)
    sign_in = StaffSignIn(staff_sessions(request), settings)
    result = await asyncio.to_thread(sign_in.sign_in, username, password, client=client)
    if result.outcome is SignInOutcome.LOCKED:
        minutes = max(1, math.ceil((result.retry_after_seconds or 60) / 60))
        by_address = result.locked_by is LockScope.ADDRESS
        return _login_page(
            request,
            settings,
            next_path,
            error="address_locked" if by_address else "locked",
            retry_minutes=minutes,
            status_code=429,
            username=username,
        )
    if result.outcome is SignInOutcome.REFUSED or result.token is None:
        return _login_page(
            request, settings, next_path, error="refused", status_code=401, username=username
        )
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a new sign-in on this browser ends the session it had
        await asyncio.to_thread(sign_in.sign_out, previous, client=client)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_staff_cookie(response, request, settings, SESSION_COOKIE, result.token)
    set_staff_cookie(response, request, settings, LOGIN_COOKIE, None)
    return response


@router.post("/logout")
async def logout(
    request: Request, user: StaffDep, settings: SettingsDep, client: ClientAddressDep
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    sign_in = StaffSignIn(staff_sessions(request), settings)
    await asyncio.to_thread(sign_in.sign_out, token, client=client)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    set_staff_cookie(response, request, settings, SESSION_COOKIE, None)
    return response


@router.get("/")
async def home(request: Request, user: StaffDep) -> Response:
    return staff_page(request, "staff/home.html")
