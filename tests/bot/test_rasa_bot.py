"""The Rasa assistant checked with Rasa itself, in its own environment (subprocesses).

Skipped when .venv-rasa is missing; the story NLU check also needs a trained model in
var/models (``helpdesk bot train``, which ``make test`` runs first).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpdesk.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
MODEL = PROJECT_ROOT / "var" / "models" / "helpdesk.tar.gz"

pytestmark = [
    pytest.mark.rasa,
    pytest.mark.skipif(not RASA_PYTHON.exists(), reason="no Rasa environment (.venv-rasa)"),
]


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [str(RASA_PYTHON), script, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(
    "script",
    [
        # the annotations in the training data agree with the regexes and lookup tables
        "bot/tests/check_annotations.py",
        # bot.server's compiled action-response check agrees with jsonschema.validate
        "bot/tests/check_server.py",
        # the cached SQL tracker store agrees with Rasa's SQLTrackerStore (SQLite)
        "bot/tests/check_tracker_store.py",
    ],
)
def test_check_in_the_rasa_environment(script: str) -> None:
    result = _run(script)
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `helpdesk bot train`")
def test_flat_model_calls_predict_what_rasa_predicts() -> None:
    result = _run("bot/tests/check_flat_calls.py", "--model", str(MODEL))
    sys.stdout.write(result.stdout[-2000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " 0 differing" in result.stdout


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `helpdesk bot train`")
def test_story_messages_are_understood() -> None:
    result = _run("bot/tests/check_story_nlu.py", "--model", str(MODEL))
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_tracker_store_on_postgresql() -> None:
    """The same tracker-store checks on a fresh PostgreSQL database (skipped without one)."""
    from tests.store.conftest import create_pg_database, drop_pg_database

    url = create_pg_database("helpdesk_tracker_test")
    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        result = _run("bot/tests/check_tracker_store.py", "--postgres", plain)
    finally:
        drop_pg_database(url)
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
