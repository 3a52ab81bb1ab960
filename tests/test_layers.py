"""The layers contract in pyproject.toml (import-linter): no package imports a layer above it.

Top to bottom: the command line (``helpdesk_cli``); the action server, the gateway, the bot's
data generator and the bot; the catalogue, the record store and the office finder; the ground
floor (``helpdesk``: settings, errors, languages).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES: list[str] = CONFIG["tool"]["importlinter"]["root_packages"]


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on ``project`` with its own pyproject.toml, packages found there first."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_project(to: Path) -> Path:
    """The project's Python packages and pyproject.toml, nothing else."""
    keep_py = shutil.ignore_patterns("__pycache__", "models", "data", "static", "catalogue")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=keep_py)
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


def test_every_package_is_in_a_layer() -> None:
    assert set(PACKAGES) >= {"helpdesk_cli", "actions", "connectors", "botdata", "bot"}
    assert set(PACKAGES) >= {"knowledge", "store", "offices", "helpdesk"}


def test_the_project_keeps_its_layers() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("helpdesk/errors.py", "helpdesk_cli.run"),  # the ground floor imports nothing
        ("knowledge/answers.py", "actions.records"),  # the domain never imports its callers
        ("bot/components/text.py", "botdata.render"),  # Rasa never imports the generator
        ("connectors/guard.py", "actions.server"),  # siblings stay apart
    ],
)
def test_an_import_against_the_layers_breaks_the_contract(
    tmp_path: Path, module: str, upward: str
) -> None:
    project = _copy_project(tmp_path)
    with (project / module).open("a", encoding="utf-8") as source:
        source.write(f"\nimport {upward}  # noqa: E402\n")
    result = _lint(project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {upward}" in result.stdout, result.stdout
