"""Fixtures for the record store: every DB test runs on SQLite and on PostgreSQL.

PostgreSQL comes from HELPDESK_TEST_POSTGRES_URL (default: the local trust-auth server). A
fresh, uniquely named database is created for the test session and dropped at the end; tests
that cannot reach the server are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.settings import Settings
from store.db import make_engine, make_session_factory, migrate
from store.hashing import verification_hash
from store.models import Record, RecordStatusEvent
from store.status import RecordStatus

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_SECRET = "test-secret-key-not-for-production"
TABLES = (
    "record_status_events",
    "records",
    "lookup_failures",
    "feedback",
    "handoff_notes",
    "factor_tokens",
    "awaiting_factors",
    "staff_sessions",
    "staff_users",
    "sign_in_failures",
    "audit_log",
    "catalogue_releases",
    "catalogue_live",
    "channel_events",
    "channel_contacts",
    "channel_tokens",
    "turns",
    "handoff_messages",
    "handoff_conversations",
)
NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, a Thursday


def pg_admin_url() -> str:
    return os.environ.get("HELPDESK_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database(prefix: str = "helpdesk_store_test") -> str:
    """Create a uniquely named database; returns its SQLAlchemy URL. Skips if unreachable."""
    import psycopg

    admin = pg_admin_url()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        shown = make_url(admin).render_as_string(hide_password=True)
        detail = " ".join(str(exc).split())[:200]
        pytest.skip(
            f"PostgreSQL not reachable at {shown} ({exc.__class__.__name__}: {detail}); "
            "set HELPDESK_TEST_POSTGRES_URL to run these tests"
        )
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    with psycopg.connect(_libpq(pg_admin_url()), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": url,
        "secret_key": SecretStr(TEST_SECRET),
        "lookup_max_failures": 5,
        "lookup_window_seconds": 3600,
        "hotline": "1800 1096",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole session, dropped at the end."""
    url = create_pg_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database of its own (for migration tests)."""
    url = create_pg_database("helpdesk_store_mig")
    try:
        yield url
    finally:
        drop_pg_database(url)


@dataclass
class Db:
    """A migrated record store for one test."""

    kind: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    _engines: list[Engine] = field(default_factory=list)

    def replica(self) -> sessionmaker[Session]:
        """Sessions on a second engine: what another replica of the service would have."""
        engine = make_engine(self.url)
        self._engines.append(engine)
        return make_session_factory(engine)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def close(self) -> None:
        for engine in [self.engine, *self._engines]:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A migrated, empty record store on SQLite (a temp file) or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'store.db'}"
        engine = make_engine(url)
        migrate(engine)
    else:
        url = request.getfixturevalue("pg_database")
        engine = make_engine(url)
    store = Db(request.param, url, engine, make_session_factory(engine), make_settings(url))
    try:
        yield store
    finally:
        if request.param == "postgresql":
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        store.close()


@pytest.fixture
def add_record(db: Db) -> Callable[..., Record]:
    """Insert a record; ``phone``/``id_number`` are last-4 digits, stored only as hashes."""

    def add(
        code: str = "000.00.12.H12-250701-0001",
        *,
        status: RecordStatus = RecordStatus.PROCESSING,
        phone: str | None = "5678",
        id_number: str | None = "2345",
        received_at: datetime = NOW - timedelta(days=2),
        due_at: datetime | None = NOW + timedelta(days=3),
        finished_at: datetime | None = None,
        missing_documents: list[str] | None = None,
        procedure_code: str = "1.004222",
        result_delivery: str | None = "counter",
        collect_at: str | None = "Bộ phận Một cửa, Phường An Xuyên",
    ) -> Record:
        secret = db.settings.secret_key.get_secret_value()
        record = Record(
            code=code,
            procedure_code=procedure_code,
            receiving_commune="Phường An Xuyên, Tỉnh Cà Mau",
            receiving_unit_code="000.00.12.H12",
            channel="in_person",
            received_at=received_at,
            due_at=due_at,
            finished_at=finished_at,
            status=status.value,
            missing_documents=missing_documents or [],
            result_delivery=result_delivery,
            collect_at=collect_at,
            phone_hash=verification_hash(secret, code, phone) if phone else None,
            id_hash=verification_hash(secret, code, id_number) if id_number else None,
            source="test",
            created_at=received_at,
            updated_at=received_at,
        )
        record.events = [RecordStatusEvent(status=status.value, at=received_at, note=None)]
        with db.sessions.begin() as session:
            session.add(record)
        return record

    return add


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    """Build test settings for a URL, with overrides (e.g. ``lookup_max_failures=2``)."""
    return make_settings
