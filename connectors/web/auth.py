"""Who is signed in on the staff pages: the dependencies every staff and admin route takes.

``require_staff`` gives the signed-in :class:`StaffUser` (role ``staff`` or ``admin``);
``require_admin`` only an admin. Anonymous HTML requests are sent to the sign-in page, other
requests are answered 401 (403 for a signed-in staff member on an admin route).

Sessions live in the record store (``store/staff_sessions.py``), shared by every replica; the
browser holds only a random token in the cookie :data:`SESSION_COOKIE`: ``HttpOnly``,
``SameSite=Strict``, ``Path=/staff``, no ``Max-Age`` (it ends with the browser; the server
ends it sooner, see the ``staff_session_*`` settings), and ``Secure`` except in the
``development`` and ``test`` environments on plain http. In production it is always Secure: a
staff page behind a proxy that speaks plain http to the browser does not keep anyone signed in,
by design.

Forgery: every request that is not GET, HEAD or OPTIONS through ``require_staff`` must carry
the session's anti-forgery token, in the form field :data:`CSRF_FIELD` or the header
:data:`CSRF_HEADER`; it is an HMAC of the session under the install's secret (a synchronizer
token: one per session, nothing more to store). The sign-in form, sent before there is a
session, carries an HMAC of a random nonce that the browser holds in the cookie
:data:`LOGIN_COOKIE` (``Path=/staff/login``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.errors import CsrfRejected, SignInRequired, StaffForbidden
from helpdesk.settings import Settings
from store.db import make_session_factory
from store.staff_sessions import TOKEN_PATTERN, ActiveSession, SessionLimits, resume, token_hash
from store.vocabulary import StaffRole

Role = Literal["staff", "admin"]

STAFF_PREFIX = "/staff"
HOME_PATH = "/staff/"
LOGIN_PATH = "/staff/login"
SESSION_COOKIE = "helpdesk_staff"
LOGIN_COOKIE = "helpdesk_staff_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_COOKIE_MAX_AGE = 2 * 3600
STAFF_COOKIES: dict[str, tuple[str, int | None]] = {
    SESSION_COOKIE: (STAFF_PREFIX, None),  # no Max-Age: it ends with the browser
    LOGIN_COOKIE: (LOGIN_PATH, LOGIN_COOKIE_MAX_AGE),
}
"""Each staff cookie's path and ``Max-Age``."""
_NEXT_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    username: str
    role: Role


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def staff_sessions(request: Request) -> sessionmaker[Session]:
    """Sessions on the gateway's record store (the engine made in the app's lifespan)."""
    engine: Engine = request.app.state.db_engine
    return make_session_factory(engine)


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether the staff cookies are ``Secure``: always, but on plain http in development
    and test (a local run and the tests have no TLS)."""
    return settings.environment == "production" or request.url.scheme == "https"


def _mac(settings: Settings, purpose: str, value: str) -> str:
    key = settings.secret_key.get_secret_value().encode("utf-8")
    return hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def session_csrf_token(settings: Settings, session_token: str) -> str:
    """The anti-forgery token of a session: the same for every form of that session."""
    return _mac(settings, "staff-csrf-v1", token_hash(session_token))


def set_staff_cookie(
    response: Response, request: Request, settings: Settings, name: str, value: str | None
) -> None:
    """Set :data:`SESSION_COOKIE` or :data:`LOGIN_COOKIE` to ``value``, or clear it (None).

    Both are ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` as :func:`secure_cookies` says;
    each has its own path and lifetime (:data:`STAFF_COOKIES`). Clearing sends the same
    cookie empty and already expired.

    Raises:
        KeyError: A cookie that is not one of the staff cookies.
    """
    path, max_age = STAFF_COOKIES[name]
    response.set_cookie(
        name,
        "" if value is None else value,
        max_age=0 if value is None else max_age,
        expires=0 if value is None else None,
        path=path,
        secure=secure_cookies(request, settings),
        httponly=True,
        samesite="strict",
    )


def login_form_token(request: Request, settings: Settings) -> tuple[str, str | None]:
    """The sign-in form's anti-forgery token, and a new nonce to set in :data:`LOGIN_COOKIE`
    (None when the browser's nonce is kept)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = None
    if not TOKEN_PATTERN.match(nonce):
        nonce = fresh = secrets.token_urlsafe(32)
    return _mac(settings, "staff-login-csrf-v1", nonce), fresh


def check_login_form_token(request: Request, settings: Settings, submitted: str) -> None:
    """Refuse a sign-in form whose token does not match the browser's nonce.

    Raises:
        CsrfRejected: No nonce cookie, no token, or a token made for another nonce.
    """
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not TOKEN_PATTERN.match(nonce) or not submitted:
        raise CsrfRejected("the sign-in form has no anti-forgery token; reload the page")
    expected = _mac(settings, "staff-login-csrf-v1", nonce)
    if not hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace")):
        raise CsrfRejected("the sign-in form's anti-forgery token is wrong; reload the page")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: ``value`` if it is a staff page of this site, else home.

    Only local paths under ``/staff`` pass (no scheme, no host, no ``//``, no backslash, no
    ``..``, no control characters), and never the sign-in page itself.
    """
    if not value or len(value) > _NEXT_MAX_CHARS:
        return HOME_PATH
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in value):
        return HOME_PATH
    parts = urlsplit(value)
    path = parts.path
    if parts.scheme or parts.netloc or path.startswith("//") or ".." in path.split("/"):
        return HOME_PATH
    if not (path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")):
        return HOME_PATH
    if path.rstrip("/") == LOGIN_PATH:
        return HOME_PATH
    return value


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not a script asking for data)."""
    return "text/html" in request.headers.get("accept", "")


def _sign_in_location(request: Request) -> str | None:
    """The sign-in page to send an anonymous browser to, or None to answer 401."""
    if request.method not in {"GET", "HEAD"} or not wants_html(request):
        return None
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN_PATH}?{urlencode({'next': safe_next(here)})}"


async def _check_csrf(request: Request, settings: Settings, session_token: str) -> None:
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        submitted = field if isinstance(field, str) else None
    if not submitted:
        raise CsrfRejected(
            f"the form has no anti-forgery token ({CSRF_FIELD}); reload the page and try again"
        )
    expected = session_csrf_token(settings, session_token)
    if not hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace")):
        raise CsrfRejected(
            "the form's anti-forgery token does not belong to this session; "
            "reload the page and try again"
        )


async def current_session(request: Request) -> ActiveSession | None:
    """The valid staff session of the request's cookie, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    limits = SessionLimits.from_settings(_settings(request))
    return await asyncio.to_thread(resume, staff_sessions(request), token, limits)


async def require_staff(request: Request) -> StaffUser:
    active = await current_session(request)
    if active is None:
        raise SignInRequired(_sign_in_location(request))
    settings = _settings(request)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, settings, active.token)
    account = active.account
    role: Role = "admin" if account.role is StaffRole.ADMIN else "staff"
    user = StaffUser(account.id, account.username, role)
    request.state.staff_user = user
    request.state.csrf_token = session_csrf_token(settings, active.token)
    return user


async def require_admin(user: Annotated[StaffUser, Depends(require_staff)]) -> StaffUser:
    if user.role != "admin":
        raise StaffForbidden("only an admin may open this page")
    return user


StaffDep = Annotated[StaffUser, Depends(require_staff)]
AdminDep = Annotated[StaffUser, Depends(require_admin)]
