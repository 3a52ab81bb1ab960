"""``helpdesk records …`` through typer's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from helpdesk.settings import get_settings
from store.cli import records_app
from store.db import head_revision

if TYPE_CHECKING:
    from conftest import Db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "records.csv"
runner = CliRunner()


@pytest.fixture
def cli_db(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    """The commands read settings from the environment, as in production."""
    monkeypatch.setenv("HELPDESK_DATABASE_URL", db.url)
    monkeypatch.setenv("HELPDESK_SECRET_KEY", db.settings.secret_key.get_secret_value())
    monkeypatch.setenv("HELPDESK_ENVIRONMENT", "test")
    monkeypatch.setenv("HELPDESK_LOOKUP_MAX_FAILURES", "5")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _samples(output: str) -> dict[str, tuple[str, str]]:
    """status -> (code, phone digits) from seed-demo's output."""
    found = re.findall(r"lookup (\S+) --verify (\d{4})\s+# (\w+)", output)
    return {status: (code, digits) for code, digits, status in found}


def test_migrate(cli_db: Db) -> None:
    result = runner.invoke(records_app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.stdout


def test_seed_demo_then_lookup(cli_db: Db) -> None:
    seeded = runner.invoke(records_app, ["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    assert re.search(r"Seeded (\d+) demo records", seeded.stdout)
    samples = _samples(seeded.stdout)
    assert set(samples) == {
        "received",
        "processing",
        "waiting_supplement",
        "paused",
        "waiting_payment",
        "result_ready",
        "done",
        "rejected",
        "cancelled",
    }
    assert int(cli_db.scalar("SELECT count(*) FROM records")) >= 30
    assert runner.invoke(records_app, ["seed-demo"]).exit_code == 0

    code, digits = samples["waiting_supplement"]
    typed = code.lower().replace("-", " ")
    found = runner.invoke(records_app, ["lookup", typed, "--verify", f"{digits[:2]} {digits[2:]}"])
    assert found.exit_code == 0, found.output
    assert code in found.stdout and "Chờ bổ sung hồ sơ" in found.stdout
    assert "Giấy tờ cần bổ sung" in found.stdout

    as_json = runner.invoke(
        records_app, ["lookup", code, "--verify", digits, "--json", "--conversation", "web:1"]
    )
    assert as_json.exit_code == 0
    payload = json.loads(as_json.stdout)
    assert payload["outcome"] == "found"
    assert payload["record"]["status"] == "waiting_supplement"
    assert payload["record"]["missing_documents"]
    assert digits not in json.dumps(payload["record"])


def test_lookup_exit_codes(cli_db: Db) -> None:
    samples = _samples(runner.invoke(records_app, ["seed-demo"]).stdout)
    code, digits = samples["processing"]
    wrong = "0000" if digits != "0000" else "1111"

    not_found = runner.invoke(records_app, ["lookup", code, "--verify", wrong])
    assert not_found.exit_code == 1
    unknown = runner.invoke(
        records_app, ["lookup", "000.00.99.H99-250701-0001", "--verify", digits, "--json"]
    )
    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["outcome"] == "not_found"
    assert (
        not_found.stdout
        == runner.invoke(
            records_app, ["lookup", "000.00.99.H99-250701-0002", "--verify", digits]
        ).stdout
    )

    invalid = runner.invoke(records_app, ["lookup", "000.00.12.H12-251301-0001", "--verify", "1"])
    assert invalid.exit_code == 2 and "251301" in invalid.stdout
    huge = runner.invoke(records_app, ["lookup", "9" * 10_240, "--verify", digits, "--json"])
    assert huge.exit_code == 2
    assert json.loads(huge.stdout)["reason"] == "too_long"
    bad_digits = runner.invoke(records_app, ["lookup", code, "--verify", "12"])
    assert bad_digits.exit_code == 2

    # The "cli" conversation failed this code once; four more lock it out of this code,
    # even for the right digits.
    for _ in range(4):
        runner.invoke(records_app, ["lookup", code, "--verify", wrong])
    refused = runner.invoke(records_app, ["lookup", code, "--verify", digits, "--json"])
    assert refused.exit_code == 3
    assert json.loads(refused.stdout)["outcome"] == "refused"
    assert json.loads(refused.stdout)["retry_after_seconds"] > 0
    assert "mã hồ sơ này" in json.loads(refused.stdout)["message_vi"]
    # Another conversation still gets through: a stranger's failures do not lock the owner out.
    other = runner.invoke(records_app, ["lookup", code, "--verify", digits, "--conversation", "x"])
    assert other.exit_code == 0


def test_import_all_or_nothing_and_skip_bad(cli_db: Db, tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = lines[2].replace("1.004222", "1.0042")
    path = tmp_path / "export.csv"
    path.write_text("".join([lines[0], lines[1], bad, *lines[3:]]), encoding="utf-8")

    rejected = runner.invoke(records_app, ["import", str(path)])
    assert rejected.exit_code == 1
    assert f"{path}:3: " in rejected.stderr and "procedure_code" in rejected.stderr
    assert "nothing was imported" in rejected.stderr
    assert int(cli_db.scalar("SELECT count(*) FROM records")) == 0

    skipped = runner.invoke(records_app, ["import", str(path), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert "skipped" in skipped.stderr and ":3:" in skipped.stderr
    assert "4 new" in skipped.stdout
    again = runner.invoke(records_app, ["import", str(EXAMPLE)])
    assert again.exit_code == 0
    assert "1 new" in again.stdout and "4 unchanged" in again.stdout


def test_import_missing_file_is_a_usage_error(cli_db: Db, tmp_path: Path) -> None:
    result = runner.invoke(records_app, ["import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


def test_lookup_on_an_unreachable_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "HELPDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=1"
    )
    get_settings.cache_clear()
    try:
        result = runner.invoke(
            records_app, ["lookup", "000.00.12.H12-250701-0001", "--verify", "1234"]
        )
        assert result.exit_code == 4
        assert "unavailable" in result.stderr
    finally:
        get_settings.cache_clear()


def test_importing_the_cli_module_stays_light() -> None:
    code = (
        "import sys; import store.cli; "
        "heavy = ('sqlalchemy', 'alembic', 'psycopg', 'holidays'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
