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


def test_annotations_agree_with_the_regexes_and_lookups() -> None:
    result = _run("bot/tests/check_annotations.py")
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `helpdesk bot train`")
def test_story_messages_are_understood() -> None:
    result = _run("bot/tests/check_story_nlu.py", "--model", str(MODEL))
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_compiled_action_response_check_agrees_with_jsonschema() -> None:
    result = _run("bot/tests/check_server.py")
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
