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
    ],
)
def test_check_in_the_rasa_environment(script: str) -> None:
    result = _run(script)
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `helpdesk bot train`")
def test_story_messages_are_understood() -> None:
    result = _run("bot/tests/check_story_nlu.py", "--model", str(MODEL))
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
