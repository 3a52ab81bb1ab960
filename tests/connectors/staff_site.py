"""A gateway with staff accounts, for the staff pages' tests: replicas on one database,
signing in as a browser does (the sign-in page's form token, then the form)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from connectors.web.app import create_app
from helpdesk.settings import Settings
from store.accounts import create_account
from store.db import make_engine, make_session_factory, migrate
from store.vocabulary import StaffRole
from tests.connectors.conftest import Upstream, make_settings

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PASSWORD = "mật khẩu đủ dài 2026"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    """The anti-forgery token of the first form on a page."""
    found = _TOKEN.search(page.text)
    assert found, page.text
    return found.group(1)


@dataclass
class StaffSite:
    """One database, any number of gateway replicas on it."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _apps: list[FastAPI] = field(default_factory=list)

    @classmethod
    def on(cls, tmp_path: Path, database_url: str | None = None, **overrides: Any) -> StaffSite:
        if database_url is not None:
            overrides["database_url"] = database_url
        settings = make_settings(tmp_path, **overrides)
        engine = make_engine(settings.database_url)
        migrate(engine)
        return cls(settings, engine, make_session_factory(engine))

    def add_user(self, username: str, role: str = "staff", password: str = PASSWORD) -> None:
        create_account(self.sessions, self.settings, username, StaffRole(role), password)

    def app(self) -> FastAPI:
        upstream = Upstream(self.settings.internal_token("rasa"))
        app = create_app(
            self.settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream)
        )
        self._apps.append(app)
        return app

    @contextmanager
    def client(self, base_url: str = "http://testserver") -> Iterator[TestClient]:
        """A browser on a replica of its own (a new app on the same database)."""
        with TestClient(self.app(), base_url=base_url, follow_redirects=False) as client:
            yield client

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def close(self) -> None:
        self.engine.dispose()


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, next_path: str | None = None
) -> httpx.Response:
    """Open the sign-in page and send its form, as a browser would."""
    page = client.get("/staff/login", headers=HTML)
    assert page.status_code == 200, page.text
    data = {"username": username, "password": password, "csrf_token": form_token(page)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/staff/login", data=data, headers=HTML)


def signed_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in; returns the session's anti-forgery token (from the home page's form)."""
    response = sign_in(client, username, password)
    assert response.status_code == 303, response.text
    home = client.get("/staff/", headers=HTML)
    assert home.status_code == 200, home.text
    return form_token(home)
