"""Engines, sessions and migrations for the record store (SQLite file or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option: on SQLite, take the write lock when the transaction begins, so that
# read-then-write sequences (counting failed lookups) are serialised across processes.
SQLITE_IMMEDIATE = "helpdesk_sqlite_immediate"
# Any constant works; it only has to be the same for every replica running migrations.
_MIGRATION_LOCK_ID = 0x68656C70


def write_lock(session: Session) -> None:
    """Take the write lock at the start of the session's transaction: on SQLite a row lock
    is a no-op and a deferred read-then-write fails with "database is locked" when another
    writer came first, so the transaction begins IMMEDIATE and a second replica waits for
    it instead (PostgreSQL: conditional updates or ``FOR UPDATE`` do it; nothing here)."""
    session.connection(execution_options={SQLITE_IMMEDIATE: True})


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``: ``sqlite:///path/to.db`` or ``postgresql+psycopg://…``.

    For a SQLite file the parent folder is created, and every connection runs in WAL mode
    with a busy timeout, so that several processes can read while one writes.

    Args:
        url: The database URL (``settings.database_url``).
        **kwargs: Passed on to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs.pop("connect_args", {})}
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (the recipe in
    # SQLAlchemy's SQLite docs): DDL becomes transactional and BEGIN IMMEDIATE possible.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; use ``with factory.begin() as session:``."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Any:
    """The Alembic configuration of the store, independent of the working directory."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(target: Engine | str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (head by default); safe to run again and concurrently.

    Args:
        target: An engine, or a database URL (an engine is made and disposed of).
        revision: The Alembic revision to upgrade to.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """
    from alembic import command

    engine = make_engine(target) if isinstance(target, str) else target
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two replicas starting together must not both create the tables.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"cannot migrate the record store: {exc}") from exc
    finally:
        if isinstance(target, str):
            engine.dispose()


def downgrade(target: Engine | str, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (all of them by default). For tests and rollbacks."""
    from alembic import command

    engine = make_engine(target) if isinstance(target, str) else target
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
