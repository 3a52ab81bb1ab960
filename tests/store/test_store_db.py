"""Engines and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from helpdesk.errors import StoreUnavailable
from store.db import current_revision, downgrade, head_revision, make_engine, migrate
from store.models import Base

if TYPE_CHECKING:
    from conftest import Db

TABLES = {
    "records",
    "record_status_events",
    "lookup_failures",
    "feedback",
    "handoff_notes",
    "factor_tokens",
    "awaiting_factors",
    "staff_users",
    "staff_sessions",
    "sign_in_failures",
    "audit_log",
}
EXPECTED_TABLES = TABLES | {"alembic_version"}


def _check_migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision() is not None
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
        with engine.connect() as conn:
            # The models and the migrations describe the same schema.
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        migrate(engine)  # running again is a no-op
        assert current_revision(engine) == head_revision()
        downgrade(engine)
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate(url)  # by URL as well
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrations_to_head_on_sqlite(tmp_path: Path) -> None:
    _check_migrated(f"sqlite:///{tmp_path / 'new' / 'folder' / 'helpdesk.db'}")
    assert (tmp_path / "new" / "folder" / "helpdesk.db").exists()


@pytest.mark.postgres
def test_migrations_to_head_on_postgresql(fresh_pg_url: str) -> None:
    _check_migrated(fresh_pg_url)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_the_db_fixture_gives_an_empty_migrated_store(db: Db) -> None:
    assert current_revision(db.engine) == head_revision()
    assert db.scalar("SELECT count(*) FROM records") == 0


def test_unreachable_database_is_store_unavailable() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1"
    with pytest.raises(StoreUnavailable):
        migrate(url)


def test_tables_are_never_created_outside_migrations() -> None:
    store_dir = Path(__file__).resolve().parents[2] / "store"
    offenders = [
        p.name for p in store_dir.rglob("*.py") if "create_all(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
