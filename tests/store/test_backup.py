"""The backup and restore scripts (deploy/backup.sh, deploy/restore.sh) against the local
PostgreSQL: a dump of a database in use restores into an empty database with every table's
rows, the migration it was at, and records a lookup still finds; a second restore into a
database already in use is refused; old dumps beyond the number kept are removed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from store.db import make_engine, make_session_factory, migrate
from store.demo import seed_demo
from store.lookup import RecordLookup
from store.outcomes import LookupOutcome
from tests.store.conftest import create_pg_database, drop_pg_database, make_settings

pytestmark = pytest.mark.postgres

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _run(script: str, url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEPLOY / script), *args],
        env={**os.environ, "HELPDESK_DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return {
                t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0)
                for t in tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump and pg_restore are not installed (postgresql-client)")
    live = create_pg_database("helpdesk_backup_live")
    empty = create_pg_database("helpdesk_backup_restored")
    yield live, empty
    drop_pg_database(live)
    drop_pg_database(empty)


def test_a_dump_restores_whole_into_an_empty_database(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    live, empty = databases
    engine = make_engine(live)
    migrate(engine)
    settings = make_settings(live)
    demo = seed_demo(make_session_factory(engine), settings)
    engine.dispose()
    before = _counts(live)
    assert before["records"] == len(demo.records) > 0

    backups = tmp_path / "backups"
    backups.mkdir(mode=0o755)
    older = [backups / f"helpdesk-2026110{n}T000000Z.dump" for n in (1, 2)]
    for n, path in enumerate(older, 1):  # two earlier runs, the first the oldest
        path.write_bytes(b"earlier")
        os.utime(path, (1_700_000_000 + n, 1_700_000_000 + n))
    made = _run("backup.sh", live, HELPDESK_BACKUP_DIR=str(backups), HELPDESK_BACKUP_KEEP="2")
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.strip())
    assert dump.parent == backups and dump.stat().st_size > 0
    assert sorted(backups.glob("helpdesk-*.dump")) == sorted([older[1], dump])  # two kept
    assert oct(backups.stat().st_mode & 0o777) == "0o700"
    assert not list(backups.glob(".*partial"))

    restored = _run("restore.sh", empty, str(dump))
    assert restored.returncode == 0, restored.stderr
    assert "restored at migration" in restored.stdout
    assert _counts(empty) == before
    engine = make_engine(empty)  # the restored records answer a lookup with their digits
    try:
        record = demo.records[0]
        lookup = RecordLookup(make_session_factory(engine), make_settings(empty))
        found = lookup.lookup(record.code, record.phone_last4, "web-restorecheck01")
        assert found.outcome is LookupOutcome.FOUND, found
    finally:
        engine.dispose()

    again = _run("restore.sh", empty, str(dump))
    assert again.returncode == 2
    assert "already holds" in again.stderr
    assert _counts(empty) == before


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path: Path) -> None:
    made = _run("backup.sh", "sqlite:///var/helpdesk.db", HELPDESK_BACKUP_DIR=str(tmp_path))
    assert made.returncode == 2
    assert "not a PostgreSQL URL" in made.stderr
