"""Staff sign-in: sessions, cookies, anti-forgery tokens, lock-out across replicas, and every
``/staff`` route refusing whoever may not see it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update

from connectors.web.auth import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    require_admin,
    safe_next,
)
from connectors.web.pages import STAFF_CSP
from store import accounts
from store.models import StaffSession
from tests.connectors.staff_site import HTML, PASSWORD, StaffSite, form_token, sign_in, signed_in
from tests.store.conftest import create_pg_database, drop_pg_database


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its cheapest parameters: the same code, without 0.3 s per hash."""
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    site = StaffSite.on(tmp_path)
    site.add_user("lan", "staff")
    site.add_user("admin", "admin")
    try:
        yield site
    finally:
        site.close()


def _cookie(response_headers: list[str], name: str) -> str:
    found = [h for h in response_headers if h.startswith(f"{name}=")]
    assert len(found) == 1, response_headers
    return found[0]


def _error(page: str) -> str:
    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', page, re.S)
    assert found, page
    return found.group(1)


# --- signing in and out ------------------------------------------------------------------------


def test_sign_in_and_out(site: StaffSite) -> None:
    with site.client() as client:
        page = client.get("/staff/login", headers=HTML)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == STAFF_CSP
        assert page.headers["cache-control"] == "no-store"
        assert '<html lang="vi">' in page.text and "Đăng nhập" in page.text

        response = sign_in(client, "Lan")
        assert response.status_code == 303 and response.headers["location"] == "/staff/"
        home = client.get("/staff/", headers=HTML)
        assert home.status_code == 200
        assert "Xin chào, lan" in home.text
        assert 'href="/staff/lookup"' in home.text
        assert 'href="/staff/audit"' not in home.text  # not for staff
        token = form_token(home)

        out = client.post("/staff/logout", data={"csrf_token": token}, headers=HTML)
        assert out.status_code == 303 and out.headers["location"] == LOGIN_PATH
        assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
        assert client.get("/staff/", headers=HTML).status_code == 303
    assert site.scalar("SELECT count(*) FROM staff_sessions") == 0
    actions = [r[0] for r in site.rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["sign_in", "sign_out"]


def test_admins_see_the_audit_link(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "admin")
        home = client.get("/staff/", headers=HTML)
        assert 'href="/staff/audit"' in home.text


def test_a_signed_in_browser_skips_the_sign_in_page(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "lan")
        again = client.get("/staff/login", params={"next": "/staff/records"}, headers=HTML)
        assert again.status_code == 303 and again.headers["location"] == "/staff/records"


def test_wrong_username_and_wrong_password_read_the_same(site: StaffSite) -> None:
    site.execute("UPDATE staff_users SET disabled = :yes WHERE username = 'admin'", yes=True)
    with site.client() as client:
        unknown = sign_in(client, "nobody")
        wrong = sign_in(client, "lan", "not the password at all")
        disabled = sign_in(client, "admin")
    assert unknown.status_code == wrong.status_code == disabled.status_code == 401
    assert _error(unknown.text) == _error(wrong.text) == _error(disabled.text)
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in _error(wrong.text)
    assert SESSION_COOKIE not in str(unknown.headers.get_list("set-cookie"))


# --- cookies ----------------------------------------------------------------------------------


def test_session_cookie_flags_on_plain_http_in_test(site: StaffSite) -> None:
    with site.client() as client:
        page = client.get("/staff/login", headers=HTML)
        login_cookie = _cookie(page.headers.get_list("set-cookie"), LOGIN_COOKIE)
        assert "HttpOnly" in login_cookie and "Path=/staff/login" in login_cookie
        assert "SameSite=strict" in login_cookie and "Secure" not in login_cookie
        response = sign_in(client, "lan")
    cookie = _cookie(response.headers.get_list("set-cookie"), SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff;" in cookie + ";"
    assert "Secure" not in cookie  # development and test on plain http only
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # ends with the browser
    token = cookie.split(";")[0].split("=", 1)[1]
    assert site.scalar("SELECT count(*) FROM staff_sessions WHERE token_hash = :t", t=token) == 0


@pytest.mark.parametrize(
    ("environment", "base_url"),
    [("production", "https://testserver"), ("development", "https://testserver")],
)
def test_session_cookie_is_secure_in_production_and_on_https(
    tmp_path: Path, environment: str, base_url: str
) -> None:
    site = StaffSite.on(
        tmp_path, environment=environment, secret_key=SecretStr("production-secret-" + "x" * 30)
    )
    site.add_user("lan")
    try:
        with site.client(base_url) as client:
            page = client.get("/staff/login", headers=HTML)
            assert "Secure" in _cookie(page.headers.get_list("set-cookie"), LOGIN_COOKIE)
            response = sign_in(client, "lan")
            assert response.status_code == 303, response.text
            cookie = _cookie(response.headers.get_list("set-cookie"), SESSION_COOKIE)
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
            assert client.get("/staff/", headers=HTML).status_code == 200
    finally:
        site.close()


def test_production_on_plain_http_signs_nobody_in(tmp_path: Path) -> None:
    """Its cookies are Secure anyway, so a browser never sends them back over http."""
    site = StaffSite.on(
        tmp_path, environment="production", secret_key=SecretStr("production-secret-" + "x" * 30)
    )
    site.add_user("lan")
    try:
        with site.client("http://testserver") as client:
            page = client.get("/staff/login", headers=HTML)
            assert "Secure" in _cookie(page.headers.get_list("set-cookie"), LOGIN_COOKIE)
            assert sign_in(client, "lan").status_code == 403  # the form's cookie stayed away
    finally:
        site.close()
    assert site.scalar("SELECT count(*) FROM staff_sessions") == 0


# --- anti-forgery tokens -----------------------------------------------------------------------


def test_forms_without_the_sessions_token_are_refused(site: StaffSite) -> None:
    with site.client() as lan, site.client() as other:
        token = signed_in(lan, "lan")
        other_token = signed_in(other, "admin")
        assert token != other_token

        missing = lan.post("/staff/logout", data={}, headers=HTML)
        assert missing.status_code == 403
        assert "mã chống giả mạo (CSRF)" in missing.text and "tải lại trang" in missing.text
        assert missing.headers["content-security-policy"] == STAFF_CSP

        wrong = lan.post("/staff/logout", data={"csrf_token": other_token}, headers=HTML)
        assert wrong.status_code == 403 and "mã chống giả mạo (CSRF)" in wrong.text

        as_json = lan.post("/staff/logout", data={"csrf_token": "0" * 64})
        assert as_json.status_code == 403
        assert as_json.json()["error"] == "CsrfRejected"
        assert "anti-forgery token" in as_json.json()["detail"]

        header = lan.post("/staff/logout", headers={"X-CSRF-Token": token})
        assert header.status_code == 303  # the header works for scripts
    # the refused requests signed nobody out; the last one did
    assert site.scalar("SELECT count(*) FROM staff_sessions") == 1


def test_the_sign_in_form_needs_its_token_too(site: StaffSite) -> None:
    with site.client() as client, site.client() as attacker:
        page = client.get("/staff/login", headers=HTML)
        data = {"username": "lan", "password": PASSWORD}
        assert client.post("/staff/login", data=data, headers=HTML).status_code == 403
        # a token taken from another browser's page does not match this browser's cookie
        foreign = form_token(attacker.get("/staff/login", headers=HTML))
        refused = client.post("/staff/login", data={**data, "csrf_token": foreign}, headers=HTML)
        assert refused.status_code == 403 and "chống giả mạo" in refused.text
        # and without the cookie, the page's own token is refused as well
        client.cookies.delete(LOGIN_COOKIE, path=LOGIN_PATH)
        bare = client.post(
            "/staff/login", data={**data, "csrf_token": form_token(page)}, headers=HTML
        )
        assert bare.status_code == 403
    assert site.scalar("SELECT count(*) FROM staff_sessions") == 0
    assert site.scalar("SELECT count(*) FROM sign_in_failures") == 0  # nothing was tried


# --- lock-out ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One database for two gateway replicas: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared' / 'helpdesk.db'}"
        return
    url = create_pg_database("helpdesk_staff_test")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.mark.parametrize("username", ["lan", "no-such-user"])
def test_lock_out_holds_across_two_replicas_and_reveals_nothing(
    tmp_path: Path, shared_database: str, username: str
) -> None:
    site = StaffSite.on(tmp_path, shared_database, staff_signin_max_failures=3)
    site.add_user("lan")
    try:
        with site.client() as one, site.client() as two:
            first = sign_in(one, username, "wrong-1")
            second = sign_in(two, username, "wrong-2")
            assert first.status_code == second.status_code == 401
            third = sign_in(one, username, "wrong-3")
            assert third.status_code == 429
            locked = sign_in(two, username, PASSWORD)  # the right password, other replica
            assert locked.status_code == 429
            assert int(locked.headers["retry-after"]) > 0
            message = _error(locked.text)
            assert "tạm khoá" in message and "phút" in message
            assert SESSION_COOKIE not in str(locked.headers.get_list("set-cookie"))
            # another username on the same replica is untouched
            assert sign_in(two, "admin-x", "wrong").status_code == 401
    finally:
        site.close()


def test_the_lock_message_is_the_same_for_known_and_unknown_usernames(site: StaffSite) -> None:
    messages = []
    with site.client() as client:
        for username in ("lan", "nobody"):
            for _ in range(site.settings.staff_signin_max_failures):
                sign_in(client, username, "wrong")
            locked = sign_in(client, username, "wrong")
            assert locked.status_code == 429
            messages.append(_error(locked.text))
    assert messages[0] == messages[1]


@contextmanager
def _browser_at(site: StaffSite, address: str) -> Iterator[TestClient]:
    """A browser at ``address`` on a replica of its own."""
    with TestClient(site.app(), client=(address, 50000), follow_redirects=False) as client:
        yield client


SPRAYER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"


def test_one_address_spraying_many_usernames_is_locked_on_every_replica(
    tmp_path: Path, shared_database: str
) -> None:
    site = StaffSite.on(
        tmp_path,
        shared_database,
        staff_signin_max_failures=3,
        staff_signin_address_max_failures=4,
    )
    site.add_user("lan")
    try:
        with (
            _browser_at(site, SPRAYER) as one,
            _browser_at(site, SPRAYER) as two,
            _browser_at(site, NEIGHBOUR) as neighbour,
        ):
            # one guess at each of several usernames, no username near its own limit
            for n, replica in enumerate((one, two, one)):
                assert sign_in(replica, f"user-{n}", "guess").status_code == 401
            fourth = sign_in(two, "user-3", "guess")
            assert fourth.status_code == 429
            assert "Máy này" in _error(fourth.text) and "phút" in _error(fourth.text)
            # the right password of an account it never tried, from the other replica
            locked = sign_in(one, "lan", PASSWORD)
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
            assert "Máy này đang tạm bị chặn" in _error(locked.text)
            assert SESSION_COOKIE not in str(locked.headers.get_list("set-cookie"))
            # another address is not affected, with a wrong or the right password
            assert sign_in(neighbour, "user-4", "guess").status_code == 401
            assert sign_in(neighbour, "lan", PASSWORD).status_code == 303
    finally:
        site.close()
    # counted under keyed hashes: no address in clear
    stored = str(site.rows("SELECT * FROM sign_in_failures"))
    assert SPRAYER not in stored and NEIGHBOUR not in stored


def test_signing_in_does_not_reset_the_address_count(tmp_path: Path) -> None:
    """Whoever holds one account cannot clear the guesses made at others by using it."""
    site = StaffSite.on(tmp_path, staff_signin_address_max_failures=3)
    site.add_user("lan")
    try:
        with _browser_at(site, SPRAYER) as client, _browser_at(site, SPRAYER) as own:
            for n in range(2):
                assert sign_in(client, f"user-{n}", "guess").status_code == 401
            assert sign_in(own, "lan").status_code == 303
            assert sign_in(client, "user-2", "guess").status_code == 429
    finally:
        site.close()


# --- sessions end -----------------------------------------------------------------------------


def test_an_idle_session_ends_and_the_browser_is_sent_to_sign_in(site: StaffSite) -> None:
    idle = site.settings.staff_session_idle_seconds
    with site.client() as client:
        signed_in(client, "lan")
        _age_sessions(site, last_seen_at=datetime.now(UTC) - timedelta(seconds=idle + 5))
        response = client.get("/staff/records", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/login?next=%2Fstaff%2Frecords"
    assert site.scalar("SELECT count(*) FROM staff_sessions") == 0


def test_a_session_ends_at_its_absolute_limit(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "lan")
        assert client.get("/staff/", headers=HTML).status_code == 200
        _age_sessions(site, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert client.get("/staff/").status_code == 401


def test_disabling_an_account_ends_its_session_at_once(site: StaffSite) -> None:
    with site.client() as client:
        signed_in(client, "lan")
        accounts.disable_account(site.sessions, "lan")
        assert client.get("/staff/").status_code == 401


def _age_sessions(site: StaffSite, **columns: datetime) -> None:
    with site.sessions.begin() as session:
        session.execute(update(StaffSession).values(**columns))


# --- where a browser goes after signing in -----------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/staff/records", "/staff/records"),
        ("/staff/audit?before=20", "/staff/audit?before=20"),
        ("/staff", "/staff"),
        ("", "/staff/"),
        ("https://evil.example/staff/", "/staff/"),
        ("//evil.example/staff/", "/staff/"),
        ("/\\evil.example", "/staff/"),
        ("/staff/../api/chat", "/staff/"),
        ("/api/chat", "/staff/"),
        ("/staffing", "/staff/"),
        ("/staff/login", "/staff/"),
        ("/staff/\r\nSet-Cookie: x=1", "/staff/"),
        ("javascript:alert(1)", "/staff/"),
    ],
)
def test_only_local_staff_paths_are_followed(given: str, kept: str) -> None:
    assert safe_next(given) == kept


def test_sign_in_returns_to_the_page_asked_for(site: StaffSite) -> None:
    with site.client() as client:
        asked = client.get("/staff/records", headers=HTML)
        location = asked.headers["location"]
        assert parse_qs(urlsplit(location).query) == {"next": ["/staff/records"]}
        page = client.get(location, headers=HTML)
        assert 'name="next" value="/staff/records"' in page.text
        done = sign_in(client, "lan", next_path="/staff/records")
        assert done.headers["location"] == "/staff/records"
    with site.client() as client:
        evil = sign_in(client, "lan", next_path="https://evil.example/")
        assert evil.headers["location"] == "/staff/"


# --- the route table ----------------------------------------------------------------------------


def _needs(dependant: Dependant | None, call: object) -> bool:
    if dependant is None:
        return False
    return any(d.call is call or _needs(d, call) for d in dependant.dependencies)


@dataclass(frozen=True)
class StaffRoute:
    path: str
    methods: frozenset[str]
    dependant: Dependant | None


def _staff_routes(app: FastAPI) -> list[StaffRoute]:
    """Every route of the app under /staff but the sign-in page and the static files, with
    the prefixes and dependencies of the routers that include it (as OpenAPI walks them)."""
    routes = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/staff") or path == LOGIN_PATH:
            continue
        if path.startswith("/staff/static/"):
            continue
        assert route.methods, f"{path}: only HTTP routes belong under /staff"
        dependant = getattr(route, "dependant", None)
        routes.append(StaffRoute(path, frozenset(route.methods), dependant))
    return routes


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_staff_route_refuses_anonymous_and_admin_routes_refuse_staff(
    site: StaffSite,
) -> None:
    """Walks the app's own route table: a /staff route added later without protection fails."""
    app = site.app()
    routes = _staff_routes(app)
    paths = {route.path for route in routes}
    assert {"/staff/", "/staff/logout", "/staff/records", "/staff/audit"} <= paths
    admin_routes = [
        r for r in routes if r.path.startswith("/staff/admin") or _needs(r.dependant, require_admin)
    ]
    assert "/staff/audit" in {r.path for r in admin_routes}

    with site.client() as anonymous, site.client() as staff, site.client() as admin:
        staff_token = signed_in(staff, "lan")
        admin_token = signed_in(admin, "admin")
        for route in routes:
            path = _concrete(route.path)
            for method in sorted(route.methods or ()):
                where = f"{method} {route.path}"
                plain = anonymous.request(method, path)
                assert plain.status_code == 401, where
                as_page = anonymous.request(method, path, headers=HTML)
                if method in {"GET", "HEAD"}:
                    assert as_page.status_code == 303, where
                    assert as_page.headers["location"].startswith(f"{LOGIN_PATH}?next="), where
                else:
                    assert as_page.status_code == 401, where
                    with_form = anonymous.request(
                        method, path, data={"csrf_token": staff_token}, headers=HTML
                    )
                    assert with_form.status_code == 401, where
                    # a signed-in browser without the session's token is refused too
                    forged = staff.request(method, path, data={"x": "1"}, headers=HTML)
                    assert forged.status_code == 403, where
                    assert "chống giả mạo" in forged.text, where
        for route in admin_routes:
            path = _concrete(route.path)
            for method in sorted(route.methods or ()):
                headers = {"X-CSRF-Token": staff_token}
                refused = staff.request(method, path, headers=headers)
                assert refused.status_code == 403, f"{method} {route.path}"
                assert refused.json()["error"] == "StaffForbidden"
                page = staff.request(method, path, headers={**HTML, **headers})
                assert page.status_code == 403
                if method == "GET":
                    assert "chỉ dành cho quản trị viên" in page.text
                    allowed = admin.get(path, headers={"X-CSRF-Token": admin_token})
                    assert allowed.status_code not in {401, 403}, route.path


def test_no_staff_route_changes_the_audit_log(site: StaffSite) -> None:
    app = site.app()
    audit = [r for r in _staff_routes(app) if "audit" in r.path]
    assert [(r.path, set(r.methods)) for r in audit] == [("/staff/audit", {"GET"})]
    unsafe = {"PUT", "PATCH", "DELETE"}
    assert [r.path for r in _staff_routes(app) if set(r.methods or ()) & unsafe] == []
    with site.client() as admin:
        token = signed_in(admin, "admin")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = admin.request(method, "/staff/audit", headers={"X-CSRF-Token": token})
            assert response.status_code == 405, method
